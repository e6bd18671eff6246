"""What every update rule declares, and the one signature its arithmetic has.

Spine (the lecture's formula): θ_t = θ_{t−1} − (η_t / σ_t) · m_t
  η_t  the learning rate of step t (the schedule's value),
  σ_t  the per-coordinate normaliser (1 for plain SGD),
  m_t  the direction: the gradient, or a momentum average of gradients.

A rule is a class that holds its metadata (name, hyperparameters with torch's names, defaults and
ranges, the formula, its state) and its arithmetic, `kernel`, written once, one number at a time
(optimizers/jit.py: compiled with numba, or plain Python). The kernel steps a group of runs:

    kernel(theta, g, t, hp, state, sigma, eff, mom, out)
  theta, g   (rows, 2): the runs' points θ_{t−1} and gradients g_t; t counts from 1
  hp         (rows,) records of hyperparameters, by name: hp[r].lr is this step's η_t (the engine
             writes it, and a cycled momentum / β1, before each call); hp[r].beta1, … are the
             rule's settings, a pair such as betas split into its named halves (`pairs`)
  state      (rows, 2) records of the rule's state, by name (`state`), updated in place
  sigma, eff, mom   (rows, 2): σ_t, η_t/σ_t and m_t of this step, written where the rule has them
  out        (rows, 2): the new points θ_t
Each rule reports σ_t and m_t where it has them, so that the page can show *why* a step is long
or short; the hp and state records hold every rule's fields (registry.HYPER, registry.STATE), so
that one compiled loop steps any mix of rules.
"""
from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from .jit import jit
from .params import Param, check_params


def rule_kernel(function):
    """Declares a rule's arithmetic (the signature above): compiled, and callable from the class."""
    return staticmethod(jit(function))


class Iteration:
    """trace = t0 − t1·S and det = d0 − d1·S of a rule's 2×2 linear iteration (scalars or per-step
    arrays): see Optimizer.iteration."""

    def __init__(self, t0, t1, d0, d1):
        self.t0, self.t1, self.d0, self.d1 = t0, t1, d0, d1

    def threshold(self):
        with np.errstate(divide="ignore"):
            return np.divide(1 + np.asarray(self.t0) + self.d0, np.asarray(self.t1) + self.d1)

    def radius(self, S, out=None):
        """max |z| over the roots of z² − trace·z + det, at each S (an array, its coefficients
        numbers or arrays of S's size), into out (contiguous, S's shape) or a new array. One
        compiled pass: the same arithmetic on NumPy arrays makes a dozen temporaries of S's size,
        which cost as much as the stability lens's own pass over a run (experiments/stability.py)."""
        S = np.asarray(S, dtype=float)
        out = np.empty(S.shape) if out is None else out
        coefficients = (np.asarray(c, dtype=float).reshape(-1) for c in (self.t0, self.t1, self.d0, self.d1))
        _radius_into(*coefficients, np.ascontiguousarray(S).reshape(-1), out.reshape(-1))
        return out


@jit
def _spectral_radius(trace, det):
    """max |z| over the roots of z² − trace·z + det: |trace/2| + √disc for real roots (disc =
    trace²/4 − det ≥ 0), else √|det|. NaN stays NaN."""
    disc = trace * trace / 4 - det
    if disc >= 0:
        root = math.sqrt(disc)
        up, down = abs(trace / 2 + root), abs(trace / 2 - root)
        return up if up >= down or math.isnan(up) else down  # NumPy's maximum: NaN wins
    return math.sqrt(abs(det))


@jit
def _radius_into(t0, t1, d0, d1, S, out):
    """out[i] = the spectral radius at trace = t0 − t1·S[i], det = d0 − d1·S[i], each coefficient
    one number (an array of one) or one per S[i]."""
    if len(t0) == len(t1) == len(d0) == len(d1) == 1:  # numbers (most rules): half the time
        a, b, c, d = t0[0], t1[0], d0[0], d1[0]
        for i in range(S.shape[0]):
            out[i] = _spectral_radius(a - b * S[i], c - d * S[i])
    else:
        for i in range(S.shape[0]):
            out[i] = _spectral_radius(t0[min(i, len(t0) - 1)] - t1[min(i, len(t1) - 1)] * S[i],
                                      d0[min(i, len(d0) - 1)] - d1[min(i, len(d1) - 1)] * S[i])


