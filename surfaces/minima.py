"""Estimated minima of a surface in a window: multi-start damped Newton, then a local check.

For typed formulas there is no list of known minima, so the page shows estimates, marked as such.
From a grid of starts, each row takes Levenberg–Marquardt steps p = −(H + λI)⁻¹ g (all rows as one
array; λ shrinks after a step that lowers f and grows after one that does not, so far from a
minimum it is a short gradient step and near one it is Newton's quadratic convergence). Without
a Hessian (H = 0) the same loop is gradient descent with an adaptive step. A row counts as a
minimum when it ends inside the window, finite, and no lower than 8 points around it; minima
closer than 0.1% of the window's diagonal are one.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .base import GLOBAL_MIN, LOCAL_MIN, CriticalPoint

# (x, y) arrays → f, gx, gy, hxx, hxy, hyy (the last three may be 0.0)
Local = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, ...]]
MAX_MINIMA = 30


def estimate_minima(local: Local, domain, grid: int = 12, iterations: int = 300) -> tuple[CriticalPoint, ...]:
    (x0, x1), (y0, y1) = domain
    diag = float(np.hypot(x1 - x0, y1 - y0))
    u = (np.arange(grid) + 0.5) / grid
    X, Y = np.meshgrid(x0 + u * (x1 - x0), y0 + u * (y1 - y0))
    x, y = X.ravel(), Y.ravel()
    with np.errstate(all="ignore"):
        f, gx, gy, hxx, hxy, hyy = (np.broadcast_to(v, x.shape).astype(float) for v in local(x, y))
        gnorm = np.hypot(gx, gy)
        lam = 1e-3 * (np.abs(hxx) + np.abs(hyy)) + gnorm / (0.01 * diag) + 1e-12
        for _ in range(iterations):
            a, d = hxx + lam, hyy + lam
            det = a * d - hxy * hxy
            px, py = -(d * gx - hxy * gy) / det, -(a * gy - hxy * gx) / det
            ok = (a > 0) & (det > 0) & np.isfinite(px) & np.isfinite(py) & np.isfinite(f)
            xn, yn = np.where(ok, x + px, x), np.where(ok, y + py, y)
            fn, *rest = (np.broadcast_to(v, x.shape).astype(float) for v in local(xn, yn))
            better = ok & np.isfinite(fn) & (fn <= f) & np.isfinite(rest[0]) & np.isfinite(rest[1])
            moved = better & ((xn != x) | (yn != y))
            x, y = np.where(better, xn, x), np.where(better, yn, y)
            f = np.where(better, fn, f)
            gx, gy, hxx, hxy, hyy = (np.where(better, new, old) for new, old in zip(rest, (gx, gy, hxx, hxy, hyy)))
            lam = np.where(better, lam / 3, lam * 4)
            if not moved.any() and (lam > 1e30).all():
                break
        # Converged: a vanishing gradient, or no step lowers f any more (a kink, or float's limit).
        scale = float(np.median(gnorm[np.isfinite(gnorm)])) if np.isfinite(gnorm).any() else 1.0
        settled = (np.hypot(gx, gy) <= 1e-7 * scale + 1e-300) | (lam > 1e25 * (1 + np.abs(hxx) + np.abs(hyy)))
        return _minima(local, x, y, f, settled, domain, diag)


def _minima(local: Local, x, y, f, settled, domain, diag) -> tuple[CriticalPoint, ...]:
    (x0, x1), (y0, y1) = domain
    slack = 1e-9 * diag
    keep = settled & np.isfinite(f) & (x >= x0 - slack) & (x <= x1 + slack) & (y >= y0 - slack) & (y <= y1 + slack)
    r = 1e-4 * diag
    angles = np.arange(8) * np.pi / 4
    found: list[tuple[float, float, float]] = []
    for i in np.argsort(np.where(keep, f, np.inf)):
        if not keep[i] or len(found) == MAX_MINIMA:
            break
        if any(np.hypot(x[i] - p[0], y[i] - p[1]) < 1e-3 * diag for p in found):
            continue
        around = np.broadcast_to(local(x[i] + r * np.cos(angles), y[i] + r * np.sin(angles))[0], angles.shape)
        if np.all(np.isfinite(around)) and f[i] <= around.min() + 1e-12 * (1 + abs(f[i])):
            found.append((float(x[i]), float(y[i]), float(f[i])))
    if not found:
        return ()
    low = found[0][2]
    tol = 1e-8 * (1 + abs(low))
    return tuple(CriticalPoint(px, py, pv, GLOBAL_MIN if pv <= low + tol else LOCAL_MIN) for px, py, pv in found)
