"""The step loop, compiled: every step of every run of a simulation in one call (numba).

Why: with the loop in Python, each step costs a few µs of interpreter work around the compiled
rule and objective (Adam, 1 run × 10,000 steps: 51 ms); here the whole loop is machine code, and
it runs without the interpreter's lock, so other threads (other students' pages) go on meanwhile.

One step t = 0 … n−1, for all R runs at once (rows of the arrays):
    f, g ← objective at θ_t                       (the surface's compiled point function)
    g ← clip(g + noise_t)                         (tables.perturb)
    hp.lr ← η_t; hp.momentum or hp.beta1 ← μ_t    (the schedule tables, per row, or the η learned)
    θ_{t+1} ← rule(θ_t, g, t+1, hp, state)         (each group of rows: its rule's kernel)
and every CHUNK steps the loop stops early when every row has left the finite world (|θ| > bound
or NaN): its records stay NaN, as the engine's divergence diagnosis expects.

The objective arrives as a numba function value, `point(kind, x, y) → (f, ∂f/∂x, ∂f/∂y)`, with
one declared signature: the loop is compiled once per machine for that function type and kept in
numba's cache, and this package never imports `surfaces` (the engine only receives objectives).
ReduceLROnPlateau learns η from the loss inside the loop too (schedules.learn_all). Not compiled
here: observers (fate maps and sweeps watch every step) and typed formulas (a NumPy objective):
those take the engine's Python loop (pyloop.py), with the same kernels.
"""
from __future__ import annotations

import hashlib
import math
import threading
from pathlib import Path

import numba
import numpy as np
from numba import types

from .divergence import CHUNK
from .jit import jit
from .registry import HYPER, OPTIMIZERS, STATE
from .schedules import PLATEAU_ROWS, learn_all
from .tables import perturb

# The distinct kernels, by index: the loop dispatches on it (numba keeps no table of functions
# that it can cache, so the dispatch is a chain of branches).
RULES = list(dict.fromkeys(cls.kernel for cls in OPTIMIZERS.values()))
RULE_ID = {kernel: i for i, kernel in enumerate(RULES)}
assert len(RULES) == 12, "a new kernel needs its branch in _step_rows"
(_k0, _k1, _k2, _k3, _k4, _k5, _k6, _k7, _k8, _k9, _k10, _k11) = RULES
NOT_CYCLED, CYCLES_MOMENTUM, CYCLES_BETA1 = 0, 1, 2
CYCLES = {None: NOT_CYCLED, "momentum": CYCLES_MOMENTUM, "beta1": CYCLES_BETA1}


@jit
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


def _run(point, kind, n, bound, groups, hp, state, lr_tables, lr_row, mom_tables, mom_row, cycles,
         noise, noise_row, clip_kind, clip_max, points, loss, grads, sigma, eff, mom, full, bad_at, plateau, learned):
    """The loop (see the module's docstring). Arrays, R rows:
    groups (G, 3): kernel index (RULE_ID), first row, end row; hp (R,) HYPER and state (R, 2) STATE
    records (each group's groups.pack); lr_tables (U, n) with lr_row (R,) the table of each row;
    mom_tables (V, n), mom_row (R,) (−1: the row's momentum is not cycled), cycles (R,) the field
    it goes to (CYCLES_MOMENTUM, CYCLES_BETA1); noise (N, n, 2), noise_row, clip_kind, clip_max
    (R,): tables.GradientNoise; records points (n+1, R, 2), loss (n+1, R), and grads, sigma, eff,
    mom (n, R, 2) when full, else (1, R, 2) scratch; they need no initial value: what the loop
    does not reach is set to NaN. bad_at (R,) receives each row's first point index whose
    coordinates are past `bound` or not finite, or whose loss (or recorded gradient, when full) is
    not finite; −1 for none. plateau (PLATEAU_ROWS, R): ReduceLROnPlateau's settings and state
    (schedules.plateau_state; its rows that learn have η_t from `learned` (n, R), which the loop
    fills; a (1, R) scratch and an empty plateau when no row learns). Returns the steps taken."""
    R = points.shape[1]
    # The kernels work on (R, 2) scratch arrays made once, copied into the records number by
    # number: a view of a record array per step and kernel costs a reference count each way,
    # which was most of a step's time. σ, η/σ, m start as NaN: what a rule does not report stays so.
    theta, g, out = points[0].copy(), np.empty((R, 2)), np.empty((R, 2))
    sig, ratio, mo = np.full((R, 2), np.nan), np.full((R, 2), np.nan), np.full((R, 2), np.nan)
    whole = groups.shape[0] == 1
    learning = plateau.shape[1] == R
    perturbing = (noise_row >= 0).any() or (clip_kind != 0).any()
    bad_at[:] = -1
    for t in range(n + 1):
        for i in range(R):
            v, gx, gy = point(kind, theta[i, 0], theta[i, 1])
            loss[t, i], g[i, 0], g[i, 1] = v, gx, gy
            if bad_at[i] < 0 and not (abs(theta[i, 0]) <= bound and abs(theta[i, 1]) <= bound and abs(v) < math.inf):
                bad_at[i] = t
        if t == n:
            return n
        if perturbing:
            perturb(g, t, noise, noise_row, clip_kind, clip_max)
        for i in range(R):
            if full and bad_at[i] < 0 and not (abs(g[i, 0]) < math.inf and abs(g[i, 1]) < math.inf):
                bad_at[i] = t
            h = hp[i]
            h.lr = learned[t, i] if learning else lr_tables[lr_row[i], t]
            if mom_row[i] >= 0:
                if cycles[i] == CYCLES_MOMENTUM:
                    h.momentum = mom_tables[mom_row[i], t]
                else:
                    h.beta1 = mom_tables[mom_row[i], t]
        if whole:
            _step_rows(groups[0, 0], theta, g, t + 1, hp, state, sig, ratio, mo, out)
        else:
            for j in range(groups.shape[0]):
                lo, hi = groups[j, 1], groups[j, 2]
                _step_rows(groups[j, 0], theta[lo:hi], g[lo:hi], t + 1, hp[lo:hi], state[lo:hi],
                           sig[lo:hi], ratio[lo:hi], mo[lo:hi], out[lo:hi])
        if learning and t + 1 < n:  # as torch: sched.step(loss) after opt.step(), the metric is θ_t's loss
            learn_all(plateau, loss[t], learned[t + 1])
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


