"""The step loop, compiled: every step of every run of a simulation in one call (numba).

Why: with the loop in Python, each step costs a few µs of interpreter work around the compiled
rule and objective (Adam, 1 run × 10,000 steps: 51 ms); here the whole loop is machine code, and
it runs without the interpreter's lock, so other threads (other students' pages) go on meanwhile.

One step t = 0 … n−1, for all R runs at once (rows of the arrays):
    f, g ← objective at θ_t                       (the surface's compiled point function)
    g ← clip(g + noise_t)                         (per row: a noise stream, then norm or value)
    hp[0] ← η_t; hp[cycled row] ← μ_t or β1_t      (the schedule tables, per row, or the η learned)
    θ_{t+1} ← rule(θ_t, g, t+1, hp, state)         (each group of rows: its kernel, kernels.py)
and every CHUNK steps the loop stops early when every row has left the finite world (|θ| > bound
or NaN): its records stay NaN, as the engine's divergence diagnosis expects.

The objective arrives as a numba function value, `point(kind, x, y) → (f, ∂f/∂x, ∂f/∂y)`, with
one declared signature: the loop is compiled once per machine for that function type and kept in
numba's cache, and this package never imports `surfaces` (the engine only receives objectives).
ReduceLROnPlateau learns η from the loss inside the loop too (_learn). Not compiled here:
observers (fate maps and sweeps watch every step) and typed formulas (a NumPy objective): those
take the engine's Python loop (pyloop.py), with the same kernels.
"""
from __future__ import annotations

import hashlib
import math
import threading
from pathlib import Path

import numba
import numpy as np
from numba import types

from . import kernels
from .kernels import _maximum
from .tables import noise_streams

CHUNK = 512  # steps between two looks at whether every run has left

# The distinct kernels, by index: the loop dispatches on it (numba keeps no table of functions
# that it can cache, so the dispatch is a chain of branches).
RULES = list(dict.fromkeys(lay.kernel for lay in kernels.LAYOUT.values()))
RULE_ID = {kernel: i for i, kernel in enumerate(RULES)}
assert len(RULES) == 12, "a new kernel needs its branch in _step_rows"
(_k0, _k1, _k2, _k3, _k4, _k5, _k6, _k7, _k8, _k9, _k10, _k11) = RULES

NO_CLIP, CLIP_NORM, CLIP_VALUE = 0, 1, 2


@kernels.jit
def _step_rows(rule, theta, g, t, hp, state, sigma, eff, mom, out):
    if rule < 6:
        if rule == 0:
            _k0(theta, g, t, hp, state, sigma, eff, mom, out)
        elif rule == 1:
            _k1(theta, g, t, hp, state, sigma, eff, mom, out)
        elif rule == 2:
            _k2(theta, g, t, hp, state, sigma, eff, mom, out)
        elif rule == 3:
            _k3(theta, g, t, hp, state, sigma, eff, mom, out)
        elif rule == 4:
            _k4(theta, g, t, hp, state, sigma, eff, mom, out)
        else:
            _k5(theta, g, t, hp, state, sigma, eff, mom, out)
    elif rule == 6:
        _k6(theta, g, t, hp, state, sigma, eff, mom, out)
    elif rule == 7:
        _k7(theta, g, t, hp, state, sigma, eff, mom, out)
    elif rule == 8:
        _k8(theta, g, t, hp, state, sigma, eff, mom, out)
    elif rule == 9:
        _k9(theta, g, t, hp, state, sigma, eff, mom, out)
    elif rule == 10:
        _k10(theta, g, t, hp, state, sigma, eff, mom, out)
    else:
        _k11(theta, g, t, hp, state, sigma, eff, mom, out)


# ReduceLROnPlateau, per row: its settings and state as rows of one float array (counts are
# small integers, exact in float64). schedules.PlateauTracker is the same arithmetic on arrays.
(PL_ON, PL_MIN, PL_REL, PL_FACTOR, PL_PATIENCE, PL_THRESHOLD, PL_COOLDOWN, PL_MIN_LR, PL_EPS,
 PL_LR, PL_BEST, PL_BAD, PL_COOLING) = range(13)
PLATEAU_ROWS = 13


