"""Optimizers that torch.optim does not have, with the semantics of the library that does."""
from __future__ import annotations

from .base import Optimizer, rule_kernel
from .params import Param, nonneg
from .pieces import sign


class Lion(Optimizer):
    r"""Lion (EvoLved Sign Momentum), with optax.lion's semantics (optax 0.2.8).

        c = β1·m + (1−β1)·g
        θ ← θ − γ·(sign(c) + λθ)
        m ← β2·m + (1−β2)·g          (m is updated with β2, after the direction is taken)
    Every coordinate moves by exactly γ (plus decay): there is no σ. optax's default λ = 1e-3.
    Reference: Chen et al., "Symbolic Discovery of Optimization Algorithms", arXiv:2302.06675, 2023.
    """
    name = "Lion"
    params = {"lr": nonneg(1e-4, "learning rate γ (typically 3–10× smaller than Adam's)"),
              "betas": Param((0.9, 0.99), "β1 (direction), β2 (memory)", kind="pair", low=0.0, high=1.0, high_open=True),
              "weight_decay": nonneg(1e-3, "decoupled weight decay λ")}
    pairs = {"betas": ("beta1", "beta2")}
    cycles = "betas"
    state = {"m": 0.0}
    has_momentum = True
    no_threshold = "Lion steps by the sign of its momentum alone: the step does not scale with the curvature, so no linear threshold applies"
    iteration = classmethod(lambda cls, settings, steps, cycled=None: None)
    source = "optax"
    formula = r"\theta_t = \theta_{t-1} - \eta_t\,\big(\operatorname{sign}(\beta_1 m_{t-1} + (1-\beta_1)g_t) + \lambda\theta_{t-1}\big)"

    @rule_kernel
    def kernel(theta, g, t, hp, state, sigma, eff, mom, out):
        for r, h in enumerate(hp):
            for c in range(2):
                s = state[r, c]
                th, gi = theta[r, c], g[r, c]
                direction = sign((1.0 - h.beta1) * gi + h.beta1 * s.m)
                out[r, c] = th + (-h.lr) * (direction + h.weight_decay * th)
                s.m = (1.0 - h.beta2) * gi + h.beta2 * s.m
                eff[r, c] = h.lr
                mom[r, c] = s.m


EXTRA_OPTIMIZERS = [Lion]
