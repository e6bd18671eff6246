"""The scenario: one JSON-able description of a run set, validated as untrusted input.

    {"surface": "rosenbrock", "start": [-1.5, 2.0], "steps": 500,   (or a typed surface:
     "surface": {"formula": "x^2 + 10*y^2", "domain": [[-3, 3], [-3, 3]]})
     "runs": [{"optimizer": "Adam", "params": {"lr": 0.05, "betas": [0.9, 0.999]},
               "schedule": {"name": "CosineAnnealingLR", "params": {"T_max": 500}},
               "label": "Adam + cosine", "start": [-1.5, 2.0]}]}

`parse_scenario` returns a frozen `Scenario` or raises `ValidationError` with one line that
names the field and lists what is allowed. `run_scenario` hands it to the engine.
The CLI, the page's save/load and share links all use this one format.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, replace

import numpy as np

from optimizers import OPTIMIZERS, SCHEDULES, Phrase, RunResult, RunSpec, ValidationError, simulate
from optimizers.params import finite
from optimizers.schedules import STEPS, parse_schedule_ref
from surfaces import SURFACES, FormulaError, FormulaSpec, Surface, formula_surface, parse_domain

MAX_STEPS = 100_000
MAX_RUNS = 16
MAX_LABEL = 80
MAX_FILE_BYTES = 1_000_000
FORMAT_VERSION = 1
SCENARIO_KEYS = ("version", "surface", "start", "steps", "runs", "map", "sweep")
RUN_KEYS = ("optimizer", "params", "schedule", "warmup", "label", "start", "clip", "noise")
WARMUP_KEYS = ("steps", "start_factor")
WARMUP_FACTOR = 0.01  # torch's LinearLR starts at 1/3; a warm-up usually starts much lower
MAX_BUNDLE = 32  # noisy runs drawn per bundle
MAP_KEYS, SWEEP_KEYS = ("run", "cells", "steps", "tolerance"), ("run", "lr", "param", "values", "steps", "tolerance")
MAX_MAP_STEPS = 5_000
# The work one scenario may ask for: steps × runs, each extra noise seed of a bundle counting as a
# run (16 runs × 100,000 steps × 2 seeds, or 1 run × 100,000 steps × 32 seeds). Each bound above
# holds alone; this one holds for their product, which they alone would let reach 51 million.
MAX_WORK = 3_200_000
FORMULA_KEYS = ("formula", "domain")


@dataclass(frozen=True)
class Scenario:
    surface: str | FormulaSpec  # a built-in surface's name, or a typed formula with its view
    start: tuple[float, float]
    steps: int
    runs: tuple[RunSpec, ...]
    bundles: tuple[int, ...] = ()  # per run: how many noise seeds to draw (1 = the run alone)
    map: dict | None = None  # fate map settings (MAP_KEYS), validated
    sweep: dict | None = None  # sweep settings (SWEEP_KEYS), validated

    @property
    def surface_obj(self) -> Surface:
        return self.surface.surface if isinstance(self.surface, FormulaSpec) else SURFACES[self.surface]

    def to_dict(self) -> dict:
        runs = []
        for r in self.runs:
            d = {"optimizer": r.optimizer, "params": _jsonable(r.params)}
            name, params, warmup = split_warmup(r.schedule, r.schedule_params)
            if name != "none":
                d["schedule"] = {"name": name, "params": _jsonable(params)}
            if warmup is not None:
                d["warmup"] = warmup
            if r.label:
                d["label"] = r.label
            if tuple(r.start) != tuple(self.start):
                d["start"] = list(r.start)
            if r.clip is not None:
                d["clip"] = {"max_norm" if r.clip[0] == "norm" else "clip_value": r.clip[1]}
            if r.noise is not None:
                d["noise"] = {"std": r.noise[0], "seed": r.noise[1]}
                if self.bundles and self.bundles[len(runs)] > 1:
                    d["noise"]["bundle"] = self.bundles[len(runs)]
            runs.append(d)
        surface = self.surface.to_dict() if isinstance(self.surface, FormulaSpec) else self.surface
        out = {"version": FORMAT_VERSION, "surface": surface, "start": list(self.start), "steps": self.steps, "runs": runs}
        if self.map is not None:
            out["map"] = dict(self.map)
        if self.sweep is not None:
            out["sweep"] = _jsonable(self.sweep)
        return out


def _jsonable(v):
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    return v


def note(text: str, **values) -> tuple[str, dict]:
    """A message for the user as (English text, values); the page translates it."""
    return text, values


class Notes(list):
    """Notes collected while reading untrusted input."""

    def note(self, text: str, **values) -> None:
        self.append(note(text, **values))


START_LIMIT = 1e6  # |x|, |y| of a start point


def parse_point(value, where: str) -> tuple[float, float]:
    if (not isinstance(value, (list, tuple)) or len(value) != 2
            or not all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in value)):
        raise ValidationError("{field} must be a list of two numbers [x, y], got {value}", field=where, value=str(value)[:60])
    if not all(finite(c) and abs(c) <= START_LIMIT for c in value):
        raise ValidationError("{field} must be finite numbers with |value| ≤ 1e6, got {value}", field=where, value=str(value)[:60])
    return float(value[0]), float(value[1])


def valid_steps(steps) -> bool:
    if isinstance(steps, bool) or not isinstance(steps, (int, float)):
        return False
    if isinstance(steps, float) and not (math.isfinite(steps) and steps == int(steps)):
        return False
    return 1 <= steps <= MAX_STEPS  # compared as numbers: 10**400 is too many, not an overflow


def parse_scenario(data) -> Scenario:
    if not isinstance(data, dict):
        raise ValidationError("a scenario must be a JSON object with keys: {keys}", keys=", ".join(SCENARIO_KEYS))
    unknown = [k for k in data if k not in SCENARIO_KEYS]
    if unknown:
        raise ValidationError("unknown scenario key {name}; allowed: {allowed}", name=repr(str(unknown[0])[:40]),
                              allowed=", ".join(SCENARIO_KEYS))
    if data.get("version", FORMAT_VERSION) != FORMAT_VERSION:
        raise ValidationError("unsupported scenario version {version}; this app reads version {ours}",
                              version=str(data.get("version"))[:20], ours=FORMAT_VERSION)
    name = parse_surface(data.get("surface"))
    surface = name.surface if isinstance(name, FormulaSpec) else SURFACES[name]
    start = parse_point(data["start"], "start") if "start" in data else surface.default_start
    steps = data.get("steps", 200)
    if not valid_steps(steps):
        raise ValidationError("steps must be an integer from 1 to {max}, got {value}", max=f"{MAX_STEPS:,}", value=str(steps)[:30])
    steps = int(steps)
    runs = data.get("runs")
    if not isinstance(runs, list) or not runs:
        raise ValidationError("runs must be a non-empty list of run objects")
    if len(runs) > MAX_RUNS:
        raise ValidationError("at most {max} runs, got {n}", max=MAX_RUNS, n=len(runs))
    specs = tuple(parse_run(r, i, start, steps) for i, r in enumerate(runs))
    bundles = tuple(_bundle(r, i) for i, r in enumerate(runs))
    check_work(steps, bundles)
    fate = parse_map(data["map"], len(specs)) if data.get("map") is not None else None
    sweep = parse_sweep(data["sweep"], specs) if data.get("sweep") is not None else None
    return Scenario(name, start, steps, specs, bundles if any(b > 1 for b in bundles) else (), fate, sweep)


def _number(value, where: str, low: float, high: float, integer: bool = False):
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and finite(value) and low <= value <= high
    if not ok or (integer and value != int(value)):
        kind = Phrase("an integer") if integer else Phrase("a number")
        raise ValidationError("{field} must be {kind} from {low} to {high}, got {value}", field=where, kind=kind,
                              low=f"{low:g}", high=f"{high:g}", value=str(value)[:30])
    return int(value) if integer else float(value)


def _object(value, where: str, keys) -> dict:
    if not isinstance(value, dict):
        raise ValidationError("{field} must be an object with keys: {keys}", field=where, keys=", ".join(keys))
    unknown = [k for k in value if k not in keys]
    if unknown:
        raise ValidationError("{field} has unknown key {name}; allowed: {allowed}", field=where,
                              name=repr(str(unknown[0])[:40]), allowed=", ".join(keys))
    return value


def parse_clip(value, where: str) -> tuple[str, float]:
    """{"max_norm": c} (torch.nn.utils.clip_grad_norm_) or {"clip_value": v} (clip_grad_value_)."""
    value = _object(value, where, ("max_norm", "clip_value"))
    if len(value) != 1:
        raise ValidationError("{field} must have exactly one of max_norm (clip by norm) or clip_value (clip by value)", field=where)
    (key, c), = value.items()
    return ("norm" if key == "max_norm" else "value", _number(c, f"{where}.{key}", 1e-12, 1e12))


def parse_noise(value, where: str) -> tuple[float, int]:
    """{"std": σ ≥ 0, "seed": int ≥ 0, "bundle": 1–32}: Gaussian noise on the gradient."""
    value = _object(value, where, ("std", "seed", "bundle"))
    std = _number(value.get("std", 0.0), f"{where}.std", 0.0, 1e12)
    seed = _number(value.get("seed", 0), f"{where}.seed", 0, 2**32 - 1, integer=True)
    _number(value.get("bundle", 1), f"{where}.bundle", 1, MAX_BUNDLE, integer=True)
    return std, seed


def work(steps: int, bundles) -> int:
    """The run-steps a scenario asks the engine for: steps × (runs + extra seeds of the bundles)."""
    return int(steps) * sum(max(int(b), 1) for b in bundles)


def check_work(steps: int, bundles) -> None:
    asked = work(steps, bundles)
    if asked > MAX_WORK:
        raise ValidationError("this asks for {asked} run-steps (steps × runs × seeds drawn); at most {max} are computed: "
                              "use fewer steps, runs or seeds", asked=f"{asked:,}", max=f"{MAX_WORK:,}")


def _bundle(run: dict, index: int) -> int:
    noise = run.get("noise") if isinstance(run, dict) else None
    return int(noise.get("bundle", 1)) if isinstance(noise, dict) else 1


def parse_map(value, runs: int) -> dict:
    """Fate map settings: which run's optimizer, cells per side (≤ 200), steps (≤ 5,000), tolerance."""
    from optimizers.fate import MAX_MAP
    value = _object(value, "map", MAP_KEYS)
    out = {"run": _number(value.get("run", 0), "map.run", 0, runs - 1, integer=True),
           "cells": _number(value.get("cells", 60), "map.cells", 2, MAX_MAP, integer=True),
           "steps": _number(value.get("steps", 500), "map.steps", 1, MAX_MAP_STEPS, integer=True)}
    if value.get("tolerance") is not None:
        out["tolerance"] = _number(value["tolerance"], "map.tolerance", 1e-12, 1e6)
    return out


