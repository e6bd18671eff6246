"""The surface as a fixed background picture: filled contour bands plus darker contour lines,
rendered with NumPy and Pillow into a PNG.

Why a picture and not a `go.Contour` trace: plotly.js blanks contour and heatmap traces while
animation frames play (plotly.js #4596, #4491), with redraw=False and redraw=True alike. A
layout image is not a trace, so no frame touches it. Banded colours also compress well (a
480×400 PNG is tens of kB).

Colour scale: where the values in view span more than three decades (Rosenbrock, the lecture's
regression loss), levels are spaced evenly in log10(f − f_min + δ), so the valley floor keeps
as many bands as the walls. Points where f is not finite are transparent: gaps, not errors.
"""
from __future__ import annotations

import base64
import functools
import io
from dataclasses import dataclass

import numpy as np
from PIL import Image
from plotly.colors import sequential

from surfaces import Surface

LEVELS = 28
LINE_DARKEN = 0.72


@dataclass(frozen=True)
class ColourScale:
    """How loss values map to colours: log10(f − floor + delta) when `log`, else f."""
    log: bool
    floor: float
    delta: float
    lo: float  # transformed value at the bottom of the scale
    hi: float

    def transform(self, f):
        f = np.asarray(f, dtype=float)
        if not self.log:
            return f
        with np.errstate(all="ignore"):
            return np.log10(np.maximum(f - self.floor, 0.0) + self.delta)


def colour_scale(values: np.ndarray, known_min: float | None = None) -> ColourScale:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return ColourScale(False, 0.0, 1.0, 0.0, 1.0)
    lo, hi = float(finite.min()), float(finite.max())
    floor = min(lo, known_min) if known_min is not None and np.isfinite(known_min) else lo
    span = hi - floor
    if span <= 0:
        return ColourScale(False, floor, 1.0, lo, lo + 1.0)
    above = finite - floor
    positive = above[above > 0]
    spread = span / max(float(np.percentile(positive, 1)) if positive.size else span, span * 1e-12)
    if spread > 1e3:
        delta = span * 1e-6
        scale = ColourScale(True, floor, delta, 0.0, 1.0)
        t = scale.transform(finite)
        return ColourScale(True, floor, delta, float(t.min()), float(t.max()))
    return ColourScale(False, floor, 1.0, lo, hi)


def _palette(n: int) -> np.ndarray:
    """n RGB colours interpolated along Viridis."""
    stops = np.array([[int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in sequential.Viridis], dtype=float)
    pos = np.linspace(0, 1, len(stops))
    q = np.linspace(0, 1, n)
    return np.stack([np.interp(q, pos, stops[:, k]) for k in range(3)], axis=1)


def grid_values(surface: Surface, view, width: int, height: int):
    (x0, x1), (y0, y1) = view
    xs, ys = np.linspace(x0, x1, width), np.linspace(y0, y1, height)
    X, Y = np.meshgrid(xs, ys)
    with np.errstate(all="ignore"):
        Z = surface.value(X, Y)
    return xs, ys, Z


def render_png(surface: Surface, view, width: int = 480, height: int = 400, levels: int = LEVELS):
    """(PNG bytes, ColourScale) for the surface over view = ((x0, x1), (y0, y1)).
    Cached: a class on the same surface and view (the default) shares one picture."""
    (x0, x1), (y0, y1) = view
    return _render_png(surface, ((float(x0), float(x1)), (float(y0), float(y1))), int(width), int(height), int(levels))


@functools.lru_cache(maxsize=64)  # bounded: 64 pictures of ~5–40 kB
def _render_png(surface: Surface, view, width: int, height: int, levels: int):
    image, scale = render_image(surface, view, width, height, levels)
    buf = io.BytesIO()
    image.save(buf, format="PNG")  # optimize=True saves ~20% of 5 kB for 4× the time
    return buf.getvalue(), scale


def render_image(surface: Surface, view, width: int, height: int, levels: int = LEVELS):
    """(RGBA PIL image, ColourScale): banded colours, darker contour lines, non-finite transparent."""
    _, _, Z = grid_values(surface, view, width, height)
    known = min((p.value for p in surface.minima), default=None)
    scale = colour_scale(Z, known)
    T = scale.transform(Z)
    finite = np.isfinite(T)
    band = np.zeros(Z.shape, dtype=int)
    if scale.hi > scale.lo:
        band[finite] = np.clip(((T[finite] - scale.lo) / (scale.hi - scale.lo) * levels).astype(int), 0, levels - 1)
    rgb = _palette(levels)[band]
    # A contour line wherever the band changes to the right or below.
    edge = np.zeros(Z.shape, dtype=bool)
    edge[:, :-1] |= band[:, :-1] != band[:, 1:]
    edge[:-1, :] |= band[:-1, :] != band[1:, :]
    rgb[edge] *= LINE_DARKEN
    rgba = np.concatenate([rgb, np.where(finite, 255.0, 0.0)[..., None]], axis=2)
    return Image.fromarray(np.flipud(rgba).round().astype(np.uint8), "RGBA"), scale  # row 0 = top = y1


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
