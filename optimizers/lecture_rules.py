"""The lecture's own forms (Hung-yi Lee, ML 2021, "adaptive learning rate"), written as on the
slides, beside torch's variants so the differences can be seen:

* LectureRMS has no ε, and σ is the root *mean* square (torch's Adagrad divides by the root of
  the *sum*, which is the same as LectureRMS with the decay η_t = η/√(t+1): see InverseSqrtLR).
* LectureRMSProp starts at σ₀ = |g₀|; torch's RMSprop starts its average at 0, so its first
  steps are 1/√(1−α) = 10× larger (α = 0.99).
"""
from __future__ import annotations

import numpy as np

from .base import Optimizer, Step
from .params import Param, nonneg
from .pieces import safe_divide


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

    def init(self, theta):
        self.s.sum = np.zeros_like(theta)

    def update(self, theta, g, lr, t):
        self.s.sum = self.s.sum + g * g
        sigma = np.sqrt(self.s.sum / t)  # t gradients so far
        return Step(theta - lr * safe_divide(g, sigma), sigma=sigma, scale=lr)


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

    def init(self, theta):
        self.s.sq = None

    def update(self, theta, g, lr, t):
        g2 = g * g
        self.s.sq = g2 if self.s.sq is None else self.h.alpha * self.s.sq + (1 - self.h.alpha) * g2
        sigma = np.sqrt(self.s.sq)
        return Step(theta - lr * safe_divide(g, sigma), sigma=sigma, scale=lr)


LECTURE_OPTIMIZERS = [LectureRMS, LectureRMSProp]
