"""The step loop in Python, for what the compiled loop (loop.py) does not do: observers (fate
maps and sweeps watch every step) and typed formulas (a NumPy objective). Each step calls the
rules' kernels, compiled or, without numba, as plain Python; the kernels write the records in
place."""
from __future__ import annotations

import numpy as np

from .divergence import CHUNK
from .schedules import learn_all
from .tables import perturb


def python_loop(objective, groups, theta, n, bound, points, loss, grads, sigma, eff, mom, noise, observe,
                inverse, plateau, live):
    """points is None for record="final" (then each step gets fresh arrays: an observer may keep
    what it is given); grads, sigma, eff and mom are None unless record="full". noise: the runs'
    GradientNoise; plateau (PLATEAU_ROWS, R) and live (n, R): ReduceLROnPlateau's state and the
    lr table it writes for the runs that learn (None when no run learns its lr). Returns the last points
    and losses."""
    R = theta.shape[0]
    into = getattr(objective, "into", None)
    final, full = points is None, grads is not None
    spare = np.empty((3, R, 2))  # σ, η/σ, m of a step that is not recorded
    g_spare = np.empty((R, 2))
    if not final:
        points[0] = theta
        theta = points[0]
    f = None
    with np.errstate(all="ignore"):
        for t in range(n + 1):
            f = np.empty(R) if final else loss[t]
            g = grads[t] if full and t < n else g_spare
            if into is not None:
                into(theta, f, g)
            else:
                f[...], g[...] = objective(theta)
            if observe is not None:
                observe(t, theta[inverse], f[inverse])
            if t == n:
                break
            if noise.any:
                perturb(g, t, *noise.arrays())
            out = np.empty((R, 2)) if final else points[t + 1]
            records = (sigma[t], eff[t], mom[t]) if full else spare
            for grp in groups:
                grp.step(theta, g, t, out, *records)
            theta = out
            if plateau is not None and t + 1 < n:  # as torch: sched.step(loss) after opt.step()
                learn_all(plateau, f, live[t + 1])
            if t % CHUNK == CHUNK - 1 and _all_left(theta, bound):
                break
    return theta, f


def _all_left(theta, bound) -> bool:
    """Every run is out of bounds or not finite: nothing more to compute (the rest stays NaN)."""
    return not (np.abs(theta) <= bound).all(axis=1).any()
