"""Step through one run: each update built from its parts, drawn at the point where it starts.

`explain_step(result, t)` reads update t (1-based: θ_{t−1} → θ_t) from the engine's record:
g_t, m_t, σ_t, η_t, η_t/σ_t, the plain gradient step −η_t·g_t and the step actually taken, and
whether it is a burst and why. `step_figure` draws it on the map: −η_t·g_t, −η_t·m_t and Δθ as
arrows (one shared length scale, printed; an arrow that would leave the view is cut at its edge
and marked), and σ_t as two bars along x and y (a scale fixed for the whole run, so a shrinking σ
on a flat floor is seen shrinking). Plain functions: results in, numbers or a Figure out.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from experiments.analysis import BURST_WINDOW, burst_steps, bursts, recent_median, step_lengths
from i18n import ENGLISH

from .background import data_uri, render_png
from .latex import num

PLAIN, MOMENTUM, SIGMA = "#E41A1C", "#FFFFFF", "#FF4FD8"  # red, white, magenta: visible on every Viridis band
MIN_ARROW, TARGET_ARROW = 0.05, 0.25  # the step taken, as a fraction of the view: magnify below the first


@dataclass(frozen=True)
class StepExplain:
    t: int  # update number, 1-based
    before: np.ndarray  # θ_{t−1}
    after: np.ndarray  # θ_t
    grad: np.ndarray  # g_t
    lr: float  # η_t
    momentum: np.ndarray | None  # m_t (rules that keep one)
    sigma: np.ndarray | None  # σ_t per coordinate (adaptive rules)
    effective_lr: np.ndarray | None  # η_t/σ_t per coordinate
    plain: np.ndarray  # −η_t·g_t: what plain gradient descent would do here
    step: np.ndarray  # Δθ = θ_t − θ_{t−1}
    burst: bool
    burst_ratio: float | None  # ‖Δθ‖ / median of the 50 steps before
    cause: tuple[str, dict] | None  # why the burst: a template and its values

    @property
    def stretch(self) -> float | None:
        """‖Δθ‖ / ‖−η g‖: how much the rule stretched (> 1) or shrank (< 1) the plain step."""
        p = float(np.linalg.norm(self.plain))
        return float(np.linalg.norm(self.step)) / p if p > 0 else None


CAUSES = {  # the page translates these (i18n)
    "sigma": "along {axis}, |g_t|/σ_t = {ratio}, {jump}× its median over the 50 steps before: σ_t = {sigma} still "
             "reflects the small gradients of the stretch before, so η_t/σ_t = {eff} is large, and a larger gradient "
             "(|g_t| = {grad}) gets that large step size.",
    "grad": "the gradient is large here (‖g_t‖ = {grad}, {ratio}× its median over the 50 steps before): "
            "a fixed learning rate turns it into a long step.",
}


def bursts_of(result, scale: float) -> np.ndarray:
    """1-based update numbers at which the run's bursts begin (analysis.bursts: the summary's count)."""
    return bursts(step_lengths(result.points), scale) + 1


def explain_step(result, t: int, domain, axes: tuple[str, str] = ("x", "y")) -> StepExplain:
    """Update t (1 ≤ t < len(points)) in numbers; domain: the surface's window ((x0, x1), (y0, y1));
    axes: the surface's names for its two coordinates (the explanation says "along w", not "along y")."""
    k = t - 1
    (x0, x1), (y0, y1) = domain
    scale = float(np.hypot(x1 - x0, y1 - y0))
    before, after = result.points[k].copy(), result.points[t].copy()
    g, lr = result.grads[k].copy(), float(result.lr[k])
    m = result.momentum[k].copy() if result.momentum is not None else None
    sigma = result.sigma[k].copy() if result.sigma is not None else None
    eff = np.broadcast_to(np.asarray(result.effective_lr[k], float), (2,)).copy() if sigma is not None else None
    lengths = step_lengths(result.points)
    burst = bool(np.isin(k, burst_steps(lengths, scale)))  # any long step of a burst, not only its first
    median = recent_median(lengths)[k] if len(lengths) > k else np.nan
    ratio = float(lengths[k] / median) if np.isfinite(median) and median > 0 else None
    cause = None
    if burst:
        axis = int(np.argmax(np.abs(after - before) / (x1 - x0, y1 - y0)))  # the direction it shot out in
        cause = _cause(result, k, axis, axes)
    return StepExplain(t, before, after, g, lr, m, sigma, eff, -lr * g, after - before, burst, ratio, cause)