def parse_sweep(value, specs) -> dict:
    """Sweep settings: run, "lr": [low, high, count] (log-spaced), "param" and its "values":
    [low, high, count] (linear), steps, tolerance. Every value must be valid for the optimizer."""
    from optimizers.fate import MAX_SWEEP, sweep_params, with_value
    value = _object(value, "sweep", SWEEP_KEYS)
    run = _number(value.get("run", 0), "sweep.run", 0, len(specs) - 1, integer=True)
    spec = specs[run]
    allowed = sweep_params(spec.optimizer)
    param = value.get("param", allowed[0] if allowed else None)
    if param not in allowed:
        raise ValidationError("sweep.param for {optimizer} must be one of: {allowed}; got {value}", optimizer=spec.optimizer,
                              allowed=", ".join(allowed) or Phrase("none"), value=str(param)[:30])

    def axis(v, where, low, high, log):
        if not isinstance(v, (list, tuple)) or len(v) != 3:
            raise ValidationError("{field} must be [low, high, count]", field=where)
        a, b = _number(v[0], f"{where}[0]", low, high), _number(v[1], f"{where}[1]", low, high)
        count = _number(v[2], f"{where}[2]", 1, MAX_SWEEP, integer=True)
        if a > b or (log and a <= 0):
            if log:
                raise ValidationError("{field} needs 0 < low ≤ high", field=where)
            raise ValidationError("{field} needs low ≤ high", field=where)
        return [a, b, count]
    out = {"run": run, "lr": axis(value.get("lr", [1e-4, 1.0, 25]), "sweep.lr", 1e-12, 1e6, True), "param": param,
           "values": axis(value.get("values", [0.0, 0.99, 12]), "sweep.values", -1e6, 1e6, False),
           "steps": _number(value.get("steps", 500), "sweep.steps", 1, MAX_MAP_STEPS, integer=True)}
    cls = OPTIMIZERS[spec.optimizer]
    for v in (out["values"][0], out["values"][1]):
        try:
            cls.validate(with_value(dict(spec.params), param, v))
        except ValidationError as e:
            raise ValidationError("{field}: {error}", field="sweep.values", error=e) from None
    if value.get("tolerance") is not None:
        out["tolerance"] = _number(value["tolerance"], "sweep.tolerance", 1e-12, 1e6)
    return out


