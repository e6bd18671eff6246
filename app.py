"""Descent Lab: optimizer trajectories on 2-D error surfaces.  Run: streamlit run app.py

Thin by design: widgets in → one validated scenario → engine → figures out.
(First version; the animated map, diagnostics and lecture tour are issue 3.)
"""
from __future__ import annotations

import streamlit as st

from optimizers import OPTIMIZERS, SCHEDULES, ValidationError
from scenario import parse_scenario, run_scenario
from surfaces import SURFACES
from views.figures import contour_with_paths

st.set_page_config(page_title="Descent Lab", layout="wide")
st.title("Descent Lab")
st.caption("Watch optimizers move over an error surface — after Hung-yi Lee's lecture on adaptive learning rates.")


def param_widget(key: str, name: str, spec):
    if spec.kind == "bool":
        return st.checkbox(name, value=spec.default, key=key, help=spec.doc)
    if spec.kind == "choice":
        return st.selectbox(name, spec.choices, key=key, help=spec.doc)
    if spec.kind == "pair":
        a = st.number_input(f"{name}[0]", value=float(spec.default[0]), format="%g", key=key + "0", help=spec.doc)
        b = st.number_input(f"{name}[1]", value=float(spec.default[1]), format="%g", key=key + "1", help=spec.doc)
        return [a, b]
    if spec.kind == "int":
        return int(st.number_input(name, value=int(spec.default or 0), step=1, key=key, help=spec.doc + " (0: default)")) or None
    if spec.default is None:
        v = st.number_input(name, value=0.0, format="%g", key=key, help=spec.doc + " (0: default)")
        return v or None
    return st.number_input(name, value=float(spec.default), format="%g", key=key, help=spec.doc)


with st.sidebar:
    surface_name = st.selectbox("Surface", list(SURFACES), format_func=lambda n: SURFACES[n].title)
    surface = SURFACES[surface_name]
    st.caption(surface.description)
    c1, c2 = st.columns(2)
    x0 = c1.number_input(surface.axis_names[0] + "₀", value=float(surface.default_start[0]), format="%g", key=f"x0-{surface_name}")
    y0 = c2.number_input(surface.axis_names[1] + "₀", value=float(surface.default_start[1]), format="%g", key=f"y0-{surface_name}")
    steps = st.number_input("Steps", min_value=1, max_value=100_000, value=300, step=50)
    runs = []
    n_runs = st.number_input("Runs", min_value=1, max_value=8, value=2)
    for i in range(int(n_runs)):
        with st.expander(f"Run {i + 1}", expanded=i == 0):
            opt = st.selectbox("Optimizer", list(OPTIMIZERS), index=[0, 3][i % 2], key=f"opt{i}")
            params = {k: param_widget(f"p{i}-{opt}-{k}", k, p) for k, p in OPTIMIZERS[opt].params.items()}
            sched = st.selectbox("Schedule", [n for n in SCHEDULES if n != "SequentialLR"], key=f"sched{i}")
            sparams = {k: param_widget(f"s{i}-{sched}-{k}", k, p) for k, p in SCHEDULES[sched].params.items()}
            runs.append({"optimizer": opt, "params": params, "schedule": {"name": sched, "params": sparams},
                         "label": f"{i + 1}: {opt}" + ("" if sched == "none" else f" + {sched}")})

valid = []
for i, run in enumerate(runs):
    try:
        parse_scenario({"surface": surface_name, "start": [x0, y0], "steps": int(steps), "runs": [run]})
        valid.append(run)
    except ValidationError as e:
        st.warning(f"Run {i + 1} is not shown: {e}")


@st.cache_data(max_entries=64, show_spinner="Computing trajectories…")
def compute(scenario_dict: dict):
    return run_scenario(parse_scenario(scenario_dict))


if valid:
    scenario = parse_scenario({"surface": surface_name, "start": [x0, y0], "steps": int(steps), "runs": valid})
    results = compute(scenario.to_dict())
    st.plotly_chart(contour_with_paths(surface, results), use_container_width=True)
    for r in results:
        if r.diverged_at is not None:
            st.error(f"{r.label}: {r.reason}. The path is drawn up to the last finite point.")
    st.latex(surface.formula)
    st.dataframe([{"run": r.label, "final loss": float(r.loss[-1]) if len(r.loss) else None,
                   "final point": str(r.points[-1].round(5).tolist()) if len(r.points) else "—",
                   "diverged at step": r.diverged_at} for r in results], hide_index=True)
