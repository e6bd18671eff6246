"""Beyond one path (page section): the fate map of one run's settings and a hyperparameter sweep.

Each is computed on a button press, with a progress bar, and kept in the session (and cached by
its settings, bounded). A click on a cell of the fate map makes that cell's start the page's start
point; a click on a sweep cell adds that run to the page.
"""
from __future__ import annotations

import json
import threading
from collections import OrderedDict

import numpy as np
import streamlit as st

from optimizers import OPTIMIZERS, ValidationError
from optimizers.fate import MAX_MAP, MAX_SWEEP, SECOND, sweep_params, with_value
from scenario import MAX_MAP_STEPS, parse_scenario, run_fate_map, run_sweep
from views.fatefig import METRICS, fate_figure, sweep_figure

from .state import MAX_PAGE_RUNS, new_run

_CACHE: OrderedDict = OrderedDict()  # (kind, scenario JSON) → result, for every session; bounded
_CACHE_SIZE = 6
_LOCK = threading.Lock()


def _cached(kind: str, scenario_json: str, compute):
    """A small shared LRU cache. Not st.cache_resource: the computation draws a progress bar,
    and Streamlit cannot replay element calls from a cached function."""
    with _LOCK:
        if (kind, scenario_json) in _CACHE:
            _CACHE.move_to_end((kind, scenario_json))
            return _CACHE[(kind, scenario_json)]
    result = compute()
    with _LOCK:
        _CACHE[(kind, scenario_json)] = result
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return result


def _fate(scenario_json: str, progress=None):
    return _cached("map", scenario_json, lambda: run_fate_map(parse_scenario(json.loads(scenario_json)), progress=progress))


def _sweep(scenario_json: str, progress=None):
    return _cached("sweep", scenario_json, lambda: run_sweep(parse_scenario(json.loads(scenario_json)), progress=progress))


def _study_key(scenario, run: int, section: str, settings: dict, start) -> str:
    """A one-run scenario (canonical JSON) holding just what a fate map or sweep depends on."""
    data = scenario.to_dict()
    one = {k: v for k, v in data["runs"][run].items() if k not in ("label", "start")}
    mini = {"surface": data["surface"], "start": start, "steps": data["steps"], "runs": [one], section: settings}
    return json.dumps(parse_scenario(mini).to_dict(), sort_keys=True)


def _bar(tr, text):
    bar = st.progress(0.0, text=text)
    return bar, (lambda u: bar.progress(min(1.0, float(u)), text=text))


def _on_fate_click() -> None:
    points = ((st.session_state.get("fate_chart") or {}).get("selection") or {}).get("points") or []
    for p in points:
        if p.get("x") is not None and p.get("y") is not None:
            # 6 significant digits: the cell's centre, without 3.16666666667 in the start boxes
            st.session_state.start_x, st.session_state.start_y = (float(f"{float(p[k]):.6g}") for k in ("x", "y"))
            st.session_state.preset = None
            return


def _on_sweep_click(optimizer: str, params: dict, name: str) -> None:
    points = ((st.session_state.get("sweep_chart") or {}).get("selection") or {}).get("points") or []
    for p in points:
        if p.get("x") is not None and p.get("y") is not None and len(st.session_state.run_ids) < MAX_PAGE_RUNS:
            chosen = with_value(dict(params, lr=float(p["x"])), name, float(p["y"]))
            cls = OPTIMIZERS[optimizer]
            new_run(optimizer, {k: v for k, v in chosen.items() if k in cls.params}, None,
                    f"{optimizer}, lr = {float(p['x']):.3g}, {name} = {float(p['y']):.3g}")
            st.session_state.preset = None
            return


def fate_section(scenario, surface, tr) -> dict | None:
    """Returns the map settings when a map is shown (they go into the share link)."""
    labels = [r.label or r.optimizer for r in scenario.runs]
    c = st.columns([2, 1, 1, 1])
    run = c[0].selectbox(tr("Settings of run"), list(range(len(labels))), format_func=lambda i: f"{i + 1}: {labels[i]}",
                         key="fate_run")
    cells = c[1].number_input(tr("Cells per side"), 2, MAX_MAP, key="fate_cells", step=10,
                              help=tr("Up to {n} × {n} starts; each runs the chosen settings.", n=MAX_MAP))
    steps = c[2].number_input(tr("Steps per start"), 1, MAX_MAP_STEPS, key="fate_steps", step=100,
                              help=tr("Up to {n}.", n=f"{MAX_MAP_STEPS:,}"))
    layer = c[3].radio(tr("Layer"), ["fate", "steps"], key="fate_layer", horizontal=True,
                       format_func=lambda v: tr("where it ends") if v == "fate" else tr("steps needed"))
    if not surface.minima:
        st.caption(tr("This surface lists no minimum inside its window: every start is 'still moving' or 'diverged'."))
    settings = {"run": int(run), "cells": int(cells), "steps": int(steps)}
    # The map depends on the surface, that run's settings and the map's own: not on the start or
    # the other runs, so a click on a cell (which moves the start) keeps the map on screen.
    key = _study_key(scenario, run, "map", dict(settings, run=0), start=list(surface.default_start))
    if st.button(tr("Compute the fate map"), key="fate_go", type="primary") or st.session_state.pop("fate_auto", False):
        st.session_state.fate_key = key
    if st.session_state.get("fate_key") != key:
        if st.session_state.get("fate_key"):
            st.caption(tr("The settings changed: press the button to compute the map again."))
        return None
    bar, progress = _bar(tr, tr("Running {n} starts…", n=f"{int(cells) ** 2:,}"))
    fm, minima, full = _fate(key, progress)
    bar.empty()
    st.plotly_chart(fate_figure(surface, fm, minima, layer=layer, tr=tr), key="fate_chart", on_select=_on_fate_click,
                    selection_mode="points", theme=None, config={"displaylogo": False})
    counts = {tr("diverged"): int(np.sum(fm.outcome.fate == -1)), tr("still moving"): int(np.sum(fm.outcome.fate == -2))}
    st.caption(tr("{n} starts × {steps} steps with run {run}'s settings; reached a minimum (within {tol}) when it ends "
                  "there; {diverged} diverged, {moving} still moving. Click a cell to start the page's runs there.",
                  n=f"{len(fm.outcome.fate):,}", steps=f"{full['steps']:,}", run=settings["run"] + 1,
                  tol=f"{full['tolerance']:.3g}", diverged=f"{counts[tr('diverged')]:,}", moving=f"{counts[tr('still moving')]:,}"))
    return settings


