"""Descent Lab: optimizer trajectories on 2-D error surfaces.  Run: streamlit run app.py

Thin by design: widgets in (ui/) → one validated scenario (scenario.py) → engine (cached) →
figures out (views/). Nothing the user types reaches eval/exec.
"""
from __future__ import annotations

import json
from functools import partial

import streamlit as st

from analysis import summarize, view_diagonal
from optimizers import OPTIMIZERS, ValidationError
from scenario import parse_run, parse_scenario, run_scenario
from surfaces import SURFACES
from tour import BY_KEY, PRESETS
from ui.controls import runs_section
from ui.state import init_state, load_preset, on_map_select, on_surface_change
from views.diagnostics import diagnostics_figure
from views.latex import update_rule_latex
from views.mapfig import CLICK_TRACE, fit_view, map_figure
from views.surface3d import surface3d_figure

st.set_page_config(page_title="Descent Lab", page_icon="⛰️", layout="wide")
init_state()


@st.cache_resource(max_entries=24, show_spinner="Computing trajectories…")
def compute(scenario_json: str):
    """Engine results for a scenario (as canonical JSON). cache_resource: no copy on each rerun
    (a 100,000-step run is megabytes); results are never modified after this."""
    return run_scenario(parse_scenario(json.loads(scenario_json)))


@st.cache_resource(max_entries=24, show_spinner="Drawing…")
def figures(scenario_json: str, colours: tuple, fit: bool):
    scenario = parse_scenario(json.loads(scenario_json))
    surface, results = scenario.surface_obj, compute(scenario_json)
    view = fit_view(surface, results) if fit else surface.domain
    return map_figure(surface, results, list(colours), view), diagnostics_figure(surface, results, list(colours)), view


@st.cache_resource(max_entries=8, show_spinner="Drawing the 3-D surface…")
def figure_3d(scenario_json: str, colours: tuple, view):
    scenario = parse_scenario(json.loads(scenario_json))
    return surface3d_figure(scenario.surface_obj, compute(scenario_json), list(colours), view)


# ---------------------------------------------------------------- sidebar: widgets in
with st.sidebar:
    st.subheader("Lecture tour")
    current = st.session_state.get("preset")
    for p in PRESETS:
        if p.tour:
            st.button(p.title, key=f"preset-{p.key}", on_click=load_preset, args=(p.key,), width="stretch",
                      type="primary" if p.key == current else "secondary")
    with st.expander("More scenes"):
        for p in PRESETS:
            if not p.tour:
                st.button(p.title, key=f"preset-{p.key}", on_click=load_preset, args=(p.key,), width="stretch")

    st.subheader("Surface")
    surface_name = st.selectbox("Error surface", list(SURFACES), key="surface", on_change=on_surface_change,
                                format_func=lambda n: SURFACES[n].title)
    surface = SURFACES[surface_name]
    st.caption(surface.description)
    a, b = surface.axis_names
    c1, c2 = st.columns(2)
    x0 = c1.number_input(f"start {a}", key="start_x", format="%g", min_value=-1e6, max_value=1e6,
                         help="Or click anywhere on the map.")
    y0 = c2.number_input(f"start {b}", key="start_y", format="%g", min_value=-1e6, max_value=1e6,
                         help="Or click anywhere on the map.")
    steps = int(st.number_input("Steps", key="steps", min_value=1, max_value=100_000, step=100,
                                help="Updates per run, up to 100,000. The animation shows at most 300 frames."))

    def check(run: dict, index: int) -> str | None:
        try:
            parse_run(run, index, (x0, y0), steps)
        except ValidationError as e:
            return str(e)
        return None

    st.subheader("Runs")
    edited = runs_section(steps, check)
    st.subheader("View")
    st.toggle("Fit the view to the whole paths", key="fit_view",
              help="Widen the map to every path (at most 10× the surface's window), e.g. to see a burst leave the window.")

# ---------------------------------------------------------------- main: one scenario → figures
st.title("Descent Lab")
st.caption("Optimizers on a 2-D error surface, after Hung-yi Lee's lecture on adaptive learning rates "
           "(ML 2021). Pick a step of the lecture tour on the left, then press ▶ Play.")
preset = BY_KEY.get(st.session_state.get("preset") or "")
if preset:
    st.info(f"**{preset.title}** — {preset.text}")

