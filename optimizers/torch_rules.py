"""torch.optim's optimizers with torch's names, defaults and arithmetic (torch 2.13, the
single-tensor code path), each written once: its metadata and docstring, then its kernel, one
number at a time in the order torch computes it (see optimizers/base.py for the kernel's
arguments). Notation: g = ∇f(θ_{t−1}), γ = lr after the schedule, λ = weight_decay, t = 1 on the
first update. tests/golden/ compares every one with torch.
"""
from __future__ import annotations

import math

import numpy as np

from .base import Iteration, Optimizer, rule_kernel
from .params import Param, ValidationError, flag, nonneg, positive
from .pieces import ema_of_squares, lerp, maximum, ratio, sign, weight_decay

LR = "learning rate γ"
WD = "weight decay λ (L2 penalty added to the gradient)"
EPS = "ε, added to the denominator for numerical stability"


class SGD(Optimizer):
    r"""Stochastic gradient descent with optional (Nesterov) momentum. torch.optim.SGD.

        g ← g + λθ
        b ← g (first step), then b ← μ·b + (1−τ)·g          (only when μ ≠ 0)
        d ← g + μ·b (nesterov) | b | g (μ = 0)
        θ ← θ − γ·d
    Reference: Sutskever et al., "On the importance of initialization and momentum", ICML 2013.
    """
    name = "SGD"
    params = {"lr": nonneg(1e-3, LR), "momentum": nonneg(0.0, "momentum factor μ"),
              "dampening": nonneg(0.0, "dampening τ for momentum"), "weight_decay": nonneg(0.0, WD),
              "nesterov": flag(False, "use Nesterov momentum")}
    state = {"buf": 0.0, "started": 0.0}
    has_momentum = True
    cycles = "momentum"
    groups_by = ("nesterov",)
    formula = r"\theta_t = \theta_{t-1} - \eta_t\, m_t,\quad m_t = \mu m_{t-1} + (1-\tau) g_t"

    @classmethod
    def check_combination(cls, s):
        if s["nesterov"] and (s["momentum"] <= 0 or s["dampening"] != 0):
            raise ValidationError("SGD.nesterov needs momentum > 0 and dampening = 0")

    @classmethod
    def records_momentum(cls, settings, cycled):
        return cycled or any(s["momentum"] != 0 for s in settings)

    @classmethod
    def iteration(cls, settings, steps, cycled=None):
        """Heavy ball b ← μb + (1−τ)g, θ ← θ − ηb: trace 1 + μ − (1−τ)S, det μ, so
        T = 2(1+μ)/(1−τ) (G. Goh, "Why Momentum Really Works", Distill 2017; the dampening τ
        scales the step from the second one on). Nesterov, θ ← θ − η(g + μb): trace
        1 + μ − (1+μ)S, det μ(1 − S), so T = 2(1+μ)/(1+2μ). μ = 0: a plain step, T = 2."""
        mu = float(settings["momentum"]) if cycled is None else np.asarray(cycled, dtype=float)
        if settings["nesterov"]:
            return Iteration(1 + mu, 1 + mu, mu, mu)
        return Iteration(1 + mu, np.where(mu > 0, 1 - float(settings["dampening"]), 1.0), mu, 0.0)

    @rule_kernel
    def kernel(theta, g, t, hp, state, sigma, eff, mom, out):
        for r, h in enumerate(hp):
            lr, mu = h.lr, h.momentum
            for c in range(2):
                s = state[r, c]
                _, gi = weight_decay(theta[r, c], g[r, c], lr, h.weight_decay, False)
                if mu != 0:
                    # torch clones g into the buffer the first time a run uses momentum
                    s.buf = gi if s.started == 0 else s.buf * mu + (1 - h.dampening) * gi
                    s.started = 1.0
                    d = gi + mu * s.buf if h.nesterov != 0 else s.buf
                else:
                    d = gi
                out[r, c] = theta[r, c] + (-lr) * d
                eff[r, c] = lr
                mom[r, c] = s.buf


