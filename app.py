"""Descent Lab: optimizer trajectories on 2-D error surfaces.  Run: streamlit run app.py

Thin by design: widgets in (ui/) → one validated scenario (scenario.py) → engine (cached) →
figures out (views/). Nothing the user types reaches eval/exec. Every text goes through tr()
(i18n/); the page's state is mirrored in the URL (ui/link.py), so the address is a share link.
"""
from __future__ import annotations

import json
from functools import partial

import streamlit as st

from analysis import view_diagonal
from i18n import LANGUAGES, translator
from optimizers import OPTIMIZERS, ValidationError
from scenario import MAX_STEPS, parse_run, parse_scenario
from surfaces import CUSTOM, SURFACES
from tour import BY_KEY, PRESETS
from ui.compute import compute, figure_3d, figures, summaries, warm_up
from ui.controls import limits_section, runs_section, summary
from ui.formula import formula_section, show_gradient
from ui.link import link_params
from ui.present import KEYS_JS, PRESENT_CSS
from ui.share import export_section, share_section
from ui.state import init_state, load_preset, on_language_change, on_map_select, on_surface_change, set_language
from ui.stepper import step_through
from ui.studies import fate_section, init_study_state, sweep_section
from views.latex import update_rule_latex
from views.mapfig import CLICK_TRACE

st.set_page_config(page_title="Descent Lab", page_icon="⛰️", layout="wide",
                   initial_sidebar_state="collapsed" if st.session_state.get("present") else "auto")
init_state(st.query_params.to_dict())
warm_up()  # the tour's scenes, computed once per server in the background
tr = translator(st.session_state.lang)
present = bool(st.session_state.get("present"))


# ---------------------------------------------------------------- sidebar: widgets in
with st.sidebar:
    st.selectbox("Language · 語言", list(LANGUAGES), key="lang", format_func=LANGUAGES.get,
                 on_change=on_language_change, args=(st.session_state.lang,))
    st.toggle(tr("Presentation mode"), key="present",
              help=tr("For a projector: one big chart with the tour text beside it, large fonts, the sidebar hidden. "
                      "Keys: space plays or pauses, ← → step, Page Up / Page Down change the scene, Esc leaves."))
    st.subheader(tr("Lecture tour"))
    current = st.session_state.get("preset")
    for p in PRESETS:
        if p.tour:
            st.button(tr(p.title), key=f"preset-{p.key}", on_click=load_preset, args=(p.key,), width="stretch",
                      type="primary" if p.key == current else "secondary")
    with st.expander(tr("More scenes")):
        for p in PRESETS:
            if not p.tour:
                st.button(tr(p.title), key=f"preset-{p.key}", on_click=load_preset, args=(p.key,), width="stretch")

    st.subheader(tr("Surface"))
    surface_name = st.selectbox(tr("Error surface"), [*SURFACES, CUSTOM], key="surface", on_change=on_surface_change,
                                format_func=lambda n: tr("✎ Your own formula f(x, y)") if n == CUSTOM else tr(SURFACES[n].title))
    if surface_name == CUSTOM:
        spec = formula_section(tr)
        surface, surface_field = spec.surface, spec.to_dict()
    else:
        surface, surface_field = SURFACES[surface_name], surface_name
        st.caption(tr(surface.description))
    a, b = surface.axis_names
    c1, c2 = st.columns(2)
    x0 = c1.number_input(tr("start {axis}", axis=a), key="start_x", format="%g", min_value=-1e6, max_value=1e6,
                         help=tr("Or click anywhere on the map."))
    y0 = c2.number_input(tr("start {axis}", axis=b), key="start_y", format="%g", min_value=-1e6, max_value=1e6,
                         help=tr("Or click anywhere on the map."))
    steps = int(st.number_input(tr("Steps"), key="steps", min_value=1, max_value=MAX_STEPS, step=100,
                                help=tr("Updates per run, up to 100,000. The animation shows at most 300 frames.")))

    def check(run: dict, index: int) -> str | None:
        try:
            parse_run(run, index, (x0, y0), steps)
        except ValidationError as e:
            return str(e)
        return None

    st.subheader(tr("Runs"))
    edited = runs_section(steps, check, tr)
    st.subheader(tr("View"))
    st.toggle(tr("Fit the view to the whole paths"), key="fit_view",
              help=tr("Widen the map to every path (at most 10× the surface's window), e.g. to see a burst leave the window."))
    limits_section(tr)

# ---------------------------------------------------------------- main: one scenario → figures
if present:
    st.html(PRESENT_CSS)
