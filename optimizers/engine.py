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
from dataclasses import dataclass, field, replace

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
    clip: tuple[str, float] | None = None  # ("norm", max_norm) or ("value", clip_value), as torch.nn.utils
    noise: tuple[float, int] | None = None  # (std, seed): Gaussian noise added to the gradient, a minibatch stand-in


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
    reason_text: str | None = None  # why it stopped: a template in English …
    reason_values: dict | None = None  # … and its values (the page translates the template)

    @property
    def reason(self) -> str | None:
        return None if self.reason_text is None else self.reason_text.format(**self.reason_values)

    @property
    def label(self) -> str:
        return self.spec.label or self.spec.optimizer

    @property
    def steps_taken(self) -> int:
        return len(self.lr)

    def path_only(self) -> RunResult:
        """The same run without its per-step records (gradient, σ, η/σ, m): what a picture of the
        path needs, a third of the bytes to send to another process."""
        return replace(self, grads=None, sigma=None, effective_lr=None, momentum=None)


@dataclass
class FinalState:
    """Where every run ended (record="final"): points (R, 2) and loss (R,), in the caller's order."""
    points: np.ndarray
    loss: np.ndarray


CHUNK = 512  # steps kept in Python lists before they are copied into the record arrays


class _Group:
    """Runs that share one update rule (same optimizer and boolean options): rows [lo, hi).

    Its per-step records (σ, η/σ or its numerator, m) are kept as lists of the arrays the rule
    returned (appending costs ~30 ns, a strided write ~500 ns) and flushed in chunks."""

    def __init__(self, cls, lo, hi, specs, theta0, lr_source, mom_source):
        self.rows, self.lo, self.hi = slice(lo, hi), lo, hi
        self.opt = cls([s.params for s in specs], theta0[lo:hi], cycled=mom_source is not None)
        self.lr = lr_source
        self.momentum = mom_source
        if mom_source is not None:
            self.attr = cls.cycled_attribute()
        self.sigma, self.eff, self.mom = [], [], []
        self.has_sigma = self.has_mom = self.by_scale = False

    def step(self, theta, g, t):
        if self.momentum is not None:  # cycled momentum / β1 (OneCycleLR, CyclicLR)
            setattr(self.opt.h, self.attr, self.momentum[t])
        # A list of Python floats (all rows agree) or an (n, rows, 1) array: [t] is cheap for both.
        return self.opt.update(theta, g, self.lr[t], t + 1)

    def keep(self, step, t):
        if t == 0:  # which quantities the rule reports: known after its first step
            self.has_sigma, self.has_mom = step.sigma is not None, step.momentum is not None
            self.by_scale = step.scale is not None
        if self.has_sigma:
            self.sigma.append(step.sigma)
        self.eff.append(step.scale if self.by_scale else step.effective_lr)
        if self.has_mom:
            self.mom.append(step.momentum)

    def flush(self, t0, sigma, eff, mom):
        r, k = self.rows, len(self.eff)
        if not k:
            return
        if self.has_sigma:
            sigma[t0 : t0 + k, r] = self.sigma
        block = _as_block(self.eff, k)
        if self.by_scale:  # η_t/σ_t for the whole chunk in one division, 0 where σ = 0
            den = sigma[t0 : t0 + k, r]
            block = np.divide(block, den, out=np.zeros(den.shape), where=den != 0)
        eff[t0 : t0 + k, r] = block
        if self.has_mom:
            mom[t0 : t0 + k, r] = self.mom
        self.sigma, self.eff, self.mom = [], [], []


def _as_block(items: list, k: int) -> np.ndarray:
    """Stack per-step values (Python floats, (rows, 1) or (rows, 2) arrays) as (k, rows|1, 1|2)."""
    block = np.asarray(items, dtype=float)
    return block.reshape(k, 1, 1) if block.ndim == 1 else block