class Adagrad(Optimizer):
    r"""Adagrad: divide by the root of the sum of all squared gradients. torch.optim.Adagrad.

        g ← g + λθ;   γ_t = γ / (1 + (t−1)·lr_decay)
        S ← S + g²;   σ = √S + ε
        θ ← θ − γ_t · g/σ
    With ε = 0 this is exactly the lecture's "RMS" σ_t = √(mean g²) with η_t = η/√(t+1).
    Reference: Duchi, Hazan & Singer, JMLR 2011.
    """
    name = "Adagrad"
    params = {"lr": nonneg(1e-2, LR), "lr_decay": nonneg(0.0, "learning-rate decay"),
              "weight_decay": nonneg(0.0, WD), "initial_accumulator_value": nonneg(0.0, "starting value of S"),
              "eps": positive(1e-10, EPS)}
    state = {"sum_sq": "initial_accumulator_value"}
    has_sigma = True
    formula = r"\theta_t = \theta_{t-1} - \frac{\eta_t}{\sqrt{\sum_{i\le t} g_i^2}+\epsilon}\, g_t"

    @rule_kernel
    def kernel(theta, g, t, hp, state, sigma, eff, mom, out):
        for r, h in enumerate(hp):
            clr = h.lr / (1 + (t - 1) * h.lr_decay)
            for c in range(2):
                s = state[r, c]
                _, gi = weight_decay(theta[r, c], g[r, c], h.lr, h.weight_decay, False)
                s.sum_sq = s.sum_sq + gi * gi
                std = math.sqrt(s.sum_sq) + h.eps
                out[r, c] = theta[r, c] + (-clr) * (gi / std)
                sigma[r, c] = std
                eff[r, c] = ratio(clr, std)


class RMSprop(Optimizer):
    r"""RMSprop: divide by a running root mean square that forgets old gradients. torch.optim.RMSprop.

        g ← g + λθ;   v ← α·v + (1−α)·g²   (v₀ = 0: note the zero start)
        σ = √v + ε   (centered: σ = √(v − ḡ²) + ε, ḡ ← lerp(ḡ, g, 1−α))
        θ ← θ − γ·g/σ   |   momentum: b ← μ·b + g/σ,  θ ← θ − γ·b
    Reference: Hinton, Neural Networks for Machine Learning, lecture 6e (2012).
    """
    name = "RMSprop"
    params = {"lr": nonneg(1e-2, LR), "alpha": nonneg(0.99, "smoothing constant α"),
              "eps": positive(1e-8, EPS), "weight_decay": nonneg(0.0, WD),
              "momentum": nonneg(0.0, "momentum factor μ"), "centered": flag(False, "normalise by the variance")}
    state = {"v": 0.0, "g_avg": 0.0, "buf": 0.0}
    has_sigma = has_momentum = True
    cycles = "momentum"
    groups_by = ("centered",)
    formula = r"\theta_t = \theta_{t-1} - \frac{\eta_t}{\sigma_t} g_t,\quad \sigma_t = \sqrt{\alpha\sigma_{t-1}^2 + (1-\alpha)g_t^2}"

    records_momentum = SGD.records_momentum

    @classmethod
    def iteration(cls, settings, steps, cycled=None):
        """With momentum μ > 0 the step is heavy ball on g/σ (b ← μb + g/σ, θ ← θ − ηb): trace
        1 + μ − S, det μ, T = 2(1+μ); without, a plain normalised step: T = 2."""
        mu = float(settings["momentum"]) if cycled is None else np.asarray(cycled, dtype=float)
        mu = np.maximum(mu, 0.0)
        return Iteration(1 + mu, 1.0, mu, 0.0)

    @rule_kernel
    def kernel(theta, g, t, hp, state, sigma, eff, mom, out):
        for r, h in enumerate(hp):
            lr, alpha, mu = h.lr, h.alpha, h.momentum
            for c in range(2):
                s = state[r, c]
                _, gi = weight_decay(theta[r, c], g[r, c], lr, h.weight_decay, False)
                s.v = ema_of_squares(s.v, gi, alpha)
                if h.centered != 0:
                    s.g_avg = lerp(s.g_avg, gi, 1 - alpha)
                    avg = math.sqrt(s.v + (-s.g_avg) * s.g_avg) + h.eps
                else:
                    avg = math.sqrt(s.v) + h.eps
                if mu > 0:
                    s.buf = s.buf * mu + gi / avg
                    d = s.buf
                else:
                    d = gi / avg
                out[r, c] = theta[r, c] + (-lr) * d
                sigma[r, c] = avg
                eff[r, c] = ratio(lr, avg)
                mom[r, c] = s.buf


