"""The animated map: the surface as a fixed background image, every run's path, and frames
that move only small SVG traces (one "tail + current point" per run).

Payload stays small because each run's whole path is drawn once (faint, thinned to ≤ 3,000
points) and every frame carries only the last few positions of each run, not the path so far.
"""
from __future__ import annotations

import io

import numpy as np
import plotly.graph_objects as go
from PIL import Image

from i18n import ENGLISH
from surfaces import Surface

from .background import ColourScale, data_uri, render_png
from .numbers import count, sig
from .rawfig import RawFigure
from .sampling import MAX_FRAMES, frame_steps, path_indices
from .stepfig import clip_to_view
from .text import plotly_text

PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#F0E442", "#000000"]  # Okabe–Ito
FRAME_MS = 40  # 1× speed: 25 frames per second
SPEEDS = (("▶ ½×", 2.0), ("▶ 2×", 0.5), ("▶ 4×", 0.25))
TAIL = 10  # frames of history drawn bright behind the current point
HOVER_GRID = 61  # cells per side of the invisible heatmap that tells the loss under the mouse
HOVER_TRACE = 1  # its index among the figure's traces (after the colour-bar trace)


LEAVING = 3.0  # a diverging run counts for the fitted view only while it is within this × the window


def _inside(points: np.ndarray, view) -> np.ndarray:
    (x0, x1), (y0, y1) = view
    return (points[:, 0] >= x0) & (points[:, 0] <= x1) & (points[:, 1] >= y0) & (points[:, 1] <= y1)


def _scaled(view, factor: float):
    return tuple(((a + b) / 2 - factor * (b - a) / 2, (a + b) / 2 + factor * (b - a) / 2) for a, b in view)


def fitted_part(result, window) -> np.ndarray:
    """The points of a run that the fitted view shows: all of a run that converges or wanders; of a
    diverging run, only its points before it first leaves LEAVING × the window (on its way to
    infinity, its last finite points would shrink every other path to a dot)."""
    p = result.points[np.all(np.isfinite(result.points), axis=1)] if len(result.points) else result.points
    if result.diverged_at is not None and len(p):
        out = np.flatnonzero(~_inside(p, _scaled(window, LEAVING)))
        p = p[: out[0]] if len(out) else p
    return p


def fit_view(surface: Surface, results, margin: float = 0.06, limit: float = 10.0):
    """A view containing the surface window and every path (a diverging one up to where it leaves,
    fitted_part), at most `limit`× the window."""
    (x0, x1), (y0, y1) = surface.domain
    xs, ys = [x0, x1], [y0, y1]
    for r in results:
        p = fitted_part(r, surface.domain)
        if len(p):
            xs += [float(p[:, 0].min()), float(p[:, 0].max())]
            ys += [float(p[:, 1].min()), float(p[:, 1].max())]
    wx, wy = (x1 - x0) * limit, (y1 - y0) * limit
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    a, b = max(min(xs), cx - wx / 2), min(max(xs), cx + wx / 2)
    c, d = max(min(ys), cy - wy / 2), min(max(ys), cy + wy / 2)
    mx, my = (b - a) * margin, (d - c) * margin
    return (a - mx, b + mx), (c - my, d + my)


def exit_point(points: np.ndarray, view):
    """(t, the point on the view's edge where the step t−1 → t crosses it) for the first point t
    of a path outside the view; None if the path stays inside or starts outside. `points` are
    finite (a diverged run's path ends at its last finite point)."""
    inside = _inside(points, view)
    if len(points) < 2 or not inside[0] or inside.all():
        return None
    t = int(np.argmin(inside))
    return t, clip_to_view(points[t - 1], points[t], view)[0]


def animation_note(meta: dict, tr=ENGLISH) -> str:
    """The caption under the map: how its frames relate to the run's steps (meta: map_figure's)."""
    frames, steps = meta["frames"], meta["steps"]
    if not meta["subsampled"]:
        return tr.plural(steps, "Animation: one frame per step (1 step).", "Animation: one frame per step ({steps} steps).",
                         steps=count(steps))
    every = steps / (frames - 1)
    if every < 1.5:
        return tr("Animation: {frames} frames for {steps} steps, nearly one frame per step; the faint line is the whole path.",
                  frames=count(frames), steps=count(steps))
    return tr("Animation: {frames} frames for {steps} steps, one frame about every {every} steps; the faint line is the "
              "whole path.", frames=count(frames), steps=count(steps), every=sig(every, 2))