class _KernelGroup:
    """Runs that share one update rule, stepped by its compiled kernel (optimizers/kernels.py):
    one call per step that writes the new points and σ, η/σ, m straight into the records."""

    def __init__(self, cls, lo, hi, specs, theta0, lr_source, mom_source, kernels, whole, cycled):
        # The NumPy rule parses the settings (its .h: floats or per-run columns) and knows
        # whether momentum is in use; the kernel does the arithmetic. The sources are None when
        # the compiled loop (optimizers/loop.py) reads the tables itself.
        opt = cls([s.params for s in specs], theta0[lo:hi], cycled=cycled)
        lay = kernels.LAYOUT[cls.name]
        self.rows = slice(None) if whole else slice(lo, hi)  # the whole array: no view per call
        self.lo, self.hi = lo, hi
        self.kernel = lay.kernel
        self.hp, self.state = kernels.pack(cls.name, opt.h, hi - lo)
        self.has_sigma = lay.sigma
        self.has_mom = lay.momentum and getattr(opt, "has_momentum", True)
        self.lr, self.momentum, self.cycled = _flat(lr_source), _flat(mom_source), cycled
        if cycled:
            self.cycled_row = 1 + lay.hp.index(cls.cycled_attribute())

    def step(self, theta, g, t, out, sigma, eff, mom):
        hp, r = self.hp, self.rows
        hp[0] = self.lr[t]
        if self.momentum is not None:  # cycled momentum / β1 (OneCycleLR, CyclicLR)
            hp[self.cycled_row] = self.momentum[t]
        self.kernel(theta[r], g[r], t + 1, hp, self.state, sigma[r], eff[r], mom[r], out[r])


def load_kernels(required: bool | None = None):
    """optimizers.kernels, or None: when `required` is False, or None and numba is missing."""
    if required is False:
        return None
    try:
        from . import kernels
    except (ImportError, RuntimeError, OSError):  # no numba, or no writable cache (NUMBA_CACHE_DIR)
        if required:
            raise
        return None
    return kernels


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


def _source(keys, tables, lo, hi, n, fill=None):
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


def _flat(source):
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