@kernels.jit
def _learn(p, i, metric):
    """One ReduceLROnPlateau.step(metric) for row i of p; returns the lr of the next step."""
    best, threshold = p[PL_BEST, i], p[PL_THRESHOLD, i]
    if p[PL_MIN, i] != 0:
        better = metric < best * (1 - threshold) if p[PL_REL, i] != 0 else metric < best - threshold
    else:
        better = metric > best * (threshold + 1) if p[PL_REL, i] != 0 else metric > best + threshold
    if better:
        p[PL_BEST, i], p[PL_BAD, i] = metric, 0.0
    else:
        p[PL_BAD, i] += 1
    if p[PL_COOLING, i] > 0:
        p[PL_COOLING, i] -= 1
        p[PL_BAD, i] = 0.0
    if p[PL_BAD, i] > p[PL_PATIENCE, i]:
        lr = p[PL_LR, i]
        new = _maximum(lr * p[PL_FACTOR, i], p[PL_MIN_LR, i])
        if lr - new > p[PL_EPS, i]:
            p[PL_LR, i] = new
        p[PL_COOLING, i], p[PL_BAD, i] = p[PL_COOLDOWN, i], 0.0
    return p[PL_LR, i]


def plateau_rows(specs, tables) -> np.ndarray:
    """The (PLATEAU_ROWS, R) settings and starting state of the rows that learn their lr."""
    p = np.zeros((PLATEAU_ROWS, len(specs)))
    for i in tables.plateau_rows:
        s = specs[i].schedule_params
        p[PL_ON, i], p[PL_MIN, i], p[PL_REL, i] = 1.0, s["mode"] == "min", s["threshold_mode"] == "rel"
        p[PL_FACTOR, i], p[PL_PATIENCE, i], p[PL_THRESHOLD, i] = s["factor"], s["patience"], s["threshold"]
        p[PL_COOLDOWN, i], p[PL_MIN_LR, i], p[PL_EPS, i] = s["cooldown"], s["min_lr"], s["eps"]
        p[PL_LR, i] = float(specs[i].params["lr"])
        p[PL_BEST, i] = np.inf if s["mode"] == "min" else -np.inf
    return p


