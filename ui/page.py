"""The page's state: one typed object, the single source of truth for everything on screen.

`Page` holds the scenario being edited (surface, start, steps, runs, the fate map and sweep) and the
view settings (language, view, fit, presentation, which run the step-through, fate map and sweep
use, by the run's stable id). Widgets are drawn from it and write to it (ui/bind.py); everything
else is derived from it on every rerun:

- `scenario_dict(page, tr)`: the scenario in the experiments/scenario.py / cli.py format, run labels included;
- `active_scene(page)`: the tour scene whose settings equal the page's (None after an edit);
- `run_label(page, run, tr)`: what the user typed, else the scene's own label while the run is as
  the scene has it, else one made from its optimizer, lr, schedule and warm-up.

No Streamlit here: the page's logic is tested directly (tests/test_page_state.py).
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field, replace
from functools import cache

from experiments.scenario import MAX_STEPS, WARMUP_FACTOR, Scenario, parse_run, parse_scenario
from experiments.tour import BY_KEY, PRESETS
from i18n import DEFAULT_LANGUAGE, LANGUAGES, translator
from optimizers import OPTIMIZERS, SCHEDULES, ValidationError
from surfaces import SURFACES, FormulaError, FormulaSpec
from views.export import GIF_FRAMES
from views.mapfig import PALETTE

from .link import note

MAX_PAGE_RUNS = 8
VIEWS = ("map", "3d", "step")
STUDIES = ("fate", "sweep", "tune")


@dataclass
class Run:
    id: int
    optimizer: str
    params: dict  # this optimizer's parameters by torch's names (None: its default)
    schedule: str = "none"
    schedule_params: dict = field(default_factory=dict)
    warmup_steps: int = 0  # 0: no warm-up
    warmup_factor: float = WARMUP_FACTOR
    label: str = ""  # typed by the user; "" = derived (run_label)
    colour: str = "#0072B2"
    noise_std: float = 0.0
    noise_seed: int = 0
    bundle: int = 1
    clip: str = "none"  # none | max_norm | clip_value
    clip_value: float = 1.0
    origin: tuple[str, int] | None = None  # (tour scene, index) this run was loaded from

    def settings(self, steps: int) -> dict:
        """The run in the scenario format, without its label."""
        out: dict = {"optimizer": self.optimizer, "params": {k: v for k, v in self.params.items() if v is not None}}
        if self.schedule != "none":
            out["schedule"] = {"name": self.schedule,
                               "params": {k: v for k, v in self.schedule_params.items() if v is not None}}
        if self.warmup_steps:
            out["warmup"] = {"steps": int(self.warmup_steps), "start_factor": self.warmup_factor}
        if self.noise_std > 0:
            out["noise"] = {"std": self.noise_std, "seed": int(self.noise_seed), "bundle": int(self.bundle)}
        if self.clip != "none":
            out["clip"] = {self.clip: self.clip_value}
        return out


@dataclass
class Study:
    """A fate map's or sweep's settings, and whether it is on screen (computed)."""
    run: int | None = None  # run id
    shown: str | None = None  # the settings key of the result on screen
    settings: dict = field(default_factory=dict)


@dataclass
class Page:
    surface: str | FormulaSpec  # a built-in surface's name, or the last valid typed formula
    start: list  # [x, y]
    steps: int
    runs: list[Run]
    next_id: int
    scene: str | None = None  # the tour scene last loaded (for "changed from …")
    lang: str = DEFAULT_LANGUAGE
    view: str = "map"
    fit: bool = False
    lens: bool = False  # the map colours the paths by their stability
    present: bool = False
    step_run: int | None = None  # run id
    step_t: int = 1
    inspect_t: int = 1
    formula_text: str = ""  # what the formula box holds (may be invalid)
    formula_domain: list = field(default_factory=lambda: [-3.0, 3.0, -3.0, 3.0])
    fate: Study = field(default_factory=lambda: Study(settings={"cells": 60, "steps": 500, "layer": "fate"}))
    sweep: Study = field(default_factory=lambda: Study(settings={"lr": [1e-4, 1.0, 25], "values": [0.0, 0.99, 12],
                                                                 "param": None, "metric": "final loss"}))
    tune: Study = field(default_factory=lambda: Study(settings={"by": "loss"}))  # run None: every run
    tuned: dict | None = None  # the last search: tune_dict, with "was" (run id → its lr before) and "ids"
    auto_study: set = field(default_factory=set)  # "map" / "sweep": compute on the next run (from a link)
    study: str = "fate"  # the open tab of "Beyond one path" (STUDIES): only it is drawn
    export_open: bool = False  # the export section is open: only then are its widgets drawn
    notes: list = field(default_factory=list)  # (English text, values) about what a link or file lost
    tolerance: float | None = None  # None: 0.1% of the window's diagonal
    png_step: int | None = None  # the step drawn in the PNG export; None: the last
    gif_frames: int = GIF_FRAMES

    # -- lookups
    def run(self, run_id: int) -> Run:
        return next(r for r in self.runs if r.id == run_id)

    @property
    def surface_obj(self):
        return self.surface.surface if isinstance(self.surface, FormulaSpec) else SURFACES[self.surface]


# ------------------------------------------------------------------ derived

def auto_label(run: Run, tr=None) -> str:
    tr = tr or translator(DEFAULT_LANGUAGE)
    lr = run.params.get("lr")
    lr = OPTIMIZERS[run.optimizer].params["lr"].default if lr is None else lr
    text = f"{run.optimizer}, η = {lr:g}" if isinstance(lr, (int, float)) else run.optimizer
    if run.schedule != "none":
        text += f" + {run.schedule}"
    if run.warmup_steps:
        text += " " + tr("(warm-up {n})", n=run.warmup_steps)
    return text


@cache
def _scene_settings(key: str) -> str:
    return _settings_key(_canonical(BY_KEY[key].scenario))


@cache
def _scene_runs(key: str) -> tuple[str, ...]:
    data = _canonical(BY_KEY[key].scenario)
    return tuple(json.dumps(_unlabelled(r), sort_keys=True) for r in data["runs"])


def _canonical(data: dict) -> dict:
    return parse_scenario(data).to_dict()


def _unlabelled(run: dict) -> dict:
    return {k: v for k, v in run.items() if k != "label"}


def _settings_key(data: dict) -> str:
    """What makes two scenarios the same scene: everything but labels, fate map and sweep."""
    core = {k: data[k] for k in ("surface", "start", "steps")}
    return json.dumps(dict(core, runs=[_unlabelled(r) for r in data["runs"]]), sort_keys=True)


def _run_key(page: Page, run: Run) -> str | None:
    try:
        spec = parse_run(run.settings(page.steps), 0, tuple(page.start), page.steps)
    except ValidationError:
        return None
    one = Scenario(page.surface, tuple(page.start), page.steps, (spec,)).to_dict()["runs"][0]
    return json.dumps(_unlabelled(one), sort_keys=True)


def scene_label(page: Page, run: Run) -> str | None:
    """The English label the run's scene gives it, while the run is exactly as the scene has it."""
    if run.origin is None:
        return None
    key, i = run.origin
    scene_runs = BY_KEY[key].scenario["runs"]
    if i >= len(scene_runs) or not scene_runs[i].get("label") or _run_key(page, run) != _scene_runs(key)[i]:
        return None
    return scene_runs[i]["label"]


