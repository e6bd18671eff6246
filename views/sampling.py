"""Thinning long runs for the browser without hiding what matters (bursts, spikes).

A 100,000-step run has 100,001 points; a figure carries a few thousand. Paths keep points evenly
spaced in *steps* and evenly spaced in *distance travelled*, so a burst (few steps, long way)
keeps its shape. Curves keep each bucket's minimum and maximum, so a one-step spike survives.
"""
from __future__ import annotations

import numpy as np

MAX_FRAMES = 300


def frame_steps(n_steps: int, max_frames: int = MAX_FRAMES) -> np.ndarray:
    """The step index shown in each animation frame: 0 … n_steps, at most max_frames of them."""
    count = min(max_frames, n_steps + 1)
    if count <= 1:
        return np.zeros(1, dtype=int)
    return np.unique(np.round(np.linspace(0, n_steps, count)).astype(int))


def path_indices(points: np.ndarray, max_points: int = 3000) -> np.ndarray:
    """Indices of the points to draw: all if few, else half even in steps, half even in arc length."""
    n = len(points)
    if n <= max_points:
        return np.arange(n)
    half = max_points // 2
    by_step = np.round(np.linspace(0, n - 1, half)).astype(int)
    seg = np.linalg.norm(np.diff(points, axis=0), axis=1)
    seg = np.where(np.isfinite(seg), seg, 0.0)
    arc = np.concatenate([[0.0], np.cumsum(seg)])
    if arc[-1] > 0:
        by_arc = np.searchsorted(arc, np.linspace(0, arc[-1], half)).clip(0, n - 1)
    else:
        by_arc = by_step
    return np.unique(np.concatenate([by_step, by_arc, [n - 1]]))


def curve_indices(values: np.ndarray, max_points: int = 2000) -> np.ndarray:
    """Indices keeping each bucket's min and max (NaN-aware), and the first and last."""
    n = len(values)
    if n <= max_points:
        return np.arange(n)
    buckets = max_points // 2
    size = -(-n // buckets)
    v = np.full(buckets * size, np.nan)
    v[:n] = np.where(np.isfinite(values), values, np.nan)
    v = v.reshape(buckets, size)
    empty = np.all(np.isnan(v), axis=1)
    v[empty, 0] = 0.0  # nanargmin needs one number per row; these rows add index a (a gap)
    base = np.arange(buckets) * size
    keep = np.concatenate([[0, n - 1], base + np.nanargmin(v, axis=1), base + np.nanargmax(v, axis=1)])
    return np.unique(keep[keep < n])
