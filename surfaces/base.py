"""The Surface record: a 2-D error surface with its analytic gradient.

A surface knows no screen. `objective(theta)` is what the trajectory engine calls:
it takes points of shape (..., 2) and returns (loss (...), gradient (..., 2)).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

# f, ∂f/∂x, ∂f/∂y from arrays x, y of one shape: each surface writes its formula once.
ValueAndGrad = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]

GLOBAL_MIN, LOCAL_MIN, SADDLE, LOCAL_MAX = "global minimum", "local minimum", "saddle", "local maximum"


@dataclass(frozen=True)
class CriticalPoint:
    x: float
    y: float
    value: float
    kind: str = GLOBAL_MIN


@dataclass(frozen=True)
class Surface:
    name: str
    title: str
    description: str  # one line
    value_and_grad: ValueAndGrad
    domain: tuple[tuple[float, float], tuple[float, float]]  # default view ((x0, x1), (y0, y1))
    default_start: tuple[float, float]
    critical_points: tuple[CriticalPoint, ...] = ()
    formula: str = ""  # LaTeX, for the page
    axis_names: tuple[str, str] = ("x", "y")
    reference: str = ""
    gradient_formula: tuple = ()  # LaTeX of ∂f/∂x, ∂f/∂y (None where too long to show); typed formulas only
    estimated: bool = False  # critical points are numerical estimates, not known values
    source: str = ""  # the typed formula, as typed
    # (x, y) → (∂²f/∂x², ∂²f/∂x∂y, ∂²f/∂y²), exact, where the surface has them (typed formulas)
    second_derivatives: Callable | None = None

    @property
    def minima(self) -> tuple[CriticalPoint, ...]:
        return tuple(p for p in self.critical_points if p.kind in (GLOBAL_MIN, LOCAL_MIN))

    @property
    def global_minima(self) -> tuple[CriticalPoint, ...]:
        return tuple(p for p in self.critical_points if p.kind == GLOBAL_MIN)

    def value(self, x, y) -> np.ndarray:
        return self.value_and_grad(np.asarray(x, float), np.asarray(y, float))[0]

    def gradient(self, x, y) -> tuple[np.ndarray, np.ndarray]:
        _, gx, gy = self.value_and_grad(np.asarray(x, float), np.asarray(y, float))
        return gx, gy

    def hessian(self, theta) -> np.ndarray:
        """H(θ) at points θ (..., 2) → (..., 2, 2). Exact where the surface has its second
        derivatives (typed formulas); else central differences of the analytic gradient, with a
        step of 1e-5·max(1, |θ_i|) per coordinate, symmetrised: within 1e-6 of an autodiff
        Hessian, relative to its largest entry (tests/test_stability.py checks it against torch's)."""
        theta = np.asarray(theta, dtype=float)
        H = np.empty(theta.shape[:-1] + (2, 2))
        if self.second_derivatives is not None:
            hxx, hxy, hyy = self.second_derivatives(theta[..., 0], theta[..., 1])
            H[..., 0, 0], H[..., 0, 1], H[..., 1, 0], H[..., 1, 1] = hxx, hxy, hxy, hyy
            return H
        compiled = Objective.compiled(self.value_and_grad, "hessian")
        if compiled is not None:  # the same differences, compiled (surfaces/compiled.py)
            flat = np.ascontiguousarray(theta.reshape(-1, 2))
            out = np.empty((len(flat), 2, 2))
            compiled(flat, out)
            return out.reshape(H.shape)
        objective = self.objective
        with np.errstate(all="ignore"):
            for i in range(2):
                h = 1e-5 * np.maximum(1.0, np.abs(theta[..., i]))
                up, down = theta.copy(), theta.copy()
                up[..., i] += h
                down[..., i] -= h
                H[..., i, :] = (objective(up)[1] - objective(down)[1]) / (2 * h)[..., None]
        off = (H[..., 0, 1] + H[..., 1, 0]) / 2
        H[..., 0, 1] = H[..., 1, 0] = off
        return H

    @property
    def objective(self) -> Objective:
        """What the trajectory engine calls: loss and gradient at points (..., 2)."""
        return Objective(self.value_and_grad)


class Objective:
    """objective(theta) → (loss (...), gradient (..., 2)) for points theta of shape (..., 2).

    `point` and `into`, where not None, are its compiled forms (the built-in surfaces, when numba
    is installed): `point` = (function, kind) with function(kind, x, y) → (f, ∂f/∂x, ∂f/∂y) for a
    compiled step loop, `into(theta, f, g)` fills f (R,) and g (R, 2) in place. They are looked
    up through `Objective.compiled`, which the package installs (surfaces/__init__.py): this
    module does not import surfaces/compiled.py, which is built on it."""

    compiled: Callable = staticmethod(lambda value_and_grad, form: None)  # (value_and_grad, "point" | "into" | "hessian" | "lens") → form or None

    def __init__(self, value_and_grad: ValueAndGrad):
        self.value_and_grad = value_and_grad

    def __call__(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        f, gx, gy = self.value_and_grad(theta[..., 0], theta[..., 1])
        g = np.empty(np.shape(f) + (2,))  # two slice writes: ~3× cheaper than np.stack per step
        g[..., 0], g[..., 1] = gx, gy
        return f, g

    @property
    def point(self):
        return Objective.compiled(self.value_and_grad, "point")

    @property
    def into(self):
        return Objective.compiled(self.value_and_grad, "into")
