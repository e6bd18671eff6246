"""The page's cached computations: engine results and figures for a scenario.

Two tiers, both bounded. The lecture tour's scenes are what a whole class opens at once, so
their results and figures live in a tier of their own that nothing else evicts (10 scenes × 2
languages), and `warm_up()` computes them when the server starts instead of on the first
student's click (the "tiny learning rate" scene alone is 100,000 steps). Everything else goes
through a small LRU tier: a class typing 30 different step counts cycles it, but cannot grow it.
"""
from __future__ import annotations

import gc
import json
import threading
import time

import pandas  # noqa: F401  (imported before the warm-up thread: plotly's lazy pandas import races otherwise)
import streamlit as st

from analysis import summarize
from i18n import LANGUAGES, translator
from scenario import parse_scenario, run_bundles, run_scenario
from tour import PRESETS
from views.alttext import diagnostics_alt, map_alt, surface3d_alt
from views.diagnostics import diagnostics_figure
from views.mapfig import PALETTE, fit_view, map_figure
from views.surface3d import surface3d_figure

GENERAL_ENTRIES = 16  # a 100,000-step run of 8 optimizers is ~60 MB of results: keep this small
PRESET_ENTRIES = 48  # 10 scenes × 2 languages, with room for a few colour / view variants


def scenario_key(data: dict) -> str:
    """The canonical cache key of a scenario: its normalised dict as sorted JSON."""
    return json.dumps(parse_scenario(data).to_dict(), sort_keys=True)


def preset_scenario(preset, tr) -> dict:
    """A tour scene as the page loads it: its run labels in the page's language."""
    return dict(preset.scenario, runs=[dict(r, label=tr(r["label"])) if r.get("label") else r for r in preset.scenario["runs"]])


PRESET_KEYS = frozenset(scenario_key(preset_scenario(p, translator(lang))) for p in PRESETS for lang in LANGUAGES)


def _results(key: str):
    return run_scenario(parse_scenario(json.loads(key)))


def _figures(key: str, colours: tuple, fit: bool, tr, large: bool, inset: int):
    scenario = parse_scenario(json.loads(key))
    surface, results = scenario.surface_obj, compute(key)
    view = fit_view(surface, results) if fit else surface.domain
    map_fig = map_figure(surface, results, list(colours), view, tr=tr, large=large, height=760 if large else 620,
                         bundles=run_bundles(scenario), inset=inset)
    alt = {"map": map_alt(surface, results, tr), "diagnostics": diagnostics_alt(results, tr)}
    return map_fig, diagnostics_figure(surface, results, list(colours), tr=tr), view, alt


# cache_resource: shared by all sessions and not copied on each rerun (results are megabytes);
# nothing modifies a result or figure after it is built. Streamlit keys a cache by the function's
# name and code, so each tier needs a function of its own.
@st.cache_resource(max_entries=GENERAL_ENTRIES, show_spinner=False)
def _results_general(key: str):
    return _results(key)


@st.cache_resource(max_entries=PRESET_ENTRIES, show_spinner=False)
def _results_preset(key: str):
    return _results(key)


@st.cache_resource(max_entries=GENERAL_ENTRIES, show_spinner=False)
def _figures_general(key: str, colours: tuple, fit: bool, tr, large: bool, inset: int):
    return _figures(key, colours, fit, tr, large, inset)


@st.cache_resource(max_entries=PRESET_ENTRIES, show_spinner=False)
def _figures_preset(key: str, colours: tuple, fit: bool, tr, large: bool, inset: int):
    return _figures(key, colours, fit, tr, large, inset)


def _tier(key: str) -> str:
    return "preset" if key in PRESET_KEYS else "general"


def compute(key: str):
    """Engine results for a scenario (given as scenario_key's JSON)."""
    return (_results_preset if _tier(key) == "preset" else _results_general)(key)


def figures(key: str, colours: tuple, fit: bool, tr, large: bool, inset: int = 0):
    """(map figure, diagnostics figure, view, their text alternatives) for a scenario, its run colours and view options
    (inset: the scene's, see map_figure)."""
    return (_figures_preset if _tier(key) == "preset" else _figures_general)(key, colours, fit, tr, large, inset)


@st.cache_resource(max_entries=64, show_spinner=False)
def summaries(key: str, tolerance: float):
    """The summary table's numbers for each run (a few hundred bytes: a larger cache is cheap)."""
    surface = parse_scenario(json.loads(key)).surface_obj
    return [summarize(surface, r, tolerance) for r in compute(key)]


@st.cache_resource(max_entries=8, show_spinner=False)
def figure_3d(key: str, colours: tuple, view, tr):
    scenario = parse_scenario(json.loads(key))
    results = compute(key)
    return (surface3d_figure(scenario.surface_obj, results, list(colours), view, tr=tr),
            surface3d_alt(scenario.surface_obj, results, tr))


def _warm() -> None:
    try:
        _warm_all()
    except Exception as e:  # only a head start: a page computes what it needs on its own anyway
        print(f"Descent Lab: warm-up stopped early: {type(e).__name__}: {e}", flush=True)


def _compile_kernels() -> None:
    """numba: compile (or load from its cache) every rule and objective before anyone clicks."""
    try:
        from optimizers.kernels import compile_all as rules
        from surfaces.compiled import compile_all as objectives
    except (ImportError, RuntimeError, OSError):
        return  # the engine uses the NumPy rules
    rules()
    objectives()


def _warm_all() -> None:
    _compile_kernels()
    for lang in LANGUAGES:
        tr = translator(lang)
        for p in PRESETS:
            data = preset_scenario(p, tr)
            colours = tuple(PALETTE[i % len(PALETTE)] for i in range(len(data["runs"])))
            figures(scenario_key(data), colours, p.fit_view, tr, False, p.inset)


GC_PERIOD = 30.0  # s


def _collect_garbage() -> None:
    # Streamlit's own gc.collect() after every script run is switched off (.streamlit/config.toml:
    # it cost 29% of the server's time with a class on it). A closed session's objects refer to
    # one another, so reference counting alone never frees them: one full collection every 30 s
    # (~0.1 s) returns them, and the server's memory stays flat as students come and go.
    while True:
        time.sleep(GC_PERIOD)
        gc.collect()


@st.cache_resource(show_spinner=False)
def warm_up() -> tuple[threading.Thread, threading.Thread]:
    """Once per server, at the first page: compute every tour scene in the background, and start
    the periodic garbage collection."""
    threads = (threading.Thread(target=_warm, name="descent-lab-warm-up", daemon=True),
               threading.Thread(target=_collect_garbage, name="descent-lab-gc", daemon=True))
    for t in threads:
        t.start()
    return threads
