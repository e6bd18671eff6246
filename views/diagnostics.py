"""Diagnostics under the map, sharing one step axis: why a path does what it does.

Rows: loss above the minimum, gradient norm, learning rate η_t (the schedule), σ_t per
coordinate, effective step η_t/σ_t per coordinate, stability S_t/T_t (experiments/stability.py)
with its edge at 1 and the unstable stretches shaded, and step length with bursts marked. Read
together they show the lecture's burst: σ shrinks on the flat floor → η/σ grows → the stability
crosses 1 → the oscillation across the valley grows → a long step.
"""
from __future__ import annotations

import functools
import json

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from experiments.analysis import bursts, step_lengths, view_diagonal
from experiments.stability import stability_of, unstable_stretches
from i18n import ENGLISH
from surfaces import Surface

from .numbers import sig
from .rawfig import RawFigure, typed
from .sampling import curve_indices
from .text import plotly_text

ROWS = ("loss", "gradient", "lr", "sigma", "effective", "stability", "step")
STABILITY_ROW, STEP_ROW = ROWS.index("stability") + 1, ROWS.index("step") + 1
UNSTABLE = "rgba(208, 0, 0, 0.13)"  # the shading of an unstable stretch
MAX_STRETCHES = 150  # shaded per run; more (an oscillation at the edge) are merged across short gaps


def _titles(surface: Surface, lower: float | None, tr=ENGLISH):
    a, b = surface.axis_names
    loss = tr("loss − L* (log)") if lower is not None else tr("loss")
    return (loss, tr("gradient norm ‖g_t‖ (log)"), tr("learning rate η_t (schedule)"),
            tr("σ_t per coordinate (solid {a}, dotted {b})", a=a, b=b),
            tr("effective step η_t/σ_t (solid {a}, dotted {b})", a=a, b=b),
            tr("stability S_t/T_t (log; above 1, shaded: unstable)"),
            tr("step length ‖θ_t − θ_{t−1}‖ (× burst)"))


@functools.lru_cache(maxsize=32)
def _grid_layout(titles: tuple[str, ...]) -> str:
    """make_subplots' layout for the six rows (axes, domains, titles) as JSON: built once per
    language and surface kind (plotly validates it all, ~20 ms), copied for each figure."""
    fig = make_subplots(rows=len(ROWS), cols=1, shared_xaxes=True, vertical_spacing=0.035, subplot_titles=titles)
    return json.dumps(fig.to_dict()["layout"])


def _within(domain, fraction: float) -> float:
    return domain[0] + fraction * (domain[1] - domain[0])


def _lr_axis(rates) -> dict:
    """The η_t row's axis. On plotly's automatic axis a constant η sits alone on a −1…1 scale and
    reads as 0. So: linear from 0 (a schedule's rise and decay keep their shape), each constant
    rate's value on a tick of its own; log only when the runs' rates are over 100× apart (η = 1
    beside η = 10⁻⁶), where a linear axis would flatten the small one onto 0."""
    rates = [np.asarray(r, float).ravel() for r in rates]
    rates = [r[np.isfinite(r)] for r in rates]
    rates = [r for r in rates if len(r)]
    if not rates:
        return {}
    lo, hi = min(float(r.min()) for r in rates), max(float(r.max()) for r in rates)
    levels = np.unique(np.concatenate(rates))
    ticks = {"tickvals": levels.tolist(), "ticktext": [sig(v, 5) for v in levels]} if len(levels) <= 3 else {}
    peaks = [float(r.max()) for r in rates]
    if lo > 0 and max(peaks) > 100 * min(peaks):
        return {"type": "log", "range": [np.log10(lo) - 0.3, np.log10(hi) + 0.3], **ticks}
    if ticks:
        ticks = {"tickvals": [0.0, *ticks["tickvals"]], "ticktext": ["0", *ticks["ticktext"]]}
    return {"type": "linear", "range": [min(lo, 0.0), 1.15 * hi if hi > 0 else 1.0], **ticks}


def _merged(stretches: list[tuple[int, int]], most: int) -> list[tuple[int, int]]:
    """At most `most` stretches: neighbours closer than the smallest gaps are joined."""
    while len(stretches) > most:
        gaps = sorted(b[0] - a[1] for a, b in zip(stretches, stretches[1:], strict=False))
        limit = gaps[len(stretches) - most - 1]
        out = [stretches[0]]
        for a, b in stretches[1:]:
            if a - out[-1][1] <= limit:
                out[-1] = (out[-1][0], b)
            else:
                out.append((a, b))
        stretches = out
    return stretches


