"""torch.optim's optimizers, re-implemented in NumPy with torch's names, defaults and arithmetic
(torch 2.13, the single-tensor code path). Notation: g = ∇f(θ_{t−1}), γ = lr after the schedule,
λ = weight_decay, t = 1 on the first update. tests/golden/ compares every one with torch.
"""
from __future__ import annotations

import numpy as np

from .base import Optimizer, Step
from .params import Param, ValidationError, flag, nonneg, positive
from .pieces import add_weight_decay, decay_weights, ema_of_squares, lerp, select

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
    cycles = "momentum"
    groups_by = ("nesterov",)
    formula = r"\theta_t = \theta_{t-1} - \eta_t\, m_t,\quad m_t = \mu m_{t-1} + (1-\tau) g_t"

    @classmethod
    def check_combination(cls, s):
        if s["nesterov"] and (s["momentum"] <= 0 or s["dampening"] != 0):
            raise ValidationError("SGD.nesterov needs momentum > 0 and dampening = 0")

    def init(self, theta):
        self.has_momentum = self.cycled or not (isinstance(self.h.momentum, float) and self.h.momentum == 0)
        self.s.buf, self.s.started = np.zeros_like(theta), False

    def update(self, theta, g, lr, t):
        h, s = self.h, self.s
        g = add_weight_decay(g, theta, h.weight_decay)
        if not self.has_momentum:
            return Step(theta - lr * g, effective_lr=lr)
        mu = h.momentum
        active = mu != 0
        # torch clones g into the buffer the first time a run uses momentum (no dampening then).
        fresh = np.logical_not(s.started) if not isinstance(s.started, bool) else not s.started
        buf = select(fresh, g, s.buf * mu + (1 - h.dampening) * g)
        s.buf = select(active, buf, s.buf)
        s.started = True if active is True else np.logical_or(s.started, active)
        d = g + mu * s.buf if h.nesterov else s.buf
        d = select(active, d, g)
        return Step(theta + (-lr) * d, effective_lr=lr, momentum=s.buf)


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
    formula = r"\theta_t = \theta_{t-1} - \frac{\eta_t}{\sqrt{\sum_{i\le t} g_i^2}+\epsilon}\, g_t"

    def init(self, theta):
        self.s.sum = np.zeros_like(theta) + self.h.initial_accumulator_value

    def update(self, theta, g, lr, t):
        h, s = self.h, self.s
        g = add_weight_decay(g, theta, h.weight_decay)
        clr = lr / (1 + (t - 1) * h.lr_decay)
        s.sum = s.sum + (1 * g) * g
        std = np.sqrt(s.sum) + h.eps
        return Step(theta + (-clr) * (g / std), sigma=std, scale=clr)


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
    cycles = "momentum"
    groups_by = ("centered",)
    formula = r"\theta_t = \theta_{t-1} - \frac{\eta_t}{\sigma_t} g_t,\quad \sigma_t = \sqrt{\alpha\sigma_{t-1}^2 + (1-\alpha)g_t^2}"

    def init(self, theta):
        z = np.zeros_like(theta)
        self.has_momentum = self.cycled or not (isinstance(self.h.momentum, float) and self.h.momentum == 0)
        self.s.v, self.s.mean, self.s.buf = z, z, z

    def update(self, theta, g, lr, t):
        h, s = self.h, self.s
        g = add_weight_decay(g, theta, h.weight_decay)
        s.v = ema_of_squares(s.v, g, h.alpha)
        if h.centered:
            s.mean = lerp(s.mean, g, 1 - h.alpha)
            avg = np.sqrt(s.v + (-1 * s.mean) * s.mean) + h.eps
        else:
            avg = np.sqrt(s.v) + h.eps
        if not self.has_momentum:
            return Step(theta + (-lr) * (g / avg), sigma=avg, scale=lr)
        active = h.momentum > 0
        s.buf = select(active, s.buf * h.momentum + g / avg, s.buf)
        d = select(active, s.buf, g / avg)
        return Step(theta + (-lr) * d, sigma=avg, scale=lr, momentum=s.buf)


