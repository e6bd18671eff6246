"""The "Step through" view: one run, one update at a time, with its parts drawn and written out.

A fragment, so Next / Previous rerun only this part of the page (the engine's record is cached).
Buttons have keys: ← → one update, Home / End the first / last, B the next burst.
"""
from __future__ import annotations

import numpy as np
import streamlit as st

from experiments.analysis import view_diagonal
from experiments.stability import stability_of
from optimizers import OPTIMIZERS
from views.alttext import step_alt
from views.stepfig import bursts_of, explain_step, panel_latex, stability_panel, step_figure
from views.text import md
from views.toolbar import chart_config

from .bind import bound, choice, page


def _go(t: int):
    def go():
        page().step_t = int(t)
    return go


def _set_t(p, value) -> None:
    p.step_t = int(value or 1)


@st.fragment
def step_through(results, run_ids, surface, view, colours, tr, large: bool = False) -> None:
    """results[i] is the page's run run_ids[i]; the run to step through is chosen by its id."""
    p = page()
    labels = {rid: f"{k + 1}: {r.label}" for k, (rid, r) in enumerate(zip(run_ids, results))}  # unique, as the browser sends labels
    choice(st.selectbox, "step.run", run_ids, p.step_run, lambda q, v: setattr(q, "step_run", v), fmt=labels.get,
           label=tr("Run to step through"))
    i = run_ids.index(p.step_run) if p.step_run in run_ids else 0
    r = results[i]
    last = len(r.points) - 1  # updates with a point after them (a diverged run's last one has none)
    if last < 1:
        st.info(tr("This run took no step that can be shown: {reason}", reason=tr(r.reason_text, **r.reason_values)
                   if r.reason_text else "—"))
        return
    t = int(np.clip(p.step_t, 1, last))
    scale = view_diagonal(surface)
    bursts = bursts_of(r, scale)
    later = bursts[bursts > t]
    cols = st.columns([1, 1, 1, 1, 1.3, 1.4])
    cols[0].button(tr("|◀ Start"), key="step_first", on_click=_go(1), shortcut="Home", width="stretch")
    cols[1].button(tr("◀ Previous"), key="step_prev", on_click=_go(max(1, t - 1)), shortcut="Left",
                   disabled=t <= 1, width="stretch")
    cols[2].button(tr("Next ▶"), key="step_next", on_click=_go(min(last, t + 1)), shortcut="Right",
                   disabled=t >= last, type="primary", width="stretch")
    cols[3].button(tr("End ▶|"), key="step_last", on_click=_go(last), shortcut="End", width="stretch")
    cols[4].button(tr("Next burst ⚡"), key="step_burst", on_click=_go(int(later[0]) if len(later) else t),
                   shortcut="B", disabled=not len(later), width="stretch",
                   help=(tr("Jump to the start of the next burst: a step ≥ 10× the median of the 50 before it (1 burst in this run, "
                           "as in the summary).") if len(bursts) == 1 else
                        tr("Jump to the start of the next burst: a step ≥ 10× the median of the 50 before it ({n} bursts in "
                           "this run, as in the summary).", n=len(bursts))))
    bound(cols[5].number_input, "step_t", t, _set_t, label=tr("Update t"), min_value=1, max_value=last,
          label_visibility="collapsed")

    ex = explain_step(r, t, surface.domain, surface.axis_names)
    fig_col, num_col = st.columns([3, 2])
    with fig_col:
        colour = colours[i] if i < len(colours) else "#0072B2"
        st.plotly_chart(step_figure(surface, r, t, view, colour, tr=tr, large=large, height=700 if large else 560),
                        key="step_map", theme=None, alt=step_alt(ex, surface.axis_names, tr), config=chart_config(tr))
    with num_col:
        st.markdown(tr("**{label}**, update {t} of {n}: θ_t = θ_{{t−1}} + Δθ", label=md(r.label), t=f"{t:,}", n=f"{last:,}"))
        for line in panel_latex(ex, surface.axis_names):
            st.latex(line)
        if ex.stretch is not None:
            st.caption(tr("The step taken is {stretch}× as long as the plain gradient step −η_t·g_t.",
                          stretch=f"{ex.stretch:.3g}"))
        _stability(surface, r, t, tr)
        if ex.burst:
            template, values = ex.cause
            st.warning(tr("⚡ Burst: this step is {ratio}× the median of the 50 steps before it.",
                          ratio=f"{ex.burst_ratio:,.0f}" if ex.burst_ratio else "—") + " " + tr("Cause:") + " "
                       + tr(template, **values))
        if r.diverged_at is not None and t == last:
            st.error(tr("The next update leaves the finite numbers: {reason}", reason=tr(r.reason_text, **r.reason_values)))
    st.caption(tr("Keys: ← → one update, Home / End the first / last, B the next burst (click the page first, not an input)."))


def _stability(surface, r, t: int, tr) -> None:
    """The stability lens of update t: λ_max(H), S_t, T and what the oscillation does."""
    if r.effective_lr is None or t > len(r.effective_lr):
        return
    lens = stability_of(surface, r)
    lines, sentence = stability_panel(surface, r, lens, t, tr)
    st.markdown(tr("**Stability** of this update (the diagnostics' stability row)"))
    for line in lines:
        st.latex(line)
    if sentence is None:
        st.caption(tr(OPTIMIZERS[r.spec.optimizer].no_threshold))
    elif lens.stability[t - 1] > 1:
        st.warning(sentence)
    else:
        st.caption(sentence)
