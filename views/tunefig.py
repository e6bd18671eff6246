"""The learning-rate search (optimizers.fate.tune) as a figure: each run's final loss (or steps to
the tolerance) against its lr, log-log, the chosen lr starred, the lrs that diverged marked × along
the top, and each run's own lr a dotted line."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from i18n import ENGLISH

from .text import plotly_text


def tune_figure(result: dict, colours: list[str], tr=ENGLISH, height: int = 420) -> go.Figure:
    """result: experiments.scenario.tune_dict; colours: one per run in it."""
    by_loss = result["by"] == "loss"
    field = "final_loss" if by_loss else "steps_to_tolerance"
    fig = go.Figure()
    top = []
    for r, c in zip(result["runs"], colours, strict=True):
        lrs = np.asarray(r["lrs"], dtype=float)
        y = np.array([np.nan if v is None else v for v in r[field]], dtype=float)
        name = plotly_text(r["label"])
        fig.add_trace(go.Scatter(x=lrs, y=y, mode="lines+markers", name=name, legendgroup=name,
                                 line=dict(color=c, width=2), marker=dict(size=5),
                                 hovertemplate=f"{name}<br>lr %{{x:.4g}}<br>%{{y:.4g}}<extra></extra>"))
        diverged = lrs[np.asarray(r["diverged"], dtype=bool)]
        if len(diverged):
            top.append((diverged, c, name))
        if r["best_lr"] is not None:
            k = int(np.argmin(np.abs(lrs - r["best_lr"])))
            fig.add_trace(go.Scatter(x=[lrs[k]], y=[y[k]], mode="markers", name=f"{name}: {tr('chosen')}", legendgroup=name,
                                     showlegend=False, marker=dict(symbol="star", size=16, color=c, line=dict(color="#000000", width=1)),
                                     hovertemplate=f"{name}: {tr('chosen')} lr %{{x:.4g}}<extra></extra>"))
        fig.add_vline(x=r["lr"], line=dict(color=c, dash="dot", width=1))
    for diverged, c, name in top:  # along the top edge of the plot: they have no loss
        fig.add_trace(go.Scatter(x=diverged, y=[1.0] * len(diverged), yaxis="y2", mode="markers", showlegend=False,
                                 name=f"{name}: {tr('diverged')}", marker=dict(symbol="x", size=9, color=c),
                                 hovertemplate=f"{name}: {tr('diverged')} at lr %{{x:.4g}}<extra></extra>"))
    fig.update_layout(
        height=height, margin=dict(l=70, r=20, t=40, b=60), hovermode="closest",
        xaxis=dict(type="log", title=tr("learning rate η (log)"), exponentformat="power"),
        yaxis=dict(type="log" if by_loss else "linear", exponentformat="power",
                   title=tr("final loss (log)") if by_loss else tr("steps to within tolerance")),
        yaxis2=dict(overlaying="y", range=[0, 1.05], visible=False),
        legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0))
    return fig
