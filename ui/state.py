"""The page's state in st.session_state: widget keys, presets, runs, map clicks.

Every widget has a key and its value lives in st.session_state (initialised here, never passed
as `value=` as well, which Streamlit warns about). A preset or a click writes these keys in a
callback, before the widgets are drawn on the next run.
"""
from __future__ import annotations

import streamlit as st

from i18n import DEFAULT_LANGUAGE, translator
from optimizers import OPTIMIZERS, SCHEDULES
from optimizers.schedules import parse_schedule_ref
from scenario import parse_surface
from surfaces import CUSTOM, SURFACES
from tour import BY_KEY, DEFAULT
from views.mapfig import PALETTE

from .compute import preset_scenario
from .formula import init_formula_state, set_formula
from .link import note, read_link

MAX_PAGE_RUNS = 8
WARMUP_FACTOR = 0.01


def param_key(run_id: int, owner: str, name: str, prefix: str = "p") -> str:
    return f"{prefix}-{run_id}-{owner}-{name}"


def set_param(run_id: int, owner: str, name: str, spec, value, prefix: str = "p") -> None:
    key = param_key(run_id, owner, name, prefix)
    if spec.kind == "pair":
        st.session_state[key + "-0"], st.session_state[key + "-1"] = float(value[0]), float(value[1])
    elif spec.kind == "ints":
        st.session_state[key] = ", ".join(str(int(v)) for v in value)
    elif spec.kind in ("bool", "choice"):
        st.session_state[key] = value
    elif spec.kind == "int":
        st.session_state[key] = None if value is None else int(value)
    else:
        st.session_state[key] = None if value is None else float(value)


def new_run(optimizer: str = "Adam", params: dict | None = None, schedule=None, label: str = "",
            noise: dict | None = None, clip: dict | None = None) -> int:
    """Add a run to the page's list and fill its widget keys; returns its id."""
    run_id = st.session_state.get("next_id", 0)
    st.session_state.next_id = run_id + 1
    ids = st.session_state.setdefault("run_ids", [])
    ids.append(run_id)
    st.session_state[f"opt-{run_id}"] = optimizer
    for name, value in (params or {}).items():
        set_param(run_id, optimizer, name, OPTIMIZERS[optimizer].params[name], value)
    name, sparams, warmup, factor = split_warmup(schedule)
    st.session_state[f"sched-{run_id}"] = name
    for k, v in sparams.items():
        set_param(run_id, name, k, SCHEDULES[name].params[k], v, prefix="s")
    st.session_state[f"warm-{run_id}"] = warmup
    st.session_state[f"warmf-{run_id}"] = factor
    st.session_state[f"label-{run_id}"] = label
    st.session_state[f"color-{run_id}"] = PALETTE[(len(ids) - 1) % len(PALETTE)]
    noise = noise or {}
    st.session_state[f"nstd-{run_id}"] = float(noise.get("std", 0.0))
    st.session_state[f"nseed-{run_id}"] = int(noise.get("seed", 0))
    st.session_state[f"nbundle-{run_id}"] = int(noise.get("bundle", 1))
    (kind, value), = (clip or {"none": 1.0}).items()
    st.session_state[f"clip-{run_id}"], st.session_state[f"clipv-{run_id}"] = kind, float(value)
    return run_id


def split_warmup(schedule) -> tuple[str, dict, int, float]:
    """A schedule reference as the page shows it: (main schedule, its params, warm-up steps,
    warm-up start factor). The page's warm-up is SequentialLR[LinearLR → main]."""
    name, params = parse_schedule_ref(schedule)
    if name == "SequentialLR":
        members, ms = params.get("schedulers", []), params.get("milestones", [])
        if len(members) == 2 and len(ms) == 1:
            first_name, first = parse_schedule_ref(members[0])
            main_name, main = parse_schedule_ref(members[1])
            if first_name == "LinearLR" and first.get("total_iters") == ms[0] and main_name != "SequentialLR":
                return main_name, dict(main), int(ms[0]), float(first.get("start_factor", WARMUP_FACTOR))
        return "none", {}, 0, WARMUP_FACTOR  # other sequences: not representable by the page's widgets
    return name, dict(params), 0, WARMUP_FACTOR


