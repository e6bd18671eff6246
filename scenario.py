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
from dataclasses import dataclass

from optimizers import OPTIMIZERS, SCHEDULES, RunResult, RunSpec, ValidationError, simulate
from optimizers.schedules import parse_schedule_ref
from surfaces import SURFACES, FormulaError, FormulaSpec, Surface, formula_surface, parse_domain

MAX_STEPS = 100_000
MAX_RUNS = 16
MAX_LABEL = 80
MAX_FILE_BYTES = 1_000_000
FORMAT_VERSION = 1
SCENARIO_KEYS = ("version", "surface", "start", "steps", "runs")
RUN_KEYS = ("optimizer", "params", "schedule", "label", "start")
FORMULA_KEYS = ("formula", "domain")


@dataclass(frozen=True)
class Scenario:
    surface: str | FormulaSpec  # a built-in surface's name, or a typed formula with its view
    start: tuple[float, float]
    steps: int
    runs: tuple[RunSpec, ...]

    @property
    def surface_obj(self) -> Surface:
        return self.surface.surface if isinstance(self.surface, FormulaSpec) else SURFACES[self.surface]

    def to_dict(self) -> dict:
        runs = []
        for r in self.runs:
            d = {"optimizer": r.optimizer, "params": _jsonable(r.params)}
            if r.schedule != "none":
                d["schedule"] = {"name": r.schedule, "params": _jsonable(r.schedule_params)}
            if r.label:
                d["label"] = r.label
            if tuple(r.start) != tuple(self.start):
                d["start"] = list(r.start)
            runs.append(d)
        surface = self.surface.to_dict() if isinstance(self.surface, FormulaSpec) else self.surface
        return {"version": FORMAT_VERSION, "surface": surface, "start": list(self.start), "steps": self.steps, "runs": runs}


def _jsonable(v):
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    return v


def parse_point(value, where: str) -> tuple[float, float]:
    if (not isinstance(value, (list, tuple)) or len(value) != 2
            or not all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in value)):
        raise ValidationError(f"{where} must be a list of two numbers [x, y], got {str(value)[:60]}")
    if not all(math.isfinite(c) and abs(c) <= 1e6 for c in value):
        raise ValidationError(f"{where} must be finite numbers with |value| ≤ 1e6, got {str(value)[:60]}")
    return float(value[0]), float(value[1])


def valid_steps(steps) -> bool:
    return (isinstance(steps, (int, float)) and not isinstance(steps, bool) and math.isfinite(steps)
            and steps == int(steps) and 1 <= steps <= MAX_STEPS)


def parse_scenario(data) -> Scenario:
    if not isinstance(data, dict):
        raise ValidationError("a scenario must be a JSON object with keys: " + ", ".join(SCENARIO_KEYS))
    unknown = [k for k in data if k not in SCENARIO_KEYS]
    if unknown:
        raise ValidationError(f"unknown scenario key {str(unknown[0])[:40]!r}; allowed: {', '.join(SCENARIO_KEYS)}")
    if data.get("version", FORMAT_VERSION) != FORMAT_VERSION:
        raise ValidationError(f"unsupported scenario version {str(data.get('version'))[:20]}; this app reads version {FORMAT_VERSION}")
    name = parse_surface(data.get("surface"))
    surface = name.surface if isinstance(name, FormulaSpec) else SURFACES[name]
    start = parse_point(data["start"], "start") if "start" in data else surface.default_start
    steps = data.get("steps", 200)
    if not valid_steps(steps):
        raise ValidationError(f"steps must be an integer from 1 to {MAX_STEPS:,}, got {str(steps)[:30]}")
    steps = int(steps)
    runs = data.get("runs")
    if not isinstance(runs, list) or not runs:
        raise ValidationError("runs must be a non-empty list of run objects")
    if len(runs) > MAX_RUNS:
        raise ValidationError(f"at most {MAX_RUNS} runs, got {len(runs)}")
    return Scenario(name, start, steps, tuple(parse_run(r, i, start, steps) for i, r in enumerate(runs)))


def parse_surface(value) -> str | FormulaSpec:
    """A surface name, or {"formula": text, "domain": [[x0, x1], [y0, y1]]} (checked and built)."""
    if isinstance(value, dict):
        unknown = [k for k in value if k not in FORMULA_KEYS]
        if unknown:
            raise ValidationError(f"surface has unknown key {str(unknown[0])[:40]!r}; allowed: {', '.join(FORMULA_KEYS)}")
        text = value.get("formula")
        if not isinstance(text, str):
            raise ValidationError("surface.formula must be text, e.g. \"x^2 + 10*y^2\"")
        try:
            spec = FormulaSpec(text.strip(), parse_domain(value.get("domain", [[-3, 3], [-3, 3]])))
            formula_surface(spec.formula, spec.domain)
        except FormulaError as e:
            raise ValidationError(f"surface.{'domain' if e.kind == 'domain' else 'formula'}: {e}") from None
        return spec
    if value not in SURFACES:
        raise ValidationError(f"unknown surface {str(value)[:40]!r}; choose one of: {', '.join(SURFACES)}, "
                              "or {\"formula\": …, \"domain\": …}")
    return value


def parse_run(run, index: int, start, steps: int) -> RunSpec:
    where = f"runs[{index}]"
    if not isinstance(run, dict):
        raise ValidationError(f"{where} must be an object with keys: {', '.join(RUN_KEYS)}")
    unknown = [k for k in run if k not in RUN_KEYS]
    if unknown:
        raise ValidationError(f"{where} has unknown key {str(unknown[0])[:40]!r}; allowed: {', '.join(RUN_KEYS)}")
    name = run.get("optimizer")
    if name not in OPTIMIZERS:
        raise ValidationError(f"{where}: unknown optimizer {str(name)[:40]!r}; choose one of: {', '.join(OPTIMIZERS)}")
    cls = OPTIMIZERS[name]
    try:
        params = cls.validate(run.get("params"))
        sched_name, sched_params = parse_schedule_ref(run.get("schedule"))
        sched_cls = SCHEDULES[sched_name]
        sched_params = sched_cls.validate(sched_params, steps)
        if sched_params.get("cycle_momentum") and cls.cycles is None:
            raise ValidationError(f"{sched_name} with cycle_momentum needs an optimizer with momentum or betas; "
                                  f"{name} has neither: set cycle_momentum to false")
    except ValidationError as e:
        raise ValidationError(f"{where}: {e}") from None
    label = run.get("label", "")
    if not isinstance(label, str) or len(label) > MAX_LABEL:
        raise ValidationError(f"{where}.label must be text of at most {MAX_LABEL} characters")
    run_start = parse_point(run["start"], f"{where}.start") if "start" in run else start
    return RunSpec(name, params, run_start, sched_name, sched_params, label)


def run_scenario(scenario: Scenario, record: str = "full") -> list[RunResult]:
    return simulate(scenario.surface_obj.objective, list(scenario.runs), scenario.steps, record=record)


def read_scenario_json(raw: bytes, name: str = "the file") -> Scenario:
    """Bytes of a scenario file (untrusted) → Scenario, or ValidationError with one line."""
    if len(raw) > MAX_FILE_BYTES:
        raise ValidationError(f"{name} is larger than {MAX_FILE_BYTES:,} bytes")
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=lambda c: float(c))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise ValidationError(f"{name} is not valid JSON: {str(e)[:100]}") from None
    return parse_scenario(data)
