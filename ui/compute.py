"""The page's cached computations: engine results and figures for a scenario.

Two tiers, each bounded in bytes (ui/cache.py). The lecture tour's scenes are what a whole class
opens at once, so their results and figures live in a tier of their own that nothing else evicts
(11 scenes × 2 languages), and `warm_up()` computes them when the server starts instead of on the
first student's click (the "tiny learning rate" scene alone is 100,000 steps). Everything else
goes through an LRU tier: a class typing 30 different step counts cycles it, but cannot grow it.
Scenarios above jobs.HEAVY_WORK run in the worker process (ui/jobs.py), not in the server's.
"""
from __future__ import annotations

import gc
import json
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import NamedTuple

import numpy as np
import pandas  # noqa: F401  (imported before the warm-up thread: plotly's lazy pandas import races otherwise)
import streamlit as st

from experiments.analysis import summarize
from experiments.scenario import bundled_paths, parse_scenario, run_bundles, run_scenario, work
from experiments.tour import PRESETS
from i18n import LANGUAGES, translator
from views.alttext import diagnostics_alt, map_alt, surface3d_alt
from views.diagnostics import diagnostics_figure
from views.mapfig import PALETTE, fit_view, map_figure
from views.player import chart_spec, player_spec
from views.sampling import path_indices
from views.surface3d import surface3d_figure

from . import jobs
from .cache import ByteCache
from .memory import return_freed_memory, trim

MB = 1 << 20
# Each tier is bounded in bytes (ui/cache.py measures what it keeps). The largest result allowed
# (16 runs × 100,000 steps, all records) is 154 MB; the tour's 11 scenes are 11 MB per language.
# A big entry outside the tour is dropped after IDLE seconds unasked (ByteCache.expire, run with
# the periodic garbage collection): the server's memory comes back down when a heavy session ends.
IDLE = 120.0
RESULTS = {"preset": ByteCache("results, tour", 48 * MB), "general": ByteCache("results", 256 * MB, idle=IDLE)}
FIGURES = {"preset": ByteCache("figures, tour", 128 * MB), "general": ByteCache("figures", 64 * MB, idle=IDLE, big=4 * MB)}
SUMMARIES = ByteCache("summaries", 4 * MB)
FIGURES_3D = ByteCache("3-D figures", 32 * MB, idle=IDLE, big=4 * MB)
CACHES = (*RESULTS.values(), *FIGURES.values(), SUMMARIES, FIGURES_3D)


def scenario_key(data: dict) -> str:
    """The canonical cache key of a scenario: its normalised dict as sorted JSON."""
    return json.dumps(parse_scenario(data).to_dict(), sort_keys=True)


def preset_scenario(preset, tr) -> dict:
    """A tour scene as the page loads it: its run labels in the page's language."""
    return dict(preset.scenario, runs=[dict(r, label=tr(r["label"])) if r.get("label") else r for r in preset.scenario["runs"]])


PRESET_KEYS = frozenset(scenario_key(preset_scenario(p, translator(lang))) for p in PRESETS for lang in LANGUAGES)


def heavy(scenario) -> bool:
    """Whether a scenario's runs go to the worker process (ui/jobs.py) rather than this one."""
    return work(scenario.steps, scenario.bundles or (1,) * len(scenario.runs)) > jobs.HEAVY_WORK


def _results(key: str):
    scenario = parse_scenario(json.loads(key))
    if heavy(scenario):
        return jobs.run(jobs.results_job, key)
    return run_scenario(scenario)


def _bundles(key: str, scenario, results):
    if not scenario.bundles:
        return {}
    paths = bundled_paths(scenario, results)
    if heavy(scenario):
        return jobs.run(jobs.bundles_job, key, paths)
    return run_bundles(scenario, paths, path_indices)


def _map_of(scenario, results, key: str, colours: tuple, fit: bool, tr, large: bool, inset: int, lens: bool):
    """The map figure (with its Plotly frames, made when asked) and its view."""
    surface = scenario.surface_obj
    view = fit_view(surface, results) if fit else surface.domain
    return map_figure(surface, results, list(colours), view, tr=tr, large=large, height=760 if large else 620,
                      bundles=_bundles(key, scenario, results), inset=inset, lens=lens), view


def _map_figure(key: str, *options):
    """The map figure again, for an export (Figures keeps only its JSON)."""
    return _map_of(parse_scenario(json.loads(key)), compute(key), key, *options)[0]