def simulate(objective: Objective, runs: list[RunSpec], steps: int, bound: float = DEFAULT_BOUND,
             record: str = "full", observe=None, compiled: bool | None = None) -> list[RunResult]:
    """Step every run `steps` times. record: "full" (everything), "path" (points and loss only), or
    "final": nothing per step (a 200×200 map of starts would need hundreds of MB); `observe(t,
    theta, loss)` is called at every point instead, rows in the caller's order, and the result is
    a FinalState. Rows are the runs; each may clip and add noise to its gradient (RunSpec).

    compiled: step with the numba kernels (None: when numba is installed; False: the NumPy rules).
    Both give the same numbers. An objective with an `into(theta, f_out, g_out)` attribute (the
    built-in surfaces: surfaces/compiled.py) is then evaluated in place, without NumPy calls."""
    kernels = load_kernels(compiled)
    R, n = len(runs), int(steps)
    # Runs with the same rule sit next to each other, so each group is a cheap slice view.
    rank = {name: i for i, name in enumerate(OPTIMIZERS)}
    memo = {}

    def group_key(r):  # computed once per distinct params dict (a map's 40,000 starts share one)
        ident = (r.optimizer, id(r.params))
        if ident not in memo:
            memo[ident] = (r.optimizer, tuple(r.params.get(k) for k in OPTIMIZERS[r.optimizer].groups_by))
        return memo[ident]
    keys = [group_key(r) for r in runs]
    sort_keys = {k: (rank[k[0]], str(k)) for k in set(keys)}
    order = sorted(range(R), key=lambda i: sort_keys[keys[i]])
    key = keys.__getitem__
    specs = [runs[i] for i in order]
    theta = np.array([s.start for s in specs], dtype=float).reshape(R, 2)

    sched_keys, lr_tables, mom_tables = _tables(specs, n)
    plateau_rows = [i for i, k in enumerate(sched_keys) if lr_tables[k] is None]
    plateau = live = None
    if plateau_rows:
        # ReduceLROnPlateau learns its lr from the losses: one shared (n, R, 1) table, filled
        # step by step below, that the groups read live.
        plateau = PlateauTracker([specs[i].schedule_params for i in plateau_rows],
                                 np.array([specs[i].params["lr"] for i in plateau_rows], dtype=float))
        live = np.zeros((n, R, 1))
        for i, k in enumerate(sched_keys):
            if lr_tables[k] is not None:
                live[:, i, 0] = lr_tables[k]
        if n:
            live[0, plateau_rows, 0] = plateau.lr

    point = getattr(objective, "point", None) if kernels is not None else None
    # The whole loop compiled (optimizers/loop.py) for a compiled objective; else the loop below in
    # Python, calling the same kernels (or the NumPy rules without numba).
    in_loop = point is not None and record != "final" and observe is None and plateau is None
    groups, lo = [], 0
    for hi in range(1, R + 1):
        if hi == R or key(order[hi]) != key(order[lo]):
            cycled = any(mom_tables[k] is not None for k in sched_keys[lo:hi])
            lr_source = mom_source = None
            if in_loop:
                pass  # the loop reads the tables itself
            elif plateau is not None and any(lo <= p < hi for p in plateau_rows):
                lr_source = live[:, lo:hi]
            else:
                lr_source = _source(sched_keys, lr_tables, lo, hi, n)
            if cycled and not in_loop:
                # Rows without a cycling schedule keep their own momentum / β1.
                attr = OPTIMIZERS[specs[lo].optimizer].cycled_attribute()
                fill = [s.params["betas"][0] if attr == "beta1" else s.params[attr] for s in specs[lo:hi]]
                mom_source = _source(sched_keys, mom_tables, lo, hi, n, fill=fill)
            cls = OPTIMIZERS[specs[lo].optimizer]
            if kernels is not None:
                groups.append(_KernelGroup(cls, lo, hi, specs[lo:hi], theta, lr_source, mom_source, kernels,
                                           whole=lo == 0 and hi == R, cycled=cycled))
            else:
                groups.append(_Group(cls, lo, hi, specs[lo:hi], theta, lr_source, mom_source))
            lo = hi

    full, final = record == "full", record == "final"
    transform = gradient_transform(specs, n)
    # caller's row i is our row inverse[i]; a slice when the order is unchanged (a map: one rule)
    inverse = slice(None) if order == list(range(R)) else np.argsort(order)
    # The compiled loop writes every number of the records (NaN where it stops early): no need to
    # fill 77 MB with NaN first for the largest page run.
    records = np.empty if in_loop else lambda shape: np.full(shape, np.nan)
    if final:
        points = loss = None
    else:
        points, loss = records((n + 1, R, 2)), records((n + 1, R))
    grads = records((n, R, 2)) if full else None
    sigma, eff, mom = (records((n, R, 2)) for _ in range(3)) if full else (None, None, None)
    first_bad = None
    if in_loop:
        first_bad = _run_compiled(point, groups, specs, sched_keys, lr_tables, mom_tables, n, bound, theta,
                                  points, loss, grads, sigma, eff, mom)
    else:
        loop = _compiled_loop if kernels is not None else _numpy_loop
        theta, f = loop(objective, groups, theta, n, bound, points, loss, grads, sigma, eff, mom, transform, observe,
                        inverse, plateau, plateau_rows, live)
    if final:
        return FinalState(theta[inverse], f[inverse])

    lrs = live[:, :, 0] if plateau is not None else None
    lr_arrays = {k: np.asarray(v, dtype=float) for k, v in lr_tables.items() if v is not None}
    group_of = [grp for grp in groups for _ in range(grp.lo, grp.hi)]
    diverged, reasons = _find_divergence(points, loss, grads, bound, first_bad)
    results = [None] * R
    for i, spec in enumerate(specs):
        k = int(diverged[i]) if diverged[i] >= 0 else None
        taken = n if k is None else max(k, 0)
        npts = n + 1 if k is None else max(k, 0)
        lr_i = (lrs[:, i] if lrs is not None else lr_arrays[sched_keys[i]])[:taken].copy()
        grp = group_of[i]
        # Views into the step-major records, not copies: the largest page run holds 61 MB of
        # records, and copying them run by run doubled the peak. A view is pickled (to the
        # worker's caller) as its own contiguous array.
        res = RunResult(spec, points[:npts, i], loss[:npts, i],
                        grads[:taken, i] if full else None, lr_i,
                        sigma[:taken, i] if full and grp.has_sigma else None,
                        eff[:taken, i] if full else None,
                        mom[:taken, i] if full and grp.has_mom else None,
                        k, *(reasons[i] or (None, None)))
        results[order[i]] = res
    return results


