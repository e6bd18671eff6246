"""The optimizer interface shared by every update rule.

Spine (the lecture's formula): θ_t = θ_{t−1} − (η_t / σ_t) · m_t
  η_t  the learning rate of step t (the schedule's value),
  σ_t  the per-coordinate normaliser (1 for plain SGD),
  m_t  the direction: the gradient, or a momentum average of gradients.
Each rule returns, besides the new point, its σ_t, its effective step size η_t/σ_t and its m_t,
so that the page can show *why* a step is long or short.

An Optimizer object steps a *group* of runs at once: every state and hyperparameter is either a
Python float (all runs agree) or a (runs, 1) array (one value per run), and the arithmetic is the
same NumPy code for both.
"""
from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, ClassVar

import numpy as np

from .params import Param, ValidationError, check_params


@dataclass(slots=True)
class Step:
    theta: np.ndarray  # the new point, (runs, 2)
    sigma: Any = None  # σ_t per coordinate, or None where the rule has no normaliser
    effective_lr: Any = None  # η_t / σ_t per coordinate (or the scalar η_t)
    momentum: Any = None  # m_t where the rule keeps one
    # Instead of effective_lr, a rule with a σ may give only the numerator (η_t, or η_t/(1−β1^t)):
    # the engine then divides scale/σ for all steps at once (0 where σ = 0), one NumPy call
    # fewer per step on the hot path.
    scale: Any = None


class Optimizer:
    name: ClassVar[str]
    params: ClassVar[dict[str, Param]]
    # Which hyperparameter OneCycleLR / CyclicLR cycle ("momentum" or "betas"), as torch looks
    # it up in optimizer.defaults; None: cycle_momentum=True is an error, as in torch.
    cycles: ClassVar[str | None] = None
    # Boolean options that change the code path: runs that differ in them step in separate groups.
    groups_by: ClassVar[tuple[str, ...]] = ()
    # Tuple parameters are split into named scalars, e.g. betas → beta1, beta2.
    pairs: ClassVar[dict[str, tuple[str, str]]] = {}
    source: ClassVar[str] = "torch.optim"  # or "lecture", "optax"
    formula: ClassVar[str] = ""  # LaTeX of the update, for the page

    def __init__(self, settings: list[dict], theta0: np.ndarray, cycled: bool = False):
        self.h = _stack(settings, self.pairs)
        self.cycled = cycled
        self.s = SimpleNamespace()
        self.init(theta0)

    @classmethod
    def validate(cls, given: dict | None) -> dict:
        settings = check_params(cls.name, cls.params, given)
        cls.check_combination(settings)
        return settings

    @classmethod
    def check_combination(cls, settings: dict) -> None:
        """Constraints that involve several parameters (override where torch has them)."""

    @classmethod
    def cycled_attribute(cls) -> str | None:
        return {"momentum": "momentum", "betas": "beta1"}.get(cls.cycles)

    def init(self, theta: np.ndarray) -> None:
        raise NotImplementedError

    def update(self, theta: np.ndarray, g: np.ndarray, lr, t: int) -> Step:
        """One step for every run in the group. `lr` is η_t (float or (runs, 1)); t counts from 1."""
        raise NotImplementedError


def _stack(settings: list[dict], pairs: dict[str, tuple[str, str]]) -> SimpleNamespace:
    h = SimpleNamespace()
    for key in settings[0]:
        values = [s[key] for s in settings]
        names = pairs.get(key)
        if names:
            for i, name in enumerate(names):
                setattr(h, name, _column([v[i] for v in values]))
        else:
            setattr(h, key, _column(values))
    return h


def _column(values: list):
    """One Python scalar when all runs agree, else a (runs, 1) float array."""
    first = values[0]
    if all(v == first for v in values):
        return float(first) if isinstance(first, (int, float)) and not isinstance(first, bool) else first
    if isinstance(first, bool):
        raise ValidationError("runs that differ in a boolean option must be stepped in separate groups")
    return np.asarray(values, dtype=float)[:, None]
