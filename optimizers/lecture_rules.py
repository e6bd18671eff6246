"""The lecture's own forms (Hung-yi Lee, ML 2021, "adaptive learning rate"), written as on the
slides, beside torch's variants so the differences can be seen:

* LectureRMS has no ε, and σ is the root *mean* square (torch's Adagrad divides by the root of
  the *sum*, which is the same as LectureRMS with the decay η_t = η/√(t+1): see InverseSqrtLR).
* LectureRMSProp starts at σ₀ = |g₀|; torch's RMSprop starts its average at 0, so its first
  steps are 1/√(1−α) = 10× larger (α = 0.99).
"""
from __future__ import annotations

import math

from .base import Optimizer, rule_kernel
from .params import Param, nonneg
from .pieces import ratio


class LectureRMS(Optimizer):
    r"""The lecture's "Root Mean Square": σ is the RMS of every gradient so far (Adagrad-like).

        σ_t = √( (1/(t+1)) · Σ_{i=0..t} g_i² )      (so σ₀ = |g₀|)
        θ_{t+1} = θ_t − (η/σ_t) · g_t
    On a long flat floor the mean of g² keeps shrinking, η/σ grows, and the path bursts out
    sideways; a decaying η_t (e.g. InverseSqrtLR) prevents it.
    Reference: Hung-yi Lee, ML 2021 lecture "類神經網路訓練不起來怎麼辦 (三): 自動調整學習速率".
    """
    name = "LectureRMS"
    params = {"lr": nonneg(1e-2, "learning rate η")}
    source = "lecture"
    formula = r"\theta_{t+1} = \theta_t - \frac{\eta}{\sigma_t} g_t,\quad \sigma_t = \sqrt{\frac{1}{t+1}\sum_{i=0}^{t} g_i^2}"

    state = {"sum_sq": 0.0}
    has_sigma = True

    @rule_kernel
    def kernel(theta, g, t, hp, state, sigma, eff, mom, out):
        for r, h in enumerate(hp):
            lr = h.lr
            for c in range(2):
                s = state[r, c]
                gi = g[r, c]
                s.sum_sq = s.sum_sq + gi * gi
                sig = math.sqrt(s.sum_sq / t)  # t gradients so far
                out[r, c] = theta[r, c] - lr * ratio(gi, sig)
                sigma[r, c] = sig
                eff[r, c] = ratio(lr, sig)


class LectureRMSProp(Optimizer):
    r"""The lecture's RMSProp: a running RMS that forgets old gradients, started at |g₀|.

        σ₀ = |g₀|;   σ_t = √( α·σ_{t−1}² + (1−α)·g_t² )
        θ_{t+1} = θ_t − (η/σ_t) · g_t
    α close to 1 remembers long; a small α reacts fast to the current slope.
    Reference: Hung-yi Lee, ML 2021; Hinton, Neural Networks for Machine Learning, lecture 6e.
    """
    name = "LectureRMSProp"
    params = {"lr": nonneg(1e-2, "learning rate η"),
              "alpha": Param(0.9, "weight α of the past (1 − α goes to the new gradient)", low=0.0, high=1.0)}
    source = "lecture"
    formula = r"\theta_{t+1} = \theta_t - \frac{\eta}{\sigma_t} g_t,\quad \sigma_t = \sqrt{\alpha\,\sigma_{t-1}^2 + (1-\alpha)\,g_t^2},\ \sigma_0 = |g_0|"

    state = {"sq": 0.0}
    has_sigma = True

    @rule_kernel
    def kernel(theta, g, t, hp, state, sigma, eff, mom, out):
        for r, h in enumerate(hp):
            for c in range(2):
                s = state[r, c]
                gi = g[r, c]
                g2 = gi * gi
                s.sq = g2 if t == 1 else h.alpha * s.sq + (1 - h.alpha) * g2
                sig = math.sqrt(s.sq)
                out[r, c] = theta[r, c] - h.lr * ratio(gi, sig)
                sigma[r, c] = sig
                eff[r, c] = ratio(h.lr, sig)


LECTURE_OPTIMIZERS = [LectureRMS, LectureRMSProp]