def _moving_average(cls, settings, steps, cycled=None):
    """m ← β1·m + (1−β1)·g, θ ← θ − E·m (E = η_t/σ_t with Adam's bias correction 1/(1−β1^t), as
    recorded): trace 1 + β1 − (1−β1)S, det β1, so T = (2+2β1)/(1−β1) (J. Cohen et al., "Adaptive
    Gradient Methods at the Edge of Stability", arXiv:2207.14484). β1 = 0: a plain step's 2."""
    beta1 = float(settings["betas"][0]) if cycled is None else np.asarray(cycled, dtype=float)
    return Iteration(1 + beta1, 1 - beta1, beta1, 0.0)


MOVING_AVERAGE = classmethod(_moving_average)  # Adam, AdamW, Adamax, RAdam
BETAS = Param((0.9, 0.999), "β1, β2: decay of the first and second moment", kind="pair",
              low=0.0, high=1.0, high_open=True)
ADAM_STATE = {"m": 0.0, "v": 0.0}


class Adam(Optimizer):
    r"""Adam = RMSprop + momentum, with bias correction. torch.optim.Adam.

        g ← g + λθ   (decoupled_weight_decay: θ ← θ(1 − γλ) instead)
        m ← lerp(m, g, 1−β1);   v ← β2·v + (1−β2)·g²      (amsgrad: v̂ ← max(v̂, v))
        σ = √v / √(1−β2^t) + ε
        θ ← θ − γ/(1−β1^t) · m/σ
    Reference: Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015;
    amsgrad: Reddi et al., ICLR 2018.
    """
    name = "Adam"
    params = {"lr": nonneg(1e-3, LR), "betas": BETAS, "eps": positive(1e-8, EPS),
              "weight_decay": nonneg(0.0, WD), "amsgrad": flag(False, "use the running maximum of v (AMSGrad)"),
              "decoupled_weight_decay": flag(False, "decay θ directly (AdamW) instead of adding λθ to g")}
    pairs = {"betas": ("beta1", "beta2")}
    state = {**ADAM_STATE, "vmax": 0.0}
    has_sigma = has_momentum = True
    cycles = "betas"
    groups_by = ("amsgrad", "decoupled_weight_decay")
    iteration = MOVING_AVERAGE
    formula = r"\theta_t = \theta_{t-1} - \frac{\eta_t}{\sigma_t}\hat m_t,\quad \hat m_t = \frac{m_t}{1-\beta_1^t},\ \sigma_t = \sqrt{\frac{v_t}{1-\beta_2^t}}+\epsilon"

    @rule_kernel
    def kernel(theta, g, t, hp, state, sigma, eff, mom, out):
        for r, h in enumerate(hp):
            beta1, beta2 = h.beta1, h.beta2
            if r == 0 or beta1 != hp[r - 1].beta1 or beta2 != hp[r - 1].beta2:
                # two pow() per row would be most of a 40,000-start map's time: rows mostly agree
                bc1 = 1 - beta1 ** float(t)
                # torch writes (1 − β2^t) ** 0.5 (C pow); sqrt is correctly rounded and agrees
                bc2_sqrt = math.sqrt(1 - beta2 ** float(t))
            step_size = h.lr / bc1
            for c in range(2):
                s = state[r, c]
                th, gi = weight_decay(theta[r, c], g[r, c], h.lr, h.weight_decay, h.decoupled_weight_decay != 0)
                s.m = lerp(s.m, gi, 1 - beta1)
                s.v = ema_of_squares(s.v, gi, beta2)
                v = s.v
                if h.amsgrad != 0:
                    s.vmax = maximum(s.vmax, v)
                    v = s.vmax
                denom = math.sqrt(v) / bc2_sqrt + h.eps
                out[r, c] = th + (-step_size) * (s.m / denom)
                sigma[r, c] = denom
                eff[r, c] = ratio(step_size, denom)
                mom[r, c] = s.m


class AdamW(Adam):
    r"""Adam with decoupled weight decay. torch.optim.AdamW (= Adam(decoupled_weight_decay=True)).

        θ ← θ·(1 − γλ), then the Adam step from the raw gradient.   Default λ = 1e-2.
    Reference: Loshchilov & Hutter, "Decoupled Weight Decay Regularization", ICLR 2019.
    """
    name = "AdamW"
    params = {"lr": nonneg(1e-3, LR), "betas": BETAS, "eps": positive(1e-8, EPS),
              "weight_decay": nonneg(1e-2, "decoupled weight decay λ"),
              "amsgrad": flag(False, "use the running maximum of v (AMSGrad)")}
    fixed = {"decoupled_weight_decay": True}
    groups_by = ("amsgrad",)


