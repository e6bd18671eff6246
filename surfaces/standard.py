"""The standard 2-D test functions, as defined by Surjanovic & Bingham's Virtual Library of
Simulation Experiments (https://www.sfu.ca/~ssurjano/optimization.html) and Wikipedia's
"Test functions for optimization". Minima were polished in float64 (see tests/test_surfaces.py,
which checks value and zero gradient at each one).
"""
from __future__ import annotations

import numpy as np

from .base import LOCAL_MAX, LOCAL_MIN, SADDLE, CriticalPoint, Surface

SFU = "Surjanovic & Bingham, Virtual Library of Simulation Experiments, sfu.ca/~ssurjano/{}.html"
TAU = 2 * np.pi


def _rosenbrock(x, y, a=1.0, b=100.0):
    u, v = a - x, y - x * x
    return u * u + b * v * v, -2 * u - 4 * b * x * v, 2 * b * v


def _beale(x, y):
    y2, y3 = y * y, y * y * y
    t1, t2, t3 = 1.5 - x + x * y, 2.25 - x + x * y2, 2.625 - x + x * y3
    f = t1 * t1 + t2 * t2 + t3 * t3
    gx = 2 * (t1 * (y - 1) + t2 * (y2 - 1) + t3 * (y3 - 1))
    gy = 2 * x * (t1 + 2 * y * t2 + 3 * y2 * t3)
    return f, gx, gy


def _booth(x, y):
    p, q = x + 2 * y - 7, 2 * x + y - 5
    return p * p + q * q, 2 * p + 4 * q, 4 * p + 2 * q


def _himmelblau(x, y):
    p, q = x * x + y - 11, x + y * y - 7
    return p * p + q * q, 4 * x * p + 2 * q, 2 * p + 4 * y * q


def _rastrigin(x, y, A=10.0):
    f = 2 * A + x * x - A * np.cos(TAU * x) + y * y - A * np.cos(TAU * y)
    return f, 2 * x + A * TAU * np.sin(TAU * x), 2 * y + A * TAU * np.sin(TAU * y)


def _ackley(x, y, a=20.0, b=0.2, c=TAU):
    r = np.sqrt(0.5 * (x * x + y * y))
    e1 = np.exp(-b * r)
    e2 = np.exp(0.5 * (np.cos(c * x) + np.cos(c * y)))
    f = -a * e1 - e2 + a + np.e
    # d(-a e^{-br})/dx = a b e^{-br} · x / (2r); the cone tip r = 0 has no derivative: use 0,
    # a valid subgradient, so that the minimum is a fixed point of every optimizer. Without a
    # branch (at the tip the divisor is 1 and the factor 0; elsewhere both change no bit), so
    # that this one function serves NumPy's arrays and numba's single points (surfaces/compiled.py).
    tip = r == 0
    k = a * b * e1 / (2 * r + tip) * (1 - tip)
    return f, k * x + 0.5 * c * e2 * np.sin(c * x), k * y + 0.5 * c * e2 * np.sin(c * y)


def _matyas(x, y):
    return 0.26 * (x * x + y * y) - 0.48 * x * y, 0.52 * x - 0.48 * y, 0.52 * y - 0.48 * x


def _three_hump_camel(x, y):
    x2 = x * x
    f = 2 * x2 - 1.05 * x2 * x2 + x2 * x2 * x2 / 6 + x * y + y * y
    return f, 4 * x - 4.2 * x2 * x + x2 * x2 * x + y, x + 2 * y


def _six_hump_camel(x, y):
    x2, y2 = x * x, y * y
    f = (4 - 2.1 * x2 + x2 * x2 / 3) * x2 + x * y + (-4 + 4 * y2) * y2
    return f, 8 * x - 8.4 * x2 * x + 2 * x2 * x2 * x + y, x - 8 * y + 16 * y2 * y


def _goldstein_price(x, y):
    s = x + y + 1
    p = 19 - 14 * x + 3 * x * x - 14 * y + 6 * x * y + 3 * y * y
    d = 2 * x - 3 * y
    q = 18 - 32 * x + 12 * x * x + 48 * y - 36 * x * y + 27 * y * y
    A, B = 1 + s * s * p, 30 + d * d * q
    Ax = 2 * s * p + s * s * (-14 + 6 * x + 6 * y)
    Ay = 2 * s * p + s * s * (-14 + 6 * x + 6 * y)
    Bx = 4 * d * q + d * d * (-32 + 24 * x - 36 * y)
    By = -6 * d * q + d * d * (48 - 36 * x + 54 * y)
    return A * B, Ax * B + A * Bx, Ay * B + A * By


