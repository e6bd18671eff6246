"""Beyond one path (page section): the fate map of one run's settings and a hyperparameter sweep.

Each is computed on a button press, with a progress bar, and kept in the session (and cached by
its settings, bounded). A click on a cell of the fate map makes that cell's start the page's start
point; a click on a sweep cell adds that run to the page.
"""
from __future__ import annotations

import json

import numpy as np
import streamlit as st

from experiments.scenario import MAX_MAP_STEPS, parse_scenario
from experiments.stability import sweep_edge
from optimizers import OPTIMIZERS, ValidationError
from optimizers.fate import MAX_MAP, MAX_SWEEP, SECOND, sweep_params, with_value
from views.alttext import fate_alt, sweep_alt
from views.fatefig import METRICS, fate_figure, sweep_figure
from views.numbers import sig
from views.text import md
from views.toolbar import chart_config

from . import jobs
from .bind import NUMBER, bound, choice, page
from .cache import MB, ByteCache
from .state import add_run_from, set_start

_CACHE = ByteCache("fate maps and sweeps", 32 * MB)  # 200 × 200 cells: 1.6 MB  # (kind, scenario JSON) → result, for every session


def _fate(scenario_json: str, progress=None):
    return _CACHE.get(("map", scenario_json), lambda: jobs.run(jobs.fate_job, scenario_json, progress=progress))


def _sweep(scenario_json: str, progress=None):
    return _CACHE.get(("sweep", scenario_json), lambda: jobs.run(jobs.sweep_job, scenario_json, progress=progress))


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
    for pt in points:
        if pt.get("x") is not None and pt.get("y") is not None:
            # 6 significant digits: the cell's centre, without 3.16666666667 in the start boxes
            set_start(*(float(f"{float(pt[k]):.6g}") for k in ("x", "y")))
            return


def _on_sweep_click(optimizer: str, params: dict, name: str) -> None:
    points = ((st.session_state.get("sweep_chart") or {}).get("selection") or {}).get("points") or []
    for pt in points:
        if pt.get("x") is not None and pt.get("y") is not None:
            chosen = with_value(dict(params, lr=float(pt["x"])), name, float(pt["y"]))
            cls = OPTIMIZERS[optimizer]
            add_run_from(optimizer, {k: v for k, v in chosen.items() if k in cls.params},
                         f"{optimizer}, lr = {float(pt['x']):.3g}, {name} = {float(pt['y']):.3g}")
            return


def _setting(study: str, name: str, convert=lambda v: v):
    def write(p, value):
        getattr(p, study).settings[name] = convert(value)
    return write


def _run_index(study, run_ids) -> int:
    """Which run's settings a study uses: the run with the study's run id, else the first."""
    return run_ids.index(study.run) if study.run in run_ids else 0


def _run_choice(name: str, study, scenario, run_ids, tr, col):
    """The selectbox of the run whose settings a study uses, by the run's id (labels are only how
    it is shown); returns that run's index."""
    labels = {rid: f"{k + 1}: {r.label or r.optimizer}" for k, (rid, r) in enumerate(zip(run_ids, scenario.runs))}
    choice(col.selectbox, f"{name}.run", run_ids, study.run, lambda p, v: setattr(getattr(p, name), "run", v),
           fmt=labels.get, label=tr("Settings of run"))
    return _run_index(study, run_ids)


def _fate_key(scenario, run: int, fate) -> tuple[dict, str]:
    """The fate map's settings (as the share link holds them) and its cache key. The map depends on
    the surface, that run's settings and the map's own: not on the start or the other runs, so a
    click on a cell (which moves the start) keeps the map on screen."""
    settings = {"run": run, "cells": int(fate.settings["cells"]), "steps": int(fate.settings["steps"])}
    return settings, _study_key(scenario, run, "map", dict(settings, run=0), start=list(scenario.surface_obj.default_start))