def run_label(page: Page, run: Run, tr=None) -> str:
    tr = tr or translator(page.lang)
    if run.label:
        return run.label
    own = scene_label(page, run)
    return tr(own) if own else auto_label(run, tr)


def scenario_dict(page: Page, tr=None) -> dict:
    """The page's scenario in the scenario format (every run, valid or not), labels derived."""
    tr = tr or translator(page.lang)
    surface = page.surface.to_dict() if isinstance(page.surface, FormulaSpec) else page.surface
    runs = [dict(r.settings(page.steps), label=run_label(page, r, tr)) for r in page.runs]
    return {"surface": surface, "start": list(page.start), "steps": int(page.steps), "runs": runs}


def active_scene(page: Page) -> str | None:
    """The tour scene whose scenario equals the page's, labels aside; None when no scene does."""
    try:
        mine = _settings_key(_canonical(scenario_dict(page)))
    except ValidationError:
        return None
    for p in PRESETS:
        if _scene_settings(p.key) == mine:
            return p.key
    return None


# ------------------------------------------------------------------ building and editing

def default_run(run_id: int, colour: str, optimizer: str = "Adam") -> Run:
    cls = OPTIMIZERS[optimizer]
    return Run(run_id, optimizer, {k: p.default for k, p in cls.params.items()}, colour=colour)


