"""Learning-rate schedules with torch.optim.lr_scheduler's names, parameters and arithmetic.

Convention (torch's canonical loop `opt.step(); sched.step()`): update k (0-based) uses lr(k),
the value the optimizer holds before its k-th step. torch's chainable schedulers compute lr(k)
recursively from lr(k−1); `next_lr` replicates that recursion (so numbers match torch to the
last bit), and `closed_form` states the formula (the docstrings and SequentialLR use it).

Parameters that torch requires (T_max, total_steps, max_lr, …) default here to something
sensible for the scenario (the number of steps, the run's lr), as noted in each `Param.doc`.
"""
from __future__ import annotations

import math
from bisect import bisect_right
from collections import Counter
from typing import ClassVar

import numpy as np

from .jit import jit
from .params import Param, ValidationError, check_params, flag, nonneg, positive
from .pieces import maximum

STEPS = "defaults to the scenario's number of steps"


def _int(default, doc, low=0, **kw):
    return Param(default, doc, kind="int", low=low, **kw)


class Schedule:
    name: ClassVar[str]
    params: ClassVar[dict[str, Param]] = {}
    formula: ClassVar[str] = ""  # LaTeX of η_t
    source: ClassVar[str] = "torch.optim.lr_scheduler"
    uses_loss: ClassVar[bool] = False  # ReduceLROnPlateau

    def __init__(self, settings: dict, steps: int):
        self.p = settings
        self.steps = steps
        self.resolve()

    @classmethod
    def validate(cls, given: dict | None, steps: int) -> dict:
        settings = check_params(cls.name, cls.params, given)
        cls(settings, steps)  # resolve() raises ValidationError on bad combinations
        return settings

    def resolve(self) -> None:
        """Fill scenario-dependent defaults and check combinations."""

    # torch's recursion ---------------------------------------------------------------
    def first(self, base: float) -> float:
        """lr(0): what the scheduler's initial step leaves in the optimizer."""
        return self.closed_form(0, base)

    def next_lr(self, t: int, lr: float, base: float) -> float:
        """lr(t) from lr(t−1), t ≥ 1, as torch's get_lr computes it."""
        return self.closed_form(t, base)

    def closed_form(self, t: int, base: float) -> float:
        raise NotImplementedError

    def segment(self, base: float, n: int, entry: float) -> list[float]:
        out = [entry]
        for t in range(1, n):
            out.append(self.next_lr(t, out[-1], base))
        return out[:n]

    def lrs(self, base: float, n: int) -> np.ndarray:
        """The lr of each of n updates."""
        return np.asarray(self.segment(base, n, self.first(base)), dtype=float)

    def momenta(self, n: int) -> np.ndarray | None:
        """Cycled momentum / β1 for each update (OneCycleLR, CyclicLR), else None."""
        return None


class Constant(Schedule):
    """No schedule: η_t = η."""
    name = "none"
    formula = r"\eta_t = \eta"

    def closed_form(self, t, base):
        return base

    def lrs(self, base, n):
        return np.full(n, float(base))