st.title(tr("Descent Lab"))
if not present:
    st.caption(tr("Optimizers on a 2-D error surface, after Hung-yi Lee's lecture on adaptive learning rates "
                  "(ML 2021). Pick a step of the lecture tour on the left, then press ▶ Play."))

notes = st.session_state.get("link_notes") or []
if notes:
    st.warning(tr("Some of the link or file could not be used; defaults were kept for:") + "\n"
               + "\n".join(f"- {tr(text, **values)}" for text, values in notes))
    st.button(tr("Dismiss"), key="dismiss_notes", on_click=lambda: st.session_state.update(link_notes=[]))

preset = BY_KEY.get(st.session_state.get("preset") or "")
if preset and not present:
    st.info(f"**{tr(preset.title)}** — {tr(preset.text)}")

for i, (_, _, error) in enumerate(edited):
    if error:
        st.warning(tr("Run {n} is not shown: {error}", n=i + 1, error=error))
valid = [(run, colour) for run, colour, error in edited if run is not None]
if not valid:
    st.error(tr("No run can be computed: fix the settings shown in red on the left."))
    st.stop()

scenario = parse_scenario({"surface": surface_field, "start": [x0, y0], "steps": steps, "runs": [r for r, _ in valid]})
scenario_dict = scenario.to_dict()
key = json.dumps(scenario_dict, sort_keys=True)
colours = tuple(c for _, c in valid)
fit = bool(st.session_state.get("fit_view"))
with st.spinner(tr("Computing trajectories…")):
    results = compute(key)
    map_fig, diag_fig, view = figures(key, colours, fit, tr, present)

# The address bar is the share link: the state as it is now, written back on every run.
mode = st.session_state.get("view_mode") or "Map"
view_name = {"3-D": "3d", "Step": "step"}.get(mode, "map")
wanted = link_params(scenario_dict, colours, st.session_state.lang, fit, view_name, present,
                     st.session_state.get("preset"))
if st.query_params.to_dict() != wanted:
    st.query_params.from_dict(wanted)

for r in results:
    if r.diverged_at is not None:
        st.error(tr("**{label}** stopped: {reason}. Its path is drawn up to the last finite point (✕ on the map).",
                    label=r.label, reason=tr(r.reason_text, **r.reason_values)))

chart_col, side_col = st.columns([3, 1]) if present else (st.container(), None)
with chart_col:
    if surface.gradient_formula and not present:
        show_gradient(surface, tr)
    mode = st.segmented_control(tr("View"), ["Map", "3-D", "Step"], key="view_mode", label_visibility="collapsed",
                                format_func=lambda m: {"Map": tr("Map"), "3-D": tr("3-D surface"), "Step": tr("Step through")}[m])
    if mode == "Step":
        step_through(results, surface, view, colours, tr, large=present)
    elif mode == "3-D":
        st.plotly_chart(figure_3d(key, colours, view, tr), key="surface3d", theme=None)
    else:
        st.plotly_chart(map_fig, key="map", theme=None, on_select=partial(on_map_select, CLICK_TRACE), selection_mode="points",
                        config={"scrollZoom": True, "displaylogo": False,
                                "toImageButtonOptions": {"format": "png", "filename": "descent-lab-frame", "scale": 2}})
        meta = map_fig.layout.meta
        note = (tr("Animation: {frames} frames for {steps} steps (every ~{every}th step); the faint line is the whole path.",
                   frames=meta["frames"], steps=f"{meta['steps']:,}", every=f"{meta['steps'] / (meta['frames'] - 1):,.0f}")
                if meta["subsampled"] else tr("Animation: one frame per step ({steps} steps).", steps=f"{meta['steps']:,}"))
        st.caption(note + " " + tr("★ minimum, ○ start, ■ end, ✕ diverged. Click the map to start there (after playing, press "
                                   "|◀ Start or move the slider first); drag to pan, scroll to zoom, double-click to reset. "
                                   "Keys: space plays or pauses, ← → step one frame."))
st.html(KEYS_JS, unsafe_allow_javascript=True)

if present:
    tour = [p.key for p in PRESETS if p.tour]
    with side_col:
        if preset:
            st.markdown(f"### {tr(preset.title)}\n\n{tr(preset.text)}")
        else:
            st.markdown(f"### {tr(surface.title)}\n\n{tr(surface.description)}")
        here = tour.index(preset.key) if preset and preset.key in tour else -1
        st.button(tr("Next ▶"), key="present_next", disabled=here >= len(tour) - 1, width="stretch", shortcut="PageDown",
                  type="primary", on_click=load_preset, args=(tour[min(here + 1, len(tour) - 1)],))
        st.button(tr("◀ Previous"), key="present_prev", disabled=here <= 0, width="stretch", shortcut="PageUp",
                  on_click=load_preset, args=(tour[max(here - 1, 0)],))
        st.button(tr("Leave presentation mode"), key="present_exit", shortcut="Esc", width="stretch",
                  on_click=lambda: st.session_state.update(present=False))
        st.selectbox("Language · 語言", list(LANGUAGES), key="lang_present", format_func=LANGUAGES.get,
                     index=list(LANGUAGES).index(st.session_state.lang),
                     on_change=lambda: set_language(st.session_state.lang_present))
    st.stop()

