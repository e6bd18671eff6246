"""The per-step inputs of a simulation, made before the loop: each run's learning rate η_t (and a
cycled momentum or β1) from its schedule, and the gradient noise and clipping of each run."""
from __future__ import annotations

import math

import numpy as np

from .jit import jit
from .runs import RunSpec
from .schedules import SCHEDULES, plateau_state


class ScheduleTables:
    """Each run's learning rate η_t for every step, and its cycled momentum or β1 where a schedule
    sets one (OneCycleLR, CyclicLR). Each distinct (schedule, parameters, base lr) is computed
    once: a 200×200 map of starts shares one schedule, and its recursion is a Python loop over the
    steps. ReduceLROnPlateau learns η from the losses: then every row's η_t goes into one (n, R)
    table, `live`, which the loop fills step by step for the rows that learn (schedules.learn,
    from `plateau`, their settings and state)."""

    def __init__(self, specs: list[RunSpec], n: int):
        self.n = n
        self.keys, self.lrs, self.moms = _tables(specs, n)
        self.plateau_rows = [i for i, k in enumerate(self.keys) if self.lrs[k] is None]
        self.plateau = self.live = None
        if self.plateau_rows:
            rows = self.plateau_rows
            self.plateau = plateau_state(specs, rows)
            self.live = np.zeros((n, len(specs)))
            for i, k in enumerate(self.keys):
                self.live[:, i] = specs[i].params["lr"] if self.lrs[k] is None else self.lrs[k]

    def lr(self, i: int) -> np.ndarray:
        """Row i's η_t, t = 1 … n (as the plateau learned it, where it did)."""
        return self.live[:, i] if self.plateau is not None else self.lrs[self.keys[i]]

    def cycled(self, lo: int, hi: int) -> bool:
        return any(self.moms[k] is not None for k in self.keys[lo:hi])


def _tables(specs: list[RunSpec], n: int):
    """The lr of every run at every step, and the cycled momentum where a schedule sets one.

    Each distinct (schedule, parameters, base lr) is computed once: a 200×200 map of starts
    shares one schedule, and its recursion is a Python loop over the steps."""
    keys, lrs, moms, seen = [], {}, {}, {}
    for s in specs:
        # the runs of a map share their dicts: their text is made once
        ident = (s.schedule, id(s.schedule_params), id(s.params))
        key = seen.get(ident)
        if key is None:
            key = seen[ident] = repr((s.schedule, s.schedule_params, s.params["lr"]))
        keys.append(key)
        if key not in lrs:
            sched = SCHEDULES[s.schedule](s.schedule_params, n)
            lrs[key] = None if sched.uses_loss else np.asarray(sched.lrs(float(s.params["lr"]), n), dtype=float)
            m = sched.momenta(n)
            moms[key] = None if m is None else np.asarray(m, dtype=float)
    return keys, lrs, moms


def per_step(keys, tables, lo, hi, n, fill=None):
    """Per-step values for rows [lo, hi): a list of Python floats when every row has the same
    table (fast, and exactly torch's scalar arithmetic), else a PerRow."""
    mine = keys[lo:hi]
    if all(k == mine[0] for k in mine):
        return None if tables[mine[0]] is None else tables[mine[0]].tolist()
    if fill is None and any(tables[k] is None for k in mine):
        return None
    index, distinct = [], {}
    for i, k in enumerate(mine):
        ident = ("table", k) if tables[k] is not None else ("fill", fill[i])
        index.append(distinct.setdefault(ident, len(distinct)))
    rows = np.empty((len(distinct), n))
    for (kind, what), u in distinct.items():
        rows[u] = tables[what] if kind == "table" else what
    return PerRow(rows, np.asarray(index))


class PerRow:
    """Per-step values of rows that follow different tables: [t] → (rows,).

    Each distinct table is stored once: a 60 × 60 sweep has 60 learning rates, and one (steps, rows)
    table for its 3,600 rows was 144 MB (288 MB while it was built) for 60 × 5,000 numbers."""

    def __init__(self, tables: np.ndarray, index: np.ndarray):
        self.tables, self.index = tables, index

    def __getitem__(self, t):
        return self.tables[:, t][self.index]


def noise_streams(specs: list[RunSpec], n: int) -> tuple[np.ndarray, np.ndarray]:
    """The gradient noise of every run: (N, n, 2) streams, N(0, std²) per coordinate from
    numpy's default_rng(seed), and the stream of each row (−1: none). Rows with the same std and
    seed share a stream (a fate map's starts all see the same minibatch sequence)."""
    streams: dict = {}
    row = np.full(len(specs), -1)
    for i, s in enumerate(specs):
        if s.noise is not None and s.noise[0] > 0:
            row[i] = streams.setdefault(tuple(s.noise), len(streams))
    tables = np.empty((len(streams), n, 2))
    for (std, seed), k in streams.items():
        tables[k] = np.random.default_rng(seed).standard_normal((n, 2)) * std
    return tables, row


NO_CLIP, CLIP_NORM, CLIP_VALUE = 0, 1, 2


class GradientNoise:
    """What perturb needs for these runs: the noise streams (noise_streams) and each row's
    clipping, as arrays; `any` says whether a row has either."""

    def __init__(self, specs: list[RunSpec], n: int):
        self.noise, self.noise_row = noise_streams(specs, n)
        self.clip_kind = np.array([NO_CLIP if s.clip is None else CLIP_NORM if s.clip[0] == "norm" else CLIP_VALUE
                                   for s in specs], dtype=np.int64)
        self.clip_max = np.array([0.0 if s.clip is None else float(s.clip[1]) for s in specs])
        self.any = bool(len(self.noise)) or bool(self.clip_kind.any())

    def arrays(self) -> tuple:
        return self.noise, self.noise_row, self.clip_kind, self.clip_max


@jit
def perturb(g, t, noise, noise_row, clip_kind, clip_max):
    """g ← clip(g + noise_t), row by row, in place: the gradient a run with a minibatch stand-in
    (RunSpec.noise) or clipping (RunSpec.clip) steps with. Noise comes first (the minibatch
    gradient), then clipping, as torch.nn.utils: clip_grad_norm_ scales g by
    min(1, max_norm / (‖g‖ + 1e-6)) (NaN wins, as torch.clamp), clip_grad_value_ clamps each
    coordinate to [−v, v] (NaN stays)."""
    for i in range(g.shape[0]):
        s = noise_row[i]
        if s >= 0:
            g[i, 0] += noise[s, t, 0]
            g[i, 1] += noise[s, t, 1]
        if clip_kind[i] == CLIP_NORM:
            c = clip_max[i] / (math.sqrt(g[i, 0] * g[i, 0] + g[i, 1] * g[i, 1]) + 1e-6)
            if not c < 1.0 and c == c:
                c = 1.0
            g[i, 0] *= c
            g[i, 1] *= c
        elif clip_kind[i] == CLIP_VALUE:
            for k in range(2):
                if g[i, k] < -clip_max[i]:
                    g[i, k] = -clip_max[i]
                elif g[i, k] > clip_max[i]:
                    g[i, k] = clip_max[i]