class StepLR(Schedule):
    """η_t = η·γ^⌊t/step_size⌋."""
    name = "StepLR"
    params = {"step_size": _int(100, "period of the decay, in steps", low=1), "gamma": nonneg(0.1, "decay factor γ")}
    formula = r"\eta_t = \eta\,\gamma^{\lfloor t/s \rfloor}"

    def next_lr(self, t, lr, base):
        return lr * self.p["gamma"] if t % self.p["step_size"] == 0 else lr

    def closed_form(self, t, base):
        return base * self.p["gamma"] ** (t // self.p["step_size"])


class MultiStepLR(Schedule):
    """η_t = η·γ^(number of milestones ≤ t)."""
    name = "MultiStepLR"
    params = {"milestones": Param((100, 200), "steps at which η is multiplied by γ", kind="ints", low=0),
              "gamma": nonneg(0.1, "decay factor γ")}
    formula = r"\eta_t = \eta\,\gamma^{\#\{m_i \le t\}}"

    def resolve(self):
        self.count = Counter(self.p["milestones"])

    def first(self, base):
        return self.next_lr(0, base, base)

    def next_lr(self, t, lr, base):
        return lr * self.p["gamma"] ** self.count[t] if t in self.count else lr

    def closed_form(self, t, base):
        return base * self.p["gamma"] ** bisect_right(sorted(self.count.elements()), t)


class ExponentialLR(Schedule):
    """η_t = η·γ^t."""
    name = "ExponentialLR"
    params = {"gamma": nonneg(0.99, "decay factor γ per step")}
    formula = r"\eta_t = \eta\,\gamma^{t}"

    def next_lr(self, t, lr, base):
        return lr * self.p["gamma"]

    def closed_form(self, t, base):
        return base * self.p["gamma"] ** t


class CosineAnnealingLR(Schedule):
    """η_t = η_min + (η − η_min)(1 + cos(πt/T_max))/2; past T_max it rises again (period 2·T_max), as in torch."""
    name = "CosineAnnealingLR"
    params = {"T_max": _int(None, "half-period in steps; " + STEPS, low=1), "eta_min": nonneg(0.0, "lowest lr η_min")}
    formula = r"\eta_t = \eta_{\min} + \tfrac12(\eta-\eta_{\min})\big(1+\cos\tfrac{\pi t}{T_{\max}}\big)"

    def resolve(self):
        self.T = self.p["T_max"] or self.steps

    def first(self, base):
        return base  # torch's initial step keeps the optimizer's lr

    def next_lr(self, t, lr, base):
        T, lo = self.T, self.p["eta_min"]
        if (t - 1 - T) % (2 * T) == 0:
            return lr + (base - lo) * (1 - math.cos(math.pi / T)) / 2
        return (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T)) * (lr - lo) + lo

    def closed_form(self, t, base):
        lo = self.p["eta_min"]
        return lo + (base - lo) * (1 + math.cos(math.pi * t / self.T)) / 2


class CosineAnnealingWarmRestarts(Schedule):
    """Cosine from η down to η_min over T_i steps, then restart; T_i grows ×T_mult each cycle (SGDR)."""
    name = "CosineAnnealingWarmRestarts"
    params = {"T_0": _int(100, "length of the first cycle", low=1), "T_mult": _int(1, "cycle length factor", low=1),
              "eta_min": nonneg(0.0, "lowest lr η_min")}
    formula = r"\eta_t = \eta_{\min} + \tfrac12(\eta-\eta_{\min})\big(1+\cos\tfrac{\pi T_{cur}}{T_i}\big)"

    def _value(self, base, t_cur, t_i):
        lo = self.p["eta_min"]
        return lo + (base - lo) * (1 + math.cos(math.pi * t_cur / t_i)) / 2

    def segment(self, base, n, entry):
        out, t_cur, t_i = [], 0, self.p["T_0"]
        for _ in range(n):
            out.append(self._value(base, t_cur, t_i))
            t_cur += 1
            if t_cur >= t_i:
                t_cur, t_i = t_cur % t_i, t_i * self.p["T_mult"]
        return out

    def closed_form(self, t, base):
        return self.segment(base, t + 1, base)[-1]


class LinearLR(Schedule):
    """η_t = η·(s + (e − s)·min(t, T)/T): a linear ramp, e.g. a warm-up from s·η to η."""
    name = "LinearLR"
    params = {"start_factor": Param(1 / 3, "factor at step 0", low=0.0, high=1.0, low_open=True),
              "end_factor": Param(1.0, "factor from step total_iters on", low=0.0, high=1.0),
              "total_iters": _int(5, "length of the ramp", low=1)}
    formula = r"\eta_t = \eta\big(s + (e-s)\min(t,T)/T\big)"

    def first(self, base):
        return base * self.p["start_factor"]

    def next_lr(self, t, lr, base):
        s, e, T = self.p["start_factor"], self.p["end_factor"], self.p["total_iters"]
        if t > T:
            return lr
        return lr * (1.0 + (e - s) / (T * s + (t - 1) * (e - s)))

    def closed_form(self, t, base):
        s, e, T = self.p["start_factor"], self.p["end_factor"], self.p["total_iters"]
        return base * (s + (e - s) * min(T, t) / T)


