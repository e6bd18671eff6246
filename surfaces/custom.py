"""A Surface from a typed formula: parsed safely (parse.py), differentiated exactly (expr.py),
with the gradient in LaTeX and minima estimated numerically (minima.py), marked as estimates.

    formula_surface("x^2 + 10*y^2", ((-3, 3), (-3, 3)))

Surfaces are cached by (formula, domain): the page, its figures and the engine ask for the same
one many times, and the minima search is the only part that takes tens of milliseconds.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .base import Surface
from .expr import TooComplex, TooLong, to_latex, to_text
from .minima import estimate_minima
from .parse import FormulaError, parse_formula

CUSTOM = "custom"  # the name every formula surface has
DEFAULT_FORMULA = "x^2 + 10*y^2"
DEFAULT_DOMAIN = ((-3.0, 3.0), (-3.0, 3.0))
MAX_COORDINATE = 1e6
HESSIAN_NODES = 20_000  # budget for the second derivatives the minima search uses
LATEX_CHARS = 3_000
EXAMPLES = {  # a few to start from: the lecture's story told with typed surfaces
    "Narrow valley": "x^2 + 10*y^2",
    "Very narrow valley (ratio 1000)": "0.01*x^2 + 10*y^2",
    "Two basins": "(x^2 - 1)^2 + 0.5*y^2 + 0.2*x",
    "Saddle": "x^2 - y^2",
    "Plateau then a cliff": "1 - exp(-(x^2 + 10*y^2)/4)",
    "Log barrier (gaps where x ≤ 0)": "x - log(x) + y^2",
    "Rosenbrock": "(1 - x)^2 + 100*(y - x^2)^2",
    "Himmelblau": "(x^2 + y - 11)^2 + (x + y^2 - 7)^2",
    "Egg crate": "x^2 + y^2 + 3*sin(2x)*sin(2y)",
}


@dataclass(frozen=True)
class FormulaSpec:
    """The scenario's {"formula": text, "domain": [[x0, x1], [y0, y1]]}."""
    formula: str
    domain: tuple[tuple[float, float], tuple[float, float]] = DEFAULT_DOMAIN

    def to_dict(self) -> dict:
        return {"formula": self.formula, "domain": [list(self.domain[0]), list(self.domain[1])]}

    @property
    def surface(self) -> Surface:
        return formula_surface(self.formula, self.domain)


def parse_domain(value) -> tuple[tuple[float, float], tuple[float, float]]:
    """[[x0, x1], [y0, y1]] with finite numbers, x0 < x1, y0 < y1, |value| ≤ 1e6 (FormulaError)."""
    def number(v):
        return isinstance(v, (int, float)) and not isinstance(v, bool) and abs(v) <= MAX_COORDINATE  # no isfinite: 10**400 would overflow
    ok = (isinstance(value, (list, tuple)) and len(value) == 2
          and all(isinstance(r, (list, tuple)) and len(r) == 2 and all(number(v) for v in r) and r[0] < r[1] for r in value))
    if not ok:
        raise FormulaError("domain", given=str(value)[:60], max=f"{MAX_COORDINATE:g}")
    return (float(value[0][0]), float(value[0][1])), (float(value[1][0]), float(value[1][1]))


def formula_surface(text: str, domain=DEFAULT_DOMAIN) -> Surface:
    """The Surface for a typed formula, or FormulaError saying what is refused and where."""
    return _build(text.strip() if isinstance(text, str) else text, parse_domain(domain))


@lru_cache(maxsize=64)
def _build(text: str, domain) -> Surface:
    graph, f = parse_formula(text)
    try:
        fx, fy = graph.derivative(f, "x"), graph.derivative(f, "y")
    except TooComplex:
        raise FormulaError("complex", max=graph.max_nodes) from None
    roots = [f, fx, fy]
    program = graph.program(roots)

    def value_and_grad(x, y):
        return tuple(program(x, y))

    local, exact_hessian = _local(graph, roots)
    minima = estimate_minima(local, domain)
    latex = [_latex(graph, n) for n in roots]
    return Surface(
        name=CUSTOM, title="Your formula", description=f"f(x, y) = {to_text(graph, f, budget=10_000)}",
        value_and_grad=value_and_grad, domain=domain, default_start=_start(value_and_grad, domain, minima),
        critical_points=minima, formula=f"f(x, y) = {latex[0]}",
        reference="Typed formula; gradient by exact symbolic differentiation; minima estimated by a multi-start search.",
        gradient_formula=(latex[1], latex[2]), estimated=True, source=text,
        second_derivatives=(lambda x, y: tuple(local(x, y)[3:6])) if exact_hessian else None)


def _latex(graph, node) -> str | None:
    try:
        return to_latex(graph, node, budget=LATEX_CHARS)
    except TooLong:
        return None  # the page says the expression is too long to show


def _local(graph, roots):
    """f, ∇f and the Hessian for the minima search (and the stability lens), and whether the
    Hessian is there: without it when it is too large (then its three values read 0)."""
    f, fx, fy = roots
    graph.max_nodes = HESSIAN_NODES
    try:
        memo_x, memo_y = {}, {}
        hxx, hxy = graph.derivative(fx, "x", memo_x), graph.derivative(fx, "y", memo_y)
        hyy = graph.derivative(fy, "y", memo_y)
        nodes = [f, fx, fy, hxx, hxy, hyy]
    except TooComplex:
        nodes = [f, fx, fy]
    finally:
        graph.max_nodes = max(graph.max_nodes, len(graph.nodes))

    program = graph.program(nodes)

    def local(x, y):
        return (*program(x, y), 0.0, 0.0, 0.0)[:6]
    return local, len(nodes) == 6


def _start(value_and_grad, domain, minima):
    """A finite point of the window away from every minimum estimate, for the default start."""
    (x0, x1), (y0, y1) = domain
    diag = math.hypot(x1 - x0, y1 - y0)
    for u, v in ((0.2, 0.8), (0.8, 0.8), (0.2, 0.2), (0.8, 0.2), (0.5, 0.85), (0.15, 0.5), (0.85, 0.5), (0.35, 0.65)):
        x, y = x0 + u * (x1 - x0), y0 + v * (y1 - y0)
        f, gx, gy = (float(np.asarray(a).ravel()[0]) for a in value_and_grad(np.array([x]), np.array([y])))
        if all(map(math.isfinite, (f, gx, gy))) and all(math.hypot(x - m.x, y - m.y) > 0.05 * diag for m in minima):
            return float(f"{x:.4g}"), float(f"{y:.4g}")
    return float(f"{(x0 + x1) / 2:.4g}"), float(f"{(y0 + y1) / 2:.4g}")