def sweep_section(scenario, tr) -> dict | None:
    labels = [r.label or r.optimizer for r in scenario.runs]
    c = st.columns([2, 1, 1])
    run = c[0].selectbox(tr("Settings of run"), list(range(len(labels))), format_func=lambda i: f"{i + 1}: {labels[i]}",
                         key="sweep_run")
    spec = scenario.runs[run]
    names = sweep_params(spec.optimizer)
    if not names:
        st.caption(tr("{optimizer} has no second parameter to sweep.", optimizer=spec.optimizer))
        return None
    if st.session_state.get("sweep_param") not in names:
        st.session_state.sweep_param = names[0]
        _default_range()
    param = c[1].selectbox(tr("Second parameter"), names, key="sweep_param", on_change=_default_range)
    metric = c[2].selectbox(tr("Show"), list(METRICS), key="sweep_metric", format_func=tr)
    d = st.columns(6)
    lr_lo = d[0].number_input(tr("lr from"), min_value=1e-12, max_value=1e6, key="sweep_lr_lo", format="%g")
    lr_hi = d[1].number_input(tr("lr to"), min_value=1e-12, max_value=1e6, key="sweep_lr_hi", format="%g")
    lr_n = d[2].number_input(tr("lr values"), 1, MAX_SWEEP, key="sweep_lr_n")
    v_lo = d[3].number_input(tr("{name} from", name=param), key="sweep_v_lo", format="%g")
    v_hi = d[4].number_input(tr("{name} to", name=param), key="sweep_v_hi", format="%g")
    v_n = d[5].number_input(tr("{name} values", name=param), 1, MAX_SWEEP, key="sweep_v_n")
    settings = {"run": int(run), "param": param, "lr": [lr_lo, lr_hi, int(lr_n)], "values": [v_lo, v_hi, int(v_n)],
                "steps": int(min(scenario.steps, MAX_MAP_STEPS))}
    try:  # the sweep depends on the surface, the start, that run and its own settings (not on the other runs)
        key = _study_key(scenario, run, "sweep", dict(settings, run=0), start=list(scenario.start))
    except ValidationError as e:
        st.error(str(e))
        return None
    if st.button(tr("Compute the sweep"), key="sweep_go", type="primary") or st.session_state.pop("sweep_auto", False):
        st.session_state.sweep_key = key
    if st.session_state.get("sweep_key") != key:
        return None
    bar, progress = _bar(tr, tr("Running {n} runs…", n=f"{int(lr_n) * int(v_n):,}"))
    sw, full = _sweep(key, progress)
    bar.empty()
    st.plotly_chart(sweep_figure(sw, metric, tr=tr), key="sweep_chart", theme=None, selection_mode="points",
                    on_select=lambda: _on_sweep_click(spec.optimizer, dict(spec.params), param),
                    config={"displaylogo": False})
    st.caption(tr("{n} runs of {steps} steps from the page's start; click a cell to add that run to the page.",
                  n=f"{len(sw.outcome.fate):,}", steps=f"{full['steps']:,}"))
    return settings


def _default_range() -> None:
    low, high = SECOND[st.session_state.sweep_param]
    st.session_state.sweep_v_lo, st.session_state.sweep_v_hi = low, high


def init_study_state(steps: int) -> None:
    for key, value in (("fate_cells", 60), ("fate_steps", min(500, steps)), ("fate_layer", "fate"), ("sweep_lr_lo", 1e-4),
                       ("sweep_lr_hi", 1.0), ("sweep_lr_n", 25), ("sweep_v_lo", 0.0), ("sweep_v_hi", 0.99), ("sweep_v_n", 12),
                       ("sweep_metric", METRICS[0])):
        st.session_state.setdefault(key, value)

