"""Small shared pieces of update arithmetic, on one number at a time, each written the way torch
computes it, so that every rule built from them reproduces torch.optim to rounding (see the
golden tests). Compiled with numba (optimizers/jit.py) and inlined into the rules."""
from __future__ import annotations

from .jit import jit


@jit
def lerp(m, g, w):
    """torch's lerp: m + w(g − m) for w < 0.5, else g − (g − m)(1 − w). First moments use it."""
    return m + w * (g - m) if w < 0.5 else g - (g - m) * (1 - w)


@jit
def ema_of_squares(v, g, beta):
    """v ← β v + (1 − β) g²  (torch: v.mul_(β).addcmul_(g, g, value=1−β))."""
    return v * beta + ((1 - beta) * g) * g


@jit
def weight_decay(theta, g, lr, wd, decoupled):
    """(θ, g) after weight decay: coupled L2, torch's default, adds λθ to g before any moment
    update; decoupled (AdamW) shrinks θ ← θ(1 − γλ) before the normal update."""
    if wd != 0:
        if decoupled:
            theta = theta * (1 - lr * wd)
        else:
            g = g + wd * theta
    return theta, g


@jit
def maximum(a, b):
    """torch.maximum / np.maximum: NaN wins."""
    if a != a:
        return a
    if b != b:
        return b
    return b if b > a else a


@jit
def sign(x):
    """torch.sign: +0.0 for ±0, NaN for NaN."""
    if x > 0:
        return 1.0
    if x < 0:
        return -1.0
    return x if x != x else 0.0


@jit
def ratio(a, b):
    """a / b, with 0 where b == 0: the lecture's forms have no ε (σ = 0 only when every gradient
    so far was 0 in that coordinate, and then the step is 0 too), and η/σ is recorded so."""
    return a / b if b != 0 else 0.0