def run_from_spec(run_id: int, run: dict, colour: str) -> Run:
    """A run of a *valid* scenario dict (as Scenario.to_dict writes it) as the page holds it."""
    sched = run.get("schedule") or {"name": "none", "params": {}}
    warm = run.get("warmup") or {}
    noise = run.get("noise") or {}
    clip = run.get("clip") or {"none": 1.0}
    (clip_kind, clip_value), = clip.items()
    return Run(run_id, run["optimizer"], dict(run.get("params") or {}), sched["name"], dict(sched.get("params") or {}),
               int(warm.get("steps", 0)), float(warm.get("start_factor", WARMUP_FACTOR)), run.get("label", ""), colour,
               float(noise.get("std", 0.0)), int(noise.get("seed", 0)), int(noise.get("bundle", 1)), clip_kind, float(clip_value))


def from_scenario(data: dict, colours=(), base: Page | None = None) -> tuple[Page, list]:
    """A valid scenario dict → a Page (view settings from `base`), and notes on what the page's
    widgets cannot show. Labels that are derived (a scene's own, or made from the settings, in any
    language) are recognised as such, so that they follow the language and later edits."""
    scenario = parse_scenario(data)
    canonical = scenario.to_dict()
    notes = []
    runs = []
    for i, run in enumerate(canonical["runs"][:MAX_PAGE_RUNS]):
        colour = colours[i] if i < len(colours) else PALETTE[i % len(PALETTE)]
        runs.append(run_from_spec(i, run, colour))
        if "start" in run:
            notes.append(note("run {n} has its own start point; the page starts every run at the common start", n=i + 1))
        if run.get("schedule", {}).get("name") == "SequentialLR":
            notes.append(note("run {n}: this schedule sequence cannot be edited in the page; the run uses a constant "
                              "learning rate", n=i + 1))
            runs[-1].schedule, runs[-1].schedule_params = "none", {}
    if len(canonical["runs"]) > MAX_PAGE_RUNS:
        notes.append(note("only the first {n} runs are shown", n=MAX_PAGE_RUNS))
    view = base or Page(surface="", start=[0, 0], steps=1, runs=[], next_id=0)
    page = replace(view, surface=scenario.surface, start=list(scenario.start), steps=scenario.steps, runs=runs,
                   next_id=len(runs), scene=None, notes=list(view.notes), auto_study=set(),
                   fate=Study(settings=dict(view.fate.settings)), sweep=Study(settings=dict(view.sweep.settings)))
    if isinstance(scenario.surface, FormulaSpec):
        (x0, x1), (y0, y1) = scenario.surface.domain
        page.formula_text, page.formula_domain = scenario.surface.formula, [x0, x1, y0, y1]
    scene = active_scene(page)
    if scene is not None:
        page.scene = scene
        for i, r in enumerate(page.runs):
            r.origin = (scene, i)
    for r in page.runs:
        if r.label and r.label in derived_labels(page, r):
            r.label = ""
    _load_studies(page, canonical)
    return normalise(page), notes


def derived_labels(page: Page, run: Run) -> set[str]:
    own = scene_label(page, run)
    out = set()
    for lang in LANGUAGES:
        tr = translator(lang)
        out.add(auto_label(run, tr))
        if own:
            out.add(tr(own))
    return out


def _load_studies(page: Page, data: dict) -> None:
    ids = [r.id for r in page.runs]
    m = data.get("map")
    if m:
        page.fate.run = ids[min(m.get("run", 0), len(ids) - 1)]
        page.fate.settings.update(cells=m["cells"], steps=m["steps"])
        page.auto_study.add("map")
    w = data.get("sweep")
    if w:
        page.sweep.run = ids[min(w.get("run", 0), len(ids) - 1)]
        page.sweep.settings.update(param=w["param"], lr=list(w["lr"]), values=list(w["values"]))
        page.auto_study.add("sweep")
        if not m:  # the link's sweep is what its reader should see first
            page.study = "sweep"