class ConstantLR(Schedule):
    """η_t = η·factor for t < total_iters, then η."""
    name = "ConstantLR"
    params = {"factor": Param(1 / 3, "factor before total_iters", low=0.0, high=1.0, low_open=True),
              "total_iters": _int(5, "steps at the reduced lr", low=1)}
    formula = r"\eta_t = \eta\cdot(f \text{ if } t<T \text{ else } 1)"

    def first(self, base):
        return base * self.p["factor"]

    def next_lr(self, t, lr, base):
        return lr * (1.0 / self.p["factor"]) if t == self.p["total_iters"] else lr

    def closed_form(self, t, base):
        f = self.p["factor"]
        return base * (f + (t >= self.p["total_iters"]) * (1 - f))


class PolynomialLR(Schedule):
    """η_t = η·(1 − min(t, T)/T)^power: reaches 0 at T."""
    name = "PolynomialLR"
    params = {"total_iters": _int(5, "steps to reach 0", low=1), "power": nonneg(1.0, "power of the decay")}
    formula = r"\eta_t = \eta\,(1 - \min(t,T)/T)^{p}"

    def next_lr(self, t, lr, base):
        T, p = self.p["total_iters"], self.p["power"]
        if t > T:
            return lr
        return lr * ((1.0 - t / T) / (1.0 - (t - 1) / T)) ** p

    def closed_form(self, t, base):
        T = self.p["total_iters"]
        return base * (1.0 - min(T, t) / T) ** self.p["power"]


class OneCycleLR(Schedule):
    """Rise from max_lr/div_factor to max_lr over pct_start of the steps, then anneal to
    max_lr/(div_factor·final_div_factor). By default momentum (or β1) cycles the other way,
    max_momentum → base_momentum → max_momentum, as torch does. Smith & Topin, 2017."""
    name = "OneCycleLR"
    params = {"max_lr": positive(None, "peak lr; defaults to the run's lr"),
              "total_steps": _int(None, "length of the cycle; " + STEPS, low=1),
              "pct_start": Param(0.3, "fraction of the cycle spent rising", low=0.0, high=1.0),
              "anneal_strategy": Param("cos", "shape of the ramps", kind="choice", choices=("cos", "linear")),
              "cycle_momentum": flag(True, "cycle momentum / β1 inversely to the lr"),
              "base_momentum": nonneg(0.85, "lowest momentum (at the peak lr)"),
              "max_momentum": nonneg(0.95, "highest momentum (at the ends)"),
              "div_factor": positive(25.0, "initial lr = max_lr / div_factor"),
              "final_div_factor": positive(1e4, "final lr = initial lr / final_div_factor"),
              "three_phase": flag(False, "add a symmetric descent before the final anneal")}
    formula = r"\eta_t:\ \tfrac{\eta_{\max}}{d}\nearrow\eta_{\max}\searrow\tfrac{\eta_{\max}}{d\,d_f}"

    def resolve(self):
        p = self.p
        self.total = p["total_steps"] or self.steps
        if self.total < self.steps:
            raise ValidationError("OneCycleLR.total_steps must be at least the number of steps ({steps}), got {value}",
                                  steps=f"{self.steps:,}", value=f"{self.total:,}")
        N, pct = self.total, float(p["pct_start"])
        if p["three_phase"]:
            self.phases = [(pct * N - 1, "initial", "max", "max_m", "base_m"),
                           (2 * pct * N - 2, "max", "initial", "base_m", "max_m"),
                           (N - 1, "initial", "min", "max_m", "max_m")]
        else:
            self.phases = [(pct * N - 1, "initial", "max", "max_m", "base_m"), (N - 1, "max", "min", "base_m", "max_m")]

    def _anneal(self, start, end, pct):
        if self.p["anneal_strategy"] == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def _at(self, t, base):
        p = self.p
        mx = p["max_lr"] or base
        v = {"max": mx, "initial": mx / p["div_factor"]}
        v["min"] = v["initial"] / p["final_div_factor"]
        v["max_m"], v["base_m"] = p["max_momentum"], p["base_momentum"]
        start = 0.0
        for i, (end, lr0, lr1, m0, m1) in enumerate(self.phases):
            if t <= end or i == len(self.phases) - 1:
                pct = (t - start) / (end - start)
                return self._anneal(v[lr0], v[lr1], pct), self._anneal(v[m0], v[m1], pct)
            start = end

    def closed_form(self, t, base):
        return self._at(t, base)[0]

    def momenta(self, n):
        return np.array([self._at(t, 0.0)[1] for t in range(n)]) if self.p["cycle_momentum"] else None


