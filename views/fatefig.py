"""Fate maps and sweeps as pictures: Plotly figures for the page, Pillow PNGs for cli.py.

Fate colours: one per minimum (Okabe–Ito, in the order the surface lists them), dark grey for
"still moving after N steps", red for "diverged"; the second layer is the steps a start needed.
A transparent grid of points sits on top (at most 60×60 of the cells' centres) because the page
can only hear clicks on points, not on a heatmap.
"""
from __future__ import annotations

import io

import numpy as np
import plotly.graph_objects as go
from PIL import Image

from i18n import ENGLISH
from optimizers.fate import DIVERGED, MOVING

from .background import data_uri, render_image, render_png

BASIN = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#F0E442", "#000000", "#8C564B"]
STILL, DIVERGED_COLOUR = "#555555", "#D00000"
CLICKS = 60  # clickable points per side, at most


def fate_colours(n_minima: int) -> list[str]:
    return [BASIN[i % len(BASIN)] for i in range(n_minima)]


def _categories(fate: np.ndarray, n_minima: int):
    """Fates → 0..n+1 (minima, still moving, diverged) and the matching discrete colour scale."""
    cat = np.where(fate == DIVERGED, n_minima + 1, np.where(fate == MOVING, n_minima, fate)).astype(float)
    colours = fate_colours(n_minima) + [STILL, DIVERGED_COLOUR]
    k = len(colours)
    scale = []
    for i, c in enumerate(colours):
        scale += [[i / k, c], [(i + 1) / k, c]]
    return cat, scale, k


def _click_points(xs, ys, hover, name):
    step_x, step_y = max(1, int(np.ceil(len(xs) / CLICKS))), max(1, int(np.ceil(len(ys) / CLICKS)))
    ix, iy = np.arange(0, len(xs), step_x), np.arange(0, len(ys), step_y)
    X, Y = np.meshgrid(xs[ix], ys[iy])
    text = hover[np.ix_(iy, ix)].ravel()
    return go.Scatter(x=X.ravel(), y=Y.ravel(), mode="markers", marker=dict(size=10, opacity=0), text=text,
                      hovertemplate="%{text}<extra></extra>", name=name, showlegend=False)


def fate_figure(surface, fmap, minima, layer: str = "fate", tr=ENGLISH, height: int = 560) -> go.Figure:
    """The fate map over the surface: layer "fate" (where each start ends) or "steps" (how long it took)."""
    xs, ys = fmap.xs, fmap.ys
    fate, steps = fmap.grid("fate"), fmap.grid("steps")
    dx, dy = (xs[1] - xs[0]) if len(xs) > 1 else 1.0, (ys[1] - ys[0]) if len(ys) > 1 else 1.0
    view = ((xs[0] - dx / 2, xs[-1] + dx / 2), (ys[0] - dy / 2, ys[-1] + dy / 2))
    (x0, x1), (y0, y1) = view
    png, _ = render_png(surface, view, 480, 400)
    fig = go.Figure()
    fig.add_layout_image(source=data_uri(png), xref="x", yref="y", x=x0, y=y1, sizex=x1 - x0, sizey=y1 - y0,
                         sizing="stretch", layer="below")
    n = len(minima)
    names = [tr("minimum {k} ({x}, {y})", k=i + 1, x=f"{m[0]:.3g}", y=f"{m[1]:.3g}") for i, m in enumerate(minima)]
    names += [tr("still moving"), tr("diverged")]
    cat, scale, k = _categories(fate, n)
    if layer == "steps":
        fig.add_trace(go.Heatmap(x=xs, y=ys, z=steps, colorscale="Magma", reversescale=True, opacity=0.75,
                                 colorbar=dict(title=tr("steps needed")), hoverinfo="skip"))
    else:
        fig.add_trace(go.Heatmap(x=xs, y=ys, z=cat, zmin=0, zmax=k, colorscale=scale, opacity=0.6, showscale=False,
                                 hoverinfo="skip"))
        for i, name in enumerate(names):  # a legend of the fates
            if np.any(cat == i):
                fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=f"{name}: {int(np.sum(cat == i)):,}",
                                         marker=dict(symbol="square", size=12, color=scale[2 * i][1])))
    label = np.array(names, dtype=object)[cat.astype(int)]
    hover = np.array([f"{tr('start')} ({x:.4g}, {y:.4g})<br>{lab}<br>{tr('steps needed')}: "
                      f"{'—' if not np.isfinite(s) else int(s)}<br>{tr('click: start here')}"
                      for x, y, lab, s in zip(np.tile(xs, len(ys)), np.repeat(ys, len(xs)), label.ravel(), steps.ravel())],
                     dtype=object).reshape(fate.shape)
    fig.add_trace(_click_points(xs, ys, hover, tr("click to start here")))
    for m in minima:
        fig.add_trace(go.Scatter(x=[m[0]], y=[m[1]], mode="markers", showlegend=False, hoverinfo="skip",
                                 marker=dict(symbol="star", size=15, color="white", line=dict(color="black", width=1.2))))
    a, b = surface.axis_names
    fig.update_layout(height=height, margin=dict(l=60, r=20, t=30, b=40), xaxis=dict(range=[x0, x1], title=a, showgrid=False),
                      yaxis=dict(range=[y0, y1], title=b, showgrid=False), legend=dict(orientation="h", y=1.02, yanchor="bottom"),
                      plot_bgcolor="#DDDDDD", clickmode="event+select")
    return fig