def _fmt(v: float) -> str:
    return f"{v:.3g}" if abs(v) < 1e4 else f"{v:.2e}"


def casing_colour(colour: str) -> str:
    """The outline drawn under a path line. No colour reaches 3:1 (WCAG's non-text contrast)
    against every shade of the viridis map, so each line gets a casing it does reach 3:1 against
    (near-black; white for a colour darker than that), and the casing stands out where the line
    would not."""
    return "#ffffff" if relative_luminance(colour) < 0.2 else "#111111"  # ≥ 4.2:1 either way


def relative_luminance(colour: str) -> float:
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    la, lb = sorted((relative_luminance(a), relative_luminance(b)))
    return (lb + 0.05) / (la + 0.05)


def _casing(x, y, colour: str, width: float, group: str, opacity: float = 1.0) -> go.Scatter:
    return go.Scatter(x=x, y=y, mode="lines", legendgroup=group, showlegend=False, hoverinfo="skip", name="casing",
                      line=dict(color=casing_colour(colour), width=width + 2), opacity=opacity)


def _colourbar_trace(scale: ColourScale, tr=ENGLISH) -> go.Scatter:
    """An invisible marker that only draws the colour bar for the background picture. On a log
    scale the ticks sit where loss − min = 10^k."""
    if scale.log:
        ks = np.arange(np.ceil(scale.lo), np.floor(scale.hi) + 1)
        ks = ks[:: max(1, int(np.ceil(len(ks) / 7)))]
        ticks, text, title = ks, [f"10<sup>{int(k)}</sup>" for k in ks], tr("loss − min<br>(log)")
    else:
        ticks = np.linspace(scale.lo, scale.hi, 6)
        text, title = [_fmt(float(t)) for t in ticks], tr("loss")
    return go.Scatter(x=[None], y=[None], mode="markers", hoverinfo="skip", showlegend=False, name="scale",
                      marker=dict(colorscale="Viridis", cmin=scale.lo, cmax=scale.hi, color=[scale.lo], showscale=True,
                                  colorbar=dict(title=dict(text=title, side="top"), tickvals=ticks, ticktext=text,
                                                thickness=12, len=0.9)))


def _hover_grid(surface: Surface, view, tr=ENGLISH) -> go.Heatmap:
    """An invisible heatmap over the map: hovering anywhere tells the place and its loss (one
    image for plotly.js to draw, where a grid of invisible points was 1,681 SVG nodes). A click
    anywhere on the map is read by the page's player itself (ui/player.js)."""
    (x0, x1), (y0, y1) = view
    xs, ys = np.linspace(x0, x1, HOVER_GRID), np.linspace(y0, y1, HOVER_GRID)
    with np.errstate(all="ignore"):
        Z = surface.value(*np.meshgrid(xs, ys))
    Z = np.where(np.isfinite(Z), Z, np.nan)
    a, b = surface.axis_names
    return go.Heatmap(x=xs, y=ys, z=Z, opacity=0, showscale=False, hoverongaps=False, name=tr("click to start here"),
                      colorscale=[[0, "white"], [1, "white"]],
                      hovertemplate=f"{a} = %{{x:.4g}}<br>{b} = %{{y:.4g}}<br>{tr('loss')} = %{{z:.5g}}<br>{tr('click: start here')}<extra></extra>")


def _draw_bundle(fig, main, bundle, colour, k, tr):
    for points in bundle.paths:
        fig.add_trace(go.Scatter(x=points[:, 0], y=points[:, 1], mode="lines", showlegend=False, hoverinfo="skip",
                                 line=dict(color=colour, width=1 * k), opacity=0.3))
    keep = path_indices(bundle.mean)
    seeds = tr("mean of {n} seeds", n=bundle.seeds)
    fig.add_trace(go.Scatter(x=bundle.mean[keep, 0], y=bundle.mean[keep, 1], mode="lines", showlegend=False,
                             name=seeds, line=dict(color=colour, width=3.5 * k, dash="dot"),
                             hovertemplate=f"{plotly_text(main.label)}: {seeds}<extra></extra>"))


LENS_COLOURS = {"near": "#FFB000", "unstable": "#D00000"}  # amber, red: under each path, thick