def _sweep_key(scenario, run: int, sweep) -> tuple[dict, str] | None:
    """The sweep's settings (as the share link holds them) and its cache key; None when the run's
    optimizer has no second parameter; ValidationError when the settings are refused. The sweep
    depends on the surface, the start, that run and its own settings (not on the other runs)."""
    names = sweep_params(scenario.runs[run].optimizer)
    if not names:
        return None
    param = sweep.settings.get("param") if sweep.settings.get("param") in names else names[0]
    settings = {"run": run, "param": param, "lr": list(sweep.settings["lr"]), "values": list(sweep.settings["values"]),
                "steps": int(min(scenario.steps, MAX_MAP_STEPS))}
    return settings, _study_key(scenario, run, "sweep", dict(settings, run=0), start=list(scenario.start))


def on_screen(scenario, run_ids) -> dict:
    """The fate map and sweep the page holds (computed for these settings, or to be computed from a
    link), whether or not their tab is open: the share link keeps them."""
    p = page()
    out = {}
    settings, key = _fate_key(scenario, _run_index(p.fate, run_ids), p.fate)
    if p.fate.shown == key or "map" in p.auto_study:
        out["map"] = settings
    try:
        found = _sweep_key(scenario, _run_index(p.sweep, run_ids), p.sweep)
    except ValidationError:
        found = None
    if found and (p.sweep.shown == found[1] or "sweep" in p.auto_study):
        out["sweep"] = found[0]
    return out


def fate_section(scenario, run_ids, surface, tr) -> None:
    p = page()
    fate = p.fate
    c = st.columns([2, 1, 1, 1])
    run = _run_choice("fate", fate, scenario, run_ids, tr, c[0])
    bound(c[1].number_input, "fate_cells", int(fate.settings["cells"]), _setting("fate", "cells", lambda v: int(v or 60)),
          label=tr("Cells per side"), min_value=2, max_value=MAX_MAP, step=10,
          help=tr("Up to {n} × {n} starts; each runs the chosen settings.", n=MAX_MAP))
    bound(c[2].number_input, "fate_steps", int(fate.settings["steps"]), _setting("fate", "steps", lambda v: int(v or 500)),
          label=tr("Steps per start"), min_value=1, max_value=MAX_MAP_STEPS, step=100, help=tr("Up to {n}.", n=f"{MAX_MAP_STEPS:,}"))
    choice(c[3].radio, "fate.layer", ["fate", "steps"], fate.settings["layer"], _setting("fate", "layer"), label=tr("Layer"),
           horizontal=True, fmt=lambda v: tr("where it ends") if v == "fate" else tr("steps needed"))
    if not surface.minima:
        st.caption(tr("This surface lists no minimum inside its window: every start is 'still moving' or 'diverged'."))
    cells = int(fate.settings["cells"])
    _, key = _fate_key(scenario, run, fate)
    if st.button(tr("Compute the fate map"), key="fate_go", type="primary") or _auto(p, "map"):
        fate.shown = key
    if fate.shown != key:
        if fate.shown:
            st.caption(tr("The settings changed: press the button to compute the map again."))
        return
    bar, progress = _bar(tr, tr("Running {n} starts…", n=f"{cells ** 2:,}"))
    fm, minima, full = _fate(key, progress)
    bar.empty()
    counts = {tr("diverged"): int(np.sum(fm.outcome.fate == -1)), tr("still moving"): int(np.sum(fm.outcome.fate == -2))}
    reached = {tr("reached a minimum"): int(np.sum(fm.outcome.fate >= 0)), **counts}
    st.plotly_chart(fate_figure(surface, fm, minima, layer=fate.settings["layer"], tr=tr), key="fate_chart",
                    on_select=_on_fate_click, selection_mode="points", theme=None, alt=fate_alt(reached, tr),
                    config=chart_config(tr))
    st.caption(tr.plural(full["steps"], "{n} starts × 1 step with run {run}'s settings; reached a minimum (within {tol}) when it "
                         "ends there; {diverged} diverged, {moving} still moving. Click a cell to start the page's runs there.",
                         "{n} starts × {steps} steps with run {run}'s settings; reached a minimum (within {tol}) when it ends "
                         "there; {diverged} diverged, {moving} still moving. Click a cell to start the page's runs there.",
                  n=f"{len(fm.outcome.fate):,}", steps=f"{full['steps']:,}", run=run + 1,
                  tol=sig(full["tolerance"], 3), diverged=f"{counts[tr('diverged')]:,}", moving=f"{counts[tr('still moving')]:,}"))