def _styblinski_tang(x, y):
    f = 0.5 * (x**4 - 16 * x * x + 5 * x + y**4 - 16 * y * y + 5 * y)
    return f, 2 * x**3 - 16 * x + 2.5, 2 * y**3 - 16 * y + 2.5


def _saddle(x, y):
    return x * x - y * y, 2 * x, -2 * y


def _monkey_saddle(x, y):
    return x**3 - 3 * x * y * y, 3 * x * x - 3 * y * y, -6 * x * y


def _levi13(x, y):
    s3x, s3y, s2y = np.sin(3 * np.pi * x), np.sin(3 * np.pi * y), np.sin(TAU * y)
    c3x, c3y, c2y = np.cos(3 * np.pi * x), np.cos(3 * np.pi * y), np.cos(TAU * y)
    u, v = x - 1, y - 1
    f = s3x**2 + u * u * (1 + s3y**2) + v * v * (1 + s2y**2)
    gx = 6 * np.pi * s3x * c3x + 2 * u * (1 + s3y**2)
    gy = u * u * 6 * np.pi * s3y * c3y + 2 * v * (1 + s2y**2) + v * v * 4 * np.pi * s2y * c2y
    return f, gx, gy


def _mccormick(x, y):
    c = np.cos(x + y)
    f = np.sin(x + y) + (x - y) ** 2 - 1.5 * x + 2.5 * y + 1
    return f, c + 2 * (x - y) - 1.5, c - 2 * (x - y) + 2.5


def _easom(x, y):
    e = np.exp(-((x - np.pi) ** 2 + (y - np.pi) ** 2))
    cx, cy, sx, sy = np.cos(x), np.cos(y), np.sin(x), np.sin(y)
    f = -cx * cy * e
    gx = (sx * cy + 2 * (x - np.pi) * cx * cy) * e
    gy = (cx * sy + 2 * (y - np.pi) * cx * cy) * e
    return f, gx, gy


