"""The per-step inputs of a simulation, made before the loop: each run's learning rate η_t (and a
cycled momentum or β1) from its schedule, and the gradient noise and clipping of each run."""
from __future__ import annotations

import numpy as np

from .runs import RunSpec
from .schedules import SCHEDULES, PlateauTracker


class ScheduleTables:
    """Each run's learning rate η_t for every step, and its cycled momentum or β1 where a schedule
    sets one (OneCycleLR, CyclicLR). Each distinct (schedule, parameters, base lr) is computed
    once: a 200×200 map of starts shares one schedule, and its recursion is a Python loop over the
    steps. ReduceLROnPlateau learns η from the losses: its rows get one shared (n, R, 1) table,
    `live`, that the Python loop fills step by step (PlateauTracker)."""

    def __init__(self, specs: list[RunSpec], n: int):
        self.n = n
        self.keys, self.lrs, self.moms = _tables(specs, n)
        self.plateau_rows = [i for i, k in enumerate(self.keys) if self.lrs[k] is None]
        self.plateau = self.live = None
        if self.plateau_rows:
            rows = self.plateau_rows
            self.plateau = PlateauTracker([specs[i].schedule_params for i in rows],
                                          np.array([specs[i].params["lr"] for i in rows], dtype=float))
            self.live = np.zeros((n, len(specs), 1))
            for i, k in enumerate(self.keys):
                if self.lrs[k] is not None:
                    self.live[:, i, 0] = self.lrs[k]
            if n:
                self.live[0, rows, 0] = self.plateau.lr

    def lr(self, i: int) -> np.ndarray:
        """Row i's η_t, t = 1 … n (as the plateau learned it, where it did)."""
        return self.live[:, i, 0] if self.plateau is not None else self.lrs[self.keys[i]]

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
    """Per-step values of rows that follow different tables: [t] → (rows, 1).

    Each distinct table is stored once: a 60 × 60 sweep has 60 learning rates, and one (steps, rows)
    table for its 3,600 rows was 144 MB (288 MB while it was built) for 60 × 5,000 numbers."""

    def __init__(self, tables: np.ndarray, index: np.ndarray, flat: bool = False):
        self.tables, self.index, self.flat = tables, index, flat

    def __getitem__(self, t):
        column = self.tables[:, t][self.index]
        return column if self.flat else column[:, None]


def flat(source):
    """A source whose [t] is (rows,), as the kernels' hyperparameter rows want it."""
    if isinstance(source, np.ndarray):
        return source[:, :, 0]
    if isinstance(source, PerRow):
        return PerRow(source.tables, source.index, flat=True)
    return source


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


def gradient_transform(specs: list[RunSpec], n: int):
    """g ← clip(g + noise) for the runs that ask for it, or None when none does.

    Noise: N(0, std²) per coordinate, one stream per seed (rows with the same seed share it: a
    fate map's starts all see the same minibatch sequence). Clipping follows torch.nn.utils:
    clip_grad_norm_ scales g by min(1, max_norm / (‖g‖ + 1e-6)); clip_grad_value_ clamps each
    coordinate to [−v, v]. Noise comes first (the minibatch gradient), then clipping."""
    norm = [(i, s.clip[1]) for i, s in enumerate(specs) if s.clip is not None and s.clip[0] == "norm"]
    value = [(i, s.clip[1]) for i, s in enumerate(specs) if s.clip is not None and s.clip[0] == "value"]
    noise, noise_row = noise_streams(specs, n)
    if not (len(noise) or norm or value):
        return None
    tables = [(np.flatnonzero(noise_row == k), noise[k]) for k in range(len(noise))]
    everyone = len(specs)
    norm_rows = np.array([i for i, _ in norm], dtype=int)
    norm_max = np.array([c for _, c in norm], dtype=float)
    value_rows = np.array([i for i, _ in value], dtype=int)
    value_max = np.array([c for _, c in value], dtype=float)[:, None]

    def transform(g, t):
        g = g.copy()
        for rows, table in tables:
            if len(rows) == everyone:
                g += table[t]
            else:
                g[rows] += table[t]
        if len(norm_rows):
            sub = g[norm_rows]
            coef = np.minimum(norm_max / (np.sqrt((sub * sub).sum(axis=1)) + 1e-6), 1.0)
            g[norm_rows] = sub * coef[:, None]
        if len(value_rows):
            g[value_rows] = np.clip(g[value_rows], -value_max, value_max)
        return g
    return transform