def lens_segments(result, surface, most: int = 3000) -> dict[str, np.ndarray]:
    """The map's stability layer for one run: per class ("near": stability in [NEAR_EDGE, 1],
    "unstable": above 1), the segments of the path whose updates are in it, as (x, y) rows with NaN
    rows between segments. Long runs are thinned to at most `most` segments, each taking the
    largest stability of the updates it covers."""
    from experiments.stability import NEAR_EDGE, stability_of
    if result.effective_lr is None or result.steps_taken == 0:
        return {}
    ratio = stability_of(surface, result).stability
    if ratio is None:
        return {}
    n = min(len(ratio), len(result.points) - 1)
    edges = np.unique(np.linspace(0, n, min(n, most) + 1).round().astype(int))
    peak = np.maximum.reduceat(np.nan_to_num(ratio[:n], nan=0.0), edges[:-1]) if n else np.array([])
    out = {}
    for name, pick in (("near", (peak >= NEAR_EDGE) & (peak <= 1)), ("unstable", peak > 1)):
        starts, ends = edges[:-1][pick], edges[1:][pick]
        if len(starts):
            rows = np.full((3 * len(starts), 2), np.nan)
            rows[0::3], rows[1::3] = result.points[starts], result.points[ends]
            out[name] = rows
    return out


def _stability_layer(fig, surface, result, group: str, k: float, tr) -> None:
    names = {"near": tr("near the edge of stability (0.8–1)"), "unstable": tr("unstable (stability above 1)")}
    for name, rows in lens_segments(result, surface).items():
        fig.add_trace(go.Scatter(x=rows[:, 0], y=rows[:, 1], mode="lines", legendgroup=group, showlegend=False,
                                 name=names[name], line=dict(color=LENS_COLOURS[name], width=7 * k), opacity=0.75,
                                 hovertemplate=f"{plotly_text(result.label)}: {names[name]}<extra></extra>"))