METRICS = ("final loss", "steps to converge", "diverged")


def sweep_figure(sw, metric: str = "final loss", tr=ENGLISH, height: int = 480, edge=None) -> go.Figure:
    """A heatmap over (learning rate, second parameter): final loss (log), steps to converge, or diverged.
    edge: per second-parameter value, the lr of the theoretical edge of stability at the minimum
    (experiments.stability.sweep_edge), drawn as a dashed line beside where the runs diverged."""
    fate = sw.grid("fate")
    if metric == "steps to converge":
        z, title, scale = sw.grid("steps"), tr("steps to converge"), "Viridis"
    elif metric == "diverged":
        z, title, scale = (sw.grid("fate") == DIVERGED).astype(float), tr("diverged"), [[0, "#EEEEEE"], [1, DIVERGED_COLOUR]]
    else:
        with np.errstate(all="ignore"):
            z = np.log10(np.where(sw.grid("fate") == DIVERGED, np.nan, np.abs(sw.grid("loss"))) + 1e-300)
        title, scale = tr("final loss (log10)"), "Viridis"
    status = np.where(fate == DIVERGED, tr("diverged"), np.where(fate == MOVING, tr("still moving"), tr("converged")))
    hover = np.array([f"lr = {lr:.4g}<br>{sw.name} = {v:.4g}<br>{st}<br>{tr('final loss')} = {loss:.4g}<br>{tr('click: add this run')}"
                      for v, row_s, row_l in zip(sw.values, status, sw.grid("loss")) for lr, st, loss in zip(sw.lrs, row_s, row_l)],
                     dtype=object).reshape(fate.shape)
    fig = go.Figure(go.Heatmap(x=sw.lrs, y=sw.values, z=z, colorscale=scale, colorbar=dict(title=title), hoverinfo="skip",
                               showscale=metric != "diverged"))
    gone = fate == DIVERGED
    if metric != "diverged" and gone.any():  # those cells have no loss or step count: red, not a silent gap
        fig.add_trace(go.Heatmap(x=sw.lrs, y=sw.values, z=np.where(gone, 1.0, np.nan), colorscale=[[0, DIVERGED_COLOUR], [1, DIVERGED_COLOUR]],
                                 showscale=False, hoverinfo="skip"))
    legend = [(tr("diverged"), DIVERGED_COLOUR, int(gone.sum()))]
    if metric == "diverged":
        legend.append((tr("did not diverge"), "#EEEEEE", int((~gone).sum())))
    for name, colour, n in legend:
        if n:
            fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=f"{name}: {n:,}", hoverinfo="skip",
                                     marker=dict(symbol="square", size=12, color=colour, line=dict(color="#555555", width=1))))
    if edge is not None and np.isfinite(edge).any():
        fig.add_trace(go.Scatter(x=edge, y=sw.values, mode="lines+markers", name=tr("edge of stability at the minimum: T / λ_max(H)"),
                                 line=dict(color="#FFFFFF", width=3, dash="dash"), marker=dict(size=5, color="#FFFFFF",
                                 line=dict(color="#000000", width=1)), hovertemplate=f"{tr('edge')}: lr = %{{x:.4g}}<br>{sw.name} = %{{y:.4g}}<extra></extra>"))
    X, Y = np.meshgrid(sw.lrs, sw.values)
    fig.add_trace(go.Scatter(x=X.ravel(), y=Y.ravel(), mode="markers", marker=dict(size=12, opacity=0), showlegend=False,
                             text=hover.ravel(), hovertemplate="%{text}<extra></extra>", name="cells"))
    fig.update_layout(height=height, margin=dict(l=60, r=20, t=30, b=40), xaxis=dict(type="log", title=tr("learning rate (lr)"),
                                                                                 exponentformat="power"),
                      yaxis=dict(title=sw.name, exponentformat="power"), clickmode="event+select",
                      legend=dict(orientation="h", y=1.02, yanchor="bottom"))
    return fig