def _run(point, kind, n, bound, groups, hp, state, lr_tables, lr_row, mom_tables, mom_row, cycled_row,
         noise, noise_row, clip_kind, clip_max, points, loss, grads, sigma, eff, mom, full, bad_at, plateau, learned):
    """The loop (see the module's docstring). Arrays, R rows:
    groups (G, 3): kernel index (RULE_ID), first row, end row; hp (K, R) and state (S, R, 2): each
    group's kernels.pack, stacked; lr_tables (U, n) with lr_row (R,) the table of each row;
    mom_tables (V, n), mom_row (R,) (−1: the row's momentum is not cycled), cycled_row (R,) the
    hp row it goes to; noise (N, n, 2), noise_row (R,) (−1: none); clip_kind (R,) NO_CLIP /
    CLIP_NORM / CLIP_VALUE and clip_max (R,); records points (n+1, R, 2), loss (n+1, R), and
    grads, sigma, eff, mom (n, R, 2) when full, else (1, R, 2) scratch; they need no initial
    value: what the loop does not reach is set to NaN. bad_at (R,) receives each row's first point
    index whose coordinates are past `bound` or not finite, or whose loss (or recorded gradient,
    when full) is not finite; −1 for none. plateau (PLATEAU_ROWS, R): ReduceLROnPlateau's settings
    and state for the rows with PL_ON = 1 (their η_t is learned, not read from a table), and
    learned (n, R): the η_t they used (a (1, R) scratch when no row learns). Returns the steps taken."""
    R = points.shape[1]
    # The kernels work on (R, 2) scratch arrays made once, copied into the records number by
    # number: a view of a record array per step and kernel costs a reference count each way,
    # which was most of a step's time. σ, η/σ, m start as NaN: what a rule does not report stays so.
    theta, g, out = points[0].copy(), np.empty((R, 2)), np.empty((R, 2))
    sig, ratio, mo = np.full((R, 2), np.nan), np.full((R, 2), np.nan), np.full((R, 2), np.nan)
    whole = groups.shape[0] == 1
    learning = plateau.shape[1] == R
    bad_at[:] = -1
    for t in range(n + 1):
        for i in range(R):
            v, gx, gy = point(kind, theta[i, 0], theta[i, 1])
            loss[t, i], g[i, 0], g[i, 1] = v, gx, gy
            if bad_at[i] < 0 and not (abs(theta[i, 0]) <= bound and abs(theta[i, 1]) <= bound and abs(v) < math.inf):
                bad_at[i] = t
        if t == n:
            return n
        for i in range(R):
            s = noise_row[i]
            if s >= 0:
                g[i, 0] += noise[s, t, 0]
                g[i, 1] += noise[s, t, 1]
            if clip_kind[i] == CLIP_NORM:  # torch.nn.utils.clip_grad_norm_, as np.minimum (NaN wins)
                c = clip_max[i] / (math.sqrt(g[i, 0] * g[i, 0] + g[i, 1] * g[i, 1]) + 1e-6)
                if not c < 1.0 and c == c:
                    c = 1.0
                g[i, 0] *= c
                g[i, 1] *= c
            elif clip_kind[i] == CLIP_VALUE:  # clip_grad_value_, as np.clip (NaN stays)
                for c in range(2):
                    if g[i, c] < -clip_max[i]:
                        g[i, c] = -clip_max[i]
                    elif g[i, c] > clip_max[i]:
                        g[i, c] = clip_max[i]
            if full and bad_at[i] < 0 and not (abs(g[i, 0]) < math.inf and abs(g[i, 1]) < math.inf):
                bad_at[i] = t
            if learning and plateau[PL_ON, i] != 0:
                hp[0, i] = plateau[PL_LR, i]
            else:
                hp[0, i] = lr_tables[lr_row[i], t]
            if mom_row[i] >= 0:
                hp[cycled_row[i], i] = mom_tables[mom_row[i], t]
        if whole:
            _step_rows(groups[0, 0], theta, g, t + 1, hp, state, sig, ratio, mo, out)
        else:
            for j in range(groups.shape[0]):
                lo, hi = groups[j, 1], groups[j, 2]
                _step_rows(groups[j, 0], theta[lo:hi], g[lo:hi], t + 1, hp[:, lo:hi], state[:, lo:hi],
                           sig[lo:hi], ratio[lo:hi], mo[lo:hi], out[lo:hi])
        if learning and t + 1 < n:  # as torch: sched.step(loss) after opt.step(), the metric is θ_t's loss
            for i in range(R):
                if plateau[PL_ON, i] != 0:
                    learned[t + 1, i] = _learn(plateau, i, loss[t, i])
        k = t if full else 0
        inside = False
        for i in range(R):
            for c in range(2):
                points[t + 1, i, c] = out[i, c]
                grads[k, i, c], sigma[k, i, c], eff[k, i, c], mom[k, i, c] = g[i, c], sig[i, c], ratio[i, c], mo[i, c]
            inside = inside or (abs(out[i, 0]) <= bound and abs(out[i, 1]) <= bound)
        theta, out = out, theta
        if t % CHUNK == CHUNK - 1 and not inside:  # every run has left: the rest stays NaN
            for u in range(t + 1, n + 1):
                loss[u] = np.nan
                if u > t + 1:
                    points[u] = np.nan
                if full and u < n:
                    grads[u], sigma[u], eff[u], mom[u] = np.nan, np.nan, np.nan, np.nan
            for i in range(R):
                if bad_at[i] < 0:
                    bad_at[i] = t + 1
            return t + 1
    return n


def _keyed_to_the_kernels() -> None:
    """numba's cache checks only the file of the function it keeps: the compiled loop holds the
    kernels of kernels.py inlined, so an edit there must also invalidate it. Its cache entries
    here carry kernels.py's stamp too (numba's cache locators are internal: without them, the
    default, which a developer may need to clear by hand after editing kernels.py)."""
    try:
        from numba.core import caching
    except ImportError:
        return

    def stamped(base):
        class Locator(base):
            @classmethod
            def from_function(cls, py_func, py_file):
                return super().from_function(py_func, py_file) if py_file == __file__ else None

            def get_source_stamp(self):
                return super().get_source_stamp(), hashlib.sha256(Path(kernels.__file__).read_bytes()).hexdigest()
        return Locator
    bases = [getattr(caching, name, None) for name in ("UserProvidedCacheLocator", "InTreeCacheLocator")]
    impl = getattr(caching, "CacheImpl", None)
    if all(bases) and impl is not None:
        impl._locator_classes[:0] = [stamped(b) for b in bases]


_keyed_to_the_kernels()
_loop = numba.njit(cache=True, nogil=True)(_run)
_compiled: dict = {}
_compiling = threading.Lock()

F8, I8 = types.float64, types.int64
_ARGS = (I8, I8, F8, I8[:, ::1], F8[:, ::1], F8[:, :, ::1], F8[:, ::1], I8[::1], F8[:, ::1], I8[::1], I8[::1],
         F8[:, :, ::1], I8[::1], I8[::1], F8[::1], F8[:, :, ::1], F8[:, ::1], F8[:, :, ::1], F8[:, :, ::1],
         F8[:, :, ::1], F8[:, :, ::1], types.boolean, I8[::1], F8[:, ::1], F8[:, ::1])