class Adamax(Optimizer):
    r"""Adamax: Adam with the infinity norm. torch.optim.Adamax.

        g ← g + λθ;   m ← lerp(m, g, 1−β1);   u ← max(β2·u, |g| + ε)
        θ ← θ − γ/(1−β1^t) · m/u
    Reference: Kingma & Ba, ICLR 2015, section 7.
    """
    name = "Adamax"
    params = {"lr": nonneg(2e-3, LR), "betas": BETAS, "eps": positive(1e-8, EPS), "weight_decay": nonneg(0.0, WD)}
    pairs = {"betas": ("beta1", "beta2")}
    state = {"m": 0.0, "u": 0.0}
    has_sigma = has_momentum = True
    cycles = "betas"
    iteration = MOVING_AVERAGE
    formula = r"\theta_t = \theta_{t-1} - \frac{\eta_t}{(1-\beta_1^t)\,u_t} m_t,\quad u_t = \max(\beta_2 u_{t-1}, |g_t|+\epsilon)"

    @rule_kernel
    def kernel(theta, g, t, hp, state, sigma, eff, mom, out):
        for r, h in enumerate(hp):
            beta1 = h.beta1
            if r == 0 or beta1 != hp[r - 1].beta1:
                bc1 = 1 - beta1 ** float(t)
            clr = h.lr / bc1
            for c in range(2):
                s = state[r, c]
                _, gi = weight_decay(theta[r, c], g[r, c], h.lr, h.weight_decay, False)
                s.m = lerp(s.m, gi, 1 - beta1)
                s.u = maximum(s.u * h.beta2, abs(gi) + h.eps)
                out[r, c] = theta[r, c] + (-clr) * (s.m / s.u)
                sigma[r, c] = s.u
                eff[r, c] = ratio(clr, s.u)
                mom[r, c] = s.m


class NAdam(Optimizer):
    r"""Adam with Nesterov momentum and a momentum warm-up. torch.optim.NAdam.

        μ_t = β1·(1 − ½·0.96^(t·ψ));   P_t = Π_{i≤t} μ_i       (ψ = momentum_decay)
        m ← lerp(m, g, 1−β1);   v ← β2·v + (1−β2)·g²;   σ = √(v/(1−β2^t)) + ε
        θ ← θ − γ(1−μ_t)/(1−P_t) · g/σ − γ·μ_{t+1}/(1−P_t·μ_{t+1}) · m/σ
    Reference: Dozat, "Incorporating Nesterov Momentum into Adam", ICLR 2016 workshop.
    """
    name = "NAdam"
    params = {"lr": nonneg(2e-3, LR), "betas": BETAS, "eps": positive(1e-8, EPS), "weight_decay": nonneg(0.0, WD),
              "momentum_decay": nonneg(4e-3, "momentum decay ψ"),
              "decoupled_weight_decay": flag(False, "decay θ directly (as AdamW) instead of adding λθ to g")}
    pairs = {"betas": ("beta1", "beta2")}
    state = {**ADAM_STATE, "mu_product": 1.0}
    has_sigma = has_momentum = True
    cycles = "betas"
    groups_by = ("decoupled_weight_decay",)

    @classmethod
    def iteration(cls, settings, steps, cycled=None):
        """θ ← θ − E·(a_t·g + b_t·m) with m ← β1·m + (1−β1)·g, E = η_t/σ_t as recorded,
        a_t = (1−μ_t)/(1−Π_t), b_t = μ_{t+1}/(1−Π_t·μ_{t+1}): trace 1 + β1 − (a_t + b_t(1−β1))S,
        det β1(1 − a_t·S), so T_t = (2+2β1)/((1+β1)·a_t + (1−β1)·b_t) (derived here; Adam's is
        a = 0, b = 1). μ_t = β1·(1 − ½·0.96^(t·ψ)), Π_t = μ_1⋯μ_t, as torch computes them."""
        beta1 = np.full(steps, float(settings["betas"][0])) if cycled is None else np.asarray(cycled, dtype=float)
        t = np.arange(1, steps + 1)
        psi = float(settings["momentum_decay"])
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * psi))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
        product = np.cumprod(mu)
        a = (1.0 - mu) / (1.0 - product)
        b = mu_next / (1.0 - product * mu_next)
        return Iteration(1 + beta1, a + b * (1 - beta1), beta1, beta1 * a)

    formula = r"\theta_t = \theta_{t-1} - \frac{\eta_t}{\sigma_t}\Big(\frac{1-\mu_t}{1-\Pi_t}g_t + \frac{\mu_{t+1}}{1-\Pi_{t+1}}m_t\Big)"

    @rule_kernel
    def kernel(theta, g, t, hp, state, sigma, eff, mom, out):
        for r, h in enumerate(hp):
            lr, beta1 = h.lr, h.beta1
            bc2 = 1 - h.beta2 ** float(t)
            mu = beta1 * (1.0 - 0.5 * (0.96 ** (t * h.momentum_decay)))
            mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((t + 1) * h.momentum_decay)))
            for c in range(2):
                s = state[r, c]
                th, gi = weight_decay(theta[r, c], g[r, c], lr, h.weight_decay, h.decoupled_weight_decay != 0)
                s.mu_product = s.mu_product * mu
                p = s.mu_product
                s.m = lerp(s.m, gi, 1 - beta1)
                s.v = ema_of_squares(s.v, gi, h.beta2)
                denom = math.sqrt(s.v / bc2) + h.eps
                th = th + (-lr * (1.0 - mu) / (1.0 - p)) * (gi / denom)
                out[r, c] = th + ((-lr * mu_next) / (1.0 - p * mu_next)) * (s.m / denom)
                sigma[r, c] = denom
                eff[r, c] = ratio(lr, denom)
                mom[r, c] = s.m


