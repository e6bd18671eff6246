"""Small shared pieces of update arithmetic, each written the way torch computes it, so that
every optimizer built from them reproduces torch.optim to rounding (see the golden tests).

Hyperparameters arrive either as Python floats (all runs of a group agree: the fast path, and
the exact scalar arithmetic torch does in Python) or as (runs, 1) arrays (one value per run).
"""
from __future__ import annotations

import numpy as np


def add_weight_decay(g, theta, weight_decay):
    """Coupled L2 (torch's default): g ← g + λθ, before any moment update."""
    if isinstance(weight_decay, float) and weight_decay == 0.0:
        return g
    return g + weight_decay * theta


def decay_weights(theta, lr, weight_decay):
    """Decoupled weight decay (AdamW): θ ← θ·(1 − γλ), before the normal update."""
    if isinstance(weight_decay, float) and weight_decay == 0.0:
        return theta
    return theta * (1 - lr * weight_decay)


def lerp(m, g, weight):
    """torch's lerp: m + w(g − m) for w < 0.5, else g − (g − m)(1 − w). First moments use it."""
    if isinstance(weight, float):
        return m + weight * (g - m) if weight < 0.5 else g - (g - m) * (1 - weight)
    return np.where(weight < 0.5, m + weight * (g - m), g - (g - m) * (1 - weight))


def ema_of_squares(v, g, beta):
    """v ← β v + (1 − β) g²  (torch: v.mul_(β).addcmul_(g, g, value=1−β))."""
    return v * beta + ((1 - beta) * g) * g


def select(condition, if_true, if_false):
    """np.where that short-cuts when the condition is one Python bool for the whole group."""
    if isinstance(condition, (bool, np.bool_)):
        return if_true if condition else if_false
    return np.where(condition, if_true, if_false)


def safe_divide(a, b):
    """a / b, with 0 where b == 0 (the lecture's forms have no ε: σ = 0 only when every
    gradient so far was 0 in that coordinate, and then the step is 0 too)."""
    out = np.zeros(np.broadcast_shapes(np.shape(a), np.shape(b)))
    np.divide(a, b, out=out, where=b != 0)
    return out