class CyclicLR(Schedule):
    """Triangular cycles between base_lr and max_lr (Smith 2017); momentum cycles inversely by default."""
    name = "CyclicLR"
    params = {"base_lr": nonneg(None, "lower lr; defaults to the run's lr"),
              "max_lr": positive(None, "upper lr; defaults to 10 × base_lr"),
              "step_size_up": _int(2000, "steps from base_lr up to max_lr", low=1),
              "step_size_down": _int(None, "steps back down; defaults to step_size_up", low=1),
              "mode": Param("triangular", "amplitude policy", kind="choice", choices=("triangular", "triangular2", "exp_range")),
              "gamma": nonneg(1.0, "amplitude decay γ^t in exp_range mode"),
              "cycle_momentum": flag(True, "cycle momentum / β1 inversely to the lr"),
              "base_momentum": nonneg(0.8, "lower momentum"), "max_momentum": nonneg(0.9, "upper momentum")}
    formula = r"\eta_t = \eta_{base} + (\eta_{\max}-\eta_{base})\,\mathrm{tri}(t)\,A"

    def resolve(self):
        up = float(self.p["step_size_up"])
        down = float(self.p["step_size_down"]) if self.p["step_size_down"] else up
        self.total_size, self.ratio = up + down, up / (up + down)

    def _scale(self, t):
        cycle = math.floor(1 + t / self.total_size)
        x = 1.0 + t / self.total_size - cycle
        factor = x / self.ratio if x <= self.ratio else (x - 1) / (self.ratio - 1)
        mode = self.p["mode"]
        amp = 1.0 if mode == "triangular" else 1 / (2.0 ** (cycle - 1)) if mode == "triangular2" else self.p["gamma"] ** t
        return factor, amp

    def closed_form(self, t, base):
        lo = base if self.p["base_lr"] is None else self.p["base_lr"]
        hi = self.p["max_lr"] or 10 * lo
        factor, amp = self._scale(t)
        return lo + (hi - lo) * factor * amp

    def momenta(self, n):
        if not self.p["cycle_momentum"]:
            return None
        lo, hi = self.p["base_momentum"], self.p["max_momentum"]
        out = []
        for t in range(n):
            factor, amp = self._scale(t)
            out.append(hi - (hi - lo) * factor * amp)
        return np.array(out)


class InverseSqrtLR(Schedule):
    """The lecture's decay η_t = η/√(t+1). LectureRMS with it is exactly torch's Adagrad (ε = 0)."""
    name = "InverseSqrtLR"
    source = "lecture"
    formula = r"\eta_t = \frac{\eta}{\sqrt{t+1}}"

    def closed_form(self, t, base):
        return base / math.sqrt(t + 1)


