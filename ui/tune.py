"""A fair comparison (page section): tune each run's learning rate before comparing the runs.

One run, or every run, is run again at its lr × 10^[−3, 3] (25 values, batched in the worker, as a
sweep); the lr with the lowest final loss, or the fewest steps to the tolerance, is chosen among
those that did not diverge, set on the run, and the search curve is shown.
"""
from __future__ import annotations

import json

import streamlit as st

from optimizers.fate import TUNE_BY
from views.numbers import sig
from views.text import md
from views.toolbar import chart_config
from views.tunefig import tune_figure

from . import jobs
from .bind import choice, page

ALL = -1  # the run choice "every run"


def _set_by(p, value) -> None:
    p.tune.settings["by"] = value


def _set_run(p, value) -> None:
    p.tune.run = None if value == ALL else value


def _apply(p, result: dict, ids: list[int]) -> None:
    """Each tuned run gets its chosen lr (where one was found); what it had is kept to be shown."""
    was = {}
    for rid, r in zip(ids, result["runs"], strict=True):
        if r["best_lr"] is not None and any(x.id == rid for x in p.runs):
            run = p.run(rid)
            was[rid] = float(run.params.get("lr", r["lr"]))
            run.params["lr"] = float(r["best_lr"])
    p.tuned = {"result": result, "was": was, "ids": ids}


def tune_section(scenario, run_ids, colours, tolerance, tr) -> None:
    p = page()
    c = st.columns([2, 2, 1])
    labels = {ALL: tr("Every run"), **{rid: f"{k + 1}: {r.label or r.optimizer}"
                                       for k, (rid, r) in enumerate(zip(run_ids, scenario.runs))}}
    which = p.tune.run if p.tune.run in run_ids else ALL
    choice(c[0].selectbox, "tune.run", [ALL, *run_ids], which, _set_run, fmt=labels.get, label=tr("Tune the learning rate of"))
    choice(c[1].radio, "tune.by", list(TUNE_BY), p.tune.settings.get("by", "loss"), _set_by, horizontal=True,
           label=tr("Choose the lr with"),
           fmt=lambda v: tr("the lowest final loss") if v == "loss" else tr("the fewest steps to the tolerance"))
    by = p.tune.settings.get("by", "loss")
    ids = list(run_ids) if which == ALL else [which]
    if c[2].button(tr("Tune all") if which == ALL else tr("Tune lr"), key="tune_go", type="primary", width="stretch"):
        indices = [run_ids.index(rid) for rid in ids]
        key = json.dumps(scenario.to_dict(), sort_keys=True)
        bar = st.progress(0.0, text=tr("Running {n} runs…", n=f"{25 * len(ids):,}"))
        result = jobs.run(jobs.tune_job, key, by, indices, tolerance,
                          progress=lambda u: bar.progress(min(1.0, float(u)), text=tr("Running {n} runs…", n=f"{25 * len(ids):,}")))
        bar.empty()
        _apply(p, result, ids)
        st.rerun()
    st.caption(tr("Each run again at its lr × 10⁻³ … 10³ (25 values, every other setting kept); among those that did not "
                  "diverge, the lr with the lowest final loss or the fewest steps to the tolerance is set on the run. "
                  "Optimizers compared each at its own best lr: a fair comparison."))
    tuned = p.tuned
    if not tuned:
        return
    # Runs by number and optimizer: their labels may name the lr they had before (and follow the new one now)
    result = dict(tuned["result"], runs=[dict(r, label=f"{r['run'] + 1}: {r['optimizer']}") for r in tuned["result"]["runs"]])
    rows = []
    for rid, r in zip(tuned["ids"], result["runs"], strict=True):
        rows.append({tr("run"): r["label"], tr("lr before"): sig(tuned["was"].get(rid, r["lr"]), 4),
                     tr("chosen lr"): sig(r["best_lr"], 4) if r["best_lr"] is not None else tr("none: every lr diverged or none converged"),
                     tr("diverged"): f"{sum(r['diverged'])} / {len(r['diverged'])}"})
    st.dataframe(rows, hide_index=True)
    shown = [colours[run_ids.index(rid)] if rid in run_ids else "#555555" for rid in tuned["ids"]]
    st.plotly_chart(tune_figure(result, shown, tr=tr), key="tune_chart", theme=None, config=chart_config(tr),
                    alt=tr("The search curve of the learning-rate tuner: final loss against lr for {n} runs; the chosen lr "
                           "starred, diverged lrs crossed.", n=len(shown)))
    st.caption(md(tr("The chosen learning rates are set on the runs above (by {by}).",
                     by=tr("the lowest final loss") if result["by"] == "loss" else tr("the fewest steps to the tolerance"))))