def _cause(result, k: int, i: int, axes: tuple[str, str]):
    g = result.grads[k]
    lo = max(0, k - BURST_WINDOW)
    if result.sigma is not None and result.sigma[k, i] > 0:
        with np.errstate(all="ignore"):
            history = np.abs(result.grads[lo:k, i]) / result.sigma[lo:k, i]
        now = abs(g[i]) / result.sigma[k, i]
        med = float(np.nanmedian(history)) if len(history) and np.isfinite(history).any() else np.nan
        eff = np.broadcast_to(np.asarray(result.effective_lr[k], float), (2,))[i]
        return CAUSES["sigma"], {"axis": axes[i], "ratio": f"{now:.3g}", "jump": f"{now / med:,.0f}" if med > 0 else "—",
                                 "sigma": f"{result.sigma[k, i]:.3g}", "eff": f"{eff:.3g}", "grad": f"{abs(g[i]):.3g}"}
    norms = np.linalg.norm(result.grads[lo:k], axis=1)
    med = float(np.median(norms)) if len(norms) else np.nan
    return CAUSES["grad"], {"grad": f"{np.linalg.norm(g):.3g}",
                            "ratio": f"{np.linalg.norm(g) / med:,.0f}" if med > 0 else "—"}


def arrow_scale(step, view) -> float:
    """One factor for every arrow of a step, set by the step taken: 1, or a round magnification
    when that step is tiny. Arrows that then reach past the view are cut there (clip_to_view)."""
    (x0, x1), (y0, y1) = view
    size = max(abs(step[0]) / (x1 - x0), abs(step[1]) / (y1 - y0)) if np.all(np.isfinite(step)) else 0.0
    if size <= 0 or size >= MIN_ARROW:
        return 1.0
    raw = TARGET_ARROW / size
    base = 10 ** np.floor(np.log10(raw))
    return float(max(m * base for m in (1, 2, 5) if m * base <= raw))  # a round factor: ×2, ×5, ×10, ×1,000 …


def clip_to_view(start, end, view) -> tuple[np.ndarray, bool]:
    """The part of start → end inside the view (start is inside), and whether it was cut."""
    (x0, x1), (y0, y1) = view
    d = end - start
    s = 1.0
    for i, (lo, hi) in enumerate(((x0, x1), (y0, y1))):
        if d[i] > 0 and end[i] > hi:
            s = min(s, (hi - start[i]) / d[i])
        elif d[i] < 0 and end[i] < lo:
            s = min(s, (lo - start[i]) / d[i])
    return start + max(s, 0.0) * d, s < 1.0


def sigma_range(result) -> tuple[np.ndarray, np.ndarray] | None:
    """log10 of the smallest and largest σ of the run, per coordinate: the bars' fixed scale."""
    if result.sigma is None:
        return None
    with np.errstate(all="ignore"):
        logs = np.log10(np.where(result.sigma > 0, result.sigma, np.nan))
    if not np.isfinite(logs).any(axis=0).all():
        return None
    return np.nanmin(logs, axis=0), np.nanmax(logs, axis=0)


def sigma_bar(sigma, span) -> np.ndarray:
    """Half-lengths of the σ bars as fractions of each axis: 3% at the run's smallest σ, 20% at
    its largest, on a log scale (σ spans decades: the lecture's w-σ falls 15× on the floor)."""
    lo, hi = span
    with np.errstate(all="ignore"):
        u = np.where(hi > lo, (np.log10(sigma) - lo) / (hi - lo), 1.0)
    return 0.03 + 0.17 * np.clip(np.nan_to_num(u), 0, 1)


def step_view(surface, result, t, view):
    """The given view, or one fitted to the run when the point lies outside it (a burst)."""
    from .mapfig import fit_view
    (x0, x1), (y0, y1) = view
    p = result.points[t - 1]
    if x0 <= p[0] <= x1 and y0 <= p[1] <= y1:
        return view
    return fit_view(surface, [result])


