"""Beyond one path: where every start ends (fate maps) and how a run depends on its settings (sweeps).

Both run one batched engine computation with record="final" (nothing kept per step but a few
(R,) arrays), and classify each row at the end:

    fate ≥ 0   it ended within `tolerance` of minimum number `fate` (and stayed there from `steps`)
    DIVERGED   it left the finite numbers or went past the bound
    MOVING     after the last step it is still not within tolerance of any listed minimum

The engine knows no surface: minima arrive as (x, y) pairs.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .engine import DEFAULT_BOUND, RunSpec, simulate
from .registry import OPTIMIZERS

DIVERGED, MOVING = -1, -2
MAX_MAP = 200  # cells per side
MAX_SWEEP = 60  # values per axis
CHECK = 10  # divergence is looked for every CHECK steps (and at the end): diverged_at is that coarse


@dataclass
class Outcome:
    """Per row: fate, steps needed (NaN unless it converged), final point and loss."""
    fate: np.ndarray
    steps: np.ndarray
    final: np.ndarray
    loss: np.ndarray
    diverged_at: np.ndarray  # first bad point index found (checked every CHECK steps), −1 if none


class _Tracker:
    """observe(t, theta, loss): the last step each row was outside every minimum's tolerance,
    and the first step it was not finite or out of bounds."""

    def __init__(self, rows, minima, tolerance, bound, steps, progress):
        self.centres = np.asarray(minima, dtype=float).reshape(-1, 2)
        self.tol2, self.bound, self.steps, self.progress = tolerance ** 2, bound, steps, progress
        self.last_out = np.full(rows, -1)
        self.bad_at = np.full(rows, -1)
        self.every = max(1, steps // 50)

    def nearest(self, theta):
        d2 = np.full(len(theta), np.inf)
        k = np.full(len(theta), -1)
        for i, (cx, cy) in enumerate(self.centres):
            di = (theta[:, 0] - cx) ** 2 + (theta[:, 1] - cy) ** 2
            closer = di < d2
            d2, k = np.where(closer, di, d2), np.where(closer, i, k)
        return d2, k

    def __call__(self, t, theta, loss):
        with np.errstate(all="ignore"):
            if t % CHECK == 0 or t == self.steps:  # NaN stays NaN: every 10th step finds it soon enough
                bad = ~(np.abs(loss) < np.inf) | ~(np.abs(theta) <= self.bound).all(axis=1)
                self.bad_at = np.where(bad & (self.bad_at < 0), t, self.bad_at)
            inside = np.zeros(len(theta), dtype=bool)
            for cx, cy in self.centres:
                dx, dy = theta[:, 0] - cx, theta[:, 1] - cy
                inside |= dx * dx + dy * dy <= self.tol2
            self.last_out[~inside] = t
        if self.progress is not None and (t % self.every == 0 or t == self.steps):
            self.progress(t / max(self.steps, 1))

    def outcome(self, state) -> Outcome:
        with np.errstate(all="ignore"):
            d2, k = self.nearest(state.points)
        inside = (d2 <= self.tol2) & (self.bad_at < 0)
        fate = np.where(self.bad_at >= 0, DIVERGED, np.where(inside, k, MOVING))
        steps = np.where(inside, self.last_out + 1.0, np.nan)
        return Outcome(fate, steps, state.points, state.loss, self.bad_at)


def run_outcomes(objective, runs: list[RunSpec], steps: int, minima, tolerance: float,
                 bound: float = DEFAULT_BOUND, progress=None) -> Outcome:
    tracker = _Tracker(len(runs), minima, tolerance, bound, steps, progress)
    state = simulate(objective, runs, steps, bound=bound, record="final", observe=tracker)
    return tracker.outcome(state)


@dataclass
class FateMap:
    xs: np.ndarray  # (W,) start x of each column
    ys: np.ndarray  # (H,) start y of each row
    outcome: Outcome  # arrays of H·W rows, row-major (y, then x)

    def grid(self, name: str) -> np.ndarray:
        return getattr(self.outcome, name).reshape(len(self.ys), len(self.xs), *getattr(self.outcome, name).shape[1:])


def fate_map(objective, spec: RunSpec, domain, cells: int, steps: int, minima, tolerance: float,
             bound: float = DEFAULT_BOUND, progress=None) -> FateMap:
    """Run `spec` (its start is ignored) from the centre of every cell of a cells × cells grid."""
    (x0, x1), (y0, y1) = domain
    xs = x0 + (np.arange(cells) + 0.5) * (x1 - x0) / cells
    ys = y0 + (np.arange(cells) + 0.5) * (y1 - y0) / cells
    X, Y = np.meshgrid(xs, ys)
    s = spec  # plain construction: dataclasses.replace costs ~25 µs a row, 1 s for 40,000
    runs = [RunSpec(s.optimizer, s.params, (x, y), s.schedule, s.schedule_params, s.label, s.clip, s.noise)
            for x, y in zip(X.ravel().tolist(), Y.ravel().tolist())]
    return FateMap(xs, ys, run_outcomes(objective, runs, steps, minima, tolerance, bound, progress))


# The second axis of a sweep, in the order a page offers them, with a sensible default range each.
SECOND = {"momentum": (0.0, 0.99), "beta1": (0.0, 0.99), "alpha": (0.5, 0.999), "beta2": (0.9, 0.9999),
          "rho": (0.5, 0.99), "weight_decay": (0.0, 0.1), "dampening": (0.0, 0.9), "lr_decay": (0.0, 0.1),
          "momentum_decay": (0.0, 0.01), "eps": (1e-8, 0.1)}


def sweep_params(optimizer: str) -> list[str]:
    """The parameters a sweep can put on its second axis for this optimizer (most telling first)."""
    params = OPTIMIZERS[optimizer].params
    have = {n for n in params if n in SECOND and params[n].kind == "float"}
    if "betas" in params:
        have |= {"beta1", "beta2"}
    return [n for n in SECOND if n in have]


def with_value(params: dict, name: str, value: float) -> dict:
    out = dict(params)
    if name in ("beta1", "beta2"):
        betas = list(out["betas"])
        betas[0 if name == "beta1" else 1] = float(value)
        out["betas"] = tuple(betas)
    else:
        out[name] = float(value)
    return out


@dataclass
class Sweep:
    lrs: np.ndarray  # (W,) learning rates (columns)
    name: str  # the second parameter
    values: np.ndarray  # (H,) its values (rows)
    outcome: Outcome  # H·W rows, row-major

    def grid(self, field: str) -> np.ndarray:
        return getattr(self.outcome, field).reshape(len(self.values), len(self.lrs), *getattr(self.outcome, field).shape[1:])


def sweep(objective, spec: RunSpec, lrs, name: str, values, steps: int, minima, tolerance: float,
          bound: float = DEFAULT_BOUND, progress=None) -> Sweep:
    """Run `spec` from its start for every (value of `name`, lr) pair. Raises ValidationError
    (from the optimizer's own validation) if a value is out of its allowed range."""
    cls = OPTIMIZERS[spec.optimizer]
    lrs, values = np.asarray(lrs, dtype=float), np.asarray(values, dtype=float)
    runs = [replace(spec, params=cls.validate(with_value(dict(spec.params, lr=float(lr)), name, v)))
            for v in values for lr in lrs]
    return Sweep(lrs, name, values, run_outcomes(objective, runs, steps, minima, tolerance, bound, progress))


TUNE_BY = ("loss", "steps")  # what a tuned lr minimises: the final loss, or the steps to the tolerance


@dataclass
class Tuning:
    """One run's learning-rate search: the lrs tried, what each gave, and the one chosen."""
    lrs: np.ndarray  # (K,) log-spaced
    loss: np.ndarray  # (K,) final loss (NaN where it diverged)
    steps: np.ndarray  # (K,) steps to within tolerance (NaN: never)
    diverged: np.ndarray  # (K,) bool
    best: float | None  # the chosen lr, None when every lr diverged (or, by steps, none converged)


def tune(objective, specs: list[RunSpec], steps: int, minima, tolerance: float, by: str = "loss",
         decades: float = 3.0, per_decade: int = 4, bound: float = DEFAULT_BOUND, progress=None) -> list[Tuning]:
    """A fair comparison: for each run, its lr × 10^[−decades, +decades] (log-spaced, per_decade
    values per decade, the run's own lr among them), every other setting kept; the lr with the
    lowest final loss (by="loss") or the fewest steps to within `tolerance` of a minimum
    (by="steps"; ties: the lower loss) among those that did not diverge. All runs and lrs step as
    one batched computation, as a sweep does."""
    if by not in TUNE_BY:
        raise ValueError(f"by must be one of {TUNE_BY}")
    k = int(round(2 * decades * per_decade)) + 1
    grid = 10.0 ** np.linspace(-decades, decades, k)
    rows, lrs = [], []
    for spec in specs:
        cls = OPTIMIZERS[spec.optimizer]
        mine = float(spec.params["lr"]) * grid if spec.params["lr"] > 0 else np.geomspace(1e-6, 1.0, k)
        lrs.append(mine)
        rows += [replace(spec, params=cls.validate(dict(spec.params, lr=float(lr)))) for lr in mine]
    out = run_outcomes(objective, rows, steps, minima, tolerance, bound, progress)
    tunings = []
    for i, mine in enumerate(lrs):
        part = slice(i * k, (i + 1) * k)
        diverged = out.fate[part] == DIVERGED
        loss = np.where(diverged | ~np.isfinite(out.loss[part]), np.nan, out.loss[part])
        taken = np.where(diverged, np.nan, out.steps[part])
        tunings.append(Tuning(mine, loss, taken, diverged, _chosen(mine, loss, taken, by)))
    return tunings


def _chosen(lrs, loss, taken, by: str) -> float | None:
    """The lr with the lowest loss, or with the fewest steps (then the lowest loss among those)."""
    among = np.isfinite(loss) if by == "loss" else np.isfinite(taken)
    if not among.any():
        return None
    if by == "steps":
        among &= taken == np.nanmin(taken)
    candidates = np.flatnonzero(among)
    return float(lrs[candidates[np.argmin(np.where(np.isfinite(loss[candidates]), loss[candidates], np.inf))]])
