"""Runs that share an update rule step together: a group is a slice of rows [lo, hi), with its
hyperparameters and state packed as records (registry.HYPER, registry.STATE) for the rule's kernel."""
from __future__ import annotations

import numpy as np

from .base import Iteration
from .jit import AVAILABLE, plain
from .registry import HYPER, OPTIMIZERS, STATE
from .tables import per_step


def use_compiled(compiled: bool | None) -> bool:
    """Whether to step with the compiled kernels: None means when numba is installed."""
    if compiled and not AVAILABLE:
        raise ImportError("compiled=True needs numba")
    return AVAILABLE if compiled is None else bool(compiled)


def pack(cls, settings: list[dict], cycled: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The runs' hyperparameter records (rows,) and their starting state (rows, 2), as record
    arrays: hp[r].beta1, state[r, c].m read the same in a compiled kernel and in plain Python.
    The lr field is left for the loop to write at every step."""
    rows = len(settings)
    hp = np.zeros(rows, HYPER).view(np.recarray)
    columns = cls.columns(settings)
    for name, values in columns.items():
        if name != "lr":
            hp[name] = np.asarray(values, dtype=float)
    state = np.zeros((rows, 2), STATE).view(np.recarray)
    for name, start in cls.state.items():
        state[name] = (np.asarray(columns[start], dtype=float)[:, None] if isinstance(start, str) else start)
    return hp, state


class Group:
    """The runs of one rule (the same optimizer and boolean options): rows [lo, hi).

    lr_source[t] (and mom_source[t] for a cycled momentum / β1) is this step's value: a list of
    Python floats when every row agrees, else (rows,) per row. They are None when the compiled loop
    (optimizers/loop.py) reads the schedule tables itself."""

    def __init__(self, cls, lo, hi, specs, lr_source, mom_source, compiled, whole, cycled):
        settings = [s.params for s in specs]
        self.cls, self.lo, self.hi = cls, lo, hi
        self.rows = slice(None) if whole else slice(lo, hi)  # the whole array: no view per call
        self.kernel = cls.kernel if compiled else plain(cls.kernel)
        self.hp, self.state = pack(cls, settings, cycled)
        self.has_sigma = cls.has_sigma
        self.has_mom = cls.records_momentum(settings, cycled)
        self.lr, self.momentum, self.cycled = lr_source, mom_source, cycled
        self.cycled_field = cls.cycled_attribute() if cycled else None

    def step(self, theta, g, t, out, sigma, eff, mom):
        hp, r = self.hp, self.rows
        hp.lr = self.lr[t]
        if self.momentum is not None:  # cycled momentum / β1 (OneCycleLR, CyclicLR)
            hp[self.cycled_field] = self.momentum[t]
        self.kernel(theta[r], g[r], t + 1, hp, self.state, sigma[r], eff[r], mom[r], out[r])


def rule_keys(runs) -> list[tuple]:
    """Per run, what decides its group: the optimizer and its boolean options (groups_by).
    Computed once per distinct params dict (a map's 40,000 starts share one)."""
    memo = {}

    def key(r):
        ident = (r.optimizer, id(r.params))
        if ident not in memo:
            memo[ident] = (r.optimizer, tuple(r.params.get(k) for k in OPTIMIZERS[r.optimizer].groups_by))
        return memo[ident]
    return [key(r) for r in runs]


def order_by_rule(runs) -> list[int]:
    """The runs' order with the runs of one rule (and the same boolean options) side by side."""
    rank = {name: i for i, name in enumerate(OPTIMIZERS)}
    keys = rule_keys(runs)
    sort_keys = {k: (rank[k[0]], str(k)) for k in set(keys)}
    return sorted(range(len(runs)), key=lambda i: sort_keys[keys[i]])


def make_groups(specs, tables, compiled: bool, sources: bool = True) -> list[Group]:
    """The groups of `specs` (ordered by order_by_rule). sources=False: the compiled loop reads the
    schedule tables itself (no per-group sources)."""
    R, n = len(specs), tables.n
    groups, lo = [], 0
    keys = rule_keys(specs)
    for hi in range(1, R + 1):
        if hi < R and keys[hi] == keys[lo]:
            continue
        cycled = tables.cycled(lo, hi)
        cls = OPTIMIZERS[specs[lo].optimizer]
        lr_source = mom_source = None
        if sources:
            if tables.plateau is not None:
                lr_source = tables.live[:, lo:hi]
            else:
                lr_source = per_step(tables.keys, tables.lrs, lo, hi, n)
            if cycled:
                # Rows without a cycling schedule keep their own momentum / β1.
                attr = cls.cycled_attribute()
                fill = [s.params["betas"][0] if attr == "beta1" else s.params[attr] for s in specs[lo:hi]]
                mom_source = per_step(tables.keys, tables.moms, lo, hi, n, fill=fill)
        groups.append(Group(cls, lo, hi, specs[lo:hi], lr_source, mom_source, compiled,
                            whole=lo == 0 and hi == R, cycled=cycled))
        lo = hi
    return groups


def compile_all() -> None:
    """Compile (or load from numba's cache) every rule's kernel and the growth pass of their linear
    iteration now, e.g. while a server starts or an image is built, rather than on a student's
    first click (~0.4 s per kernel uncached)."""
    theta, state = np.zeros((1, 2)), np.zeros((1, 2), STATE).view(np.recarray)
    hp = np.full(1, 0.5, HYPER).view(np.recarray)  # any valid setting: compiling only needs the types
    for kernel in dict.fromkeys(cls.kernel for cls in OPTIMIZERS.values()):
        kernel(theta, theta, 1, hp, state, *np.zeros((3, 1, 2)), np.zeros((1, 2)))
    Iteration(1.0, 1.0, 0.0, 0.0).radius(np.zeros(1))  # the stability lens's growth (Optimizer.growth)