class NoamLR(Schedule):
    """Transformer warm-up (Vaswani et al. 2017): η_t = η·√w·min((t+1)^−½, (t+1)·w^−3/2):
    rises linearly, peaks at exactly η at step t + 1 = w, then decays as 1/√t."""
    name = "NoamLR"
    source = "Vaswani et al. 2017"
    params = {"warmup_steps": _int(50, "steps w of the linear warm-up (peak at step w)", low=1)}
    formula = r"\eta_t = \eta\sqrt{w}\,\min\big((t+1)^{-1/2},\ (t+1)\,w^{-3/2}\big)"

    def closed_form(self, t, base):
        w = self.p["warmup_steps"]
        return base * math.sqrt(w) * min((t + 1) ** -0.5, (t + 1) * w**-1.5)


class ReduceLROnPlateau(Schedule):
    """Cut the lr by `factor` when the loss has not improved for `patience` steps. No closed form:
    the engine drives it with the loss at each step's starting point (see PlateauTracker)."""
    name = "ReduceLROnPlateau"
    uses_loss = True
    params = {"mode": Param("min", "minimise or maximise the metric", kind="choice", choices=("min", "max")),
              "factor": Param(0.1, "lr ← lr·factor", low=0.0, high=1.0, high_open=True),
              "patience": _int(10, "steps without improvement tolerated"),
              "threshold": nonneg(1e-4, "what counts as an improvement"),
              "threshold_mode": Param("rel", "relative or absolute threshold", kind="choice", choices=("rel", "abs")),
              "cooldown": _int(0, "steps to wait after a cut"), "min_lr": nonneg(0.0, "lower bound on the lr"),
              "eps": nonneg(1e-8, "smaller cuts than this are skipped")}
    formula = r"\eta \leftarrow \max(\eta\cdot f,\ \eta_{\min})\ \text{after \textit{patience} steps without progress}"

    def closed_form(self, t, base):
        raise ValidationError("ReduceLROnPlateau has no closed form: it depends on the loss")


class SequentialLR(Schedule):
    """Run schedules one after another, switching at the milestones (e.g. LinearLR warm-up, then
    CosineAnnealingLR). Each member restarts from the base lr at its milestone, as in torch."""
    name = "SequentialLR"
    params = {"schedulers": Param(None, "list of schedule objects", kind="list", required=True),
              "milestones": Param(None, "steps at which the next schedule starts", kind="ints", low=1, required=True)}
    formula = r"\eta_t = \text{schedule}_i(t - m_i)"

    @classmethod
    def validate(cls, given, steps):
        given = dict(given or {})
        members = given.get("schedulers")
        if not isinstance(members, list) or not members:
            raise ValidationError("SequentialLR.schedulers must be a non-empty list of schedule objects")
        if len(members) > 8:
            raise ValidationError("SequentialLR.schedulers may hold at most 8 schedules")
        checked = []
        for m in members:
            name, params = parse_schedule_ref(m)
            if name in ("SequentialLR", "ReduceLROnPlateau", "OneCycleLR", "CyclicLR", "none"):
                raise ValidationError("SequentialLR cannot contain {name}; use: {allowed}", name=name, allowed=", ".join(SEQUENTIAL_MEMBERS))
            checked.append({"name": name, "params": SCHEDULES[name].validate(params, steps)})
        ms = Param(None, "", kind="ints", low=1).check("SequentialLR", "milestones", given.get("milestones", []))
        if len(ms) != len(checked) - 1:
            raise ValidationError("SequentialLR needs one milestone fewer than schedulers ({n}), got {got}", n=len(checked) - 1, got=len(ms))
        if list(ms) != sorted(ms):
            raise ValidationError("SequentialLR.milestones must be increasing")
        return {"schedulers": checked, "milestones": ms}

    def resolve(self):
        self.members = [SCHEDULES[m["name"]](m["params"], self.steps) for m in self.p["schedulers"]]

    def lrs(self, base, n):
        bounds = [0, *self.p["milestones"], max(n, self.p["milestones"][-1] if self.p["milestones"] else n)]
        out: list[float] = []
        for i, sched in enumerate(self.members):
            length = max(0, min(bounds[i + 1], n) - bounds[i])
            if length == 0:
                continue
            entry = sched.first(base) if i == 0 else sched.closed_form(0, base)
            out += sched.segment(base, length, entry)
        return np.asarray(out[:n], dtype=float)


