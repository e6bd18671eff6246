"""Compiled objectives (numba) for the built-in surfaces: the engine's per-step evaluation.

Why: a NumPy objective costs ~10 µs per step whatever the number of runs (a dozen array calls
of ~0.7 µs each on a handful of numbers); compiled, the loss and gradient of 8 points take well
under 1 µs. The formulas are the very functions of standard.py and lecture.py, compiled for one
point at a time (they are plain arithmetic, written so that arrays and single points both work). All of them sit behind one cached entry point, `objective_into(kind, …)`, so that
numba compiles it once per machine (its cache: __pycache__ next to this file); the stability lens's
pass, `lens_into(kind, …)`, takes each Hessian from the same formulas. tests/
test_kernels.py checks every surface against its NumPy form.

Typed formulas (surfaces/custom.py) are not compiled: they keep their NumPy objective.
"""
from __future__ import annotations

from functools import partial

import numba
import numpy as np

from . import lecture, standard
from .curvature import curvature_and_sharpness

jit = numba.njit(cache=True, nogil=True)


FUNCTIONS = [  # kind = index; each returns (f, ∂f/∂x, ∂f/∂y) for one point
    standard._rosenbrock, standard._beale, standard._booth, standard._himmelblau, standard._rastrigin,
    standard._ackley, standard._matyas, standard._three_hump_camel, standard._six_hump_camel,
    standard._goldstein_price, standard._styblinski_tang, standard._saddle, standard._monkey_saddle,
    standard._levi13, standard._mccormick, standard._easom,
    lecture._regression, lecture._narrow_valley, lecture._curved_valley, lecture._plateau,
]
KIND = {fn: i for i, fn in enumerate(FUNCTIONS)}

(_f0, _f1, _f2, _f3, _f4, _f5, _f6, _f7, _f8, _f9,
 _f10, _f11, _f12, _f13, _f14, _f15, _f16, _f17, _f18, _f19) = (jit(fn) for fn in FUNCTIONS)


@numba.njit(cache=True, nogil=True, inline="always")
def _point(kind, x, y):
    # A chain of branches (numba has no table of functions that it can cache), inlined into its
    # callers: called, it made the Hessian (four of these per point) nearly three times as slow.
    if kind < 10:
        if kind == 0:
            return _f0(x, y)
        if kind == 1:
            return _f1(x, y)
        if kind == 2:
            return _f2(x, y)
        if kind == 3:
            return _f3(x, y)
        if kind == 4:
            return _f4(x, y)
        if kind == 5:
            return _f5(x, y)
        if kind == 6:
            return _f6(x, y)
        if kind == 7:
            return _f7(x, y)
        if kind == 8:
            return _f8(x, y)
        return _f9(x, y)
    if kind == 10:
        return _f10(x, y)
    if kind == 11:
        return _f11(x, y)
    if kind == 12:
        return _f12(x, y)
    if kind == 13:
        return _f13(x, y)
    if kind == 14:
        return _f14(x, y)
    if kind == 15:
        return _f15(x, y)
    if kind == 16:
        return _f16(x, y)
    if kind == 17:
        return _f17(x, y)
    if kind == 18:
        return _f18(x, y)
    return _f19(x, y)


@jit
def objective_into(kind, theta, f, g):
    """Loss and gradient of every point (rows of theta), written into f (R,) and g (R, 2)."""
    for i in range(theta.shape[0]):
        v, gx, gy = _point(kind, theta[i, 0], theta[i, 1])
        f[i] = v
        g[i, 0] = gx
        g[i, 1] = gy


@jit
def hessian_at(kind, x, y):
    """(∂²f/∂x², ∂²f/∂x∂y, ∂²f/∂y²) at one point: central differences of the gradient with the
    step 1e-5·max(1, |θ_i|), symmetrised, as Surface.hessian computes them (surfaces/base.py).
    Multiplied by 1/(2h) rather than divided by 2h (the same to an ulp or two): two divisions
    instead of four take a tenth off the stability lens's pass (lens_into), bound by them and
    its square roots."""
    hx, hy = 1e-5 * max(1.0, abs(x)), 1e-5 * max(1.0, abs(y))
    over_x, over_y = 1 / (2 * hx), 1 / (2 * hy)
    _, ax, ay = _point(kind, x + hx, y)
    _, bx, by = _point(kind, x - hx, y)
    _, cx, cy = _point(kind, x, y + hy)
    _, dx, dy = _point(kind, x, y - hy)
    return (ax - bx) * over_x, ((ay - by) * over_x + (cx - dx) * over_y) / 2, (cy - dy) * over_y


@jit
def hessian_into(kind, theta, H):
    """H (R, 2, 2) at every point (rows of theta)."""
    for i in range(theta.shape[0]):
        H[i, 0, 0], H[i, 0, 1], H[i, 1, 1] = hessian_at(kind, theta[i, 0], theta[i, 1])
        H[i, 1, 0] = H[i, 0, 1]


@jit
def lens_into(kind, theta, e, shift, curvature, sharp):
    """The stability lens's pass over a run (experiments/stability.py): at every point (rows of
    theta) the Hessian (hessian_at), its eigenvalues into curvature (R, 2) and the effective
    sharpness λ_max(diag(e)·(H + shift·I)) into sharp (R,), e (R, 2) the effective learning rates.
    Fused: no (R, 2, 2) array of Hessians is written and read back, and theta and e are read
    where the engine records them (strided views of its step-major arrays), not copied (for
    100,000 steps the two copies cost ~2 ms, more than this whole pass)."""
    for i in range(theta.shape[0]):
        hxx, hxy, hyy = hessian_at(kind, theta[i, 0], theta[i, 1])
        curvature[i, 0], curvature[i, 1], sharp[i] = curvature_and_sharpness(hxx, hxy, hyy, e[i, 0], e[i, 1], shift)


# The same function with one declared signature: a numba function value that a compiled step
# loop receives as an argument (optimizers/loop.py), compiled once for this type and cached.
POINT = numba.types.UniTuple(numba.types.float64, 3)(numba.types.int64, numba.types.float64, numba.types.float64)
point = numba.njit(POINT, cache=True, nogil=True)(_point.py_func)


def point_for(value_and_grad):
    """(point, kind) for a built-in surface's formula, or None for one that is not built in."""
    kind = KIND.get(value_and_grad)
    return None if kind is None else (point, kind)


def hessian_for(value_and_grad):
    """hessian_into bound to this surface's kind, or None for a formula that is not built in."""
    kind = KIND.get(value_and_grad)
    return None if kind is None else partial(hessian_into, kind)


def lens_for(value_and_grad):
    """lens_into bound to this surface's kind, or None for a formula that is not built in."""
    kind = KIND.get(value_and_grad)
    return None if kind is None else partial(lens_into, kind)


def into_for(value_and_grad):
    """objective_into bound to this surface's kind, or None for a formula that is not built in."""
    kind = KIND.get(value_and_grad)
    return None if kind is None else partial(objective_into, kind)



def compile_all() -> None:
    """Compile (or load from numba's cache) the objectives now: see optimizers.groups.compile_all."""
    objective_into(0, np.zeros((1, 2)), np.zeros(1), np.zeros((1, 2)))
    hessian_into(0, np.zeros((1, 2)), np.zeros((1, 2, 2)))
    for records in (np.zeros((2, 2)), np.zeros((2, 3, 2))[:, 0]):  # one run's records, and several's (strided)
        lens_into(0, records, records, 0.0, np.zeros((2, 2)), np.zeros(2))
