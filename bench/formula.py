"""Typed-surface benchmark: prints how fast hostile text is refused, how long a surface takes to
build (parse, gradient, minima search), and the engine's cost per step on a typed Rosenbrock
against the built-in one, in the same run. Run: python bench/formula.py"""
from __future__ import annotations

import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from harness.hostile import HOSTILE  # noqa: E402
from optimizers import OPTIMIZERS, RunSpec, simulate  # noqa: E402
from surfaces import FormulaError, formula_surface, get_surface  # noqa: E402
from surfaces.custom import _build  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from engine import best_of  # noqa: E402  (bench/engine.py: one timing helper for every bench)

TYPED_ROSENBROCK = "(1 - x)^2 + 100*(y - x^2)^2"


def refuse(text):
    try:
        _build.cache_clear()
        formula_surface(text)
    except FormulaError:
        return
    raise SystemExit(f"not refused: {text!r}")


def main():
    times = [best_of(lambda t=t: refuse(t), repeat=5) for t in HOSTILE]
    print(f"{len(HOSTILE)} hostile inputs refused: median {statistics.median(times) * 1e6:.0f} µs, "
          f"max {max(times) * 1e6:.0f} µs (limit 100,000 µs)")
    for text in (TYPED_ROSENBROCK, "(x^2 + y - 11)^2 + (x + y^2 - 7)^2", "x^2 + y^2 + 3*sin(2x)*sin(2y)"):
        sec = best_of(lambda t=text: (_build.cache_clear(), formula_surface(t)), repeat=3)
        print(f"build (parse, gradient, Hessian, minima search) {text!r}: {sec * 1e3:.0f} ms")
    runs = [RunSpec("Adam", OPTIMIZERS["Adam"].validate({"lr": 1e-3 * (i + 1)}), (-1.5, 2.0)) for i in range(8)]
    typed, builtin = formula_surface(TYPED_ROSENBROCK, ((-2, 2), (-1, 3))), get_surface("rosenbrock")
    t_typed = best_of(lambda: simulate(typed.objective, runs, 10_000), repeat=3)
    t_builtin = best_of(lambda: simulate(builtin.objective, runs, 10_000), repeat=3)
    print(f"Adam 8 runs × 10,000 steps: typed Rosenbrock {t_typed:.3f} s, built-in {t_builtin:.3f} s "
          f"(typed = {t_typed / t_builtin:.2f}× built-in)")


if __name__ == "__main__":
    main()