def compiled_loop(point):
    """The loop for objectives of `point`'s type (a numba function with one declared signature),
    compiled now or loaded from numba's cache."""
    (sig,) = point.nopython_signatures
    with _compiling:  # the server's warm-up thread and a first page may ask at once
        return _compile_for(sig)


def _compile_for(sig):
    if sig not in _compiled:
        _loop.disable_compile(False)
        try:
            _loop.compile(I8(types.FunctionType(sig), *_ARGS))
        finally:
            # Only the declared overloads at call time: a call with `point` itself then converts
            # it to the function type (cached) instead of compiling anew for this very dispatcher
            # (a type that numba's cache cannot key: 3.4 s in every new process).
            if _loop.signatures:
                _loop.disable_compile()
        _compiled[sig] = _loop
    return _compiled[sig]


def run_loop(point, kind, n, bound, groups, hp, state, lr_tables, lr_row, mom_tables, mom_row, cycled_row,
             noise, noise_row, clip_kind, clip_max, points, loss, grads, sigma, eff, mom, full, bad_at, plateau, learned) -> int:
    """_run, compiled for point's type, with every array made the exact type it was compiled for."""
    loop = compiled_loop(point)
    c = np.ascontiguousarray
    i8 = lambda a: np.ascontiguousarray(a, dtype=np.int64)
    return loop(point, int(kind), int(n), float(bound), i8(groups), c(hp), c(state), c(lr_tables), i8(lr_row),
                c(mom_tables), i8(mom_row), i8(cycled_row), c(noise), i8(noise_row), i8(clip_kind), c(clip_max, dtype=float),
                points, loss, grads, sigma, eff, mom, bool(full), bad_at, c(plateau), learned)


def run_compiled(point, groups, specs, tables, n, bound, theta, records) -> np.ndarray:
    """Run the compiled loop for a simulation: the groups' packed settings (KernelGroup) and the
    schedule (ScheduleTables) and noise tables as arrays; the records (Records) written in place.
    Returns each row's first bad point index (−1: none)."""
    R = len(specs)
    hp = np.zeros((max(len(g.hp) for g in groups), R))
    state = np.zeros((max(len(g.state) for g in groups), R, 2))
    keys = tables.keys
    table = {}  # schedule key → row of lrs / moms
    lr_row = [table.setdefault(k, len(table)) for k in keys]
    lrs = np.empty((len(table), n))
    for k, u in table.items():
        lrs[u] = 0.0 if tables.lrs[k] is None else tables.lrs[k]  # None: learned (ReduceLROnPlateau)
    cycled = {k: i for i, k in enumerate(k for k in dict.fromkeys(keys) if tables.moms[k] is not None)}
    moms = np.empty((len(cycled), n))
    for k, u in cycled.items():
        moms[u] = tables.moms[k]
    mom_row, cycled_row = np.full(R, -1), np.zeros(R, dtype=np.int64)
    rules = []
    for grp in groups:
        lo, hi = grp.lo, grp.hi
        hp[: len(grp.hp), lo:hi], state[: len(grp.state), lo:hi] = grp.hp, grp.state
        rules.append((RULE_ID[grp.kernel], lo, hi))
        if grp.cycled:
            cycled_row[lo:hi] = grp.cycled_row
            mom_row[lo:hi] = [cycled.get(k, -1) for k in keys[lo:hi]]
    noise, noise_row = noise_streams(specs, n)
    clip_kind = [NO_CLIP if s.clip is None else CLIP_NORM if s.clip[0] == "norm" else CLIP_VALUE for s in specs]
    clip_max = [0.0 if s.clip is None else float(s.clip[1]) for s in specs]
    if records.full:
        step_records = [records.grads, records.sigma, records.eff, records.mom]
    else:  # scratch for what is not kept
        step_records = [np.empty((1, R, 2)) for _ in range(4)]
    records.points[0] = theta
    first_bad = np.empty(R, dtype=np.int64)
    learning = tables.plateau is not None
    plateau = plateau_rows(specs, tables) if learning else np.zeros((PLATEAU_ROWS, 0))
    learned = tables.live.reshape(n, R) if learning else np.zeros((1, R))  # a view: ScheduleTables.lr reads it
    run_loop(point[0], point[1], n, bound, np.array(rules), hp, state, lrs, lr_row, moms, mom_row, cycled_row,
             noise, noise_row, clip_kind, clip_max, records.points, records.loss, *step_records, records.full, first_bad,
             plateau, learned)
    return first_bad