def parse_surface(value) -> str | FormulaSpec:
    """A surface name, or {"formula": text, "domain": [[x0, x1], [y0, y1]]} (checked and built)."""
    if isinstance(value, dict):
        unknown = [k for k in value if k not in FORMULA_KEYS]
        if unknown:
            raise ValidationError("surface has unknown key {name}; allowed: {allowed}", name=repr(str(unknown[0])[:40]),
                                  allowed=", ".join(FORMULA_KEYS))
        text = value.get("formula")
        if not isinstance(text, str):
            raise ValidationError("surface.formula must be text, e.g. \"x^2 + 10*y^2\"")
        try:
            spec = FormulaSpec(text.strip(), parse_domain(value.get("domain", [[-3, 3], [-3, 3]])))
            formula_surface(spec.formula, spec.domain)
        except FormulaError as e:
            raise ValidationError("{field}: {error}", field="surface.domain" if e.kind == "domain" else "surface.formula",
                                  error=e) from None
        return spec
    if not isinstance(value, str) or value not in SURFACES:
        raise ValidationError("unknown surface {name}; choose one of: {allowed}, or {typed}", name=repr(str(value)[:40]),
                              allowed=", ".join(SURFACES), typed='{"formula": …, "domain": …}')
    return value


def parse_run(run, index: int, start, steps: int) -> RunSpec:
    where = f"runs[{index}]"
    run = _object(run, where, RUN_KEYS)
    name = run.get("optimizer")
    if not isinstance(name, str) or name not in OPTIMIZERS:
        raise ValidationError("{field}: unknown optimizer {name}; choose one of: {allowed}", field=where,
                              name=repr(str(name)[:40]), allowed=", ".join(OPTIMIZERS))
    cls = OPTIMIZERS[name]
    try:
        params = cls.validate(run.get("params"))
        sched_name, sched_params = parse_schedule_ref(run.get("schedule"))
        if run.get("warmup") is not None:
            sched_name, sched_params = with_warmup(sched_name, sched_params, parse_warmup(run["warmup"], steps), steps)
        sched_cls = SCHEDULES[sched_name]
        sched_params = sched_cls.validate(sched_params, steps)
        if sched_params.get("cycle_momentum") and cls.cycles is None:
            raise ValidationError("{schedule} with cycle_momentum needs an optimizer with momentum or betas; "
                                  "{optimizer} has neither: set cycle_momentum to false", schedule=sched_name, optimizer=name)
    except ValidationError as e:
        raise ValidationError("{field}: {error}", field=where, error=e) from None
    label = run.get("label", "")
    if not isinstance(label, str) or len(label) > MAX_LABEL:
        raise ValidationError("{field}.label must be text of at most {max} characters", field=where, max=MAX_LABEL)
    run_start = parse_point(run["start"], f"{where}.start") if "start" in run else start
    clip = parse_clip(run["clip"], f"{where}.clip") if run.get("clip") is not None else None
    noise = parse_noise(run["noise"], f"{where}.noise") if run.get("noise") is not None else None
    return RunSpec(name, params, run_start, sched_name, sched_params, label, clip, noise)


