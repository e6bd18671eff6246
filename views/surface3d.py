"""The surface in 3-D with every path lifted onto it (height = the same colour transform as the
map, so a log-coloured surface is drawn as log height and its valley floor is visible)."""
from __future__ import annotations

import plotly.graph_objects as go

from i18n import ENGLISH
from surfaces import Surface

from .background import colour_scale, grid_values
from .sampling import path_indices
from .text import plotly_text


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
    for i, r in enumerate(results):
        p = r.points
        if len(p) == 0:
            continue
        inside = (p[:, 0] >= x0) & (p[:, 0] <= x1) & (p[:, 1] >= y0) & (p[:, 1] <= y1)
        keep = path_indices(p, 2000)
        keep = keep[inside[keep]]
        h = scale.transform(r.loss[keep])
        fig.add_trace(go.Scatter3d(x=p[keep, 0], y=p[keep, 1], z=h, mode="lines", name=plotly_text(r.label),
                                   line=dict(color=colours[i], width=5),
                                   hovertemplate=f"{plotly_text(r.label)}<br>{a} = %{{x:.4g}}<br>{b} = %{{y:.4g}}<extra></extra>"))
    for m in surface.minima:
        fig.add_trace(go.Scatter3d(x=[m.x], y=[m.y], z=scale.transform([m.value]), mode="markers", showlegend=False,
                                   marker=dict(symbol="diamond", size=5, color="white", line=dict(color="black", width=1)),
                                   hovertemplate=f"{tr(m.kind)}: {tr('loss')} = {m.value:.6g}<extra></extra>"))
    fig.update_layout(height=height, margin=dict(l=0, r=0, t=30, b=0),
                      scene=dict(xaxis_title=a, yaxis_title=b, zaxis_title=zlabel, aspectmode="manual",
                                 aspectratio=dict(x=1.2, y=1.2, z=0.7)),
                      legend=dict(orientation="h", y=1.02, x=0))
    return fig