def _keyed_to_the_package() -> None:
    """numba's cache checks only the file of the function it keeps: the compiled loop holds the
    rules, the pieces and the schedules' arithmetic of this package inlined, so an edit in any of
    its files must also invalidate it. Its cache entries carry the package's stamp too (numba's
    cache locators are internal: without them, the default, which a developer may need to clear
    by hand after editing a rule)."""
    try:
        from numba.core import caching
    except ImportError:
        return
    package = hashlib.sha256(b"".join(f.read_bytes() for f in sorted(Path(__file__).parent.glob("*.py")))).hexdigest()

    def stamped(base):
        class Locator(base):
            @classmethod
            def from_function(cls, py_func, py_file):
                return super().from_function(py_func, py_file) if py_file == __file__ else None

            def get_source_stamp(self):
                return super().get_source_stamp(), package
        return Locator
    bases = [getattr(caching, name, None) for name in ("UserProvidedCacheLocator", "InTreeCacheLocator")]
    impl = getattr(caching, "CacheImpl", None)
    if all(bases) and impl is not None:
        impl._locator_classes[:0] = [stamped(b) for b in bases]


_keyed_to_the_package()
_loop = numba.njit(cache=True, nogil=True)(_run)
_compiled: dict = {}
_compiling = threading.Lock()

F8, I8 = types.float64, types.int64
_HP, _STATE = numba.typeof(np.zeros(1, HYPER)), numba.typeof(np.zeros((1, 2), STATE))
_ARGS = (I8, I8, F8, I8[:, ::1], _HP, _STATE, F8[:, ::1], I8[::1], F8[:, ::1], I8[::1], I8[::1],
         F8[:, :, ::1], I8[::1], I8[::1], F8[::1], F8[:, :, ::1], F8[:, ::1], F8[:, :, ::1], F8[:, :, ::1],
         F8[:, :, ::1], F8[:, :, ::1], types.boolean, I8[::1], F8[:, ::1], F8[:, ::1])


def compiled_loop(point):
    """The loop for objectives of `point`'s type (a numba function with one declared signature),
    compiled now or loaded from numba's cache."""
    (sig,) = point.nopython_signatures
    with _compiling:  # the server's warm-up thread and a first page may ask at once
        return _compile_for(sig)


def ready(point) -> bool:
    """Whether the loop for `point`'s type is in this process already (compiled or loaded)."""
    (sig,) = point.nopython_signatures
    return sig in _compiled


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


def run_loop(point, kind, n, bound, groups, hp, state, lr_tables, lr_row, mom_tables, mom_row, cycles,
             noise, noise_row, clip_kind, clip_max, points, loss, grads, sigma, eff, mom, full, bad_at, plateau, learned) -> int:
    """_run, compiled for point's type, with every array made the exact type it was compiled for."""
    loop = compiled_loop(point)
    c = np.ascontiguousarray
    i8 = lambda a: np.ascontiguousarray(a, dtype=np.int64)  # noqa: E731
    return loop(point, int(kind), int(n), float(bound), i8(groups), c(hp), c(state), c(lr_tables), i8(lr_row),
                c(mom_tables), i8(mom_row), i8(cycles), c(noise), i8(noise_row), i8(clip_kind), c(clip_max, dtype=float),
                points, loss, grads, sigma, eff, mom, bool(full), bad_at, c(plateau), learned)


def run_compiled(point, groups, noise, tables, n, bound, theta, records) -> np.ndarray:
    """Run the compiled loop for a simulation: the groups' packed settings (groups.Group), the
    schedule tables (ScheduleTables) and the noise (GradientNoise) as arrays; the records
    (Records) written in place. Returns each row's first bad point index (−1: none)."""
    R = theta.shape[0]
    hp, state = np.zeros(R, HYPER), np.zeros((R, 2), STATE)
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
    mom_row, cycles = np.full(R, -1), np.zeros(R, dtype=np.int64)
    rules = []
    for grp in groups:
        lo, hi = grp.lo, grp.hi
        hp[lo:hi], state[lo:hi] = grp.hp, grp.state
        rules.append((RULE_ID[grp.cls.kernel], lo, hi))
        if grp.cycled:
            cycles[lo:hi] = CYCLES[grp.cycled_field]
            mom_row[lo:hi] = [cycled.get(k, -1) for k in keys[lo:hi]]
    if records.full:
        step_records = [records.grads, records.sigma, records.eff, records.mom]
    else:  # scratch for what is not kept
        step_records = [np.empty((1, R, 2)) for _ in range(4)]
    records.points[0] = theta
    first_bad = np.empty(R, dtype=np.int64)
    learning = tables.plateau is not None
    plateau = tables.plateau if learning else np.zeros((PLATEAU_ROWS, 0))
    learned = tables.live if learning else np.zeros((1, R))  # ScheduleTables.lr reads it
    run_loop(point[0], point[1], n, bound, np.array(rules), hp, state, lrs, lr_row, moms, mom_row, cycles,
             *noise.arrays(), records.points, records.loss, *step_records, records.full, first_bad, plateau, learned)
    return first_bad