class RAdam(Optimizer):
    r"""Rectified Adam: plain momentum SGD until the variance estimate is reliable. torch.optim.RAdam.

        m ← lerp(m, g, 1−β1);  v ← β2·v + (1−β2)·g²;  m̂ = m/(1−β1^t)
        ρ∞ = 2/(1−β2) − 1;   ρ_t = ρ∞ − 2t·β2^t/(1−β2^t)
        ρ_t > 5:  r = √((ρ_t−4)(ρ_t−2)ρ∞ / ((ρ∞−4)(ρ∞−2)ρ_t)),  θ ← θ − γ·m̂·r·√(1−β2^t)/(√v + ε)
        else:     θ ← θ − γ·m̂
    Reference: Liu et al., "On the Variance of the Adaptive Learning Rate and Beyond", ICLR 2020.
    """
    name = "RAdam"
    params = {"lr": nonneg(1e-3, LR), "betas": BETAS, "eps": positive(1e-8, EPS), "weight_decay": nonneg(0.0, WD),
              "decoupled_weight_decay": flag(False, "decay θ directly (as AdamW) instead of adding λθ to g")}
    pairs = {"betas": ("beta1", "beta2")}
    state = ADAM_STATE
    has_sigma = has_momentum = True
    cycles = "betas"
    iteration = MOVING_AVERAGE  # E includes the rectification r_t (and is η/(1−β1^t) before it)
    groups_by = ("decoupled_weight_decay",)
    formula = r"\theta_t = \theta_{t-1} - \eta_t\, r_t \frac{\hat m_t}{\sigma_t}\ \text{ if } \rho_t>5,\ \text{else } \theta_{t-1}-\eta_t \hat m_t"

    @rule_kernel
    def kernel(theta, g, t, hp, state, sigma, eff, mom, out):
        for r, h in enumerate(hp):
            lr, beta2 = h.lr, h.beta2
            bc1, bc2 = 1 - h.beta1 ** float(t), 1 - beta2 ** float(t)
            rho_inf = 2 / (1 - beta2) - 1
            rho_t = rho_inf - 2 * t * (beta2 ** float(t)) / bc2
            rectified = rho_t > 5.0
            rect = 0.0
            if rectified:
                rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            for c in range(2):
                s = state[r, c]
                th, gi = weight_decay(theta[r, c], g[r, c], lr, h.weight_decay, h.decoupled_weight_decay != 0)
                s.m = lerp(s.m, gi, 1 - h.beta1)
                s.v = ema_of_squares(s.v, gi, beta2)
                m_hat = s.m / bc1
                denom = math.sqrt(s.v) + h.eps
                adaptive = math.sqrt(bc2) / denom
                if rectified:
                    out[r, c] = th - m_hat * lr * adaptive * rect
                    eff[r, c] = lr / bc1 * adaptive * rect
                else:
                    out[r, c] = th - m_hat * lr
                    eff[r, c] = lr / bc1
                sigma[r, c] = denom / math.sqrt(bc2)
                mom[r, c] = s.m