# ---------------------------------------------------------------------- PNGs for cli.py
def _hex(c: str) -> tuple[int, int, int]:
    return tuple(int(c[i : i + 2], 16) for i in (1, 3, 5))


def fate_png(surface, fmap, minima, size: int = 600) -> bytes:
    """The fate map as a PNG: the contour picture with each cell tinted by its fate."""
    xs, ys = fmap.xs, fmap.ys
    dx, dy = (xs[1] - xs[0]) if len(xs) > 1 else 1.0, (ys[1] - ys[0]) if len(ys) > 1 else 1.0
    view = ((xs[0] - dx / 2, xs[-1] + dx / 2), (ys[0] - dy / 2, ys[-1] + dy / 2))
    base, _ = render_image(surface, view, size, size)
    cat, scale, _ = _categories(fmap.grid("fate"), len(minima))
    palette = np.array([_hex(scale[2 * i][1]) for i in range(len(scale) // 2)], dtype=float)
    cells = palette[cat.astype(int)]  # (H, W, 3), row 0 = lowest y
    tint = np.asarray(Image.fromarray(np.flipud(cells).astype(np.uint8), "RGB").resize((size, size), Image.NEAREST), dtype=float)
    under = np.asarray(base.convert("RGB"), dtype=float)
    out = (0.45 * under + 0.55 * tint).round().astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(out, "RGB").save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def sweep_png(sw, size: int = 600) -> bytes:
    """The sweep as a PNG: final loss (log) in Viridis, diverged cells red."""
    from .background import _palette
    fate = sw.grid("fate")
    with np.errstate(all="ignore"):
        z = np.log10(np.abs(sw.grid("loss")) + 1e-300)
    ok = (fate != DIVERGED) & np.isfinite(z)
    lo, hi = (float(z[ok].min()), float(z[ok].max())) if ok.any() else (0.0, 1.0)
    u = np.nan_to_num(np.clip((z - lo) / (hi - lo if hi > lo else 1.0), 0, 1))
    colours = _palette(64)[np.where(ok, (u * 63).astype(int), 0)]
    colours[~ok] = _hex(DIVERGED_COLOUR)
    img = Image.fromarray(np.flipud(colours).astype(np.uint8), "RGB").resize((size, size), Image.NEAREST)
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()