def parse_warmup(value, steps: int) -> dict:
    """{"steps": w (1 … steps − 1), "start_factor": f in (0, 1]}: η rises linearly from f·η to η
    over w steps, then the run's schedule takes over (its step-count defaults mean what is left)."""
    value = _object(value, "warmup", WARMUP_KEYS)
    return {"steps": _number(value.get("steps"), "warmup.steps", 1, max(1, steps - 1), integer=True),
            "start_factor": _number(value.get("start_factor", WARMUP_FACTOR), "warmup.start_factor", 1e-12, 1.0)}


def with_warmup(name: str, params: dict, warmup: dict, steps: int) -> tuple[str, dict]:
    """A schedule with a warm-up in front, as the engine runs it: torch's SequentialLR of LinearLR
    then the schedule (ConstantLR(1) for none). The one place that builds this sequence."""
    if name == "SequentialLR":
        raise ValidationError("warmup cannot be combined with a SequentialLR schedule; put the LinearLR in the sequence")
    w, rest = warmup["steps"], steps - warmup["steps"]
    main = dict(params)
    for k, p in SCHEDULES[name].params.items():
        if STEPS in p.doc and main.get(k) is None:
            main[k] = rest
    second = {"name": "ConstantLR", "params": {"factor": 1.0}} if name == "none" else {"name": name, "params": main}
    return "SequentialLR", {"schedulers": [{"name": "LinearLR", "params": {"start_factor": warmup["start_factor"],
                                                                           "end_factor": 1.0, "total_iters": w}}, second],
                            "milestones": [w]}