def step_figure(surface, result, t: int, view, colour: str, tr=ENGLISH, large: bool = False,
                height: int = 560) -> go.Figure:
    k = 1.5 if large else 1.0
    view = step_view(surface, result, t, view)
    (x0, x1), (y0, y1) = view
    ex = explain_step(result, t, surface.domain, surface.axis_names)
    png, _ = render_png(surface, view, 480, 400)
    fig = go.Figure()
    fig.add_layout_image(source=data_uri(png), xref="x", yref="y", x=x0, y=y1, sizex=x1 - x0, sizey=y1 - y0,
                         sizing="stretch", layer="below")
    pts = result.points
    fig.add_trace(go.Scatter(x=pts[:, 0], y=pts[:, 1], mode="lines", line=dict(color=colour, width=1 * k), opacity=0.35,
                             hoverinfo="skip", showlegend=False))
    fig.add_trace(go.Scatter(x=pts[:t, 0], y=pts[:t, 1], mode="lines", line=dict(color=colour, width=2.2 * k),
                             hoverinfo="skip", showlegend=False))
    arrows = [(ex.plain, PLAIN, tr("−η_t·g_t (plain gradient step)"), "plain")]
    if ex.momentum is not None:
        arrows.append((-ex.lr * ex.momentum, MOMENTUM, tr("−η_t·m_t (with momentum)"), "momentum"))
    arrows.append((ex.step, colour, tr("Δθ (the step taken)"), "step"))
    factor = arrow_scale(ex.step, view)
    start = ex.before
    clipped = []
    for vec, col, name, kind in arrows:
        if not np.all(np.isfinite(vec)) or not np.any(vec):
            continue
        end, cut = clip_to_view(start, start + factor * vec, view)
        if cut:
            clipped.append(name)
            fig.add_trace(go.Scatter(x=[end[0]], y=[end[1]], mode="markers", showlegend=False, hoverinfo="skip",
                                     marker=dict(symbol="line-ew", size=18 * k, color=col, line=dict(color=col, width=4))))
        fig.add_annotation(x=end[0], y=end[1], ax=start[0], ay=start[1], xref="x", yref="y", axref="x", ayref="y",
                           showarrow=True, arrowhead=0 if cut else 2, arrowsize=1.1, text="", name=kind,
                           arrowwidth=(3.2 if kind == "step" else 2.2) * k, arrowcolor=col)
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", line=dict(color=col, width=3 * k), name=name))
    span = sigma_range(result)
    if ex.sigma is not None and span is not None:
        hx, hy = sigma_bar(ex.sigma, span) * (x1 - x0, y1 - y0)
        px, py = start
        fig.add_trace(go.Scatter(x=[px - hx, px + hx, None, px, px], y=[py, py, None, py - hy, py + hy], mode="lines",
                                 line=dict(color=SIGMA, width=7 * k), opacity=0.8, name=tr("σ_t along {a} and {b} (bars)", a=surface.axis_names[0], b=surface.axis_names[1]),
                                 hovertemplate=f"σ_x = {ex.sigma[0]:.4g}<br>σ_y = {ex.sigma[1]:.4g}<extra></extra>"))
    fig.add_trace(go.Scatter(x=[start[0]], y=[start[1]], mode="markers", showlegend=False,
                             marker=dict(size=8 * k, color=colour, line=dict(color="white", width=1.5)),
                             hovertemplate=f"θ_{{t−1}} = ({start[0]:.5g}, {start[1]:.5g})<extra></extra>"))
    notes = [tr("arrows drawn to scale") if factor == 1 else tr("arrows magnified ×{factor}", factor=f"{factor:,g}")]
    if clipped:
        notes.append(tr("cut at the edge of the view (flat end): {names}", names=", ".join(clipped)))
    if span is not None and ex.sigma is not None:
        notes.append(tr("σ bars: log scale, from the run's smallest σ (short) to its largest (long), per axis"))
    fig.add_annotation(xref="paper", yref="paper", x=1.0, y=1.01, xanchor="right", yanchor="bottom", showarrow=False,
                       align="right", text="<br>".join(notes), font=dict(size=11 * k, color="#444444"))
    a, b = surface.axis_names
    fig.update_layout(
        height=height, margin=dict(l=60, r=20, t=90, b=50), font=dict(size=13 * k),
        title=dict(x=0.02, xanchor="left", text=tr("Update {t} of {n}", t=f"{t:,}", n=f"{len(result.points) - 1:,}")),
        xaxis=dict(range=[x0, x1], title=a, showgrid=False, zeroline=False),
        yaxis=dict(range=[y0, y1], title=b, showgrid=False, zeroline=False),
        legend=dict(orientation="h", yanchor="top", y=-0.12, x=0, bgcolor="rgba(40,40,40,0.85)", font=dict(color="white")),
        plot_bgcolor="#BBBBBB", meta={"t": t, "factor": factor, "clipped": clipped, "start": [float(v) for v in start]},
    )
    return fig