def _numpy_loop(objective, groups, theta, n, bound, points, loss, grads, sigma, eff, mom, transform, observe,
                inverse, plateau, plateau_rows, live):
    """The step loop with the NumPy rules: per-step arrays kept in lists, flushed in chunks.
    The arguments are _compiled_loop's."""
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


def _compiled_loop(objective, groups, theta, n, bound, points, loss, grads, sigma, eff, mom, transform,
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


def _run_compiled(point, groups, specs, sched_keys, lr_tables, mom_tables, n, bound, theta,
                  points, loss, grads, sigma, eff, mom):
    """The whole loop in compiled code (optimizers/loop.py): the groups' packed settings and the
    schedule and noise tables as arrays, the records written in place."""
    from . import loop
    R = len(specs)
    hp = np.zeros((max(len(g.hp) for g in groups), R))
    state = np.zeros((max(len(g.state) for g in groups), R, 2))
    table = {}  # schedule key → row of lr_tables / mom_tables
    lr_row = [table.setdefault(k, len(table)) for k in sched_keys]
    lrs = np.empty((len(table), n))
    for k, u in table.items():
        lrs[u] = lr_tables[k]
    cycled = {k: i for i, k in enumerate(k for k in dict.fromkeys(sched_keys) if mom_tables[k] is not None)}
    moms = np.empty((len(cycled), n))
    for k, u in cycled.items():
        moms[u] = mom_tables[k]
    mom_row, cycled_row = np.full(R, -1), np.zeros(R, dtype=np.int64)
    rules = []
    for grp in groups:
        lo, hi = grp.lo, grp.hi
        hp[: len(grp.hp), lo:hi], state[: len(grp.state), lo:hi] = grp.hp, grp.state
        rules.append((loop.RULE_ID[grp.kernel], lo, hi))
        if grp.cycled:
            cycled_row[lo:hi] = grp.cycled_row
            mom_row[lo:hi] = [cycled.get(k, -1) for k in sched_keys[lo:hi]]
    noise, noise_row = noise_streams(specs, n)
    clip_kind = [loop.NO_CLIP if s.clip is None else loop.CLIP_NORM if s.clip[0] == "norm" else loop.CLIP_VALUE for s in specs]
    clip_max = [0.0 if s.clip is None else float(s.clip[1]) for s in specs]
    full = grads is not None
    if full:  # the (n, R, 2) step-major arrays themselves, not views
        records = [a for a in (grads, sigma, eff, mom)]
    else:
        records = [np.empty((1, R, 2)) for _ in range(4)]
    points[0] = theta
    first_bad = np.empty(R, dtype=np.int64)
    loop.run_loop(point[0], point[1], n, bound, np.array(rules), hp, state, lrs, lr_row, moms, mom_row, cycled_row,
                  noise, noise_row, clip_kind, clip_max, points, loss, *records, full, first_bad)
    return first_bad


def _learn_lr(plateau, rows, live, t, n, f):
    """ReduceLROnPlateau sets the lr of step t + 1 in the live table. As torch: sched.step(loss)
    after opt.step(), and the metric is this step's starting loss."""
    if t + 1 < n:
        live[t + 1, rows, 0] = plateau.step(f[rows])


def _all_left(theta, bound) -> bool:
    """Every run is out of bounds or not finite: nothing more to compute (the rest stays NaN)."""
    return not (np.abs(theta) <= bound).all(axis=1).any()


REASONS = {  # why a run stopped: templates the page translates (i18n)
    "start": "the start point {where} is outside the finite region of the surface",
    "nonfinite": "step {t} left the finite numbers ({where}): the run diverged",
    "bound": "step {t} went past |θ| = {bound} (|θ| = {size}): the run diverged",
    "loss": "step {t} reached a point where the loss is {loss} ({where})",
    "grad": "step {t} reached a point where the gradient is not finite ({where})",
}


def _find_divergence(points, loss, grads, bound, first=None):
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