BETAS = Param((0.9, 0.999), "β1, β2: decay of the first and second moment", kind="pair",
              low=0.0, high=1.0, high_open=True)


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
    cycles = "betas"
    groups_by = ("amsgrad", "decoupled_weight_decay")
    formula = r"\theta_t = \theta_{t-1} - \frac{\eta_t}{\sigma_t}\hat m_t,\quad \hat m_t = \frac{m_t}{1-\beta_1^t},\ \sigma_t = \sqrt{\frac{v_t}{1-\beta_2^t}}+\epsilon"

    def init(self, theta):
        z = np.zeros_like(theta)
        self.s.m, self.s.v, self.s.vmax = z, z, z

    def update(self, theta, g, lr, t):
        h, s = self.h, self.s
        if h.decoupled_weight_decay:
            theta = decay_weights(theta, lr, h.weight_decay)
        else:
            g = add_weight_decay(g, theta, h.weight_decay)
        s.m = lerp(s.m, g, 1 - h.beta1)
        s.v = ema_of_squares(s.v, g, h.beta2)
        step_size = lr / (1 - h.beta1**t)
        # torch writes (1 − β2^t) ** 0.5 (C pow); sqrt is correctly rounded, agrees with pow to
        # 1 ulp, and is what a compiled kernel gets for ** 0.5 (optimizers/kernels.py)
        bc2_sqrt = np.sqrt(1 - h.beta2**t)
        if h.amsgrad:
            s.vmax = np.maximum(s.vmax, s.v)
        denom = np.sqrt(s.vmax if h.amsgrad else s.v) / bc2_sqrt + h.eps
        return Step(theta + (-step_size) * (s.m / denom), sigma=denom, scale=step_size, momentum=s.m)


class AdamW(Adam):
    r"""Adam with decoupled weight decay. torch.optim.AdamW (= Adam(decoupled_weight_decay=True)).

        θ ← θ·(1 − γλ), then the Adam step from the raw gradient.   Default λ = 1e-2.
    Reference: Loshchilov & Hutter, "Decoupled Weight Decay Regularization", ICLR 2019.
    """
    name = "AdamW"
    params = {"lr": nonneg(1e-3, LR), "betas": BETAS, "eps": positive(1e-8, EPS),
              "weight_decay": nonneg(1e-2, "decoupled weight decay λ"),
              "amsgrad": flag(False, "use the running maximum of v (AMSGrad)")}
    groups_by = ("amsgrad",)

    def init(self, theta):
        self.h.decoupled_weight_decay = True
        super().init(theta)