def split_warmup(name: str, params: dict) -> tuple[str, dict, dict | None]:
    """The inverse of with_warmup, for a validated schedule: (schedule, its params, warmup or None).
    Old files and links that spell the warm-up as that SequentialLR read back as a warm-up."""
    if name != "SequentialLR":
        return name, params, None
    members, ms = params.get("schedulers", []), list(params.get("milestones", []))
    if len(members) != 2 or len(ms) != 1:
        return name, params, None
    first, second = members
    fp = first.get("params", {})
    if first.get("name") != "LinearLR" or fp.get("total_iters") != ms[0] or fp.get("end_factor", 1.0) != 1.0:
        return name, params, None
    warmup = {"steps": int(ms[0]), "start_factor": float(fp.get("start_factor", 1 / 3))}
    if second.get("name") == "ConstantLR" and second.get("params", {}).get("factor", 1.0 / 3) == 1.0:
        return "none", {}, warmup
    if second.get("name") == "SequentialLR":
        return name, params, None
    return second["name"], dict(second.get("params", {})), warmup


def run_scenario(scenario: Scenario, record: str = "full") -> list[RunResult]:
    return simulate(scenario.surface_obj.objective, list(scenario.runs), scenario.steps, record=record)


def bundle_members(scenario: Scenario) -> list[tuple[int, RunSpec]]:
    """The extra noisy runs of each bundle: (run index, the run with seed + 1, seed + 2, …)."""
    out = []
    for i, (spec, k) in enumerate(zip(scenario.runs, scenario.bundles or (1,) * len(scenario.runs))):
        if k > 1 and spec.noise is not None:
            std, seed = spec.noise
            out += [(i, replace(spec, noise=(std, seed + j), label=f"{spec.label or spec.optimizer} · seed {seed + j}"))
                    for j in range(1, k)]
    return out


@dataclass(frozen=True)
class Bundle:
    """What the map draws of a run's other noise seeds: each seed's path, thinned by the caller's
    rule, and the mean path over all the seeds (the run's own included), up to the shortest."""
    paths: tuple
    mean: np.ndarray

    @property
    def seeds(self) -> int:
        return len(self.paths) + 1


