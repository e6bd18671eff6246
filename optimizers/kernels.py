"""Compiled update rules (numba): the same arithmetic as the NumPy rules, one coordinate at a time.

Why: a step of 8 runs is ~30 NumPy calls on 16 numbers, and each call costs ~0.5 µs of overhead,
so the NumPy rules plus a NumPy objective take ~25 µs per step; one compiled call per group
takes ~2 µs. The NumPy rules (torch_rules.py, lecture_rules.py, extra_rules.py) stay the
readable reference: every kernel below mirrors one of them operation for operation, in the same
order, so that both give the same bits (tests/test_kernels.py checks every rule and option), and
the golden tests check both against torch.

Every kernel has one signature, so that the engine calls them all alike:
    kernel(theta, g, t, hp, state, sigma, eff, mom, out)
  theta, g   (rows, 2): the group's points and gradients; t counts from 1
  hp         (k, rows): hyperparameters, row 0 is this step's lr (the engine writes it, and a
             cycled momentum / β1, before each call); rows 1… are LAYOUT[name].hp in order
  state      (s, rows, 2): the rule's state, LAYOUT[name].state in order, updated in place
  sigma, eff, mom  (rows, 2): σ_t, η_t/σ_t and m_t of this step (written where the rule has them)
  out        (rows, 2): the new points
`import numba` is only needed when the engine asks for a kernel (optimizers.engine falls back to
the NumPy rules when numba is missing).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np

jit = numba.njit(cache=True, nogil=True)


@dataclass(frozen=True)
class Layout:
    kernel: object
    hp: tuple[str, ...]  # attributes of Optimizer.h, packed after the lr row
    state: tuple[str, ...]  # names of the state planes (all start at 0 unless init says)
    sigma: bool  # whether σ_t is recorded
    momentum: bool  # whether m_t is recorded (SGD / RMSprop: only when momentum is in use)


@jit
def _lerp(m, g, w):  # torch's lerp, as pieces.lerp
    return m + w * (g - m) if w < 0.5 else g - (g - m) * (1 - w)


@jit
def _maximum(a, b):  # np.maximum: NaN wins
    if a != a:
        return a
    if b != b:
        return b
    return b if b > a else a


@jit
def _sign(x):  # np.sign: +0.0 for ±0, NaN for NaN
    if x > 0:
        return 1.0
    if x < 0:
        return -1.0
    return x if x != x else 0.0


@jit
def _ema_of_squares(v, g, beta):  # pieces.ema_of_squares
    return v * beta + ((1 - beta) * g) * g


@jit
def _weight_decay(theta, g, lr, wd, decoupled):
    """pieces.add_weight_decay (g ← g + λθ) or, decoupled, pieces.decay_weights (θ ← θ(1 − γλ))."""
    if wd != 0:
        if decoupled:
            theta = theta * (1 - lr * wd)
        else:
            g = g + wd * theta
    return theta, g


@jit
def _ratio(a, b):  # pieces.safe_divide and the engine's η/σ: 0 where b == 0
    return a / b if b != 0 else 0.0


@jit
def sgd(theta, g, t, hp, state, sigma, eff, mom, out):
    buf, started = state[0], state[1]
    for r in range(theta.shape[0]):
        lr, mu, damp, wd, nesterov = hp[0, r], hp[1, r], hp[2, r], hp[3, r], hp[4, r] != 0
        active = mu != 0
        for c in range(2):
            _, gi = _weight_decay(theta[r, c], g[r, c], lr, wd, False)
            b = buf[r, c]
            if active:
                b = gi if started[r, c] == 0 else b * mu + (1 - damp) * gi
                buf[r, c] = b
                started[r, c] = 1.0
                d = gi + mu * b if nesterov else b
            else:
                d = gi
            out[r, c] = theta[r, c] + (-lr) * d
            eff[r, c] = lr
            mom[r, c] = b


@jit
def adagrad(theta, g, t, hp, state, sigma, eff, mom, out):
    total = state[0]
    for r in range(theta.shape[0]):
        lr, lr_decay, wd, eps = hp[0, r], hp[1, r], hp[2, r], hp[3, r]
        clr = lr / (1 + (t - 1) * lr_decay)
        for c in range(2):
            _, gi = _weight_decay(theta[r, c], g[r, c], lr, wd, False)
            s = total[r, c] + gi * gi
            total[r, c] = s
            std = math.sqrt(s) + eps
            out[r, c] = theta[r, c] + (-clr) * (gi / std)
            sigma[r, c] = std
            eff[r, c] = _ratio(clr, std)


@jit
def rmsprop(theta, g, t, hp, state, sigma, eff, mom, out):
    v, mean, buf = state[0], state[1], state[2]
    for r in range(theta.shape[0]):
        lr, alpha, eps, wd, mu, centered = hp[0, r], hp[1, r], hp[2, r], hp[3, r], hp[4, r], hp[5, r] != 0
        for c in range(2):
            _, gi = _weight_decay(theta[r, c], g[r, c], lr, wd, False)
            vi = _ema_of_squares(v[r, c], gi, alpha)
            v[r, c] = vi
            if centered:
                mi = _lerp(mean[r, c], gi, 1 - alpha)
                mean[r, c] = mi
                avg = math.sqrt(vi + (-mi) * mi) + eps
            else:
                avg = math.sqrt(vi) + eps
            if mu > 0:
                b = buf[r, c] * mu + gi / avg
                buf[r, c] = b
                d = b
            else:
                d = gi / avg
            out[r, c] = theta[r, c] + (-lr) * d
            sigma[r, c] = avg
            eff[r, c] = _ratio(lr, avg)
            mom[r, c] = buf[r, c]


@jit
def adam(theta, g, t, hp, state, sigma, eff, mom, out):
    m, v, vmax = state[0], state[1], state[2]
    for r in range(theta.shape[0]):
        lr, beta1, beta2, eps, wd = hp[0, r], hp[1, r], hp[2, r], hp[3, r], hp[4, r]
        amsgrad, decoupled = hp[5, r] != 0, hp[6, r] != 0
        if r == 0 or beta1 != hp[1, r - 1] or beta2 != hp[2, r - 1]:
            # two pow() per row would be most of a 40,000-start map's time: rows mostly agree
            bc1 = 1 - beta1 ** float(t)
            bc2_sqrt = math.sqrt(1 - beta2 ** float(t))
        step_size = lr / bc1
        for c in range(2):
            th, gi = _weight_decay(theta[r, c], g[r, c], lr, wd, decoupled)
            mi = _lerp(m[r, c], gi, 1 - beta1)
            vi = _ema_of_squares(v[r, c], gi, beta2)
            m[r, c], v[r, c] = mi, vi
            if amsgrad:
                vi = _maximum(vmax[r, c], vi)
                vmax[r, c] = vi
            denom = math.sqrt(vi) / bc2_sqrt + eps
            out[r, c] = th + (-step_size) * (mi / denom)
            sigma[r, c] = denom
            eff[r, c] = _ratio(step_size, denom)
            mom[r, c] = mi


@jit
def adamax(theta, g, t, hp, state, sigma, eff, mom, out):
    m, u = state[0], state[1]
    for r in range(theta.shape[0]):
        lr, beta1, beta2, eps, wd = hp[0, r], hp[1, r], hp[2, r], hp[3, r], hp[4, r]
        if r == 0 or beta1 != hp[1, r - 1]:
            bc1 = 1 - beta1 ** float(t)
        clr = lr / bc1
        for c in range(2):
            _, gi = _weight_decay(theta[r, c], g[r, c], lr, wd, False)
            mi = _lerp(m[r, c], gi, 1 - beta1)
            ui = _maximum(u[r, c] * beta2, abs(gi) + eps)
            m[r, c], u[r, c] = mi, ui
            out[r, c] = theta[r, c] + (-clr) * (mi / ui)
            sigma[r, c] = ui
            eff[r, c] = _ratio(clr, ui)
            mom[r, c] = mi


@jit
def nadam(theta, g, t, hp, state, sigma, eff, mom, out):
    m, v, product = state[0], state[1], state[2]
    for r in range(theta.shape[0]):
        lr, beta1, beta2, eps, wd, psi = hp[0, r], hp[1, r], hp[2, r], hp[3, r], hp[4, r], hp[5, r]
        decoupled = hp[6, r] != 0
        bc2 = 1 - beta2 ** float(t)
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (t * psi)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((t + 1) * psi)))
        for c in range(2):
            th, gi = _weight_decay(theta[r, c], g[r, c], lr, wd, decoupled)
            p = product[r, c] * mu
            product[r, c] = p
            mi = _lerp(m[r, c], gi, 1 - beta1)
            vi = _ema_of_squares(v[r, c], gi, beta2)
            m[r, c], v[r, c] = mi, vi
            denom = math.sqrt(vi / bc2) + eps
            th = th + (-lr * (1.0 - mu) / (1.0 - p)) * (gi / denom)
            out[r, c] = th + ((-lr * mu_next) / (1.0 - p * mu_next)) * (mi / denom)
            sigma[r, c] = denom
            eff[r, c] = _ratio(lr, denom)
            mom[r, c] = mi


@jit
def radam(theta, g, t, hp, state, sigma, eff, mom, out):
    m, v = state[0], state[1]
    for r in range(theta.shape[0]):
        lr, beta1, beta2, eps, wd, decoupled = hp[0, r], hp[1, r], hp[2, r], hp[3, r], hp[4, r], hp[5, r] != 0
        bc1, bc2 = 1 - beta1 ** float(t), 1 - beta2 ** float(t)
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * t * (beta2 ** float(t)) / bc2
        rectified = rho_t > 5.0
        rect = 0.0
        if rectified:
            rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
        for c in range(2):
            th, gi = _weight_decay(theta[r, c], g[r, c], lr, wd, decoupled)
            mi = _lerp(m[r, c], gi, 1 - beta1)
            vi = _ema_of_squares(v[r, c], gi, beta2)
            m[r, c], v[r, c] = mi, vi
            m_hat = mi / bc1
            denom = math.sqrt(vi) + eps
            adaptive = math.sqrt(bc2) / denom
            if rectified:
                out[r, c] = th - m_hat * lr * adaptive * rect
                eff[r, c] = lr / bc1 * adaptive * rect
            else:
                out[r, c] = th - m_hat * lr
                eff[r, c] = lr / bc1
            sigma[r, c] = denom / math.sqrt(bc2)
            mom[r, c] = mi


@jit
def adadelta(theta, g, t, hp, state, sigma, eff, mom, out):
    v, u = state[0], state[1]
    for r in range(theta.shape[0]):
        lr, rho, eps, wd = hp[0, r], hp[1, r], hp[2, r], hp[3, r]
        for c in range(2):
            _, gi = _weight_decay(theta[r, c], g[r, c], lr, wd, False)
            vi = _ema_of_squares(v[r, c], gi, rho)
            v[r, c] = vi
            std = math.sqrt(vi + eps)
            ratio = math.sqrt(u[r, c] + eps) / std
            delta = ratio * gi
            u[r, c] = _ema_of_squares(u[r, c], delta, rho)
            out[r, c] = theta[r, c] + (-lr) * delta
            sigma[r, c] = std
            eff[r, c] = lr * ratio


@jit
def rprop(theta, g, t, hp, state, sigma, eff, mom, out):
    prev, size = state[0], state[1]
    for r in range(theta.shape[0]):
        lr, etaminus, etaplus, step_min, step_max = hp[0, r], hp[1, r], hp[2, r], hp[3, r], hp[4, r]
        for c in range(2):
            if t == 1:  # torch fills the step sizes with the lr of the first step only
                size[r, c] = 0.0 + lr
            gi = g[r, c]
            sign = _sign(gi * prev[r, c])
            factor = etaplus if sign > 0 else (etaminus if sign < 0 else 1.0)
            s = size[r, c] * factor
            s = _maximum(s, step_min)  # np.clip
            s = s if s != s or s < step_max else step_max
            size[r, c] = s
            if factor == etaminus:
                gi = 0.0
            prev[r, c] = gi
            out[r, c] = theta[r, c] + (-1 * _sign(gi)) * s
            eff[r, c] = s


@jit
def lecture_rms(theta, g, t, hp, state, sigma, eff, mom, out):
    total = state[0]
    for r in range(theta.shape[0]):
        lr = hp[0, r]
        for c in range(2):
            gi = g[r, c]
            s = total[r, c] + gi * gi
            total[r, c] = s
            sig = math.sqrt(s / t)
            out[r, c] = theta[r, c] - lr * _ratio(gi, sig)
            sigma[r, c] = sig
            eff[r, c] = _ratio(lr, sig)


@jit
def lecture_rmsprop(theta, g, t, hp, state, sigma, eff, mom, out):
    sq = state[0]
    for r in range(theta.shape[0]):
        lr, alpha = hp[0, r], hp[1, r]
        for c in range(2):
            gi = g[r, c]
            g2 = gi * gi
            s = g2 if t == 1 else alpha * sq[r, c] + (1 - alpha) * g2
            sq[r, c] = s
            sig = math.sqrt(s)
            out[r, c] = theta[r, c] - lr * _ratio(gi, sig)
            sigma[r, c] = sig
            eff[r, c] = _ratio(lr, sig)


@jit
def lion(theta, g, t, hp, state, sigma, eff, mom, out):
    m = state[0]
    for r in range(theta.shape[0]):
        lr, beta1, beta2, wd = hp[0, r], hp[1, r], hp[2, r], hp[3, r]
        for c in range(2):
            th, gi = theta[r, c], g[r, c]
            direction = _sign((1.0 - beta1) * gi + beta1 * m[r, c])
            out[r, c] = th + (-lr) * (direction + wd * th)
            mi = (1.0 - beta2) * gi + beta2 * m[r, c]
            m[r, c] = mi
            eff[r, c] = lr
            mom[r, c] = mi


_ADAM_HP = ("beta1", "beta2", "eps", "weight_decay", "amsgrad", "decoupled_weight_decay")
LAYOUT = {
    "SGD": Layout(sgd, ("momentum", "dampening", "weight_decay", "nesterov"), ("buf", "started"), False, True),
    "Adagrad": Layout(adagrad, ("lr_decay", "weight_decay", "eps"), ("sum",), True, False),
    "RMSprop": Layout(rmsprop, ("alpha", "eps", "weight_decay", "momentum", "centered"), ("v", "mean", "buf"), True, True),
    "Adam": Layout(adam, _ADAM_HP, ("m", "v", "vmax"), True, True),
    "AdamW": Layout(adam, _ADAM_HP, ("m", "v", "vmax"), True, True),
    "Adamax": Layout(adamax, ("beta1", "beta2", "eps", "weight_decay"), ("m", "u"), True, True),
    "NAdam": Layout(nadam, ("beta1", "beta2", "eps", "weight_decay", "momentum_decay", "decoupled_weight_decay"),
                    ("m", "v", "mu_product"), True, True),
    "RAdam": Layout(radam, ("beta1", "beta2", "eps", "weight_decay", "decoupled_weight_decay"), ("m", "v"), True, True),
    "Adadelta": Layout(adadelta, ("rho", "eps", "weight_decay"), ("v", "u"), True, False),
    "Rprop": Layout(rprop, ("etaminus", "etaplus", "step_min", "step_max"), ("prev", "size"), False, False),
    "LectureRMS": Layout(lecture_rms, (), ("sum",), True, False),
    "LectureRMSProp": Layout(lecture_rmsprop, ("alpha",), ("sq",), True, False),
    "Lion": Layout(lion, ("beta1", "beta2", "weight_decay"), ("m",), False, True),
}
INITIAL = {("Adagrad", "sum"): "initial_accumulator_value", ("NAdam", "mu_product"): 1.0}


def pack(name: str, h, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """The (k, rows) hyperparameter block (row 0 left for the lr) and the zeroed state."""
    lay = LAYOUT[name]
    hp = np.zeros((1 + len(lay.hp), rows))
    for i, attr in enumerate(lay.hp, start=1):
        hp[i] = np.reshape(np.asarray(getattr(h, attr), dtype=float), -1)
    state = np.zeros((len(lay.state), rows, 2))
    for i, plane in enumerate(lay.state):
        start = INITIAL.get((name, plane))
        if start is not None:
            state[i] = np.reshape(np.asarray(getattr(h, start) if isinstance(start, str) else start, dtype=float), (-1, 1))
    return hp, state


def compile_all() -> None:
    """Compile (or load from numba's cache) every kernel now, e.g. while a server starts or an
    image is built, rather than on a student's first click (~0.4 s per kernel when not cached)."""
    theta = np.zeros((1, 2))
    for name, lay in LAYOUT.items():
        hp, state = pack(name, _AnySetting(), 1)
        lay.kernel(theta, theta, 1, hp, state, *np.zeros((3, 1, 2)), np.zeros((1, 2)))


class _AnySetting:
    """Every hyperparameter reads as 0.5: compiling only needs the types."""

    def __getattr__(self, name):
        return 0.5
