"""The surface in 3-D with every path lifted onto it (height = the same colour transform as the
map, so a log-coloured surface is drawn as log height and its valley floor is visible).

The surface is drawn from a grid: between its nodes it is a flat patch, which in a narrow valley
(Rosenbrock's, near its minimum on a log scale) lies well above the true floor, so a path at its
own height would run inside the drawing, hidden. A path is drawn at its height or on the drawn
patch, whichever is higher, lifted a little; its hover says its real loss."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from i18n import ENGLISH
from surfaces import Surface

from .background import colour_scale, grid_values
from .sampling import path_indices
from .text import plotly_text


def drawn_height(xs, ys, H, x, y) -> np.ndarray:
    """The height of the drawn surface (bilinear between the grid's nodes) at points (x, y)."""
    i = np.clip(np.searchsorted(xs, x) - 1, 0, len(xs) - 2)
    j = np.clip(np.searchsorted(ys, y) - 1, 0, len(ys) - 2)
    u = np.clip((x - xs[i]) / (xs[i + 1] - xs[i]), 0, 1)
    v = np.clip((y - ys[j]) / (ys[j + 1] - ys[j]), 0, 1)
    with np.errstate(invalid="ignore"):
        return ((1 - u) * (1 - v) * H[j, i] + u * (1 - v) * H[j, i + 1] + (1 - u) * v * H[j + 1, i]
                + u * v * H[j + 1, i + 1])


def surface3d_figure(surface: Surface, results, colours, view=None, n: int = 90, height: int = 640, tr=ENGLISH) -> go.Figure:
    view = view or surface.domain
    xs, ys, Z = grid_values(surface, view, n, n)
    scale = colour_scale(Z, min((p.value for p in surface.minima), default=None))
    H = scale.transform(Z)
    a, b = surface.axis_names
    zlabel = tr("log10(loss − floor)") if scale.log else tr("loss")
    fig = go.Figure(go.Surface(x=xs, y=ys, z=H, colorscale="Viridis", showscale=False, opacity=0.92, name="surface",
                               customdata=Z, hovertemplate=f"{a} = %{{x:.4g}}<br>{b} = %{{y:.4g}}<br>{tr('loss')} = %{{customdata:.5g}}<extra></extra>"))
    (x0, x1), (y0, y1) = view
    finite = H[np.isfinite(H)]
    lift = 0.01 * float(np.ptp(finite)) if len(finite) else 0.0
    for i, r in enumerate(results):
        p = r.points
        if len(p) == 0:
            continue
        inside = (p[:, 0] >= x0) & (p[:, 0] <= x1) & (p[:, 1] >= y0) & (p[:, 1] <= y1)
        keep = path_indices(p, 2000)
        keep = keep[inside[keep]]
        h = np.fmax(scale.transform(r.loss[keep]), drawn_height(xs, ys, H, p[keep, 0], p[keep, 1])) + lift
        fig.add_trace(go.Scatter3d(x=p[keep, 0], y=p[keep, 1], z=h, mode="lines", name=plotly_text(r.label),
                                   line=dict(color=colours[i], width=5), customdata=r.loss[keep],
                                   hovertemplate=f"{plotly_text(r.label)}<br>{a} = %{{x:.4g}}<br>{b} = %{{y:.4g}}<br>"
                                                 f"{tr('loss')} = %{{customdata:.5g}}<extra></extra>"))
    for m in surface.minima:
        fig.add_trace(go.Scatter3d(x=[m.x], y=[m.y], z=scale.transform([m.value]), mode="markers", showlegend=False,
                                   marker=dict(symbol="diamond", size=5, color="white", line=dict(color="black", width=1)),
                                   hovertemplate=f"{tr(m.kind)}: {tr('loss')} = {m.value:.6g}<extra></extra>"))
    fig.update_layout(height=height, margin=dict(l=0, r=0, t=30, b=0),
                      scene=dict(xaxis_title=a, yaxis_title=b, zaxis_title=zlabel, aspectmode="manual",
                                 aspectratio=dict(x=1.2, y=1.2, z=0.7),
                                 # from high above the low-y side: a valley's floor (and the paths on it) stays
                                 # in sight; plotly's default corner view looks into a wall
                                 camera=dict(eye=dict(x=0.25, y=-1.05, z=1.75))),
                      legend=dict(orientation="h", y=1.02, x=0))
    return fig
