"""Where a run left the finite world, and why, in words the page translates."""
from __future__ import annotations

import numpy as np

CHUNK = 512  # steps between two looks of a loop at whether every run has left (then it stops)
REASONS = {  # why a run stopped: templates the page translates (i18n)
    "start": "the start point {where} is outside the finite region of the surface",
    "nonfinite": "step {t} left the finite numbers ({where}): the run diverged",
    "bound": "step {t} went past |θ| = {bound} (|θ| = {size}): the run diverged",
    "loss": "step {t} reached a point where the loss is {loss} ({where})",
    "grad": "step {t} reached a point where the gradient is not finite ({where})",
}


def find_divergence(points, loss, grads, bound, first=None):
    """First point index per run whose coordinates are out of bounds or not finite, or whose loss
    or gradient is not finite; -1 for runs that stayed finite. With reasons in words. `first`:
    those indices when the compiled loop found them as it went (then the records are not scanned)."""
    if first is None:
        n = points.shape[0] - 1
        bad = ~(np.abs(points) <= bound).all(axis=2) | ~np.isfinite(loss)  # NaN compares False: bad
        if grads is not None:
            bad[:n] |= ~np.isfinite(grads).all(axis=2)
        first = np.where(bad.any(axis=0), bad.argmax(axis=0), -1)
    reasons: list[tuple[str, dict] | None] = [None] * points.shape[1]
    for i in np.flatnonzero(first >= 0):
        t = int(first[i])
        p = points[t, i]
        v = {"t": t, "where": f"θ = ({p[0]:.4g}, {p[1]:.4g})"}
        if t == 0:
            reasons[i] = (REASONS["start"], v)
        elif not np.isfinite(p).all():
            reasons[i] = (REASONS["nonfinite"], v)
        elif not (np.abs(p) <= bound).all():
            reasons[i] = (REASONS["bound"],
                          dict(v, bound=f"{bound:g}", size=f"{np.abs(p).max():.3g}"))
        elif not np.isfinite(loss[t, i]):
            reasons[i] = (REASONS["loss"], dict(v, loss=str(loss[t, i])))
        else:
            reasons[i] = (REASONS["grad"], v)
    return first, reasons