for i, (_, _, error) in enumerate(edited):
    if error:
        st.warning(f"Run {i + 1} is not shown: {error}")
valid = [(run, colour) for run, colour, error in edited if run is not None]
if not valid:
    st.error("No run can be computed: fix the settings shown in red on the left.")
    st.stop()

scenario = parse_scenario({"surface": surface_name, "start": [x0, y0], "steps": steps, "runs": [r for r, _ in valid]})
key = json.dumps(scenario.to_dict(), sort_keys=True)
colours = tuple(c for _, c in valid)
results = compute(key)
map_fig, diag_fig, view = figures(key, colours, bool(st.session_state.get("fit_view")))

for r in results:
    if r.diverged_at is not None:
        st.error(f"**{r.label}** stopped: {r.reason}. Its path is drawn up to the last finite point (✕ on the map).")

mode = st.segmented_control("View", ["Map", "3-D surface"], default="Map", key="view_mode", label_visibility="collapsed")
if mode == "3-D surface":
    st.plotly_chart(figure_3d(key, colours, view), key="surface3d", theme=None)
else:
    st.plotly_chart(map_fig, key="map", theme=None, on_select=partial(on_map_select, CLICK_TRACE), selection_mode="points",
                    config={"scrollZoom": True, "displaylogo": False})
    meta = map_fig.layout.meta
    note = (f"Animation: {meta['frames']} frames for {meta['steps']:,} steps (every ~{meta['steps'] / (meta['frames'] - 1):,.0f}th step); "
            "the faint line is the whole path." if meta["subsampled"] else f"Animation: one frame per step ({meta['steps']:,} steps).")
    st.caption(note + " ★ minimum, ○ start, ■ end, ✕ diverged. Click the map to start there (after playing, press |◀ Start or move the slider first); "
               "drag to pan, scroll to zoom, double-click to reset.")

st.subheader("Why the path moves as it does")
st.plotly_chart(diag_fig, key="diagnostics", theme=None)


@st.fragment
def update_rule_panel():
    longest = max(r.steps_taken for r in results)
    if longest < 1:
        return
    t = st.slider("Inspect update t", 1, longest, min(longest, 1), key="inspect_t",
                  help="The lecture's θ_t = θ_{t−1} − (η_t/σ_t)·m_t with each run's numbers at this step.")
    for r in results:
        st.markdown(f"**{r.label}** — {OPTIMIZERS[r.spec.optimizer].__doc__.strip().splitlines()[0]}")
        st.latex(OPTIMIZERS[r.spec.optimizer].formula)
        if t > r.steps_taken:
            st.caption(f"This run stopped after {r.steps_taken} updates.")
            continue
        eq, parts, exact = update_rule_latex(r, t, surface.axis_names)
        st.latex(eq)
        st.latex(parts)
        if not exact:
            st.caption("This rule's update is not exactly (η/σ)·m (see its formula above); ≈ reads it in the lecture's terms, Δθ is the real step.")


st.subheader("The update rule, step by step")
update_rule_panel()

st.subheader("Summary")
tolerance = st.number_input("Tolerance: distance to a minimum that counts as reached", key="tolerance", min_value=0.0,
                            value=1e-3 * view_diagonal(surface), format="%g")
rows = []
for r in results:
    s = summarize(surface, r, tolerance)
    rows.append({"run": s.label, "final loss": s.final_loss, "distance to nearest minimum": s.distance,
                 "steps to within tolerance": s.steps_to_tolerance, "diverged at step": s.diverged_at,
                 "bursts": s.bursts, "longest step": s.longest_step, "at step": s.longest_step_at})
st.dataframe(rows, hide_index=True, column_config={"final loss": st.column_config.NumberColumn(format="%.6g"),
                                                   "distance to nearest minimum": st.column_config.NumberColumn(format="%.3g"),
                                                   "longest step": st.column_config.NumberColumn(format="%.3g")})
st.caption("A burst is a step ≥ 10× the median of the 50 steps before it (and ≥ 0.5% of the window's diagonal); "
           "bursts less than 50 steps apart count once.")
with st.expander("The surface"):
    st.latex(surface.formula)
    mins = ", ".join(f"({m.x:.6g}, {m.y:.6g}) with loss {m.value:.6g}" for m in surface.minima) or "none listed"
    st.markdown(f"{surface.description}  \nKnown minima: {mins}.  \n{surface.reference}")
