"""The summary table: each run's outcome in numbers a person reads, under a tolerance the user sets."""
from __future__ import annotations

import pyarrow as pa
import streamlit as st

from experiments.analysis import BURST_FACTOR, BURST_MIN_FRACTION, BURST_WINDOW, default_tolerance
from experiments.stability import ZERO_GRADIENT
from views.numbers import count, sig

from .bind import NUMBER, bound
from .compute import summaries


def summary_section(key: str, surface, tolerance: float | None, tr) -> None:
    """key: the scenario's cache key; tolerance: the page's (None: the surface's default)."""
    tolerance = bound(st.number_input, "tolerance", float(tolerance or default_tolerance(surface)),
                      lambda q, v: setattr(q, "tolerance", None if v is None else float(v)),
                      label=tr("Tolerance: distance to a minimum that counts as reached"), min_value=0.0, format=NUMBER)
    tolerance = float(default_tolerance(surface) if tolerance is None else tolerance)
    rows = [{tr("run"): s.label, tr("final loss"): sig(s.final_loss, 6), tr("distance to nearest minimum"): sig(s.distance, 3),
             tr("steps to within tolerance"): count(s.steps_to_tolerance), tr("diverged at step"): count(s.diverged_at),
             tr("bursts"): count(s.bursts), tr("longest step"): sig(s.longest_step, 3), tr("at step"): count(s.longest_step_at),
             tr("unstable from step"): _first(s.unstable_from), tr("unstable, steps before each burst"): _first(s.burst_leads),
             tr("ended at"): tr(s.ended_at) if s.ended_at else "—"}
            for s in summaries(key, tolerance)]
    numeric = list(rows[0])[1:] if rows else []
    # narrow number columns and wider lists, so that all eleven fit a projector's width
    wide = {tr("unstable from step"): 96, tr("unstable, steps before each burst"): 96}
    config = {c: st.column_config.TextColumn(alignment="right", width=wide.get(c, "small")) for c in numeric}
    config[tr("ended at")] = st.column_config.TextColumn(alignment="left", width=120)
    # A pyarrow table goes to the page as it is; a list of dicts would first become a pandas frame
    # (2 ms of a rerun's server time, for three rows). Every cell is text (views/numbers).
    table = pa.table({c: pa.array([r[c] for r in rows], pa.string()) for c in (list(rows[0]) if rows else [])})
    st.dataframe(table, hide_index=True, column_config=config)
    st.caption(tr("“—”: none (no minimum reached, no divergence, no burst). A burst is a step ≥ {factor}× the median of the "
                  "{window} steps before it (and ≥ {fraction}% of the window's diagonal); long steps less than {window} steps "
                  "apart are one burst.", factor=f"{BURST_FACTOR:g}", window=BURST_WINDOW, fraction=f"{100 * BURST_MIN_FRACTION:g}"))
    st.caption(tr("Unstable: the stability S_t/T_t is above 1 (the diagnostics' stability row): the oscillation along the "
                  "steepest direction grows. Ended at: a minimum, saddle or maximum when the last gradient is below {zero} of "
                  "the run's largest, else not a critical point (the gradient is small, not zero).", zero=f"{ZERO_GRADIENT:g}"))


def _first(values, most: int = 2) -> str:
    """The first few of a list of step numbers, and how many in all: "513, 949 … (5)"."""
    shown = [count(v) for v in values[:most]]
    if not shown:
        return "—"
    return ", ".join(shown) + (f" … ({len(values)})" if len(values) > most else "")
