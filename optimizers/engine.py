"""The trajectory engine: steps many runs on one surface as one batched float64 computation.

Each step evaluates the objective once for all runs (an (R, 2) array), then lets each group of
runs that share an update rule step together. It records, for every step: the point, the loss,
the gradient used, the learning rate, and where the rule has them σ_t, η_t/σ_t and m_t.

A run that leaves the finite numbers, or goes past `bound` in any coordinate, stops there:
`diverged_at = k` means the k-th update (1-based) produced a point whose loss or gradient is not
finite, or that is out of bounds. Its record keeps the k finite points before it; other runs go on.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .registry import OPTIMIZERS
from .schedules import SCHEDULES, PlateauTracker

Objective = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
DEFAULT_BOUND = 1e6


@dataclass(frozen=True)
class RunSpec:
    """One run: validated optimizer settings, a schedule and a start point."""
    optimizer: str
    params: dict
    start: tuple[float, float]
    schedule: str = "none"
    schedule_params: dict = field(default_factory=dict)
    label: str = ""


@dataclass
class RunResult:
    spec: RunSpec
    points: np.ndarray  # (k+1, 2), or (k, 2) when diverged at k
    loss: np.ndarray  # one per point
    grads: np.ndarray  # (steps taken, 2): the gradient used at step t
    lr: np.ndarray  # (steps taken,): η_t
    sigma: np.ndarray | None  # (steps taken, 2) per-coordinate σ_t, None if the rule has none
    effective_lr: np.ndarray | None  # (steps taken, 2) η_t/σ_t
    momentum: np.ndarray | None  # (steps taken, 2) m_t, None if the rule keeps none
    diverged_at: int | None = None
    reason: str | None = None

    @property
    def label(self) -> str:
        return self.spec.label or self.spec.optimizer

    @property
    def steps_taken(self) -> int:
        return len(self.lr)


class _Group:
    """Runs that share one update rule (same optimizer and boolean options): rows [lo, hi)."""

    def __init__(self, cls, lo, hi, specs, theta0, lr_table, mom_table, live_lr):
        self.cls, self.rows = cls, slice(lo, hi)
        cycled = not np.all(np.isnan(mom_table[lo:hi]))
        self.opt = cls([s.params for s in specs], theta0[lo:hi], cycled=cycled)
        # ReduceLROnPlateau fills its lr column by column as the loss comes in: read the table live.
        self.lr = lr_table[lo:hi] if live_lr else _column_source(lr_table[lo:hi])
        self.momentum = None
        if cycled:
            attr = cls.cycled_attribute()
            base = getattr(self.opt.h, attr)
            block = mom_table[lo:hi].copy()
            fill = np.broadcast_to(np.asarray(base, float).reshape(-1, 1), block.shape)
            block[np.isnan(block)] = fill[np.isnan(block)]
            self.attr, self.momentum = attr, _column_source(block)


def _column_source(block: np.ndarray):
    """Per-step values for a block of rows: a list of Python floats when all rows agree (fast,
    and exactly torch's scalar arithmetic), else the (rows, steps) array itself."""
    if block.shape[0] == 1 or np.array_equal(block, np.broadcast_to(block[:1], block.shape), equal_nan=True):
        return block[0].tolist()
    return block


def _at(source, t):
    return source[t] if isinstance(source, list) else source[:, t : t + 1]


def simulate(objective: Objective, runs: list[RunSpec], steps: int, bound: float = DEFAULT_BOUND,
             record: str = "full") -> list[RunResult]:
    """Step every run `steps` times. record: "full" (everything), or "path" (points and loss only)."""
    R, n = len(runs), int(steps)
    # Runs with the same rule sit next to each other, so each group is a cheap slice view.
    key = lambda i: (runs[i].optimizer, tuple(runs[i].params.get(k) for k in OPTIMIZERS[runs[i].optimizer].groups_by))  # noqa: E731
    order = sorted(range(R), key=lambda i: (list(OPTIMIZERS).index(runs[i].optimizer), str(key(i))))
    specs = [runs[i] for i in order]
    theta = np.array([s.start for s in specs], dtype=float).reshape(R, 2)

    schedules = [SCHEDULES[s.schedule](s.schedule_params, n) for s in specs]
    base_lrs = np.array([s.params["lr"] for s in specs], dtype=float)
    lr_table = np.zeros((R, n))
    mom_table = np.full((R, n), np.nan)
    plateau_rows = [i for i, sc in enumerate(schedules) if sc.uses_loss]
    for i, sc in enumerate(schedules):
        if not sc.uses_loss:
            lr_table[i] = sc.lrs(base_lrs[i], n)
        m = sc.momenta(n)
        if m is not None:
            mom_table[i] = m
    plateau = PlateauTracker([specs[i].schedule_params for i in plateau_rows], base_lrs[plateau_rows]) if plateau_rows else None
    if plateau is not None and n:
        lr_table[plateau_rows, 0] = plateau.lr

    groups, lo = [], 0
    for hi in range(1, R + 1):
        if hi == R or key(order[hi]) != key(order[lo]):
            live = any(lo <= p < hi for p in plateau_rows)
            groups.append(_Group(OPTIMIZERS[specs[lo].optimizer], lo, hi, specs[lo:hi], theta, lr_table, mom_table, live))
            lo = hi

    full = record == "full"
    points = np.full((n + 1, R, 2), np.nan)
    loss = np.full((n + 1, R), np.nan)
    grads = np.full((n, R, 2), np.nan) if full else None
    lrs = lr_table.T.copy() if full else None  # plateau columns are overwritten below
    sigma, eff, mom = (np.full((n, R, 2), np.nan) for _ in range(3)) if full else (None, None, None)
    has_sigma, has_mom = np.zeros(R, bool), np.zeros(R, bool)

    points[0] = theta
    single = len(groups) == 1
    with np.errstate(all="ignore"):
        # No per-step finiteness test: rows are independent, so a run that left the finite
        # numbers cannot disturb the others; it is found and cut from the records afterwards.
        for t in range(n + 1):
            f, g = objective(theta)
            loss[t] = f
            if t == n:
                break
            if full:
                grads[t] = g
            new = None if single else np.empty_like(theta)
            for grp in groups:
                r = grp.rows
                if grp.momentum is not None:  # cycled momentum / β1 (OneCycleLR, CyclicLR)
                    setattr(grp.opt.h, grp.attr, _at(grp.momentum, t))
                step = grp.opt.update(theta[r], g[r], _at(grp.lr, t), t + 1)
                if single:
                    new = step.theta
                else:
                    new[r] = step.theta
                if full:
                    if step.sigma is not None:
                        sigma[t, r] = step.sigma
                    if step.effective_lr is not None:
                        eff[t, r] = step.effective_lr
                    if step.momentum is not None:
                        mom[t, r] = step.momentum
                    if t == 0:  # which rules have a σ / a momentum: known after the first step
                        has_sigma[r], has_mom[r] = step.sigma is not None, step.momentum is not None
            theta = new
            points[t + 1] = theta
            if plateau is not None and t + 1 < n:
                # torch: sched.step(loss) after opt.step(); the metric is this step's starting loss.
                lr_next = plateau.step(f[plateau_rows])
                lr_table[plateau_rows, t + 1] = lr_next
                if full:
                    lrs[t + 1, plateau_rows] = lr_next
            if t % 512 == 511 and not (np.abs(theta) <= bound).all(axis=1).any():
                loss[t + 1 :] = np.nan  # every run has left: nothing more to compute
                points[t + 2 :] = np.nan
                break

    diverged, reasons = _find_divergence(points, loss, grads, bound)
    results = [None] * R
    for i, spec in enumerate(specs):
        k = int(diverged[i]) if diverged[i] >= 0 else None
        taken = n if k is None else max(k, 0)
        npts = n + 1 if k is None else max(k, 0)
        res = RunResult(spec, points[:npts, i].copy(), loss[:npts, i].copy(),
                        grads[:taken, i].copy() if full else None, (lrs[:taken, i].copy() if full else lr_table[i, :taken].copy()),
                        sigma[:taken, i].copy() if full and has_sigma[i] else None,
                        eff[:taken, i].copy() if full else None,
                        mom[:taken, i].copy() if full and has_mom[i] else None,
                        k, reasons[i])
        results[order[i]] = res
    return results


def _find_divergence(points, loss, grads, bound):
    """First point index per run whose coordinates are out of bounds or not finite, or whose loss
    or gradient is not finite; -1 for runs that stayed finite. With reasons in words."""
    n = points.shape[0] - 1
    bad_theta = ~(np.abs(points) <= bound).all(axis=2)  # NaN compares False: counted as bad
    bad_loss = ~np.isfinite(loss)
    bad = bad_theta | bad_loss
    if grads is not None:
        bad[:n] |= ~np.isfinite(grads).all(axis=2)
    any_bad = bad.any(axis=0)
    first = np.where(any_bad, bad.argmax(axis=0), -1)
    reasons: list[str | None] = [None] * points.shape[1]
    for i in np.flatnonzero(any_bad):
        t = int(first[i])
        p = points[t, i]
        where = f"θ = ({p[0]:.4g}, {p[1]:.4g})"
        if t == 0:
            reasons[i] = f"the start point {where} is outside the finite region of the surface"
        elif not np.isfinite(p).all():
            reasons[i] = f"step {t} left the finite numbers ({where}): the run diverged"
        elif bad_theta[t, i]:
            reasons[i] = f"step {t} went past |θ| = {bound:g} (|θ| = {np.abs(p).max():.3g}): the run diverged"
        elif bad_loss[t, i]:
            reasons[i] = f"step {t} reached a point where the loss is {loss[t, i]} ({where})"
        else:
            reasons[i] = f"step {t} reached a point where the gradient is not finite ({where})"
    return first, reasons