M = CriticalPoint
STANDARD = [
    Surface("rosenbrock", "Rosenbrock", "A curved, flat-floored banana valley; the minimum is easy to reach and slow to finish.",
            _rosenbrock, ((-2, 2), (-1, 3)), (-1.5, 2.0), (M(1, 1, 0),), r"(1-x)^2 + 100\,(y-x^2)^2", reference=SFU.format("rosen")),
    Surface("beale", "Beale", "Sharp ridges and flat plateaus around a minimum at (3, 0.5).",
            _beale, ((-4.5, 4.5), (-4.5, 4.5)), (1.0, 1.5), (M(3, 0.5, 0),), r"(1.5-x+xy)^2+(2.25-x+xy^2)^2+(2.625-x+xy^3)^2", reference=SFU.format("beale")),
    Surface("booth", "Booth", "A tilted convex bowl: every sensible method converges.",
            _booth, ((-10, 10), (-10, 10)), (-8.0, -6.0), (M(1, 3, 0),), r"(x+2y-7)^2+(2x+y-5)^2", reference=SFU.format("booth")),
    Surface("himmelblau", "Himmelblau", "Four equal minima: where you start decides where you end.",
            _himmelblau, ((-5, 5), (-5, 5)), (-0.5, -0.5),
            (M(3, 2, 0), M(-2.805118086952745, 3.131312518250573, 0), M(-3.779310253377747, -3.283185991286170, 0),
             M(3.584428340330492, -1.848126526964404, 0), M(-0.2708445906673476, -0.9230385564799815, 181.6165215225827, LOCAL_MAX)),
            r"(x^2+y-11)^2+(x+y^2-7)^2",
            reference="Wikipedia, Himmelblau's function"),
    Surface("rastrigin", "Rastrigin", "A bowl covered in a regular grid of local minima.",
            _rastrigin, ((-5.12, 5.12), (-5.12, 5.12)), (3.2, 2.4), (M(0, 0, 0),), r"20 + x^2 - 10\cos 2\pi x + y^2 - 10\cos 2\pi y", reference=SFU.format("rastr")),
    Surface("ackley", "Ackley", "A nearly flat plain of ripples around one deep funnel.",
            _ackley, ((-5, 5), (-5, 5)), (3.5, -3.0), (M(0, 0, 0),), r"-20e^{-0.2\sqrt{(x^2+y^2)/2}} - e^{(\cos 2\pi x+\cos 2\pi y)/2} + 20 + e",
            reference=SFU.format("ackley")),
    Surface("matyas", "Matyas", "A shallow, slightly diagonal bowl: a small gradient far from the minimum.",
            _matyas, ((-10, 10), (-10, 10)), (8.0, -6.0), (M(0, 0, 0),), r"0.26(x^2+y^2) - 0.48xy", reference=SFU.format("matya")),
    Surface("three_hump_camel", "Three-hump camel", "One global minimum between two local ones.",
            _three_hump_camel, ((-2.5, 2.5), (-2.5, 2.5)), (2.0, -1.8),
            (M(0, 0, 0), M(1.7475523458302888, -0.8737761729151444, 0.298638442236859, LOCAL_MIN),
             M(-1.7475523458302888, 0.8737761729151444, 0.298638442236859, LOCAL_MIN)),
            r"2x^2 - 1.05x^4 + x^6/6 + xy + y^2", reference=SFU.format("camel3")),
    Surface("six_hump_camel", "Six-hump camel", "Six local minima, two of them global.",
            _six_hump_camel, ((-2, 2), (-1.2, 1.2)), (-1.5, -1.0),
            (M(0.08984201310031806, -0.7126564030207396, -1.031628453489877), M(-0.08984201310031806, 0.7126564030207396, -1.031628453489877)),
            r"(4-2.1x^2+x^4/3)x^2 + xy + (-4+4y^2)y^2",
            reference=SFU.format("camel6")),
    Surface("goldstein_price", "Goldstein–Price", "Values from 3 to a million: colour on a log scale to see it.",
            _goldstein_price, ((-2, 2), (-2, 2)), (-1.5, 1.5), (M(0, -1, 3),), r"[1+(x+y+1)^2(19-14x+3x^2-14y+6xy+3y^2)]\,[30+(2x-3y)^2(18-32x+12x^2+48y-36xy+27y^2)]",
            reference=SFU.format("goldpr")),
    Surface("styblinski_tang", "Styblinski–Tang", "Four basins of different depths; the deepest is at (−2.90, −2.90).",
            _styblinski_tang, ((-5, 5), (-5, 5)), (4.5, 4.5), (M(-2.903534027771178, -2.903534027771178, -78.33233140754285),),
            r"\tfrac12\,(x^4-16x^2+5x + y^4-16y^2+5y)",
            reference=SFU.format("stybtang")),
    Surface("saddle", "Saddle", "x² − y²: a critical point that is not a minimum; unbounded below along y.",
            _saddle, ((-2, 2), (-2, 2)), (-1.8, 1e-3), (M(0, 0, 0, SADDLE),), r"x^2 - y^2"),
    Surface("monkey_saddle", "Monkey saddle", "x³ − 3xy²: a flat critical point with three downhill directions.",
            _monkey_saddle, ((-2, 2), (-2, 2)), (1.5, 0.2), (M(0, 0, 0, SADDLE),), r"x^3 - 3xy^2"),
    Surface("levi13", "Lévi N.13", "Ripples in both directions over a bowl with its minimum at (1, 1).",
            _levi13, ((-4, 6), (-4, 6)), (-3.0, 4.0), (M(1, 1, 0),), r"\sin^2 3\pi x + (x-1)^2(1+\sin^2 3\pi y) + (y-1)^2(1+\sin^2 2\pi y)", reference=SFU.format("levy13")),
    Surface("mccormick", "McCormick", "A gentle slope into a single valley.",
            _mccormick, ((-1.5, 4), (-3, 4)), (3.5, 3.5), (M(0.5 - np.pi / 3, -0.5 - np.pi / 3, -np.sqrt(3) / 2 - np.pi / 3),),
            r"\sin(x+y) + (x-y)^2 - 1.5x + 2.5y + 1", reference=SFU.format("mccorm")),
    Surface("easom", "Easom", "Flat almost everywhere: the gradient vanishes far from the one narrow hole.",
            _easom, ((-1, 7), (-1, 7)), (1.5, 4.5), (M(np.pi, np.pi, -1),), r"-\cos x\cos y\,e^{-(x-\pi)^2-(y-\pi)^2}", reference=SFU.format("easom")),
]
