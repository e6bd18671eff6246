"""What a run did, in numbers: step lengths, bursts, distance to the minima, steps to converge.

NumPy only (no screen): the summary table, the diagnostics figure and the lecture-tour tests all
read these. A *burst* is a step far longer than the run's recent steps — the lecture's "暴衝":
σ has shrunk on a flat floor, η/σ is huge, and the path shoots out sideways.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from optimizers import RunResult
from surfaces import Surface

from .stability import burst_leads, ended_at, stability_of, unstable_stretches

BURST_FACTOR = 10.0  # a burst step is ≥ this many times the recent median step
BURST_WINDOW = 50  # "recent": the previous 50 steps
BURST_MIN_FRACTION = 0.005  # …and at least 0.5% of the view's diagonal (ignore jitter near a minimum)


def step_lengths(points: np.ndarray) -> np.ndarray:
    """‖θ_t − θ_{t−1}‖ for t = 1..k (length k for k+1 points)."""
    if len(points) < 2:
        return np.zeros(0)
    return np.linalg.norm(np.diff(points, axis=0), axis=1)


def recent_median(lengths: np.ndarray, window: int = BURST_WINDOW) -> np.ndarray:
    """Median of the `window` steps before each step (NaN for the first `window` steps, which
    have too little history to judge)."""
    out = np.full(len(lengths), np.nan)
    if len(lengths) > window:
        out[window:] = np.median(sliding_window_view(lengths[:-1], window), axis=1)
    return out


def burst_steps(lengths: np.ndarray, scale: float, factor: float = BURST_FACTOR,
                window: int = BURST_WINDOW) -> np.ndarray:
    """Indices t (0-based step index) of steps ≥ factor × the recent median and ≥ a visible
    fraction of `scale` (the view's diagonal)."""
    med = recent_median(lengths, window)
    with np.errstate(invalid="ignore"):
        hit = (lengths >= factor * med) & (lengths >= BURST_MIN_FRACTION * scale)
    return np.flatnonzero(hit)


def burst_starts(steps: np.ndarray, gap: int = BURST_WINDOW) -> np.ndarray:
    """The first step of each burst. A burst is one event: long steps closer than `gap` steps to
    the previous one belong to it. The summary counts these, the step-through jumps to them and
    the diagnostics mark them, so every place says the same number."""
    steps = np.asarray(steps)
    if len(steps) == 0:
        return steps
    return steps[np.concatenate(([True], np.diff(steps) > gap))]


def bursts(lengths: np.ndarray, scale: float) -> np.ndarray:
    """0-based index of the first step of each burst (see burst_steps and burst_starts)."""
    return burst_starts(burst_steps(lengths, scale))


def view_diagonal(surface: Surface) -> float:
    (x0, x1), (y0, y1) = surface.domain
    return float(np.hypot(x1 - x0, y1 - y0))


def default_tolerance(surface: Surface) -> float:
    """The distance to a minimum that counts as reached, unless the user sets one: 0.1% of the
    window's diagonal, to two significant digits (a number a person can read in the box)."""
    return float(f"{1e-3 * view_diagonal(surface):.2g}")


def nearest_minimum(surface: Surface, point) -> tuple[float, object] | tuple[None, None]:
    """(distance, CriticalPoint) of the closest listed minimum, or (None, None) if none is known."""
    mins = surface.minima
    if not mins or point is None or not np.all(np.isfinite(point)):
        return None, None
    d = [float(np.hypot(point[0] - m.x, point[1] - m.y)) for m in mins]
    i = int(np.argmin(d))
    return d[i], mins[i]


def steps_to_within(surface: Surface, points: np.ndarray, tolerance: float) -> int | None:
    """First step index t at which θ_t is within `tolerance` of a listed minimum (and stays a
    point of the run), or None."""
    mins = surface.minima
    if not mins or len(points) == 0:
        return None
    centres = np.array([[m.x, m.y] for m in mins])
    d = np.min(np.linalg.norm(points[:, None, :] - centres[None], axis=2), axis=1)
    hit = np.flatnonzero(d <= tolerance)
    return int(hit[0]) if len(hit) else None


@dataclass(frozen=True)
class Summary:
    label: str
    final_loss: float | None
    distance: float | None  # to the nearest listed minimum
    nearest: str | None
    steps_to_tolerance: int | None
    diverged_at: int | None
    bursts: int  # burst events (burst_starts)
    longest_step: float | None
    longest_step_at: int | None  # 1-based step number
    unstable_from: tuple[int, ...] = ()  # the first step of each unstable stretch (stability > 1)
    burst_leads: tuple[int | None, ...] = ()  # per burst: steps since its unstable stretch began
    ended_at: str = ""  # minimum / saddle / maximum / not a critical point / flat (experiments.stability)


def summarize(surface: Surface, result: RunResult, tolerance: float | None = None) -> Summary:
    pts = result.points
    scale = view_diagonal(surface)
    tolerance = default_tolerance(surface) if tolerance is None else tolerance
    lengths = step_lengths(pts)
    final = tuple(float(v) for v in pts[-1]) if len(pts) else None
    dist, m = nearest_minimum(surface, final)
    longest = int(np.argmax(lengths)) if len(lengths) else None
    starts = bursts(lengths, scale)
    stretches = []
    if result.effective_lr is not None:
        stretches = unstable_stretches(stability_of(surface, result).stability)
    return Summary(
        label=result.label,
        final_loss=float(result.loss[-1]) if len(result.loss) else None,
        distance=dist,
        nearest=None if m is None else f"({m.x:.4g}, {m.y:.4g})",
        steps_to_tolerance=steps_to_within(surface, pts, tolerance),
        diverged_at=result.diverged_at,
        bursts=len(starts),
        longest_step=None if longest is None else float(lengths[longest]),
        longest_step_at=None if longest is None else longest + 1,
        unstable_from=tuple(a for a, _ in stretches),
        burst_leads=tuple(burst_leads(stretches, starts + 1)),
        ended_at=ended_at(surface, result),
    )