def map_figure(surface: Surface, results, colours=None, view=None, max_frames: int = MAX_FRAMES,
               height: int = 620, png_size=(480, 400), tr=ENGLISH, large: bool = False, bundles=None,
               inset: int = 0, lens: bool = False) -> go.Figure:
    """The contour map with every run animated together. `results`: engine RunResults.
    large: presentation mode (big fonts, markers and lines for a projector).
    bundles: {run index: scenario.Bundle of the same run's other noise seeds}: drawn as faint
    paths with the mean path over all the seeds in bold (a static layer, not animated).
    inset: > 0 draws, in the map's corner, the coordinate that moves most against the step t for the
    first `inset` steps (a bounce across a narrow valley is a line on the map, a zig-zag here).
    lens: each path's updates coloured by their stability (experiments/stability.py) under the
    path: amber near the edge, red unstable (a static layer)."""
    k = 1.6 if large else 1.0  # size factor
    view = view or surface.domain
    colours = colours or [PALETTE[i % len(PALETTE)] for i in range(len(results))]
    (x0, x1), (y0, y1) = view
    png, scale = render_png(surface, view, *png_size)
    a_name, b_name = surface.axis_names

    fig = RawFigure()  # frames, buttons and slider as plain dicts (views/rawfig.py)
    fig.add_layout_image(source=data_uri(png), xref="x", yref="y", x=x0, y=y1, sizex=x1 - x0, sizey=y1 - y0,
                         sizing="stretch", layer="below", opacity=1.0)
    fig.add_trace(_colourbar_trace(scale, tr))
    fig.add_trace(_hover_grid(surface, view, tr))
    for p in surface.critical_points:
        is_min = "minimum" in p.kind
        kind = tr(p.kind) + (" " + tr("(estimate)") if surface.estimated else "")
        fig.add_trace(go.Scatter(x=[p.x], y=[p.y], mode="markers", showlegend=False, name=kind,
                                 marker=dict(symbol="star" if is_min else "diamond", size=(15 if is_min else 11) * k, color="white",
                                             line=dict(color="black", width=1.2)),
                                 hovertemplate=f"{kind}<br>({p.x:.6g}, {p.y:.6g})<br>loss = {p.value:.6g}<extra></extra>"))

    for i, bundle in (bundles or {}).items():
        _draw_bundle(fig, results[i], bundle, colours[i], k, tr)
    n_steps = max((r.steps_taken for r in results), default=0)
    n_steps = max(n_steps, max((len(r.points) - 1 for r in results), default=0))
    shown = frame_steps(n_steps, max_frames)
    animated = []
    for i, r in enumerate(results):
        c = colours[i]
        pts = r.points
        group = f"run{i}"
        if len(pts) == 0:
            continue
        keep = path_indices(pts)
        if lens:  # under the path, so that its own colour stays on top
            _stability_layer(fig, surface, r, group, k, tr)
        # the whole path, fainter than the moving tail: thinner, its casing half transparent, the
        # line itself nearly opaque (a transparent line over its casing loses its colour)
        fig.add_trace(_casing(pts[keep, 0], pts[keep, 1], c, 1.5 * k, group, opacity=0.45))
        fig.add_trace(go.Scatter(x=pts[keep, 0], y=pts[keep, 1], mode="lines", legendgroup=group, showlegend=False,
                                 line=dict(color=c, width=1.5 * k), opacity=0.85, name=plotly_text(r.label), customdata=keep,
                                 hovertemplate=f"{plotly_text(r.label)}<br>{tr('step')} %{{customdata}}<br>{a_name} = %{{x:.5g}}<br>{b_name} = %{{y:.5g}}<extra></extra>"))
        fig.add_trace(go.Scatter(x=[pts[0, 0]], y=[pts[0, 1]], mode="markers", legendgroup=group, showlegend=False,
                                 marker=dict(symbol="circle-open", size=12 * k, color=c, line=dict(width=2.5 * k)),
                                 hovertemplate=f"{plotly_text(r.label)}: {tr('start')}<extra></extra>"))
        left = exit_point(pts, view) if r.diverged_at is not None else None
        if left is not None and not _inside(pts[-1:], view)[0]:  # its ✕ is off the map: say where it went
            step, (ex, ey) = left
            fig.add_annotation(x=ex, y=ey, ax=ex + 0.3 * ((x0 + x1) / 2 - ex), ay=ey + 0.3 * ((y0 + y1) / 2 - ey), axref="x", ayref="y",
                               text="✕ " + tr("left the view at step {step}; diverged at step {last}", step=step, last=r.diverged_at),
                               showarrow=True, arrowhead=2, arrowcolor="#D00000", arrowwidth=2, standoff=2, startstandoff=0,
                               bgcolor="rgba(255,255,255,0.9)", bordercolor="#D00000", font=dict(color="#A00000", size=round(12 * k)))
        if r.diverged_at is not None:
            fig.add_trace(go.Scatter(x=[pts[-1, 0]], y=[pts[-1, 1]], mode="markers+text", legendgroup=group, showlegend=False,
                                     marker=dict(symbol="x", size=16 * k, color="#D00000", line=dict(color="white", width=1.5)),
                                     text=[tr("diverged at step {step}", step=r.diverged_at)], textposition="top center",
                                     textfont=dict(color="white", size=12 * k),
                                     hovertemplate=f"{plotly_text(r.label)}: {r.reason}<extra></extra>"))
        else:
            fig.add_trace(go.Scatter(x=[pts[-1, 0]], y=[pts[-1, 1]], mode="markers", legendgroup=group, showlegend=False,
                                     marker=dict(symbol="square", size=10 * k, color=c, line=dict(color="white", width=1.5)),
                                     hovertemplate=f"{plotly_text(r.label)}: {tr('end, loss =')} {r.loss[-1]:.6g}<extra></extra>"))
        animated.append((i, r, c, group))

    if lens:  # the layer's two colours in the legend
        for name, text in (("near", tr("near the edge of stability (0.8–1)")), ("unstable", tr("unstable (stability above 1)"))):
            fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name=text, showlegend=True, hoverinfo="skip",
                                     line=dict(color=LENS_COLOURS[name], width=7 * k)))
    first_animated = len(fig.data)
    tails = [Tail(r.points, shown, 14 * k) for _, r, _, _ in animated]
    for (_, r, c, group), tail in zip(animated, tails):
        x, y, sizes = tail.frame(0)
        fig.add_trace(_casing(x, y, c, 3 * k, group))
        fig.add_trace(go.Scatter(x=x, y=y, mode="lines+markers", name=plotly_text(r.label), legendgroup=group,
                                 line=dict(color=c, width=3 * k), marker=dict(size=sizes, color=c, line=dict(color="white", width=2)),
                                 hovertemplate=f"{plotly_text(r.label)}<br>{a_name} = %{{x:.5g}}<br>{b_name} = %{{y:.5g}}<extra></extra>"))
    moving = list(range(first_animated, first_animated + 2 * len(animated)))  # each tail: its casing, then itself

    # Frames as plain dicts of Python lists, added without plotly.py's validation: 300 validated
    # go.Frame objects take ~1.5 s to build; these are list slices (they hold x, y, marker sizes).
    # Made only when an export asks (fig.raw_frames): the page's player makes its own from fig.player.
    def frames():
        out = []
        for j in range(len(shown)):
            data = []
            for tail in tails:
                x, y, sizes = tail.frame(j)
                data += [{"type": "scatter", "x": x, "y": y}, {"type": "scatter", "x": x, "y": y, "marker": {"size": sizes}}]
            out.append({"data": data, "traces": moving, "name": str(j)})
        return out

    def play(duration):
        return dict(label="", method="animate",
                    args=[None, dict(frame=dict(duration=duration, redraw=False), transition=dict(duration=0),
                                     fromcurrent=True, mode="immediate")])

    buttons = [dict(play(FRAME_MS), label=tr("▶ Play")),
               dict(label=tr("❚❚ Pause"), method="animate",
                    args=[[None], dict(frame=dict(duration=0, redraw=False), transition=dict(duration=0), mode="immediate")])]
    buttons += [dict(play(round(FRAME_MS * f)), label=label) for label, f in SPEEDS]

    # Jumps (slider, |◀, ▶|) redraw fully. Besides being one frame each, this repairs a plotly.js
    # bug: after a redraw=False animation, a click-select on the map throws (a moved trace has no
    # DOM node in its calcdata), so clicks to set the start only work again after a redraw.
    def jump(j):
        return [[str(j)], dict(mode="immediate", frame=dict(duration=0, redraw=True), transition=dict(duration=0))]

    buttons += [dict(label=tr("|◀ Start"), method="animate", args=jump(0)),
                dict(label=tr("End ▶|"), method="animate", args=jump(len(shown) - 1))]
    slider_steps = [dict(method="animate", label=f"{s:,}", args=jump(j)) for j, s in enumerate(shown)]
    subsampled = n_steps + 1 > len(shown)
    at_step = tr("step {n}").split("{n}")  # "step 40", "第 40 步": the player's readout says the same
    fig.update_layout(
        height=height, margin=dict(l=60, r=20, t=40, b=240 if large else 95), hovermode="closest", dragmode="pan",
        font=dict(size=round(12 * k)),
        xaxis=dict(range=[x0, x1], title=a_name, showgrid=False, zeroline=False, constrain="domain"),
        yaxis=dict(range=[y0, y1], title=b_name, showgrid=False, zeroline=False),
        legend=dict(orientation="h", yanchor="bottom", y=1.01, x=0),
        plot_bgcolor="#dddddd",
        meta=dict(frames=len(shown), steps=n_steps, subsampled=subsampled),
    )
    if inset:
        _add_inset(fig, surface, results, colours, inset, tr, k)
    fig.frames_of = frames
    fig.player = dict(moving=moving, steps=shown.tolist(), tail=TAIL, frame_ms=FRAME_MS,
                      tails=[dict(x=t.x, y=t.y, stop=t.stop, size=t.size) for t in tails])
    fig.raw_layout = dict(
        updatemenus=[dict(type="buttons", direction="left", showactive=False, x=0, y=-0.2 if large else -0.13, xanchor="left",
                          yanchor="top", pad=dict(t=0, r=6), buttons=buttons)],
        # Large: buttons on one row, the slider under them at full width.
        sliders=[dict(active=0, steps=slider_steps, x=0 if large else 0.42, len=1 if large else 0.58, y=-0.3 if large else -0.09,
                      yanchor="top", pad=dict(t=10, b=0),
                      currentvalue=dict(prefix=at_step[0], suffix=at_step[1], font=dict(size=round(13 * k))), transition=dict(duration=0))])
    return fig


