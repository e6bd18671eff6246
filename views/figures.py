"""Contour map with trajectories. Issue 3 replaces this first version with the animated map."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from surfaces import Surface

PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#F0E442", "#000000"]


def surface_grid(surface: Surface, n: int = 160):
    (x0, x1), (y0, y1) = surface.domain
    xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
    X, Y = np.meshgrid(xs, ys)
    with np.errstate(all="ignore"):
        Z = surface.value(X, Y)
    return xs, ys, Z


def contour_with_paths(surface: Surface, results) -> go.Figure:
    xs, ys, Z = surface_grid(surface)
    finite = Z[np.isfinite(Z)]
    lo = finite.min() if finite.size else 0.0
    # log colour where values span many decades, so valleys stay readable
    shifted = Z - lo + 1e-12 * max(1.0, abs(lo))
    use_log = finite.size and np.nanmax(shifted) / max(np.nanmin(shifted[shifted > 0]), 1e-300) > 1e3
    z = np.log10(shifted + (np.nanmax(shifted) * 1e-6)) if use_log else Z
    fig = go.Figure(go.Contour(x=xs, y=ys, z=z, colorscale="Viridis", ncontours=30, showscale=False,
                               contours=dict(coloring="heatmap"), hoverinfo="skip", name="surface"))
    for p in surface.critical_points:
        fig.add_trace(go.Scatter(x=[p.x], y=[p.y], mode="markers", name=p.kind, showlegend=False,
                                 marker=dict(symbol="star" if "minimum" in p.kind else "x", size=14, color="white",
                                             line=dict(color="black", width=1)), hovertext=f"{p.kind}: f = {p.value:.6g}"))
    for i, r in enumerate(results):
        c = PALETTE[i % len(PALETTE)]
        pts = r.points
        if len(pts) == 0:
            continue
        fig.add_trace(go.Scatter(x=pts[:, 0], y=pts[:, 1], mode="lines+markers", name=r.label,
                                 line=dict(color=c, width=2), marker=dict(size=3, color=c)))
        end_symbol = "x-thin" if r.diverged_at is not None else "circle"
        fig.add_trace(go.Scatter(x=[pts[-1, 0]], y=[pts[-1, 1]], mode="markers", showlegend=False,
                                 marker=dict(symbol=end_symbol, size=12, color=c, line=dict(color="white", width=2))))
    (x0, x1), (y0, y1) = surface.domain
    fig.update_layout(xaxis=dict(range=[x0, x1], title=surface.axis_names[0]), yaxis=dict(range=[y0, y1], title=surface.axis_names[1]),
                      height=620, margin=dict(l=40, r=20, t=30, b=40), legend=dict(orientation="h", y=1.06))
    return fig
