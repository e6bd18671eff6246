"""The trajectory engine: steps many runs on one surface as one batched float64 computation.

Each step evaluates the objective once for all runs (an (R, 2) array), then lets each group of
runs that share an update rule step together. It records, for every step: the point, the loss,
the gradient used, the learning rate, and where the rule has them σ_t, η_t/σ_t and m_t.

A run that leaves the finite numbers, or goes past `bound` in any coordinate, stops there:
`diverged_at = k` means the k-th update (1-based) produced a point whose loss or gradient is not
finite, or that is out of bounds. Its record keeps the k finite points before it; other runs go on.

`simulate` is the recipe; each part does one thing:
    runs.py        RunSpec (a run's settings), RunResult (what it leaves), Records (all runs' records)
    groups.py      the runs of one rule side by side, their settings and state packed for its kernel
    tables.py      each run's η_t (and cycled momentum / β1) from its schedule; gradient noise and clipping
    loop.py        the whole step loop compiled (for a compiled objective and no observer)
    pyloop.py      the step loop in Python, for the rest, calling the same kernels
    divergence.py  where and why a run left the finite world
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .divergence import REASONS, find_divergence
from .groups import make_groups, order_by_rule, use_compiled
from .pyloop import python_loop
from .runs import DEFAULT_BOUND, FinalState, Records, RunResult, RunSpec
from .tables import GradientNoise, ScheduleTables

Objective = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
__all__ = ["DEFAULT_BOUND", "REASONS", "FinalState", "RunResult", "RunSpec", "simulate"]


LOOP_WORK = 200_000  # run-steps from which a run waits for the compiled loop (~2 s in the Python loop)


def _loop_ready(point) -> bool:
    from .loop import ready
    return ready(point[0])  # point: (the compiled function, its surface's kind)


def simulate(objective: Objective, runs: list[RunSpec], steps: int, bound: float = DEFAULT_BOUND,
             record: str = "full", observe=None, compiled: bool | None = None) -> list[RunResult]:
    """Step every run `steps` times. record: "full" (everything), "path" (points and loss only), or
    "final": nothing per step (a 200×200 map of starts would need hundreds of MB); `observe(t,
    theta, loss)` is called at every point instead, rows in the caller's order, and the result is
    a FinalState. Rows are the runs; each may clip and add noise to its gradient (RunSpec).

    compiled: the rules compiled with numba (None: when numba is installed; False: the same
    kernels as plain Python, slow). Both give the same numbers. An objective with a compiled
    `point` (the built-in surfaces: surfaces/compiled.py) is stepped by the compiled loop; one
    with `into(theta, f_out, g_out)` is evaluated in place, without NumPy calls."""
    compiled = use_compiled(compiled)
    R, n = len(runs), int(steps)
    order = order_by_rule(runs)  # runs of one rule side by side: each group is a slice of rows
    specs = [runs[i] for i in order]
    inverse = slice(None) if order == list(range(R)) else np.argsort(order)  # caller's row i is our row inverse[i]
    theta = np.array([s.start for s in specs], dtype=float).reshape(R, 2)
    tables = ScheduleTables(specs, n)
    point = getattr(objective, "point", None) if compiled else None
    # The whole loop compiled (optimizers/loop.py) for a compiled objective; else a loop in
    # Python (pyloop.py), calling the same kernels, with the same numbers. Until the loop is in
    # this process (its first compile takes ~5 s on a new machine, ui/compute.py starts it in the
    # background), a small run takes the Python loop: 3,000 steps in ~0.03 s instead of a wait.
    in_loop = point is not None and record != "final" and observe is None and (R * n >= LOOP_WORK or _loop_ready(point))
    groups = make_groups(specs, tables, compiled, sources=not in_loop)
    noise = GradientNoise(specs, n)
    records = Records(n, R, record, filled=not in_loop)
    if in_loop:
        from .loop import run_compiled
        first_bad = run_compiled(point, groups, noise, tables, n, bound, theta, records)
    else:
        theta, f = python_loop(objective, groups, theta, n, bound, *records.arrays(), noise, observe, inverse,
                               tables.plateau, tables.live)
        first_bad = None
    if record == "final":
        return FinalState(theta[inverse], f[inverse])
    diverged, reasons = find_divergence(records.points, records.loss, records.grads, bound, first_bad)
    results = [None] * R
    for grp in groups:
        for i in range(grp.lo, grp.hi):
            k = int(diverged[i]) if diverged[i] >= 0 else None
            results[order[i]] = records.result(i, specs[i], tables.lr(i), k, reasons[i], grp.has_sigma, grp.has_mom)
    return results