def _figures(key: str, colours: tuple, fit: bool, tr, large: bool, inset: int, lens: bool) -> Figures:
    scenario = parse_scenario(json.loads(key))
    surface, results = scenario.surface_obj, compute(key)
    options = (colours, fit, tr, large, inset, lens)
    map_fig, view = _map_of(scenario, results, key, *options)
    alt = {"map": map_alt(surface, results, tr), "diagnostics": diagnostics_alt(results, tr)}
    diagnostics = diagnostics_figure(surface, results, list(colours), tr=tr)
    return Figures(view, alt, player_spec(map_fig, alt["map"], tr, fill=large).encode(),
                   chart_spec(diagnostics, alt["diagnostics"], tr).encode(), dict(map_fig.layout.meta),
                   partial(_map_figure, key, *options))


class Figures(NamedTuple):
    """What the page shows of a scenario, kept as the JSON its charts are sent: a plotly.py figure
    holds the same numbers several times over in Python objects (2 MB for a 3-run map, and 7 ms to
    measure for the cache's budget), so the map's figure itself is made again only for an export."""
    view: tuple
    alt: dict  # each chart's text alternative
    map_json: bytes  # what the map's player is sent (views/player.py), as UTF-8 JSON: see ui/player.py
    diagnostics_json: bytes
    map_meta: dict  # frames, steps, subsampled: for the caption under the map (views/mapfig.animation_note)
    map_figure: Callable[[], object]  # the map with its Plotly frames, for the exports (built on each call)


def _tier(key: str) -> str:
    return "preset" if key in PRESET_KEYS else "general"


def compute(key: str):
    """Engine results for a scenario (given as scenario_key's JSON)."""
    return RESULTS[_tier(key)].get(key, lambda: _results(key))


def figures(key: str, colours: tuple, fit: bool, tr, large: bool, inset: int = 0, lens: bool = False):
    """(map figure, diagnostics figure, view, their text alternatives, the map player's JSON) for a scenario, its run colours and view options
    (inset: the scene's, lens: paths coloured by stability, see map_figure). Shared by all sessions and never modified
    after it is built."""
    args = (key, colours, fit, tr, large, inset, lens)
    return FIGURES[_tier(key)].get(args, lambda: _figures(*args))


def summaries(key: str, tolerance: float):
    """The summary table's numbers for each run."""
    def make():
        surface = parse_scenario(json.loads(key)).surface_obj
        return [summarize(surface, r, tolerance) for r in compute(key)]
    return SUMMARIES.get((key, tolerance), make)


def figure_3d(key: str, colours: tuple, view, tr):
    def make():
        scenario = parse_scenario(json.loads(key))
        results = compute(key)
        return (surface3d_figure(scenario.surface_obj, results, list(colours), view, tr=tr),
                surface3d_alt(scenario.surface_obj, results, tr))
    return FIGURES_3D.get((key, colours, view, tr), make)


def _warm() -> None:
    try:
        _warm_all()
    except Exception as e:  # only a head start: a page computes what it needs on its own anyway
        print(f"Descent Lab: warm-up stopped early: {type(e).__name__}: {e}", flush=True)


def _compile_kernels() -> None:
    """numba: compile (or load from its cache) what pages run, before anyone clicks. First the
    small functions a first page needs, one at a time (a page's own compile waits for at most one
    of them): every rule's kernel, the surfaces, the stability pass. Then the whole step loop
    (~5 s on a new machine); until it is there, small runs take the Python loop with the same
    kernels and numbers (optimizers/engine.py)."""
    from optimizers.groups import compile_all as rules
    rules()  # plain Python without numba: nothing to compile, and nothing to do
    try:
        from experiments.stability import effective_sharpness
        from optimizers.loop import compiled_loop
        from surfaces.compiled import compile_all as objectives
        from surfaces.compiled import point
    except (ImportError, RuntimeError, OSError):
        return  # no numba: the engine steps the rules in Python
    objectives()
    effective_sharpness(np.eye(2)[None], np.ones((1, 2)))
    compiled_loop(point)


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
        for cache in CACHES:
            cache.expire()
        gc.collect()
        trim()


@st.cache_resource(show_spinner=False)
def warm_up() -> tuple[threading.Thread, threading.Thread]:
    """Once per server, at the first page: compute every tour scene in the background, and start
    the periodic garbage collection."""
    return_freed_memory()
    threads = (threading.Thread(target=_warm, name="descent-lab-warm-up", daemon=True),
               threading.Thread(target=_collect_garbage, name="descent-lab-gc", daemon=True))
    for t in threads:
        t.start()
    return threads