with st.sidebar:
    share_section(scenario, tr)
export_section(scenario, results, map_fig, colours, view, tr)

st.subheader(tr("Beyond one path"))
init_study_state(steps)
fate_tab, sweep_tab = st.tabs([tr("Fate map: where every start ends"), tr("Sweep: learning rate × a second parameter")])
with fate_tab:
    shown_map = fate_section(scenario, surface, tr)
with sweep_tab:
    shown_sweep = sweep_section(scenario, tr)
if shown_map or shown_sweep:  # the link also holds the map and sweep on screen
    studies = dict(scenario_dict, **({"map": shown_map} if shown_map else {}), **({"sweep": shown_sweep} if shown_sweep else {}))
    wanted = link_params(studies, colours, st.session_state.lang, fit, view_name, present,
                         st.session_state.get("preset"))
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)

st.subheader(tr("Why the path moves as it does"))
st.plotly_chart(diag_fig, key="diagnostics", theme=None)


@st.fragment
def update_rule_panel():
    longest = max(r.steps_taken for r in results)
    if longest < 1:
        return
    if longest == 1:  # a slider needs two ends: one update has nothing to choose
        t = 1
    else:
        t = st.slider(tr("Inspect update t"), 1, longest, min(longest, 1), key="inspect_t",
                      help=tr("The lecture's θ_t = θ_{t−1} − (η_t/σ_t)·m_t with each run's numbers at this step."))
    for r in results:
        st.markdown(f"**{r.label}** — {tr(summary(OPTIMIZERS[r.spec.optimizer]))}")
        st.latex(OPTIMIZERS[r.spec.optimizer].formula)
        if t > r.steps_taken:
            st.caption(tr("This run stopped after {n} updates.", n=r.steps_taken))
            continue
        eq, parts, exact = update_rule_latex(r, t, surface.axis_names)
        st.latex(eq)
        st.latex(parts)
        if not exact:
            st.caption(tr("This rule's update is not exactly (η/σ)·m (see its formula above); ≈ reads it in the lecture's terms, "
                          "Δθ is the real step."))


st.subheader(tr("The update rule, step by step"))
update_rule_panel()

st.subheader(tr("Summary"))
tolerance = st.number_input(tr("Tolerance: distance to a minimum that counts as reached"), key="tolerance", min_value=0.0,
                            value=1e-3 * view_diagonal(surface), format="%g")
columns = {"run": tr("run"), "final": tr("final loss"), "distance": tr("distance to nearest minimum"),
           "steps": tr("steps to within tolerance"), "diverged": tr("diverged at step"), "bursts": tr("bursts"),
           "longest": tr("longest step"), "at": tr("at step")}
rows = []
for s in summaries(key, tolerance):
    rows.append({columns["run"]: s.label, columns["final"]: s.final_loss, columns["distance"]: s.distance,
                 columns["steps"]: s.steps_to_tolerance, columns["diverged"]: s.diverged_at, columns["bursts"]: s.bursts,
                 columns["longest"]: s.longest_step, columns["at"]: s.longest_step_at})
st.dataframe(rows, hide_index=True, column_config={columns["final"]: st.column_config.NumberColumn(format="%.6g"),
                                                   columns["distance"]: st.column_config.NumberColumn(format="%.3g"),
                                                   columns["longest"]: st.column_config.NumberColumn(format="%.3g")})
st.caption(tr("A burst is a step ≥ 10× the median of the 50 steps before it (and ≥ 0.5% of the window's diagonal); "
              "bursts less than 50 steps apart count once."))
with st.expander(tr("The surface")):
    st.latex(surface.formula)
    mins = ", ".join(tr("({x}, {y}) with loss {value}", x=f"{m.x:.6g}", y=f"{m.y:.6g}", value=f"{m.value:.6g}")
                     for m in surface.minima) or tr("none listed")
    if surface.estimated:
        found = tr("Estimated minima (a multi-start search inside the view, not exact): {minima}.", minima=mins)
        st.markdown(f"{found}  \n{tr(surface.reference)}")
    else:
        st.markdown(f"{tr(surface.description)}  \n{tr('Known minima: {minima}.', minima=mins)}  \n{surface.reference}")