def _png(image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


INSET_X, INSET_Y = (0.30, 0.64), (0.68, 0.93)  # the inset's place: top middle, above the valley, off the star and the start
WHITE = data_uri(_png(Image.new("RGB", (1, 1), "white")))


def _add_inset(fig, surface: Surface, results, colours, steps: int, tr, k: float) -> None:
    """The coordinate that moves most (relative to the window) against t = 0..steps, every run."""
    (x0, x1), (y0, y1) = surface.domain
    size = np.array([x1 - x0, y1 - y0])
    heads = [r.points[: steps + 1] for r in results if len(r.points)]
    if not heads:
        return
    spread = np.max([np.ptp(h, axis=0) / size for h in heads], axis=0)
    axis = int(np.argmax(spread))
    name = surface.axis_names[axis]
    # A white card under the inset: a picture in the inset's subplot (a filled shape would be drawn
    # either under the map's picture or over the inset's lines), its frame a shape on top.
    (px0, px1), (py0, py1) = (INSET_X[0] - 0.05, INSET_X[1] + 0.035), (INSET_Y[0] - 0.09, INSET_Y[1] + 0.065)
    wx, wy = INSET_X[1] - INSET_X[0], INSET_Y[1] - INSET_Y[0]  # in the inset's own layer: over the map, under its lines
    fig.add_layout_image(source=WHITE, xref="x2 domain", yref="y2 domain", x=(px0 - INSET_X[0]) / wx, y=(py1 - INSET_Y[0]) / wy,
                         sizex=(px1 - px0) / wx, sizey=(py1 - py0) / wy, sizing="stretch", layer="below", opacity=0.92)
    fig.add_shape(type="rect", xref="paper", yref="paper", x0=px0, x1=px1, y0=py0, y1=py1, line=dict(color="#444444", width=1))
    for m in surface.global_minima[:1]:
        fig.add_trace(go.Scatter(x=[0, steps], y=[(m.x, m.y)[axis]] * 2, xaxis="x2", yaxis="y2", mode="lines", showlegend=False,
                                 line=dict(color="#444444", width=1, dash="dot"), hoverinfo="skip"))
    for r, c in zip(results, colours):
        head = r.points[: steps + 1, axis]
        fig.add_trace(go.Scatter(x=np.arange(len(head)), y=head, xaxis="x2", yaxis="y2", mode="lines+markers", showlegend=False,
                                 line=dict(color=c, width=1.5 * k), marker=dict(size=4 * k, color=c),
                                 hovertemplate=f"{plotly_text(r.label)}<br>{tr('step')} %{{x}}<br>{name} = %{{y:.5g}}<extra></extra>"))
    fig.update_layout(
        plot_bgcolor="rgba(0,0,0,0)",  # with a second subplot plotly draws the background over the map's picture
        xaxis2=dict(domain=list(INSET_X), anchor="y2", range=[0, steps], showgrid=False, zeroline=False,
                    title=dict(text=tr("step t"), standoff=2), tickfont=dict(size=round(10 * k))),
        yaxis2=dict(domain=list(INSET_Y), anchor="x2", showgrid=False, zeroline=False, nticks=4, tickfont=dict(size=round(10 * k))))
    fig.add_annotation(xref="paper", yref="paper", x=px0 + 0.005, y=py1 - 0.005, xanchor="left", yanchor="top",
                       showarrow=False, font=dict(size=round(12 * k), color="#222222"),
                       text=tr("{axis} against step t, the first {n} steps (dotted: the minimum)", axis=name, n=steps))


class Tail:
    """The last TAIL frame positions up to frame k (clipped to the run's last point), the current
    point drawn large. Runs that stopped early (diverged) stay at their last point, drawn once.

    The shown positions are looked up once per run as Python lists; each frame is then two list
    slices (a NumPy call per frame and run cost ~8% of a busy classroom server's time)."""

    def __init__(self, points: np.ndarray, shown: np.ndarray, size: float = 14):
        last = len(points) - 1
        at = points[np.minimum(shown, last)]
        self.x, self.y = at[:, 0].tolist(), at[:, 1].tolist()
        # shown rises strictly, so the clipped (repeated) positions are a suffix: keep its first
        self.stop = int(np.searchsorted(shown, last))
        self.size = size

    def frame(self, k: int):
        end = min(k, self.stop) + 1
        start = min(max(0, k - TAIL), end - 1)
        n = end - start
        return self.x[start:end], self.y[start:end], [0.0] * (n - 1) + [self.size]
