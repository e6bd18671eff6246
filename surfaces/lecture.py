"""Surfaces for the lecture's story (Hung-yi Lee, ML 2021, "adaptive learning rate").

`lecture_regression` is the very surface of the lecture's figures: the course's regression demo
(Pokémon CP before/after evolution) with loss L(b, w) = Σₙ (yₙ − b − w·xₙ)² over ten points,
summed, not averaged. Its Hessian 2·[[n, Σx], [Σx, Σx²]] has eigenvalues ≈ 5.6 and ≈ 1.75×10⁶:
a long, extremely narrow valley, which is exactly why a fixed learning rate fails on it.
"""
from __future__ import annotations

import numpy as np

from .base import GLOBAL_MIN, CriticalPoint, Surface

LECTURE_X = np.array([338.0, 333.0, 328.0, 207.0, 226.0, 25.0, 179.0, 60.0, 208.0, 606.0])
LECTURE_Y = np.array([640.0, 633.0, 619.0, 393.0, 428.0, 27.0, 193.0, 66.0, 226.0, 1591.0])

# Sufficient statistics: the loss is a quadratic in (b, w), so these make it O(1) per point.
_N = float(LECTURE_X.size)
_SX, _SY = LECTURE_X.sum(), LECTURE_Y.sum()
_SXX, _SXY, _SYY = (LECTURE_X**2).sum(), (LECTURE_X * LECTURE_Y).sum(), (LECTURE_Y**2).sum()
HESSIAN = 2.0 * np.array([[_N, _SX], [_SX, _SXX]])


def regression_minimum() -> tuple[float, float, float]:
    """(b*, w*, L*) from the normal equations H·θ = 2·[Σy, Σxy]."""
    b, w = np.linalg.solve(HESSIAN, 2.0 * np.array([_SY, _SXY]))
    r = LECTURE_Y - b - w * LECTURE_X
    return float(b), float(w), float(r @ r)


def _regression(b, w):
    # The residual form Σ(y − b − wx)² summed via the statistics; the gradient is linear and exact.
    db = _N * b + _SX * w - _SY
    dw = _SX * b + _SXX * w - _SXY
    f = _SYY - 2 * _SY * b - 2 * _SXY * w + _N * b * b + 2 * _SX * b * w + _SXX * w * w
    return f, 2 * db, 2 * dw


# Anisotropic quadratic: curvature 0.1 along x, 100 across (ratio 1000). GD diverges above η = 0.02.
VALLEY_A, VALLEY_B = 0.1, 100.0


def _narrow_valley(x, y):
    return 0.5 * (VALLEY_A * x * x + VALLEY_B * y * y), VALLEY_A * x, VALLEY_B * y


def _curved_valley(x, y, k=100.0, eps=1.0):
    # Floor along y = sin x: curvature ≈ k across it and ≈ eps along it.
    s, c = np.sin(x), np.cos(x)
    d = y - s
    return 0.5 * k * d * d + 0.5 * eps * x * x, -k * d * c + eps * x, k * d


def _plateau(x, y):
    # A gently sloping plain (gradient ~1e-3) that drops into a bowl: "small gradient, but not a
    # critical point": loss barely moves for many steps although the minimum is far away.
    r2 = (x - 2.0) ** 2 + (y - 0.0) ** 2
    e = np.exp(-r2 / 2.0)
    f = 1.0 - e + 1e-3 * (x - 2.0) ** 2 / 2.0
    return f, (x - 2.0) * e + 1e-3 * (x - 2.0), y * e


_b, _w, _L = regression_minimum()

LECTURE = [
    Surface("lecture_regression", "Lecture: regression loss L(b, w)",
            "The lecture's own error surface: a valley 300,000× steeper across than along.",
            _regression, ((-200, -100), (-5, 5)), (-120.0, -4.0), (CriticalPoint(_b, _w, _L, GLOBAL_MIN),),
            r"L(b,w)=\sum_{n=1}^{10}\left(y_n - b - w\,x_n\right)^2", axis_names=("b", "w"),
            reference="Hung-yi Lee, ML 2021, regression demo data"),
    Surface("narrow_valley", "Narrow valley", "An elongated bowl, curvature 0.1 along x and 100 across (ratio 1000).",
            _narrow_valley, ((-10, 10), (-1.5, 1.5)), (-9.0, 1.0), (CriticalPoint(0, 0, 0),),
            r"\tfrac12\,(0.1\,x^2 + 100\,y^2)"),
    Surface("curved_valley", "Curved valley", "A valley whose floor bends along y = sin x: steep walls, flat floor.",
            _curved_valley, ((-4, 4), (-2, 2)), (-3.5, 1.5), (CriticalPoint(0, 0, 0),),
            r"50\,(y-\sin x)^2 + \tfrac12 x^2"),
    Surface("plateau", "Plateau", "A nearly flat plain before a bowl: a tiny gradient far from any critical point.",
            _plateau, ((-8, 4), (-3, 3)), (-7.0, 1.0), (CriticalPoint(2, 0, 0),),
            r"1 - e^{-((x-2)^2+y^2)/2} + 0.0005\,(x-2)^2"),
]
