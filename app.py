"""Descent Lab: optimizer trajectories on 2-D error surfaces.  Run: streamlit run app.py

Thin by design: the page's state is one object (ui/page.py) that the widgets show and change
(ui/bind.py) → one validated scenario (experiments/scenario.py) → engine (cached) → figures out (views/).
Nothing the user types reaches eval/exec. Every text goes through tr() (i18n/); the page's state
is mirrored in the URL (ui/link.py), so the address is a share link. Each section of the page
fails alone (ui/guard.py): a message where it would be, the rest of the page intact.
"""
from __future__ import annotations

import json

import streamlit as st

from experiments.scenario import MAX_STEPS, START_LIMIT, parse_run, parse_scenario
from experiments.tour import BY_KEY, PRESETS
from i18n import LANGUAGES, translator
from optimizers import OPTIMIZERS, ValidationError
from surfaces import CUSTOM, SURFACES, FormulaSpec
from ui.bind import NUMBER, act, bound, choice, open_tabs, page
from ui.compute import compute, figure_3d, figures, warm_up
from ui.controls import limits_section, runs_section, summary
from ui.formula import formula_section, show_gradient
from ui.guard import guarded, page_failed
from ui.link import link_params
from ui.page import active_scene, set_surface
from ui.player import PRELOAD, chart, map_player
from ui.present import KEYS_JS, PAGE_CSS, PRESENT_CSS
from ui.share import export_section, share_section
from ui.state import go_to_scene, init_state, set_start
from ui.stepper import step_through
from ui.studies import fate_section, on_screen, sweep_section
from ui.summary import summary_section
from ui.tune import tune_section
from views.latex import update_rule_latex
from views.mapfig import animation_note
from views.numbers import count
from views.text import md
from views.toolbar import chart_config

HEAD = PAGE_CSS + PRELOAD  # the page's CSS, and plotly.js loading from the first elements on