def diagnostics_figure(surface: Surface, results, colours, height: int = 1120, tr=ENGLISH) -> go.Figure:
    lows = [p.value for p in surface.global_minima]
    lower = min(lows) if lows else None
    fig = RawFigure()  # traces as plain dicts: plotly's validation of ~20 line traces costs ~20 ms
    layout = json.loads(_grid_layout(_titles(surface, lower, tr)))
    scale = view_diagonal(surface)
    traces = []

    def axes(row):
        return {"xaxis": "x" if row == 1 else f"x{row}", "yaxis": "y" if row == 1 else f"y{row}"}

    def add(row, y, c, name, group, dash="solid", show=False, steps=None):
        y = np.asarray(y, dtype=float)
        if y.size == 0:
            return
        x = np.arange(len(y)) if steps is None else steps
        keep = curve_indices(y)
        traces.append({"type": "scatter", "x": typed(x[keep]), "y": typed(y[keep]), "mode": "lines", "name": name,
                       "legendgroup": group, "showlegend": show, "line": {"color": c, "width": 1.6, "dash": dash},
                       "hovertemplate": f"{name}<br>{tr('step')} %{{x}}<br>%{{y:.4g}}<extra></extra>", **axes(row)})

    shapes, unlensed = [], []
    for i, r in enumerate(results):
        c, g, name = colours[i], f"run{i}", plotly_text(r.label)
        loss = r.loss - lower if lower is not None else r.loss
        if lower is not None:
            loss = np.where(loss > 0, loss, np.nan)  # at the minimum to rounding: a gap, not −∞
        add(1, loss, c, name, g, show=True)
        if r.grads is not None and len(r.grads):
            add(2, np.linalg.norm(r.grads, axis=1), c, name, g)
        add(3, r.lr, c, name, g)
        for j, dash in ((0, "solid"), (1, "dot")):
            if r.sigma is not None:
                add(4, r.sigma[:, j], c, f"{name} σ[{j}]", g, dash)
            if r.effective_lr is not None:
                add(5, r.effective_lr[:, j], c, f"{name} η/σ[{j}]", g, dash)
        lens = stability_of(surface, r) if r.effective_lr is not None else None
        if lens is not None and lens.stability is not None:
            ratio = np.where(lens.stability > 0, lens.stability, np.nan)  # log axis: ≤ 0 (a maximum ahead) is a gap
            add(STABILITY_ROW, ratio, c, name, g, steps=np.arange(1, len(ratio) + 1))
            a = axes(STABILITY_ROW)
            for first, last in _merged(unstable_stretches(lens.stability), MAX_STRETCHES):
                shapes.append({"type": "rect", "x0": first - 0.5, "x1": last + 0.5, "xref": a["xaxis"], "y0": 0, "y1": 1,
                               "yref": f"{a['yaxis']} domain", "fillcolor": UNSTABLE, "line": {"width": 0}, "layer": "below"})
        elif lens is not None:
            unlensed.append(name)
        lengths = step_lengths(r.points)
        add(STEP_ROW, lengths, c, name, g, steps=np.arange(1, len(lengths) + 1))
        starts = bursts(lengths, scale)  # the summary's bursts, each marked where it begins
        if len(starts):
            shown = starts[:: max(1, len(starts) // 400)]
            traces.append({"type": "scatter", "x": typed(shown + 1), "y": typed(lengths[shown]), "mode": "markers",
                           "name": f"{name}: {tr('bursts')}", "legendgroup": g, "showlegend": False,
                           "marker": {"symbol": "x", "size": 8, "color": "#D00000"},
                           "hovertemplate": f"{name}: {tr('burst at step')} %{{x}}<br>{tr('length')} %{{y:.4g}}<extra></extra>", **axes(STEP_ROW)})
        if r.diverged_at is not None:
            for row in range(1, len(ROWS) + 1):
                a = axes(row)
                shapes.append({"type": "line", "x0": r.diverged_at, "x1": r.diverged_at, "xref": a["xaxis"],
                               "y0": 0, "y1": 1, "yref": f"{a['yaxis']} domain", "line": {"color": c, "dash": "dash", "width": 1}})

    for row in range(1, len(ROWS) + 1):
        y = layout["yaxis" if row == 1 else f"yaxis{row}"]
        y["exponentformat"] = "power"
        if row != 3:
            y["type"] = "log"
    layout["yaxis3"].update(_lr_axis([r.lr for r in results]))
    a = axes(STABILITY_ROW)
    # the edge of stability, S_t/T_t = 1 (a shape on a log axis is placed by log10 of its value)
    shapes.append({"type": "line", "x0": 0, "x1": 1, "xref": f"{a['xaxis']} domain", "y0": 0, "y1": 0, "yref": a["yaxis"],
                   "line": {"color": "#D00000", "width": 1.5, "dash": "dash"}})
    if unlensed:
        layout["annotations"].append({
            "text": tr("no stability for {runs}: a step by the sign of g does not scale with the curvature", runs=", ".join(unlensed)),
            "xref": "paper", "yref": "paper", "x": 0.01, "y": _within(layout[f"yaxis{STABILITY_ROW}"]["domain"], 0.85),
            "xanchor": "left", "showarrow": False, "font": {"size": 12, "color": "#444444"}, "bgcolor": "rgba(255,255,255,0.8)"})
    without = [plotly_text(r.label) for r in results if r.sigma is None]
    if without:  # an empty row must say why it is empty
        layout["annotations"].append({
            "text": tr("no σ_t for {runs}: this rule does not divide its step by a σ (read σ_t = 1: the step is η_t·m_t)", runs=", ".join(without)),
            # in paper coordinates: plotly drops a row's axes when no trace is on them (no run has σ)
            "xref": "paper", "yref": "paper", "x": 0.01, "y": _within(layout["yaxis4"]["domain"], 0.9 if len(without) < len(results) else 0.5),
            "xanchor": "left", "showarrow": False, "font": {"size": 12, "color": "#444444"}, "bgcolor": "rgba(255,255,255,0.8)"})
    layout[f"xaxis{len(ROWS)}"]["title"] = {"text": tr("step t")}
    layout.update(height=height, margin=dict(l=60, r=20, t=70, b=40), hovermode="x unified", shapes=shapes,
                  legend=dict(orientation="h", yanchor="bottom", y=1.03, x=0))
    fig.raw_traces, fig.raw_layout = traces, layout
    return fig