BUNDLE_CHUNK = 8  # seeds stepped at once: the full paths of only this many are held at a time


def bundled_paths(scenario: Scenario, main: list[RunResult]) -> dict[int, np.ndarray]:
    """The paths of the scenario's runs that draw more than one seed, by run index: all that
    run_bundles needs of the results (a small argument to send to the worker process)."""
    return {i: main[i].points for i, _ in bundle_members(scenario)}


def run_bundles(scenario: Scenario, main: dict[int, np.ndarray], thin=lambda points: np.arange(len(points)),
                progress=None) -> dict[int, Bundle]:
    """The bundles of the scenario's noisy runs, by run index. `main` holds the path of each such
    run (bundled_paths); `thin(points) → indices` says which points of each seed's path to keep. Seeds are stepped
    BUNDLE_CHUNK at a time and only their kept points stay: 32 seeds × 100,000 steps would
    otherwise hold 77 MB of paths."""
    members = bundle_members(scenario)
    by_run: dict[int, list[RunSpec]] = {}
    for i, spec in members:
        by_run.setdefault(i, []).append(spec)
    out, done = {}, 0
    for i, specs in by_run.items():
        total, n = main[i].copy(), len(main[i])
        paths = []
        for a in range(0, len(specs), BUNDLE_CHUNK):
            for r in simulate(scenario.surface_obj.objective, specs[a : a + BUNDLE_CHUNK], scenario.steps, record="path"):
                paths.append(r.points[thin(r.points)])
                n = min(n, len(r.points))
                total = total[:n] + r.points[:n]
                done += 1
            if progress is not None:
                progress(done / len(members))
        out[i] = Bundle(tuple(paths), total / (len(specs) + 1))
    return out


def map_settings(scenario: Scenario, surface: Surface | None = None) -> dict:
    """The fate map's settings with defaults filled in (tolerance: 1% of the window's diagonal)."""
    surface = surface or scenario.surface_obj
    m = dict(scenario.map or {"run": 0, "cells": 60, "steps": 500})
    if "tolerance" not in m:
        (x0, x1), (y0, y1) = surface.domain
        m["tolerance"] = 0.01 * math.hypot(x1 - x0, y1 - y0)
    return m


def run_fate_map(scenario: Scenario, progress=None):
    """The fate map the scenario asks for (scenario.map, defaults filled): (FateMap, minima, settings)."""
    from optimizers.fate import fate_map
    surface = scenario.surface_obj
    m = map_settings(scenario, surface)
    minima = [(p.x, p.y) for p in surface.minima]
    fm = fate_map(surface.objective, scenario.runs[m["run"]], surface.domain, m["cells"], m["steps"], minima,
                  m["tolerance"], progress=progress)
    return fm, minima, m


def sweep_settings(scenario: Scenario) -> dict:
    data = scenario.sweep or parse_sweep({}, scenario.runs)
    if "tolerance" not in data:
        (x0, x1), (y0, y1) = scenario.surface_obj.domain
        data = dict(data, tolerance=0.01 * math.hypot(x1 - x0, y1 - y0))
    return data


def run_sweep(scenario: Scenario, progress=None):
    """The sweep the scenario asks for: (Sweep, settings). lr log-spaced, the parameter linear."""

    from optimizers.fate import sweep
    surface = scenario.surface_obj
    w = sweep_settings(scenario)
    lrs = np.geomspace(w["lr"][0], w["lr"][1], w["lr"][2])
    values = np.linspace(w["values"][0], w["values"][1], w["values"][2])
    minima = [(p.x, p.y) for p in surface.minima]
    return sweep(surface.objective, scenario.runs[w["run"]], lrs, w["param"], values, w["steps"], minima,
                 w["tolerance"], progress=progress), w