class Adadelta(Optimizer):
    r"""Adadelta: step size from the ratio of two running RMS, no hand-tuned rate needed. torch.optim.Adadelta.

        g ← g + λθ;   v ← ρ·v + (1−ρ)·g²
        δ = √(u + ε)/√(v + ε) · g;   u ← ρ·u + (1−ρ)·δ²
        θ ← θ − γ·δ
    Reference: Zeiler, "ADADELTA: An Adaptive Learning Rate Method", arXiv:1212.5701, 2012.
    """
    name = "Adadelta"
    params = {"lr": nonneg(1.0, "coefficient γ that scales δ"), "rho": Param(0.9, "decay ρ of the running averages", low=0.0, high=1.0),
              "eps": positive(1e-6, "ε, inside both square roots"), "weight_decay": nonneg(0.0, WD)}
    state = {"v": 0.0, "u": 0.0}
    has_sigma = True
    formula = r"\theta_t = \theta_{t-1} - \eta_t \frac{\sqrt{u_{t-1}+\epsilon}}{\sqrt{v_t+\epsilon}} g_t"

    @rule_kernel
    def kernel(theta, g, t, hp, state, sigma, eff, mom, out):
        for r, h in enumerate(hp):
            for c in range(2):
                s = state[r, c]
                _, gi = weight_decay(theta[r, c], g[r, c], h.lr, h.weight_decay, False)
                s.v = ema_of_squares(s.v, gi, h.rho)
                std = math.sqrt(s.v + h.eps)
                step_ratio = math.sqrt(s.u + h.eps) / std
                delta = step_ratio * gi
                s.u = ema_of_squares(s.u, delta, h.rho)
                out[r, c] = theta[r, c] + (-h.lr) * delta
                sigma[r, c] = std
                eff[r, c] = h.lr * step_ratio


class Rprop(Optimizer):
    r"""Resilient backpropagation: only the sign of g counts; each coordinate's step grows ×η+
    while the sign holds and shrinks ×η− when it flips. torch.optim.Rprop.

        s ← clip(s·η+, smin, smax) if g·g_prev > 0;  clip(s·η−, …) and g ← 0 if g·g_prev < 0
        θ ← θ − sign(g)·s          (s starts at lr, read at the first step only)
    Reference: Riedmiller & Braun, "A direct adaptive method for faster backpropagation
    learning: the RPROP algorithm", ICNN 1993.
    """
    name = "Rprop"
    params = {"lr": nonneg(1e-2, "initial step size"),
              "etas": Param((0.5, 1.2), "(η−, η+): step shrink and growth factors", kind="pair", low=0.0, low_open=True),
              "step_sizes": Param((1e-6, 50.0), "(min, max) allowed step size", kind="pair", low=0.0)}
    pairs = {"etas": ("etaminus", "etaplus"), "step_sizes": ("step_min", "step_max")}
    state = {"prev": 0.0, "step_size": 0.0}
    no_threshold = "Rprop steps by the sign of g alone: the step does not scale with the curvature, so no linear threshold applies"
    iteration = classmethod(lambda cls, settings, steps, cycled=None: None)
    formula = r"\theta_t = \theta_{t-1} - s_t \odot \operatorname{sign}(g_t)"

    @classmethod
    def check_combination(cls, s):
        if not 0.0 < s["etas"][0] < 1.0 < s["etas"][1]:
            raise ValidationError("Rprop.etas must satisfy 0 < etas[0] < 1 < etas[1], got {value}", value=list(s["etas"]))
        if s["step_sizes"][0] > s["step_sizes"][1]:
            raise ValidationError("Rprop.step_sizes must be (min, max) with min ≤ max")

    @rule_kernel
    def kernel(theta, g, t, hp, state, sigma, eff, mom, out):
        for r, h in enumerate(hp):
            for c in range(2):
                s = state[r, c]
                if t == 1:  # torch fills the step sizes with the lr of the first step only
                    s.step_size = 0.0 + h.lr
                gi = g[r, c]
                flip = sign(gi * s.prev)
                factor = h.etaplus if flip > 0 else (h.etaminus if flip < 0 else 1.0)
                size = maximum(s.step_size * factor, h.step_min)  # torch.clamp: NaN stays
                s.step_size = size if size != size or size < h.step_max else h.step_max
                if factor == h.etaminus:
                    gi = 0.0
                s.prev = gi
                out[r, c] = theta[r, c] + (-1 * sign(gi)) * s.step_size
                eff[r, c] = s.step_size


TORCH_OPTIMIZERS = [SGD, Adagrad, RMSprop, Adam, AdamW, Adamax, NAdam, RAdam, Adadelta, Rprop]