class Optimizer:
    name: ClassVar[str]
    params: ClassVar[dict[str, Param]]
    # Tuple parameters are split into named scalars, e.g. betas → beta1, beta2.
    pairs: ClassVar[dict[str, tuple[str, str]]] = {}
    # Settings a variant fixes (AdamW is Adam with decoupled weight decay).
    fixed: ClassVar[dict[str, Any]] = {}
    # The state, by name, and where it starts: a number, or the name of a hyperparameter.
    state: ClassVar[dict[str, float | str]] = {}
    has_sigma: ClassVar[bool] = False  # whether σ_t is recorded
    has_momentum: ClassVar[bool] = False  # whether m_t is recorded
    # Which hyperparameter OneCycleLR / CyclicLR cycle ("momentum" or "betas"), as torch looks
    # it up in optimizer.defaults; None: cycle_momentum=True is an error, as in torch.
    cycles: ClassVar[str | None] = None
    # Boolean options that change the code path: runs that differ in them step in separate groups.
    groups_by: ClassVar[tuple[str, ...]] = ()
    # Why the rule has no linear stability threshold (sign-based rules), or "" where it has one.
    no_threshold: ClassVar[str] = ""
    source: ClassVar[str] = "torch.optim"  # or "lecture", "optax"
    formula: ClassVar[str] = ""  # LaTeX of the update, for the page

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        if "params" in cls.__dict__ and cls.__doc__:  # every hyperparameter's meaning, from its Param
            lines = [f"    {name} = {p.default!r}: {p.doc}" for name, p in cls.params.items()]
            cls.__doc__ = cls.__doc__.rstrip() + "\n\n    Hyperparameters (name = default: meaning):\n" + "\n".join(lines) + "\n"

    @staticmethod
    def kernel(theta, g, t, hp, state, sigma, eff, mom, out):
        raise NotImplementedError

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

    @classmethod
    def hyper(cls) -> tuple[str, ...]:
        """The names of the hyperparameter fields the kernel reads, after the lr."""
        names = []
        for key in list(cls.params) + list(cls.fixed):
            names += cls.pairs.get(key, (key,))
        return tuple(n for n in names if n != "lr")

    @classmethod
    def columns(cls, settings: list[dict]) -> dict[str, list]:
        """Each hyperparameter field's values, one per run (pairs split, fixed settings added)."""
        out: dict[str, list] = {}
        for key in list(cls.params) + list(cls.fixed):
            values = [cls.fixed[key] if key in cls.fixed else s[key] for s in settings]
            halves = cls.pairs.get(key)
            if halves:
                for i, half in enumerate(halves):
                    out[half] = [v[i] for v in values]
            else:
                out[key] = values
        return out

    @classmethod
    def iteration(cls, settings: dict, steps: int, cycled=None) -> Iteration | None:
        """The rule's linear iteration on a quadratic, with its normaliser frozen (None: it has none).

        Near a point the surface is a quadratic with Hessian H. Along the top eigenvector of E·H
        (E = diag(η_t/σ_t), the effective learning rate the engine records), with eigenvalue S (the
        effective sharpness), the error and the rule's momentum evolve by a 2×2 matrix whose trace
        and determinant are linear in S; the error shrinks while both roots of
        z² − trace·z + det lie inside the unit circle. cycled: the per-step momentum or β1 a
        schedule sets (OneCycleLR, CyclicLR), else None.
        Default: a plain normalised step θ ← θ − E·g: the error is multiplied by 1 − S."""
        return Iteration(1.0, 1.0, 0.0, 0.0)

    @classmethod
    def thresholds(cls, settings: dict, steps: int, cycled=None) -> np.ndarray | None:
        """The threshold T_t of the updates t = 1 … steps: the S at which a root reaches −1
        (1 + trace + det = 0), where each rule here first leaves the unit circle. None: no threshold."""
        it = cls.iteration(settings, steps, cycled)
        return None if it is None else np.broadcast_to(it.threshold(), (steps,)).astype(float)

    @classmethod
    def growth(cls, settings: dict, sharpness: np.ndarray, steps: int, cycled=None) -> np.ndarray | None:
        """How much the error along the top direction is multiplied per step at S_t = sharpness:
        the spectral radius of the rule's iteration (> 1: it grows). None: no linear iteration."""
        it = cls.iteration(settings, steps, cycled)
        return None if it is None else it.radius(sharpness)

    @classmethod
    def hessian_shift(cls, settings: dict) -> float:
        """What the rule adds to the Hessian it sees: coupled L2 weight decay (g ← g + λθ) adds λ·I;
        decoupled decay (AdamW) shrinks θ apart from the gradient and adds nothing."""
        decoupled = settings.get("decoupled_weight_decay", cls.fixed.get("decoupled_weight_decay", False))
        return 0.0 if decoupled else float(settings.get("weight_decay", 0.0))

    @classmethod
    def records_momentum(cls, settings: list[dict], cycled: bool) -> bool:
        """Whether m_t is recorded for these runs (SGD and RMSprop: only when momentum is used)."""
        return cls.has_momentum