def load_scene(key: str, base: Page | None = None) -> Page:
    p = BY_KEY[key]
    page, _ = from_scenario(p.scenario, base=base)
    page.fit, page.scene = p.fit_view, key
    for i, r in enumerate(page.runs):
        r.origin, r.label = (key, i), ""
    return page


def add_run(page: Page) -> None:
    if len(page.runs) < MAX_PAGE_RUNS:
        page.runs.append(replace(default_run(page.next_id, free_colour(page)), params={"lr": 0.1}))
        page.next_id += 1


def duplicate_run(page: Page, run_id: int) -> None:
    if len(page.runs) >= MAX_PAGE_RUNS:
        return
    src = page.run(run_id)
    tr = translator(page.lang)
    label = run_label(page, src, tr) + " " + tr("(copy)") if src.label else ""
    twin = replace(copy.deepcopy(src), id=page.next_id, label=label, colour=free_colour(page), origin=None)
    page.runs.insert(page.runs.index(src) + 1, twin)
    page.next_id += 1


def remove_run(page: Page, run_id: int) -> None:
    if len(page.runs) > 1:
        page.runs = [r for r in page.runs if r.id != run_id]
        normalise(page)


def set_optimizer(run: Run, name: str) -> None:
    if name in OPTIMIZERS and name != run.optimizer:
        run.optimizer = name
        run.params = {k: p.default for k, p in OPTIMIZERS[name].params.items()}


def set_schedule(run: Run, name: str) -> None:
    if name in SCHEDULES and name != run.schedule:
        run.schedule = name
        run.schedule_params = {k: p.default for k, p in SCHEDULES[name].params.items()}


def set_surface(page: Page, name: str) -> None:
    """A built-in surface, or the typed formula (CUSTOM); the start moves to its default start."""
    from surfaces import CUSTOM
    from surfaces.custom import DEFAULT_DOMAIN, DEFAULT_FORMULA
    if name == CUSTOM:
        if not isinstance(page.surface, FormulaSpec):
            text = page.formula_text or DEFAULT_FORMULA
            try:
                page.surface = formula_spec(text, page.formula_domain)
            except FormulaError:  # a box that holds a refused formula: start from the example
                page.surface = FormulaSpec(DEFAULT_FORMULA, DEFAULT_DOMAIN)
            (x0, x1), (y0, y1) = page.surface.domain
            page.formula_text, page.formula_domain = page.surface.formula, [x0, x1, y0, y1]
    elif name in SURFACES:
        page.surface = name
    else:
        return
    page.start = [float(c) for c in page.surface_obj.default_start]


def formula_spec(text: str, domain) -> FormulaSpec:
    from surfaces import formula_surface, parse_domain
    spec = FormulaSpec(str(text).strip(), parse_domain([[domain[0], domain[1]], [domain[2], domain[3]]]))
    formula_surface(spec.formula, spec.domain)  # builds it (cached): FormulaError when refused
    return spec


def free_colour(page: Page) -> str:
    used = {r.colour.upper() for r in page.runs}
    return next((c for c in PALETTE if c.upper() not in used), PALETTE[len(page.runs) % len(PALETTE)])


def normalise(page: Page) -> Page:
    """Keep the state within what its widgets can show: run ids that exist, a warm-up shorter
    than the run, the inspected steps inside the run."""
    page.steps = int(min(max(int(page.steps), 1), MAX_STEPS))
    for r in page.runs:
        r.warmup_steps = int(min(max(int(r.warmup_steps or 0), 0), page.steps - 1))
    ids = [r.id for r in page.runs]
    for study in (page.fate, page.sweep):
        if study.run not in ids:
            study.run = ids[0] if ids else None
    if page.step_run not in ids:
        page.step_run = ids[0] if ids else None
    page.step_t = int(min(max(int(page.step_t), 1), page.steps))
    page.inspect_t = int(min(max(int(page.inspect_t), 1), page.steps))
    if page.view not in VIEWS:
        page.view = "map"
    if page.study not in STUDIES:
        page.study = "fate"
    if page.lang not in LANGUAGES:
        page.lang = DEFAULT_LANGUAGE
    return page