SCHEDULES: dict[str, type[Schedule]] = {c.name: c for c in [
    Constant, StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, CosineAnnealingWarmRestarts, LinearLR,
    ConstantLR, PolynomialLR, OneCycleLR, CyclicLR, SequentialLR, ReduceLROnPlateau, InverseSqrtLR, NoamLR]}
SEQUENTIAL_MEMBERS = [n for n in SCHEDULES if n not in ("SequentialLR", "ReduceLROnPlateau", "OneCycleLR", "CyclicLR", "none")]


def parse_schedule_ref(obj) -> tuple[str, dict]:
    """A schedule given as "Name", {"name": …, "params": {…}} or None → (name, params)."""
    if obj is None:
        return "none", {}
    if isinstance(obj, str):
        obj = {"name": obj}
    if not isinstance(obj, dict):
        raise ValidationError("a schedule must be a name or an object with \"name\" and \"params\", got {value}", value=repr(str(obj)[:60]))
    extra = set(obj) - {"name", "params"}
    if extra:
        raise ValidationError("schedule has unknown key {name}; allowed: name, params", name=repr(sorted(extra)[0][:40]))
    name = obj.get("name")
    if not isinstance(name, str) or name not in SCHEDULES:
        raise ValidationError("unknown schedule {name}; choose one of: {allowed}", name=repr(str(name)[:40]), allowed=", ".join(SCHEDULES))
    params = obj.get("params") or {}
    if not isinstance(params, dict):
        raise ValidationError("{name}.params must be an object of name: value", name=name)
    return name, params


# ReduceLROnPlateau, per run: its settings and state as rows of one float array (counts are
# small integers, exact in float64), so that the compiled loop and the Python loop share `learn`.
(PL_ON, PL_MIN, PL_REL, PL_FACTOR, PL_PATIENCE, PL_THRESHOLD, PL_COOLDOWN, PL_MIN_LR, PL_EPS,
 PL_LR, PL_BEST, PL_BAD, PL_COOLING) = range(13)
PLATEAU_ROWS = 13


def plateau_state(specs, rows) -> np.ndarray:
    """The (PLATEAU_ROWS, R) settings and starting state of ReduceLROnPlateau for the runs `rows`
    of `specs` (RunSpec); the other columns have PL_ON = 0."""
    p = np.zeros((PLATEAU_ROWS, len(specs)))
    for i in rows:
        s = specs[i].schedule_params
        p[PL_ON, i], p[PL_MIN, i], p[PL_REL, i] = 1.0, s["mode"] == "min", s["threshold_mode"] == "rel"
        p[PL_FACTOR, i], p[PL_PATIENCE, i], p[PL_THRESHOLD, i] = s["factor"], s["patience"], s["threshold"]
        p[PL_COOLDOWN, i], p[PL_MIN_LR, i], p[PL_EPS, i] = s["cooldown"], s["min_lr"], s["eps"]
        p[PL_LR, i] = float(specs[i].params["lr"])
        p[PL_BEST, i] = np.inf if s["mode"] == "min" else -np.inf
    return p


@jit
def learn(p, i, metric):
    """One torch ReduceLROnPlateau.step(metric) for run i of p (plateau_state); returns the lr of
    the next step."""
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
        new = maximum(lr * p[PL_FACTOR, i], p[PL_MIN_LR, i])
        if lr - new > p[PL_EPS, i]:
            p[PL_LR, i] = new
        p[PL_COOLING, i], p[PL_BAD, i] = p[PL_COOLDOWN, i], 0.0
    return p[PL_LR, i]


@jit
def learn_all(p, metric, lrs):
    """learn for every run with PL_ON, with its metric[i]; the new lrs go to lrs[i]."""
    for i in range(p.shape[1]):
        if p[PL_ON, i] != 0:
            lrs[i] = learn(p, i, metric[i])
