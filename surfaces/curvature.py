"""What the stability lens reads from a Hessian at one point, as plain arithmetic on numbers.

Written once, one point at a time, so that both of its passes compile the same lines: the fused
pass over a run's points in surfaces/compiled.py (the Hessian of a built-in surface taken on the
spot, no (n, 2, 2) array written and read back) and experiments/stability.py's pass over given
Hessians (typed formulas' exact ones, or Surface.hessian's where nothing is compiled): numba
compiles these functions into each pass that calls them. Without numba they run as they are.
"""
from __future__ import annotations

import math

try:
    from numba.extending import register_jitable as compilable
except ImportError:  # pragma: no cover - requirements.txt installs numba
    def compilable(function):
        return function

SQUARES_UNSAFE_BELOW = 1e-300  # x² + y² this small may have lost digits to underflow


@compilable
def hypotenuse(x, y):
    """√(x² + y²). hypot (scaled, slow in compiled code) only where the plain sum of squares can
    be wrong: overflowed (near divergence), underflowed, or NaN; there hypot's own rules hold
    (NaN stays NaN, hypot(±∞, NaN) = ∞)."""
    squares = x * x + y * y
    if SQUARES_UNSAFE_BELOW < squares < math.inf:
        return math.sqrt(squares)
    return math.hypot(x, y)


@compilable
def curvature_and_sharpness(hxx, hxy, hyy, e0, e1, shift):
    """(λ_min, λ_max) of the symmetric H = [[hxx, hxy], [hxy, hyy]], and λ_max(diag(e)·(H + shift·I))
    for e = (e0, e1), a negative e counting as 0: the largest eigenvalue of the symmetric
    diag(√e)·(H + shift·I)·diag(√e), which has the same ones."""
    mean, r = (hxx + hyy) / 2, hypotenuse((hxx - hyy) / 2, hxy)
    e0, e1 = max(e0, 0.0), max(e1, 0.0)
    a, c, b = e0 * (hxx + shift), e1 * (hyy + shift), math.sqrt(e0 * e1) * hxy
    return mean - r, mean + r, (a + c) / 2 + hypotenuse((a - c) / 2, b)
