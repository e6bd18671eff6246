"""The step loop in Python, for what the compiled loop (loop.py) does not do: observers (fate
maps and sweeps watch every step) and typed formulas (a NumPy objective). With numba it calls the same compiled kernels per step; without,
the NumPy rules."""
from __future__ import annotations

import numpy as np

from .groups import CHUNK


def numpy_rules_loop(objective, groups, theta, n, bound, points, loss, grads, sigma, eff, mom, transform, observe,
                inverse, plateau, plateau_rows, live):
    """The step loop with the NumPy rules: per-step arrays kept in lists, flushed in chunks.
    The arguments are kernels_loop's."""
    final, full = points is None, grads is not None
    single = groups[0] if len(groups) == 1 else None
    pts, fs, gs = [theta], [], []
    p0 = f0 = 0  # first point / loss / step index not yet copied from the lists

    def flush():
        nonlocal p0, f0
        if final:
            pts.clear(), fs.clear()
            return
        if pts:
            points[p0 : p0 + len(pts)] = pts
        if fs:
            loss[f0 : f0 + len(fs)] = fs
        if full and gs:
            grads[f0 : f0 + len(gs)] = gs
            for grp in groups:
                grp.flush(f0, sigma, eff, mom)
        p0, f0 = p0 + len(pts), f0 + len(fs)
        pts.clear(), fs.clear(), gs.clear()

    f = None
    with np.errstate(all="ignore"):
        # No per-step finiteness test: rows are independent, so a run that left the finite
        # numbers cannot disturb the others; it is found and cut from the records afterwards.
        for t in range(n + 1):
            f, g = objective(theta)
            if not final:
                fs.append(f)
            if observe is not None:
                observe(t, theta[inverse], f[inverse])
            if t == n:
                break
            if transform is not None:
                g = transform(g, t)
            if single is not None:
                step = single.step(theta, g, t)
                theta = step.theta
                if full:
                    gs.append(g)
                    single.keep(step, t)
            else:
                new = np.empty_like(theta)
                for grp in groups:
                    r = grp.rows
                    step = grp.step(theta[r], g[r], t)
                    new[r] = step.theta
                    if full:
                        grp.keep(step, t)
                if full:
                    gs.append(g)
                theta = new
            if not final:
                pts.append(theta)
            if plateau is not None:
                _learn_lr(plateau, plateau_rows, live, t, n, f)
            if t % CHUNK == CHUNK - 1:
                flush()
                if _all_left(theta, bound):
                    break
        flush()
    return theta, f


def kernels_loop(objective, groups, theta, n, bound, points, loss, grads, sigma, eff, mom, transform,
                   observe, inverse, plateau, plateau_rows, live):
    """The step loop with the compiled kernels: they write the records in place. points is None
    for record="final" (then each step gets fresh arrays: an observer may keep what it is given);
    grads, sigma, eff and mom are None unless record="full"."""
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
            g = grads[t] if full and t < n and transform is None else g_spare
            if into is not None:
                into(theta, f, g)
            else:
                f[...], g[...] = objective(theta)
            if observe is not None:
                observe(t, theta[inverse], f[inverse])
            if t == n:
                break
            if transform is not None:
                g = transform(g, t)
                if full:
                    grads[t] = g
            out = np.empty((R, 2)) if final else points[t + 1]
            records = (sigma[t], eff[t], mom[t]) if full else spare
            for grp in groups:
                grp.step(theta, g, t, out, *records)
            theta = out
            if plateau is not None:
                _learn_lr(plateau, plateau_rows, live, t, n, f)
            if t % CHUNK == CHUNK - 1 and _all_left(theta, bound):
                break
    return theta, f


def _learn_lr(plateau, rows, live, t, n, f):
    """ReduceLROnPlateau sets the lr of step t + 1 in the live table. As torch: sched.step(loss)
    after opt.step(), and the metric is this step's starting loss."""
    if t + 1 < n:
        live[t + 1, rows, 0] = plateau.step(f[rows])


def _all_left(theta, bound) -> bool:
    """Every run is out of bounds or not finite: nothing more to compute (the rest stays NaN)."""
    return not (np.abs(theta) <= bound).all(axis=1).any()
