"""Each chart in words, for a screen reader (st.plotly_chart's `alt`): what it shows and, run by
run, the numbers a sighted student reads off it."""
from __future__ import annotations

import numpy as np

from experiments.analysis import summarize

from .numbers import NOTHING, count, sig


def _point(p, names) -> str:
    return f"({names[0]} {sig(p[0])}, {names[1]} {sig(p[1])})"


def _run(surface, r, tr) -> str:
    s = summarize(surface, r)
    names = surface.axis_names
    if not len(r.points):
        return tr("{label}: no point", label=r.label)
    start, end = _point(r.points[0], names), _point(r.points[-1], names)
    if r.diverged_at is not None:
        return tr("{label}: start {start}, diverged at step {step}, last finite point {end}", label=r.label, start=start,
                  step=count(r.diverged_at), end=end)
    return tr("{label}: start {start}, end {end}, steps {steps}, final loss {loss}, distance to the nearest minimum "
              "{distance}, bursts {bursts}", label=r.label, start=start, end=end, steps=count(r.steps_taken), loss=sig(s.final_loss),
              distance=sig(s.distance, 3), bursts=count(s.bursts))


def map_alt(surface, results, tr) -> str:
    runs = "; ".join(_run(surface, r, tr) for r in results)
    return tr("Animated contour map of {surface}, a star at each minimum. Paths: {runs}.", surface=tr(surface.title), runs=runs)


def surface3d_alt(surface, results, tr) -> str:
    runs = "; ".join(_run(surface, r, tr) for r in results)
    return tr("The surface {surface} in 3-D, with the paths drawn on it: {runs}.", surface=tr(surface.title), runs=runs)


def diagnostics_alt(results, tr) -> str:
    def ends(values):  # the first and last finite value, or nothing
        values = np.asarray(values, float)
        values = values[np.isfinite(values)]
        return (sig(values[0]), sig(values[-1])) if len(values) else (NOTHING, NOTHING)

    parts = []
    for r in results:
        (first, last), (lr0, lr1) = ends(r.loss), ends(r.lr)
        parts.append(tr("{label}: loss from {first} to {last}, learning rate from {lr0} to {lr1}", label=r.label,
                        first=first, last=last, lr0=lr0, lr1=lr1))
    return tr("Six charts against the step t: loss, gradient norm, learning rate, σ_t, effective step η_t/σ_t and step "
              "length with bursts marked. {runs}.", runs="; ".join(parts))


def step_alt(ex, names, tr) -> str:
    return tr("Update {t} on the map: from {before} to {after}, with arrows for −η_t·g_t and the step taken.",
              t=count(ex.t), before=_point(ex.before, names), after=_point(ex.after, names))


def fate_alt(counts: dict, tr) -> str:
    return tr("Fate map: each cell is a start point, coloured by where a run from it ends. {counts}.",
              counts="; ".join(f"{name}: {n:,}" for name, n in counts.items()))


def sweep_alt(n: int, diverged: int, tr) -> str:
    return tr("Sweep heat map over the learning rate and a second parameter: {n} runs, {diverged} diverged.",
              n=count(n), diverged=count(diverged))