class Adamax(Optimizer):
    r"""Adamax: Adam with the infinity norm. torch.optim.Adamax.

        g ← g + λθ;   m ← lerp(m, g, 1−β1);   u ← max(β2·u, |g| + ε)
        θ ← θ − γ/(1−β1^t) · m/u
    Reference: Kingma & Ba, ICLR 2015, section 7.
    """
    name = "Adamax"
    params = {"lr": nonneg(2e-3, LR), "betas": BETAS, "eps": positive(1e-8, EPS), "weight_decay": nonneg(0.0, WD)}
    pairs = {"betas": ("beta1", "beta2")}
    cycles = "betas"
    formula = r"\theta_t = \theta_{t-1} - \frac{\eta_t}{(1-\beta_1^t)\,u_t} m_t,\quad u_t = \max(\beta_2 u_{t-1}, |g_t|+\epsilon)"

    def init(self, theta):
        z = np.zeros_like(theta)
        self.s.m, self.s.u = z, z

    def update(self, theta, g, lr, t):
        h, s = self.h, self.s
        g = add_weight_decay(g, theta, h.weight_decay)
        s.m = lerp(s.m, g, 1 - h.beta1)
        s.u = np.maximum(s.u * h.beta2, np.abs(g) + h.eps)
        clr = lr / (1 - h.beta1**t)
        return Step(theta + (-clr) * (s.m / s.u), sigma=s.u, scale=clr, momentum=s.m)


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
    cycles = "betas"
    groups_by = ("decoupled_weight_decay",)
    formula = r"\theta_t = \theta_{t-1} - \frac{\eta_t}{\sigma_t}\Big(\frac{1-\mu_t}{1-\Pi_t}g_t + \frac{\mu_{t+1}}{1-\Pi_{t+1}}m_t\Big)"

    def init(self, theta):
        z = np.zeros_like(theta)
        self.s.m, self.s.v, self.s.mu_product = z, z, 1.0

    def update(self, theta, g, lr, t):
        h, s = self.h, self.s
        bc2 = 1 - h.beta2**t
        if h.decoupled_weight_decay:
            theta = decay_weights(theta, lr, h.weight_decay)
        else:
            g = add_weight_decay(g, theta, h.weight_decay)
        mu = h.beta1 * (1.0 - 0.5 * (0.96 ** (t * h.momentum_decay)))
        mu_next = h.beta1 * (1.0 - 0.5 * (0.96 ** ((t + 1) * h.momentum_decay)))
        s.mu_product = s.mu_product * mu
        s.m = lerp(s.m, g, 1 - h.beta1)
        s.v = ema_of_squares(s.v, g, h.beta2)
        denom = np.sqrt(s.v / bc2) + h.eps
        theta = theta + (-lr * (1.0 - mu) / (1.0 - s.mu_product)) * (g / denom)
        theta = theta + ((-lr * mu_next) / (1.0 - s.mu_product * mu_next)) * (s.m / denom)
        return Step(theta, sigma=denom, scale=lr, momentum=s.m)


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
    cycles = "betas"
    groups_by = ("decoupled_weight_decay",)
    formula = r"\theta_t = \theta_{t-1} - \eta_t\, r_t \frac{\hat m_t}{\sigma_t}\ \text{ if } \rho_t>5,\ \text{else } \theta_{t-1}-\eta_t \hat m_t"

    def init(self, theta):
        z = np.zeros_like(theta)
        self.s.m, self.s.v = z, z

    def update(self, theta, g, lr, t):
        h, s = self.h, self.s
        if h.decoupled_weight_decay:
            theta = decay_weights(theta, lr, h.weight_decay)
        else:
            g = add_weight_decay(g, theta, h.weight_decay)
        s.m = lerp(s.m, g, 1 - h.beta1)
        s.v = ema_of_squares(s.v, g, h.beta2)
        bc1, bc2 = 1 - h.beta1**t, 1 - h.beta2**t
        m_hat = s.m / bc1
        rho_inf = 2 / (1 - h.beta2) - 1
        rho_t = rho_inf - 2 * t * (h.beta2**t) / bc2
        rectified = rho_t > 5.0
        with np.errstate(invalid="ignore"):  # r is only used where ρ_t > 5
            rect = np.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
        denom = np.sqrt(s.v) + h.eps
        adaptive = np.sqrt(bc2) / denom  # sqrt, not ** 0.5: see Adam
        step = select(rectified, m_hat * lr * adaptive * rect, m_hat * lr)
        eff = select(rectified, lr / bc1 * adaptive * rect, lr / bc1 + 0 * denom)
        return Step(theta - step, sigma=denom / np.sqrt(bc2), effective_lr=eff, momentum=s.m)


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
    formula = r"\theta_t = \theta_{t-1} - \eta_t \frac{\sqrt{u_{t-1}+\epsilon}}{\sqrt{v_t+\epsilon}} g_t"

    def init(self, theta):
        z = np.zeros_like(theta)
        self.s.v, self.s.u = z, z

    def update(self, theta, g, lr, t):
        h, s = self.h, self.s
        g = add_weight_decay(g, theta, h.weight_decay)
        s.v = ema_of_squares(s.v, g, h.rho)
        std = np.sqrt(s.v + h.eps)
        ratio = np.sqrt(s.u + h.eps) / std
        delta = ratio * g
        s.u = ema_of_squares(s.u, delta, h.rho)
        return Step(theta + (-lr) * delta, sigma=std, effective_lr=lr * ratio)


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
    formula = r"\theta_t = \theta_{t-1} - s_t \odot \operatorname{sign}(g_t)"

    @classmethod
    def check_combination(cls, s):
        if not 0.0 < s["etas"][0] < 1.0 < s["etas"][1]:
            raise ValidationError("Rprop.etas must satisfy 0 < etas[0] < 1 < etas[1], got {value}", value=list(s["etas"]))
        if s["step_sizes"][0] > s["step_sizes"][1]:
            raise ValidationError("Rprop.step_sizes must be (min, max) with min ≤ max")

    def init(self, theta):
        self.s.prev, self.s.size = np.zeros_like(theta), None

    def update(self, theta, g, lr, t):
        h, s = self.h, self.s
        if s.size is None:  # torch fills the step sizes with the lr of the first step only
            s.size = np.zeros_like(theta) + lr
        sign = np.sign(g * s.prev)
        factor = np.where(sign > 0, h.etaplus, np.where(sign < 0, h.etaminus, 1.0))
        s.size = np.clip(s.size * factor, h.step_min, h.step_max)
        g = np.where(factor == h.etaminus, 0.0, g)
        s.prev = g
        return Step(theta + (-1 * np.sign(g)) * s.size, effective_lr=s.size.copy())


TORCH_OPTIMIZERS = [SGD, Adagrad, RMSprop, Adam, AdamW, Adamax, NAdam, RAdam, Adadelta, Rprop]