def run_tune(scenario: Scenario, by: str = "loss", runs=None, tolerance: float | None = None, progress=None):
    """The learning-rate search of optimizers.fate.tune for the scenario's runs (all, or the
    indices in `runs`), from each run's own start, for the scenario's steps."""
    from optimizers.fate import tune

    from .analysis import default_tolerance
    surface = scenario.surface_obj
    chosen = list(range(len(scenario.runs))) if runs is None else list(runs)
    tolerance = default_tolerance(surface) if tolerance is None else tolerance
    minima = [(p.x, p.y) for p in surface.minima]
    return tune(surface.objective, [scenario.runs[i] for i in chosen], scenario.steps, minima, tolerance, by,
                progress=progress)


def tune_dict(scenario: Scenario, tunings, by: str, runs=None) -> dict:
    """The tuner's result as JSON: per run its lr, the chosen lr and the search curve."""
    chosen = list(range(len(scenario.runs))) if runs is None else list(runs)

    def clean(a):
        return [None if not np.isfinite(v) else float(v) for v in np.asarray(a, dtype=float)]
    return {"by": by, "steps": scenario.steps, "runs": [
        {"run": i, "label": scenario.runs[i].label or scenario.runs[i].optimizer, "optimizer": scenario.runs[i].optimizer,
         "lr": float(scenario.runs[i].params["lr"]), "best_lr": t.best, "lrs": clean(t.lrs), "final_loss": clean(t.loss),
         "steps_to_tolerance": clean(t.steps), "diverged": [bool(d) for d in t.diverged]}
        for i, t in zip(chosen, tunings, strict=True)]}


def outcome_dict(outcome, shape) -> dict:
    """An Outcome as JSON-able lists of rows (null where a value is not finite or not reached)."""

    def rows(a):
        a = np.asarray(a, dtype=float).reshape(shape)
        return [[None if not np.isfinite(v) else (int(v) if float(v).is_integer() else float(v)) for v in row] for row in a]
    return {"fate": rows(outcome.fate), "steps": rows(outcome.steps), "loss": rows(outcome.loss)}


MAX_JSON_DEPTH = 32  # a scenario is 6 levels deep; Python's parser would recurse ~1,000 levels and fail
_JSON_TOKEN = re.compile(r'[\[\]{}"\\]')


def json_depth(text: str) -> int:
    """How deeply the arrays and objects in JSON text nest (brackets inside strings ignored).
    One pass over the structural characters: linear in the text, whatever it holds."""
    depth = deepest = 0
    in_string, escaped = False, -2  # escaped: where the last backslash that escapes something stood
    for m in _JSON_TOKEN.finditer(text):
        c, at = m.group(), m.start()
        if in_string:
            if at == escaped + 1:  # this character is escaped
                continue
            if c == "\\":
                escaped = at
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif c in "]}":
            depth -= 1
    return deepest


SECTION_NAMES = {"map": Phrase("fate map"), "sweep": Phrase("learning-rate sweep")}
THE_FILE = Phrase("the file")  # what load_json calls its input unless told