def clear_runs() -> None:
    for run_id in st.session_state.get("run_ids", []):
        for key in [k for k in st.session_state if isinstance(k, str) and _belongs(k, run_id)]:
            del st.session_state[key]
    st.session_state.run_ids = []


def _belongs(key: str, run_id: int) -> bool:
    head, _, rest = key.partition("-")
    return head in ("opt", "sched", "label", "color", "warm", "warmf", "p", "s", "del", "dup", "nstd", "nseed", "nbundle",
                    "clip", "clipv") and rest.split("-")[0] == str(run_id)


def load_scenario(data: dict, preset: str | None = None, fit_view: bool = False, colours=()) -> list[tuple[str, dict]]:
    """Put a (valid) scenario dict into the widgets. Returns notes (text, values) on what the
    page's widgets cannot show: a run's own start point, a schedule sequence other than warm-up."""
    notes = []
    if isinstance(data["surface"], dict):  # a typed formula (already validated)
        spec = parse_surface(data["surface"])
        set_formula(spec)
        surface, st.session_state.surface = spec.surface, CUSTOM
    else:
        surface = SURFACES[data["surface"]]
        st.session_state.surface = data["surface"]
    start = data.get("start", surface.default_start)
    st.session_state.start_x, st.session_state.start_y = float(start[0]), float(start[1])
    st.session_state.steps = int(data.get("steps", 200))
    clear_runs()
    for i, run in enumerate(data["runs"][:MAX_PAGE_RUNS]):
        run_id = new_run(run["optimizer"], run.get("params"), run.get("schedule"), run.get("label", ""),
                         run.get("noise"), run.get("clip"))
        if i < len(colours):
            st.session_state[f"color-{run_id}"] = colours[i]
        if "start" in run and list(run["start"]) != list(start):
            notes.append(note("run {n} has its own start point; the page starts every run at the common start", n=i + 1))
        if run.get("schedule") and split_warmup(run["schedule"])[0] == "none" and parse_schedule_ref(run["schedule"])[0] != "none":
            notes.append(note("run {n}: this schedule sequence cannot be edited in the page; the run uses a constant learning rate",
                              n=i + 1))
    if len(data["runs"]) > MAX_PAGE_RUNS:
        notes.append(note("only the first {n} runs are shown", n=MAX_PAGE_RUNS))
    st.session_state.preset = preset
    st.session_state.fit_view = fit_view
    _load_studies(data)
    return notes


def _load_studies(data: dict) -> None:
    """A fate map or sweep in the scenario: its settings into the widgets, computed on the next run."""
    for k in ("fate_key", "sweep_key", "fate_auto", "sweep_auto"):
        st.session_state.pop(k, None)
    m = data.get("map")
    if m:
        st.session_state.fate_run, st.session_state.fate_cells = int(m.get("run", 0)), int(m.get("cells", 60))
        st.session_state.fate_steps = int(m.get("steps", 500))
        st.session_state.fate_auto = True
    w = data.get("sweep")
    if w:
        st.session_state.sweep_run, st.session_state.sweep_param = int(w.get("run", 0)), w.get("param")
        if w.get("lr"):
            st.session_state.sweep_lr_lo, st.session_state.sweep_lr_hi, st.session_state.sweep_lr_n = \
                float(w["lr"][0]), float(w["lr"][1]), int(w["lr"][2])
        if w.get("values"):
            st.session_state.sweep_v_lo, st.session_state.sweep_v_hi, st.session_state.sweep_v_n = \
                float(w["values"][0]), float(w["values"][1]), int(w["values"][2])
        st.session_state.sweep_auto = True


def load_preset(key: str) -> None:
    p = BY_KEY[key]
    tr = translator(st.session_state.get("lang", DEFAULT_LANGUAGE))
    load_scenario(preset_scenario(p, tr), preset=key, fit_view=p.fit_view)