def _auto(p, name: str) -> bool:
    """A link with a fate map or sweep on screen computes it once, on opening."""
    if name in p.auto_study:
        p.auto_study.discard(name)
        return True
    return False


def _set_param(p, name) -> None:
    p.sweep.settings["param"] = name
    low, high = SECOND[name]
    p.sweep.settings["values"][:2] = [low, high]


def _axis(i: int, j: int, integer: bool = False):
    def write(p, value):
        axis = p.sweep.settings["lr" if i == 0 else "values"]
        axis[j] = int(value or 1) if integer else float(0.0 if value is None else value)
    return write


def sweep_section(scenario, run_ids, tr) -> None:
    p = page()
    sweep = p.sweep
    c = st.columns([2, 1, 1])
    run = _run_choice("sweep", sweep, scenario, run_ids, tr, c[0])
    spec = scenario.runs[run]
    names = sweep_params(spec.optimizer)
    if not names:
        st.caption(tr("{optimizer} has no second parameter to sweep.", optimizer=spec.optimizer))
        return
    if sweep.settings.get("param") not in names:
        _set_param(p, names[0])
    param = sweep.settings["param"]
    choice(c[1].selectbox, "sweep.param", names, param, _set_param, label=tr("Second parameter"))
    choice(c[2].selectbox, "sweep.metric", list(METRICS), sweep.settings["metric"], _setting("sweep", "metric"),
           label=tr("Show"), fmt=tr)
    lr, values = sweep.settings["lr"], sweep.settings["values"]
    d = st.columns(6)
    bound(d[0].number_input, "sweep.lr0", float(lr[0]), _axis(0, 0), label=tr("lr from"), min_value=1e-12, max_value=1e6, format=NUMBER)
    bound(d[1].number_input, "sweep.lr1", float(lr[1]), _axis(0, 1), label=tr("lr to"), min_value=1e-12, max_value=1e6, format=NUMBER)
    bound(d[2].number_input, "sweep.lr2", int(lr[2]), _axis(0, 2, True), label=tr("lr values"), min_value=1, max_value=MAX_SWEEP)
    bound(d[3].number_input, f"sweep.v0.{param}", float(values[0]), _axis(1, 0), label=tr("{name} from", name=param),
          min_value=-1e6, max_value=1e6, format=NUMBER)
    bound(d[4].number_input, f"sweep.v1.{param}", float(values[1]), _axis(1, 1), label=tr("{name} to", name=param),
          min_value=-1e6, max_value=1e6, format=NUMBER)
    bound(d[5].number_input, "sweep.v2", int(values[2]), _axis(1, 2, True), label=tr("{name} values", name=param),
          min_value=1, max_value=MAX_SWEEP)
    try:
        _, key = _sweep_key(scenario, run, sweep)
    except ValidationError as e:  # the settings as typed are refused: say why
        st.error(md(e.in_language(tr)))
        return
    if st.button(tr("Compute the sweep"), key="sweep_go", type="primary") or _auto(p, "sweep"):
        sweep.shown = key
    if sweep.shown != key:
        return
    bar, progress = _bar(tr, tr("Running {n} runs…", n=f"{int(lr[2]) * int(values[2]):,}"))
    sw, full = _sweep(key, progress)
    bar.empty()
    edge = sweep_edge(scenario.surface_obj, spec, param, sw.values)
    st.plotly_chart(sweep_figure(sw, sweep.settings["metric"], tr=tr, edge=edge), key="sweep_chart", theme=None, selection_mode="points",
                    on_select=lambda: _on_sweep_click(spec.optimizer, dict(spec.params), param), config=chart_config(tr),
                    alt=sweep_alt(len(sw.outcome.fate), int(np.sum(sw.outcome.fate == -1)), tr))
    if edge is not None:
        st.caption(tr("Dashed: the theoretical edge of stability at the minimum, lr = T / λ_max(H(θ*)) (T = 2 for plain "
                      "SGD, 2(1+μ) with momentum μ): to its right the runs that get near the minimum cannot settle there."))
    st.caption(tr.plural(full["steps"], "{n} runs of 1 step from the page's start; click a cell to add that run to the page.",
                         "{n} runs of {steps} steps from the page's start; click a cell to add that run to the page.",
                  n=f"{len(sw.outcome.fate):,}", steps=f"{full['steps']:,}"))