def main() -> None:
    init_state(st.query_params.to_dict())
    p = page()
    st.set_page_config(page_title="Descent Lab", page_icon="⛰️", layout="wide",
                       initial_sidebar_state="collapsed" if p.present else "auto")
    warm_up()  # the tour's scenes, computed once per server in the background
    tr = translator(p.lang)
    present = p.present
    scene = active_scene(p)  # the tour scene this page shows, if it is still exactly that scene


    def set_lang(q, lang) -> None:
        q.lang = lang


    # ---------------------------------------------------------------- sidebar: widgets in
    with st.sidebar:
        choice(st.selectbox, "lang", list(LANGUAGES), p.lang, set_lang, fmt=LANGUAGES.get, label="Language · 語言")
        bound(st.toggle, "present", p.present, lambda q, v: setattr(q, "present", bool(v)), label=tr("Presentation mode"),
              help=tr("For a projector: one big chart with the tour text beside it, large fonts, the sidebar hidden. "
                      "Keys: space plays or pauses, ← → step, Page Up / Page Down change the scene, Esc leaves."))
        st.subheader(tr("Lecture tour"))
        for preset in PRESETS:
            if preset.tour:
                st.button(preset.heading(tr), key=f"preset-{preset.key}", on_click=go_to_scene, args=(preset.key,), width="stretch",
                          type="primary" if preset.key == scene else "secondary")
        with st.expander(tr("More scenes")):
            for preset in PRESETS:
                if not preset.tour:
                    st.button(preset.heading(tr), key=f"preset-{preset.key}", on_click=go_to_scene, args=(preset.key,),
                              width="stretch", type="primary" if preset.key == scene else "secondary")

        st.subheader(tr("Surface"))
        surface_name = CUSTOM if isinstance(p.surface, FormulaSpec) else p.surface
        choice(st.selectbox, "surface", [*SURFACES, CUSTOM], surface_name, set_surface, label=tr("Error surface"),
               fmt=lambda n: tr("✎ Your own formula f(x, y)") if n == CUSTOM else tr(SURFACES[n].title))
        if isinstance(p.surface, FormulaSpec):
            with guarded("formula", tr):
                formula_section(p, tr)
        else:
            st.caption(tr(p.surface_obj.description))  # a built-in surface's own text
        surface = p.surface_obj
        surface_field = p.surface.to_dict() if isinstance(p.surface, FormulaSpec) else p.surface
        a, b = surface.axis_names
        c1, c2 = st.columns(2)
        for col, i, axis in ((c1, 0, a), (c2, 1, b)):
            bound(col.number_input, f"start_{'xy'[i]}", float(p.start[i]),
                  lambda q, v, i=i: q.start.__setitem__(i, float(q.start[i] if v is None else v)),
                  label=tr("start {axis}", axis=axis), format=NUMBER, min_value=-START_LIMIT, max_value=START_LIMIT,
                  help=tr("Or click anywhere on the map."))
        bound(st.number_input, "steps", int(p.steps), lambda q, v: setattr(q, "steps", int(v or q.steps)), label=tr("Steps"),
              min_value=1, max_value=MAX_STEPS, step=100,
              help=tr("Updates per run, up to 100,000. The animation shows at most 300 frames."))
        x0, y0 = p.start
        steps = p.steps

        def check(run: dict, index: int) -> str | None:
            try:
                parse_run(run, index, (x0, y0), steps)
            except ValidationError as e:
                return e.in_language(tr)
            return None

        st.subheader(tr("Runs"))
        edited = runs_section(p, check, tr)
        st.subheader(tr("View"))
        bound(st.toggle, "fit_view", p.fit, lambda q, v: setattr(q, "fit", bool(v)), label=tr("Fit the view to the whole paths"),
              help=tr("Widen the map to every path (at most 10× the surface's window), e.g. to see a burst leave the window."))
        bound(st.toggle, "lens", p.lens, lambda q, v: setattr(q, "lens", bool(v)), label=tr("Colour the paths by stability"),
              help=tr("Over each path: amber where its stability S_t/T_t is near the edge (0.8–1), red where it is above 1 "
                      "(unstable: the oscillation grows). The diagnostics' stability row shows the numbers."))
        limits_section(tr)

    # ---------------------------------------------------------------- main: one scenario → figures
    st.html(HEAD, unsafe_allow_javascript=True)
    if present:
        st.html(PRESENT_CSS)
    if not present:  # in presentation mode the title heads the side column: the map starts at the window's top
        st.title(tr("Descent Lab"))
        st.caption(tr("Optimizers on a 2-D error surface, after Hung-yi Lee's lecture on adaptive learning rates "
                      "(ML 2021). Pick a step of the lecture tour on the left, then press ▶ Play."))

    if p.notes:
        st.warning(tr("Some of the link or file could not be used; defaults were kept for:") + "\n"
                   + "\n".join(f"- {md(tr(text, **values))}" for text, values in p.notes))
        st.button(tr("Dismiss"), key="dismiss_notes", on_click=act(lambda q: q.notes.clear()))

    if not present:
        if scene:
            st.info(f"**{BY_KEY[scene].heading(tr)}** — {tr(BY_KEY[scene].text)}")
        elif p.scene:
            with st.container(border=True):
                st.caption(tr("You changed the settings of “{scene}”: its explanation no longer describes this map.",
                              scene=BY_KEY[p.scene].heading(tr)))
                st.button(tr("Back to “{scene}”", scene=BY_KEY[p.scene].heading(tr)), key="back_to_scene",
                          on_click=go_to_scene, args=(p.scene,))

    for i, (_, _, error) in enumerate(edited):
        if error:
            st.warning(tr("Run {n} is not shown: {error}", n=i + 1, error=md(error)))
    valid = [(run, colour, r.id) for (run, colour, error), r in zip(edited, p.runs) if run is not None]


    def presentation_controls() -> None:
        """The scene's text and the buttons of presentation mode (the sidebar is hidden there)."""
        tour = [t.key for t in PRESETS if t.tour]
        st.title(tr("Descent Lab"))
        # The way through the tour first, above the text: on a 720-pixel projector it stays in view.
        here = tour.index(scene) if scene in tour else (tour.index(p.scene) if p.scene in tour else -1)
        back, forward = st.columns(2)
        back.button(tr("◀ Previous"), key="present_prev", disabled=here <= 0, width="stretch", shortcut="PageUp",
                    on_click=go_to_scene, args=(tour[max(here - 1, 0)],))
        forward.button(tr("Next ▶"), key="present_next", disabled=here >= len(tour) - 1, width="stretch", shortcut="PageDown",
                       type="primary", on_click=go_to_scene, args=(tour[min(here + 1, len(tour) - 1)],))
        if scene:
            st.markdown(f"### {BY_KEY[scene].heading(tr)}\n\n{tr(BY_KEY[scene].text)}")
        else:
            st.markdown(f"### {tr(surface.title)}\n\n{md(tr(surface.description))}")
        st.button(tr("Leave presentation mode"), key="present_exit", shortcut="Esc", width="stretch",
                  on_click=act(lambda q: setattr(q, "present", False)))
        choice(st.selectbox, "lang.present", list(LANGUAGES), p.lang, set_lang, fmt=LANGUAGES.get, label="Language · 語言")
        bound(st.toggle, "lens.present", p.lens, lambda q, v: setattr(q, "lens", bool(v)), label=tr("Colour the paths by stability"))


    if not valid:
        st.error(tr("No run can be computed: fix the settings shown in red on the left."))
        if present:  # the sidebar is hidden: the way out (and to another scene) must still be on the page
            presentation_controls()
        st.stop()

    try:  # each run is valid alone; together they may ask for more work than one page may (scenario.MAX_WORK)
        scenario = parse_scenario({"surface": surface_field, "start": [x0, y0], "steps": steps, "runs": [r for r, _, _ in valid]})
    except ValidationError as e:
        st.error(tr("These settings are not computed: {error}.", error=md(e.in_language(tr))))
        if present:
            presentation_controls()
        st.stop()
    scenario_dict = scenario.to_dict()
    key = json.dumps(scenario_dict, sort_keys=True)
    colours = tuple(c for _, c, _ in valid)
    run_ids = [rid for _, _, rid in valid]
    fit = p.fit
    with st.spinner(tr("Computing trajectories…")):
        results = compute(key)
        shown = figures(key, colours, fit, tr, present, BY_KEY[scene].inset if scene else 0, p.lens)


    def write_link(data: dict) -> None:
        """The address bar is the share link: the state as it is now, written back on every run."""
        wanted = link_params(data, colours, p.lang, fit, p.view, present, p.lens)
        if st.query_params.to_dict() != wanted:
            st.query_params.from_dict(wanted)


    write_link(scenario_dict)

    for r in results:
        if r.diverged_at is not None:
            st.error(tr("**{label}** stopped: {reason}. Its path is drawn up to the last finite point (✕ on the map).",
                        label=md(r.label), reason=md(tr(r.reason_text, **r.reason_values))))

    VIEW_NAMES = {"map": tr("Map"), "3d": tr("3-D surface"), "step": tr("Step through")}
    chart_col, side_col = st.columns([3, 1]) if present else (st.container(), None)
    with chart_col:
        if surface.gradient_formula and not present:
            with guarded("gradient", tr):
                show_gradient(surface, tr)
        choice(st.segmented_control, "view", list(VIEW_NAMES), p.view, lambda q, v: setattr(q, "view", v or q.view),
               fmt=VIEW_NAMES.get, label=tr("View"), label_visibility="collapsed", required=True)
        with guarded("map", tr):
            if p.view == "step":
                step_through(results, run_ids, surface, shown.view, colours, tr, large=present)
            elif p.view == "3d":
                fig_3d, alt_3d = figure_3d(key, colours, shown.view, tr)
                st.plotly_chart(fig_3d, key="surface3d", theme=None, alt=alt_3d, config=chart_config(tr))
            else:
                map_player(shown.map_json, on_start=set_start)
                note = animation_note(shown.map_meta, tr)
                st.caption(note + " " + tr("★ minimum, ○ start, ■ end, ✕ diverged. Click or tap the map to start there; double-click to "
                                           "reset the view; with a mouse, drag to pan and scroll to zoom. Keys: space plays or "
                                           "pauses, ← → step one frame."))
    st.html(KEYS_JS, unsafe_allow_javascript=True)

    if present:
        with side_col:
            presentation_controls()
        st.stop()

    with st.sidebar, guarded("share", tr):
        share_section(scenario, tr)
    with guarded("export", tr):
        export_section(scenario, results, shown.map_figure, colours, shown.view, tr)

    # Only the open tab (and an open export section) is drawn: the others' widgets would cost every
    # rerun of every student a fifth of the server's time (Streamlit scans the whole widget state
    # for each number box and selectbox).
    st.subheader(tr("Beyond one path"))
    tab_names = {"fate": tr("Fate map: where every start ends"), "sweep": tr("Sweep: learning rate × a second parameter"),
                 "tune": tr("Tune: each run at its best learning rate")}
    tabs = open_tabs("study", tab_names, p.study, lambda q, v: setattr(q, "study", v))
    if tabs["fate"].open:
        with tabs["fate"], guarded("fate map", tr):
            fate_section(scenario, run_ids, surface, tr)
    if tabs["sweep"].open:
        with tabs["sweep"], guarded("sweep", tr):
            sweep_section(scenario, run_ids, tr)
    if tabs["tune"].open:
        with tabs["tune"], guarded("tuner", tr):
            tune_section(scenario, run_ids, colours, p.tolerance, tr)
    with guarded("share", tr):
        studies = on_screen(scenario, run_ids)
    if studies:  # the link also holds the map and sweep on screen
        write_link(dict(scenario_dict, **studies))

    st.subheader(tr("Why the path moves as it does"))
    with guarded("diagnostics", tr):
        chart(shown.diagnostics_json, key="diagnostics")


    @st.fragment
    def update_rule_panel():
        shown = [len(r.points) - 1 for r in results]  # updates with a point after them (a diverged run's last has none)
        longest = max(shown)
        if longest < 1:
            st.caption(tr("No update to show: every run stopped at its first step."))
            return
        if longest == 1:  # a slider needs two ends: one update has nothing to choose
            t = 1
        else:
            t = bound(st.slider, "inspect_t", int(min(max(p.inspect_t, 1), longest)), lambda q, v: setattr(q, "inspect_t", int(v)),
                      label=tr("Inspect update t"), min_value=1, max_value=longest,
                      help=tr("The lecture's θ_t = θ_{t−1} − (η_t/σ_t)·m_t with each run's numbers at this step."))
        for r, n in zip(results, shown):
            st.markdown(f"**{md(r.label)}** — {tr(summary(OPTIMIZERS[r.spec.optimizer]))}")
            st.latex(OPTIMIZERS[r.spec.optimizer].formula)
            if t > n:
                st.caption(tr.plural(r.steps_taken, "This run stopped after 1 update.", "This run stopped after {n} updates.",
                                     n=count(r.steps_taken)))
                continue
            eq, parts, exact = update_rule_latex(r, t, surface.axis_names)
            st.latex(eq)
            st.latex(parts)
            if not exact:
                st.caption(tr("This rule's update is not exactly (η/σ)·m (see its formula above); ≈ reads it in the lecture's terms, "
                              "Δθ is the real step."))


    st.subheader(tr("The update rule, step by step"))
    with guarded("update rule", tr):
        update_rule_panel()

    st.subheader(tr("Summary"))
    with guarded("summary", tr):
        summary_section(key, surface, p.tolerance, tr)
    with st.expander(tr("The surface")), guarded("surface", tr):
        st.latex(surface.formula)
        mins = ", ".join(tr("({x}, {y}) with loss {value}", x=f"{m.x:.6g}", y=f"{m.y:.6g}", value=f"{m.value:.6g}")
                         for m in surface.minima) or tr("none listed")
        if surface.estimated:
            found = tr("Estimated minima (a multi-start search inside the view, not exact): {minima}.", minima=mins)
            st.markdown(f"{md(found)}  \n{tr(surface.reference)}")
        else:
            st.markdown(f"{tr(surface.description)}  \n{tr('Known minima: {minima}.', minima=mins)}  \n{tr(surface.reference)}")


try:
    main()
except Exception:  # a bug outside every guarded section: one line in the page's language, not Streamlit's English box
    page_failed()
