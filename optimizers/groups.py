"""Runs that share an update rule step together: a group is a slice of rows [lo, hi).

KernelGroup steps with the rule's compiled kernel (optimizers/kernels.py) and is what the
compiled loop reads its packed settings from; NumpyRulesGroup steps with the NumPy rule (no numba).
"""
from __future__ import annotations

import numpy as np

from .registry import OPTIMIZERS
from .tables import flat, per_step

CHUNK = 512  # steps kept in Python lists before they are copied into the record arrays


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


class NumpyRulesGroup:
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


class KernelGroup:
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
        self.lr, self.momentum, self.cycled = flat(lr_source), flat(mom_source), cycled
        if cycled:
            self.cycled_row = 1 + lay.hp.index(cls.cycled_attribute())

    def step(self, theta, g, t, out, sigma, eff, mom):
        hp, r = self.hp, self.rows
        hp[0] = self.lr[t]
        if self.momentum is not None:  # cycled momentum / β1 (OneCycleLR, CyclicLR)
            hp[self.cycled_row] = self.momentum[t]
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


def make_groups(specs, theta, tables, kernels, sources: bool = True) -> list:
    """The groups of `specs` (ordered by order_by_rule): KernelGroup with numba, else NumpyRulesGroup.
    sources=False: the compiled loop reads the schedule tables itself (no per-group sources)."""
    R, n = len(specs), tables.n
    groups, lo = [], 0
    keys = rule_keys(specs)
    for hi in range(1, R + 1):
        if hi < R and keys[hi] == keys[lo]:
            continue
        cycled = tables.cycled(lo, hi)
        lr_source = mom_source = None
        if sources:
            if tables.plateau is not None and any(lo <= p < hi for p in tables.plateau_rows):
                lr_source = tables.live[:, lo:hi]
            else:
                lr_source = per_step(tables.keys, tables.lrs, lo, hi, n)
            if cycled:
                # Rows without a cycling schedule keep their own momentum / β1.
                attr = OPTIMIZERS[specs[lo].optimizer].cycled_attribute()
                fill = [s.params["betas"][0] if attr == "beta1" else s.params[attr] for s in specs[lo:hi]]
                mom_source = per_step(tables.keys, tables.moms, lo, hi, n, fill=fill)
        cls = OPTIMIZERS[specs[lo].optimizer]
        if kernels is not None:
            groups.append(KernelGroup(cls, lo, hi, specs[lo:hi], theta, lr_source, mom_source, kernels,
                                      whole=lo == 0 and hi == R, cycled=cycled))
        else:
            groups.append(NumpyRulesGroup(cls, lo, hi, specs[lo:hi], theta, lr_source, mom_source))
        lo = hi
    return groups