def panel_latex(ex: StepExplain, axis_names=("x", "y")) -> list[str]:
    """The update written out with this step's numbers, one LaTeX line per quantity."""
    def col(v):
        return r"\begin{pmatrix}" + r"\\ ".join(num(x, 5) for x in v) + r"\end{pmatrix}"
    t = ex.t
    lines = [rf"\theta_{{{t - 1}}} = {col(ex.before)}", rf"g_{{{t}}} = \nabla L(\theta_{{{t - 1}}}) = {col(ex.grad)}"]
    if ex.momentum is not None:
        lines.append(rf"m_{{{t}}} = {col(ex.momentum)}")
    if ex.sigma is not None:
        lines.append(rf"\sigma_{{{t}}} = {col(ex.sigma)}")
    lines.append(rf"\eta_{{{t}}} = {num(ex.lr, 5)}")
    if ex.effective_lr is not None:
        lines.append(rf"\eta_{{{t}}} / \sigma_{{{t}}} = {col(ex.effective_lr)}")
    lines.append(rf"-\eta_{{{t}}}\, g_{{{t}}} = {col(ex.plain)}")
    lines.append(rf"\Delta\theta = \theta_{{{t}}} - \theta_{{{t - 1}}} = {col(ex.step)}")
    return lines


STABILITY_TEXTS = {  # the page translates these (i18n)
    "grows": "The oscillation along {direction} grows ×{factor} per step: S_t/T = {ratio} is above 1, unstable.",
    "shrinks": "The oscillation along {direction} shrinks ×{factor} per step: S_t/T = {ratio} is below 1, stable.",
}


def direction_text(vector, axes: tuple[str, str], tr=ENGLISH) -> str:
    """A unit direction in the surface's axis names: "w", "b", or "(b, w) ∝ (0.71, −0.71)"."""
    v = np.asarray(vector, dtype=float)
    if not np.isfinite(v).all():
        return "—"
    for i in (0, 1):
        if abs(v[i]) >= 0.99:
            return axes[i]
    v = v if v[np.argmax(np.abs(v))] > 0 else -v
    return f"({axes[0]}, {axes[1]}) ∝ ({v[0]:.2f}, {v[1]:.2f})"


def stability_panel(surface, result, lens, t: int, tr=ENGLISH) -> tuple[list[str], str | None]:
    """What the step-through panel says about update t: LaTeX lines (λ_max(H), S_t, T, S_t/T) and
    a sentence on the oscillation along the top direction (None where the rule has no threshold)."""
    from experiments.stability import top_direction
    from optimizers import OPTIMIZERS
    k = t - 1
    lam = float(lens.curvature[k, 1])
    S = float(lens.effective_sharpness[k])
    lines = [rf"\lambda_{{\max}}(H) = {num(lam)},\quad S_t = \lambda_{{\max}}\!\big(\tfrac{{\eta_t}}{{\sigma_t}} H\big) = {num(S)}"]
    if lens.stability is None:
        return lines, None
    ratio, T, r = float(lens.stability[k]), float(lens.threshold[k]), float(lens.growth[k])
    lines.append(rf"T = {num(T)},\quad S_t / T = {num(ratio)}")
    shift = OPTIMIZERS[result.spec.optimizer].hessian_shift(result.spec.params)
    H = surface.hessian(result.points[k])
    direction = direction_text(top_direction(H, result.effective_lr[k], shift), surface.axis_names, tr)
    key = "grows" if ratio > 1 else "shrinks"
    return lines, tr(STABILITY_TEXTS[key], direction=direction, factor=f"{r:.3g}", ratio=f"{ratio:.3g}")