def on_language_change(previous: str) -> None:
    """Labels that are a preset's own labels follow the language; the user's own stay."""
    key = st.session_state.get("preset")
    if not key:
        return
    old, new = translator(previous), translator(st.session_state.lang)
    labels = {old(r["label"]): new(r["label"]) for r in BY_KEY[key].scenario["runs"] if r.get("label")}
    for run_id in st.session_state.run_ids:
        label = st.session_state.get(f"label-{run_id}", "")
        if label in labels:
            st.session_state[f"label-{run_id}"] = labels[label]


def set_language(lang: str) -> None:
    previous = st.session_state.lang
    st.session_state.lang = lang
    on_language_change(previous)


def apply_link(params) -> list[tuple[str, dict]]:
    """Restore the page from query parameters (untrusted); returns the notes to show."""
    link = read_link(params, BY_KEY)
    st.session_state.lang = link.lang or DEFAULT_LANGUAGE
    st.session_state.present = bool(link.present)
    st.session_state.view_mode = {"3d": "3-D", "step": "Step"}.get(link.view, "Map")
    notes = list(link.notes)
    if link.scenario is not None:
        notes += load_scenario(link.scenario, preset=link.preset, fit_view=bool(link.fit), colours=link.colours)
        on_language_change(DEFAULT_LANGUAGE)  # a tour scene's own run labels, in the link's language
    else:
        load_preset(link.preset or DEFAULT)
        if link.fit is not None:
            st.session_state.fit_view = link.fit
    return notes


def init_state(query_params=None) -> None:
    """Once per session: from the share link if there is one, else the default tour scene."""
    if "run_ids" in st.session_state:
        return
    st.session_state.setdefault("view_mode", "Map")  # the widget's value lives here (no default= as well)
    if query_params:
        st.session_state.link_notes = apply_link(query_params)
    else:
        st.session_state.setdefault("lang", DEFAULT_LANGUAGE)
        load_preset(DEFAULT)


def on_surface_change() -> None:
    if st.session_state.surface == CUSTOM:
        init_formula_state()
        surface = st.session_state.formula_valid.surface
    else:
        surface = SURFACES[st.session_state.surface]
    st.session_state.start_x, st.session_state.start_y = map(float, surface.default_start)
    st.session_state.preset = None


def duplicate_run(run_id: int) -> None:
    new_id = st.session_state.next_id
    st.session_state.next_id = new_id + 1
    prefix_map = {}
    for key in [k for k in st.session_state if isinstance(k, str) and _belongs(k, run_id)]:
        head, _, rest = key.partition("-")
        if head in ("del", "dup"):
            continue
        tail = rest[len(str(run_id)):]
        prefix_map[f"{head}-{new_id}{tail}"] = st.session_state[key]
    for k, v in prefix_map.items():
        st.session_state[k] = v
    label = st.session_state.get(f"label-{run_id}", "")
    st.session_state[f"label-{new_id}"] = (label + " (copy)") if label else ""
    ids = st.session_state.run_ids
    st.session_state[f"color-{new_id}"] = PALETTE[len(ids) % len(PALETTE)]
    ids.insert(ids.index(run_id) + 1, new_id)
    st.session_state.preset = None


def remove_run(run_id: int) -> None:
    if len(st.session_state.run_ids) > 1:
        st.session_state.run_ids.remove(run_id)
        st.session_state.preset = None


def add_run() -> None:
    if len(st.session_state.run_ids) < MAX_PAGE_RUNS:
        new_run("Adam", {"lr": 0.1})
        st.session_state.preset = None


def on_map_select(click_trace: int) -> None:
    """A click on the transparent grid of the map sets the start point."""
    event = st.session_state.get("map") or {}
    points = (event.get("selection") or {}).get("points") or []
    for p in points:
        if p.get("curve_number") == click_trace and p.get("x") is not None:
            st.session_state.start_x, st.session_state.start_y = float(p["x"]), float(p["y"])
            st.session_state.preset = None
            return