def load_json(raw: bytes, name: str | Phrase = THE_FILE):
    """Untrusted bytes → a JSON value, or ValidationError with one line. NaN and Infinity are
    read as floats, so that the validators can name them; nesting is bounded before parsing."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationError("{name} is not UTF-8 text", name=name) from None
    if json_depth(text) > MAX_JSON_DEPTH:
        raise ValidationError("{name} nests more than {max} levels of arrays and objects", name=name, max=MAX_JSON_DEPTH)
    try:
        return json.loads(text, parse_constant=lambda c: float(c), object_pairs_hook=_no_duplicates)
    except ValidationError as e:
        raise ValidationError("{name} has {error}", name=name, error=e) from None
    except json.JSONDecodeError as e:  # Python's own words are English: the place is said instead
        raise ValidationError("{name} is not valid JSON at line {line}, column {column}", name=name,
                              line=e.lineno, column=e.colno) from None
    except (ValueError, RecursionError):
        raise ValidationError("{name} is not valid JSON", name=name) from None


def _no_duplicates(pairs) -> dict:
    """A JSON object whose keys are unique: {"lr": 1, "lr": 2} is refused, not read as lr = 2."""
    out = {}
    for k, v in pairs:
        if k in out:
            raise ValidationError("the key {name} twice in one object", name=repr(k[:40]))
        out[k] = v
    return out


def read_scenario_json(raw: bytes, name: str | Phrase = THE_FILE) -> Scenario:
    """Bytes of a scenario file (untrusted) → Scenario, or ValidationError with one line."""
    if len(raw) > MAX_FILE_BYTES:
        raise ValidationError("{name} is larger than {max} bytes", name=name, max=f"{MAX_FILE_BYTES:,}")
    return parse_scenario(load_json(raw, name))


DEFAULT_STEPS = 200  # a scenario that does not say how many


def salvage_scenario(data, max_runs: int = MAX_RUNS) -> tuple[dict | None, list]:
    """parse_scenario's collecting mode, for links: keep what is valid in a scenario from outside.
    Unknown keys, a bad start or steps and invalid runs are dropped with a note each (English
    text and values, for the page's translator); None when nothing usable is left."""
    notes = Notes()
    return _salvage(data, notes, max_runs), list(notes)


def _salvage(data, state, max_runs: int) -> dict | None:
    if not isinstance(data, dict):
        state.note("the scenario is not a JSON object; the default scene is shown")
        return None
    for k in data:
        if k not in SCENARIO_KEYS:
            state.note("unknown scenario key {name}", name=str(k)[:30])
    if data.get("version", FORMAT_VERSION) != FORMAT_VERSION:
        state.note("scenario version {version} is not readable; the default scene is shown", version=str(data.get("version"))[:10])
        return None
    name = data.get("surface")
    if isinstance(name, dict):  # a typed formula: refused as a whole if any of it is refused
        try:
            spec = parse_surface(name)
        except ValidationError as e:
            state.note("the typed surface was refused ({error}); the default scene is shown", error=e)
            return None
        surface, name = spec.surface, spec.to_dict()
    elif not isinstance(name, str) or name not in SURFACES:
        state.note("unknown surface {name}; the default scene is shown", name=str(name)[:40])
        return None
    else:
        surface = SURFACES[name]
    start = surface.default_start
    if "start" in data:
        try:
            start = parse_point(data["start"], "start")
        except ValidationError as e:
            state.note("{error}; the surface's default start is used", error=e)
    steps = data.get("steps", DEFAULT_STEPS)
    if not valid_steps(steps):
        state.note("steps must be an integer from 1 to {max}; {steps} steps are used", max=f"{MAX_STEPS:,}", steps=DEFAULT_STEPS)
        steps = DEFAULT_STEPS
    runs = data.get("runs")
    if not isinstance(runs, list):
        state.note("the scenario has no list of runs; the default scene is shown")
        return None
    kept = []
    for i, run in enumerate(runs[:MAX_RUNS]):
        try:
            parse_run(run, i, start, int(steps))
        except ValidationError as e:
            state.note("run {n} was ignored: {error}", n=i + 1, error=e)
            continue
        if len(kept) == max_runs:
            state.note("only the first {n} runs are shown", n=max_runs)
            break
        kept.append(run)
    if len(runs) > MAX_RUNS:
        state.note("only the first {n} runs are shown", n=min(MAX_RUNS, max_runs))
    if not kept:
        state.note("no run could be read; the default scene is shown")
        return None
    asked = work(int(steps), [_bundle(r, i) for i, r in enumerate(kept)])
    if asked > MAX_WORK:  # the seeds go, the runs stay
        state.note("{asked} run-steps is over the limit of {max}: each run draws one noise seed",
                   asked=f"{asked:,}", max=f"{MAX_WORK:,}")
        kept = [dict(r, noise=dict(r["noise"], bundle=1)) if isinstance(r.get("noise"), dict) else r for r in kept]
    out = {"surface": name, "start": list(start), "steps": int(steps), "runs": kept}
    for section in ("map", "sweep"):  # a fate map or sweep on screen: kept if it still fits the runs
        if data.get(section) is not None:
            try:
                parse_scenario(dict(out, **{section: data[section]}))
                out[section] = data[section]
            except ValidationError as e:
                state.note("the {section} settings were ignored: {error}", section=SECTION_NAMES[section], error=e)
    return out
