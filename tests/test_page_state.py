"""The page's state (ui/page.py): one object, everything else derived from it.

Unit tests of the derivations, regression tests for the sequences that used to break the page,
and a hypothesis state machine that drives the page through AppTest with what users do and checks,
after every step, that what the page shows is what it computed, that its link reopens the same
page, and that its labels and highlighted scene are true. `python3 scripts/stateful.py` runs the
machine for longer (200 examples).
"""
from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as hs
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from experiments.scenario import parse_scenario
from experiments.tour import BY_KEY, PRESETS
from i18n import translator
from ui.link import read_link
from ui.page import (
    active_scene,
    add_run,
    auto_label,
    duplicate_run,
    from_scenario,
    load_scene,
    remove_run,
    run_label,
    scenario_dict,
    set_optimizer,
)

pytest.importorskip("streamlit")
from tests.apptest import charts, fresh, legend, open_section, page, plain, widget  # noqa: E402
from ui.state import apply_link  # noqa: E402

ZH = translator("zh-TW")


# ---------------------------------------------------------------------- derived, not stored

def test_a_scene_is_active_until_it_is_edited_and_its_labels_follow_the_edit():
    p = load_scene("burst")
    assert active_scene(p) == "burst" and run_label(p, p.runs[0]) == "Lecture RMS, η = 1"
    set_optimizer(p.runs[0], "Adam")
    p.runs[0].params["lr"] = 0.5
    assert active_scene(p) is None
    assert run_label(p, p.runs[0]) == "Adam, η = 0.5" == auto_label(p.runs[0])
    assert p.scene == "burst"  # where it came from: the page offers to go back


def test_an_edit_that_lands_on_another_scene_makes_that_scene_active():
    p = load_scene("burst")
    p.steps = BY_KEY["rms"].scenario["steps"]
    assert active_scene(p) == "rms"


def test_labels_follow_the_language_and_typed_labels_stay():
    p = load_scene("decay")
    p.lang = "zh-TW"
    assert [run_label(p, r) for r in p.runs] == [ZH(r["label"]) for r in BY_KEY["decay"].scenario["runs"]]
    p.runs[1].label = "my run"
    assert run_label(p, p.runs[1]) == "my run"
    p.lang = "en"
    assert run_label(p, p.runs[1]) == "my run" and run_label(p, p.runs[0]) == "RMS, η = 1 (constant)"


def test_a_scenario_with_the_scene_labels_in_either_language_reads_as_the_scene():
    for lang in ("en", "zh-TW"):
        tr = translator(lang)
        data = scenario_dict(load_scene("adam"), tr)
        p, notes = from_scenario(data)
        assert notes == [] and active_scene(p) == "adam" and all(r.label == "" for r in p.runs)


def test_run_ids_survive_add_duplicate_remove_and_selections_follow_them():
    p = load_scene("adam")
    p.step_run = p.fate.run = p.runs[2].id
    add_run(p)
    duplicate_run(p, p.runs[0].id)
    assert [r.id for r in p.runs] == [0, 4, 1, 2, 3]
    assert p.runs[1].optimizer == p.runs[0].optimizer and p.runs[1].colour != p.runs[0].colour
    remove_run(p, 0)
    assert p.step_run == 2 and p.fate.run == 2  # still the same run
    remove_run(p, 2)
    assert p.step_run == p.runs[0].id and p.fate.run == p.runs[0].id  # its run is gone: the first one


def test_warmup_is_a_run_field_and_the_old_sequential_form_still_reads():
    old = {"surface": "lecture_regression", "steps": 3000, "runs": [{"optimizer": "Adam", "params": {"lr": 3.0}, "schedule": {
        "name": "SequentialLR", "params": {"schedulers": [
            {"name": "LinearLR", "params": {"start_factor": 0.01, "end_factor": 1.0, "total_iters": 300}},
            {"name": "CosineAnnealingLR", "params": {"T_max": 2700}}], "milestones": [300]}}}]}
    new = {"surface": "lecture_regression", "steps": 3000, "runs": [{"optimizer": "Adam", "params": {"lr": 3.0},
           "warmup": {"steps": 300, "start_factor": 0.01}, "schedule": {"name": "CosineAnnealingLR"}}]}
    assert parse_scenario(old) == parse_scenario(new)
    run = parse_scenario(old).to_dict()["runs"][0]
    assert run["warmup"] == {"steps": 300, "start_factor": 0.01} and run["schedule"]["name"] == "CosineAnnealingLR"
    p, notes = from_scenario(old)
    assert notes == [] and p.runs[0].warmup_steps == 300 and p.runs[0].schedule == "CosineAnnealingLR"


# ---------------------------------------------------------------------- regressions, through AppTest

def test_scene_4_edited_to_adam_says_nothing_false():
    at = fresh()
    at.button(key="preset-burst").click().run()
    rid = page(at).runs[0].id
    widget(at, "selectbox", f"run{rid}.optimizer").set_value("Adam").run()
    at.number_input(key=f"run{rid}.p.Adam.lr").set_value(0.5).run()
    at.number_input(key="steps").set_value(5000).run()
    assert not at.exception
    assert legend(at) == ["Adam, η = 0.5"]
    assert not at.info  # the scene's text ("around step 700 the path shoots out") is gone
    assert all(b.proto.type != "primary" for b in at.button if b.key and b.key.startswith("preset-"))
    changed = [c.value for c in at.caption if "You changed the settings of" in c.value]
    assert changed and "6 · The burst" in changed[0]
    assert widget(at, "selectbox", "fate.run").options == ["1: Adam, η = 0.5"]
    at.button(key="back_to_scene").click().run()
    assert legend(at) == ["Lecture RMS, η = 1"] and BY_KEY["burst"].title in at.info[0].value


def test_step_through_names_the_run_of_the_scene_on_screen():
    at = fresh({"view": "step"})
    at.button(key="preset-stuck").click().run()
    assert widget(at, "selectbox", "step.run").value == 0
    assert widget(at, "selectbox", "step.run").options == ["1: SGD, η = 1.1449e-6"]
    at.button(key="preset-rms").click().run()
    assert not at.exception and widget(at, "selectbox", "step.run").options == ["1: Lecture RMS, η = 1"]


def test_a_typed_surface_whose_run_stops_after_one_update_keeps_every_section():
    at = fresh()
    widget(at, "selectbox", "surface").set_value("custom").run()
    at.text_input(key="formula_text").set_value("log(x)+y^2").run()
    at.number_input(key="start_x").set_value(0.5).run()
    at.number_input(key="start_y").set_value(1.0).run()
    assert not at.exception
    assert any("stopped" in plain(e.value) and "nan" in plain(e.value) for e in at.error)
    assert any("No update to show" in c.value for c in at.caption)
    assert at.dataframe  # the summary


def test_switching_language_keeps_every_setting_in_every_view_and_in_presentation_mode():
    for view in ("map", "3d", "step"):
        at = fresh({"view": view})
        at.button(key="preset-decay").click().run()
        at.number_input(key="steps").set_value(777).run()
        before = scenario_dict(page(at), translator("en"))
        widget(at, "selectbox", "lang").set_value("zh-TW").run()
        at.toggle(key="present").set_value(True).run()
        widget(at, "selectbox", "lang.present").set_value("en").run()
        assert not at.exception
        state = page(at)
        assert scenario_dict(state, translator("en")) == before and state.view == view and state.present


# ---------------------------------------------------------------------- the state machine

LR = hs.sampled_from([0.0, -1.0, 1e308, 1e-320, 123456789.0, 0.05, 1.0])
STEPS = hs.sampled_from([1, 2, 50, 300, 1000, 100_000])
POINTS = hs.sampled_from([0.0, -1.0, 1e6, -1e6, 1e-320, 2.5])


class PageMachine(RuleBasedStateMachine):
    """What users do, as AppTest can do it (the browser's own gap is the monkey test's)."""

    def __init__(self):
        super().__init__()
        self.at = fresh(clear=False)

    @rule(key=hs.sampled_from([p.key for p in PRESETS]))
    def scene(self, key):
        self.at.button(key=f"preset-{key}").click().run()

    @rule(lang=hs.sampled_from(["en", "zh-TW"]))
    def language(self, lang):
        name = "lang.present" if page(self.at).present else "lang"
        widget(self.at, "selectbox", name).set_value(lang).run()

    @rule(name=hs.sampled_from(["himmelblau", "rosenbrock", "lecture_regression", "custom"]))
    def surface(self, name):
        widget(self.at, "selectbox", "surface").set_value(name).run()

    @rule(text=hs.sampled_from(["x^2 + 10*y^2", "log(x)+y^2", "x.__class__", "", "(x", "9^9^9"]))
    def formula(self, text):
        if any(w.key == "formula_text" for w in self.at.text_input):
            self.at.text_input(key="formula_text").set_value(text).run()

    @rule(steps=STEPS)
    def steps(self, steps):
        self.at.number_input(key="steps").set_value(steps).run()

    @rule(axis=hs.sampled_from("xy"), value=POINTS)
    def start(self, axis, value):
        self.at.number_input(key=f"start_{axis}").set_value(value).run()

    @rule(i=hs.integers(0, 7), name=hs.sampled_from(["Adam", "SGD", "LectureRMS", "RMSprop", "Rprop", "Lion", "NAdam"]))
    def optimizer(self, i, name):
        runs = page(self.at).runs
        widget(self.at, "selectbox", f"run{runs[i % len(runs)].id}.optimizer").set_value(name).run()

    @rule(i=hs.integers(0, 7), lr=LR)
    def lr(self, i, lr):
        runs = page(self.at).runs
        run = runs[i % len(runs)]
        key = f"run{run.id}.p.{run.optimizer}.lr"
        if any(w.key == key for w in self.at.number_input):
            self.at.number_input(key=key).set_value(lr).run()

    @rule(i=hs.integers(0, 7), name=hs.sampled_from(["none", "StepLR", "CosineAnnealingLR", "MultiStepLR", "OneCycleLR"]))
    def schedule(self, i, name):
        runs = page(self.at).runs
        widget(self.at, "selectbox", f"run{runs[i % len(runs)].id}.schedule").set_value(name).run()

    @rule(i=hs.integers(0, 7), text=hs.sampled_from(["", "my run", "![i](http://127.0.0.9/p.png)"]))
    def label(self, i, text):
        runs = page(self.at).runs
        self.at.text_input(key=f"run{runs[i % len(runs)].id}.label").set_value(text).run()

    @rule()
    def add(self):
        button = self.at.button(key="add_run")
        if not button.disabled:
            button.click().run()

    @rule(i=hs.integers(0, 7), what=hs.sampled_from(["dup", "del"]))
    def duplicate_or_remove(self, i, what):
        runs = page(self.at).runs
        button = self.at.button(key=f"run{runs[i % len(runs)].id}.{what}")
        if not button.disabled:
            button.click().run()

    @rule(view=hs.sampled_from(["map", "3d", "step"]))
    def view(self, view):
        if any((w.key or "").startswith("view~") for w in self.at.button_group):  # not drawn when no run can be computed
            widget(self.at, "button_group", "view").set_value(view).run()

    @rule(on=hs.booleans())
    def fit(self, on):
        self.at.toggle(key="fit_view").set_value(on).run()

    @rule(on=hs.booleans())
    def present(self, on):
        if on:
            self.at.toggle(key="present").set_value(True).run()
        elif page(self.at).present:
            self.at.button(key="present_exit").click().run()

    @precondition(lambda self: page(self.at).present)
    @rule(which=hs.sampled_from(["present_next", "present_prev"]))
    def present_step(self, which):
        button = self.at.button(key=which)
        if not button.disabled:
            button.click().run()

    @precondition(lambda self: page(self.at).view == "step" and not page(self.at).present)
    @rule(which=hs.sampled_from(["step_next", "step_prev", "step_last", "step_burst", "step_first"]))
    def step(self, which):
        if any(b.key == which for b in self.at.button):
            button = self.at.button(key=which)
            if not button.disabled:
                button.click().run()

    @invariant()
    def holds_together(self):
        at, state = self.at, page(self.at)
        assert not at.exception, at.exception[0].value
        tr = translator(state.lang)
        data = scenario_dict(state, tr)
        # the widgets show the state
        assert at.number_input(key="steps").value == state.steps
        assert (at.number_input(key="start_x").value, at.number_input(key="start_y").value) == tuple(state.start)
        for r, run in zip(state.runs, data["runs"]):
            assert widget(at, "selectbox", f"run{r.id}.optimizer").value == r.optimizer
            assert run["label"] == run_label(state, r, tr)
        # the highlighted scene is the one the page equals, and its text is shown only then
        scene = active_scene(state)
        primary = [b.key.removeprefix("preset-") for b in at.button if b.key and b.key.startswith("preset-")
                   and b.proto.type == "primary"]
        assert primary == ([scene] if scene else [])
        if scene and not state.present:
            assert any(BY_KEY[scene].heading(tr) in i.value for i in at.info)
        if not scene:
            titles = {p.heading(translator(lang)) for p in PRESETS for lang in ("en", "zh-TW")}
            assert not [i.value for i in at.info if any(t in i.value for t in titles)]
        # what the map draws is the scenario the page holds (the runs the validator accepts)
        valid = [_valid(run, i, state) for i, run in enumerate(data["runs"])]
        if state.view == "map" and any(valid):
            assert legend(at) == [run["label"] for run, ok in zip(data["runs"], valid) if ok]
        if scene:
            assert [run_label(state, r, translator("en")) for r in state.runs if not r.label] == \
                [r["label"] for r, mine in zip(BY_KEY[scene].scenario["runs"], state.runs) if not mine.label]
        # the link reopens the same page (while there is a run to compute: else the page says so and stops)
        link = dict(at.query_params)
        if link and any(valid):
            again = apply_link({k: v[-1] if isinstance(v, list) else v for k, v in link.items()})
            assert again.notes == [], again.notes
            mine = scenario_dict(again, tr)
            assert (mine["surface"], mine["start"], mine["steps"]) == (data["surface"], data["start"], data["steps"])
            if all(valid):  # else the link holds the valid ones
                assert [r["label"] for r in mine["runs"]] == [r["label"] for r in data["runs"]]
                assert parse_scenario(mine) == parse_scenario(data)
            assert (again.lang, again.view, again.fit, again.present) == (state.lang, state.view, state.fit, state.present)
            assert read_link(link, BY_KEY).notes == []


def _valid(run: dict, i: int, state) -> bool:
    from experiments.scenario import parse_run
    from optimizers import ValidationError
    try:
        parse_run(run, i, tuple(state.start), state.steps)
    except ValidationError:
        return False
    return True


PageMachine.TestCase.settings = settings(
    max_examples=int(os.environ.get("STATEFUL_EXAMPLES", "6")), stateful_step_count=int(os.environ.get("STATEFUL_STEPS", "6")),
    deadline=None, suppress_health_check=list(HealthCheck), derandomize="STATEFUL_EXAMPLES" not in os.environ,
    database=None)
test_the_page_holds_together = PageMachine.TestCase


def test_a_failing_section_fails_alone_says_so_and_is_logged(monkeypatch, no_section_failed):
    import ui.summary

    def broken(*a, **k):
        raise RuntimeError("a bug in the summary")
    monkeypatch.setattr(ui.summary, "summaries", broken)
    at = fresh(clear=False)
    assert not at.exception  # no error box: the page is there
    messages = [plain(e.value) for e in at.error]
    assert any("This part of the page could not be drawn" in m for m in messages)
    assert not any("RuntimeError" in m or "a bug in the summary" in m or "Traceback" in m for m in messages)
    assert len(charts(at)) == 2 and at.latex  # the map, diagnostics and the update rule are still drawn
    assert not at.dataframe  # the summary is the part that failed
    logged = [r for r in no_section_failed.records if "summary" in r.getMessage()]
    assert logged and logged[0].exc_info[0] is RuntimeError
    no_section_failed.records.clear()  # seen: the net caught it (any other would fail this test)


def test_a_failure_outside_every_section_is_said_in_the_pages_language_and_logged(monkeypatch, no_section_failed):
    import ui.compute

    def broken(*a, **k):
        raise RuntimeError("a bug in the figures")
    monkeypatch.setattr(ui.compute, "figures", broken)  # called between the sections, by the page itself
    at = fresh({"lang": "zh-TW"}, clear=False)
    assert not at.exception  # not Streamlit's own (English) error box
    messages = [plain(e.value) for e in at.error]
    assert messages == [plain(translator("zh-TW")("The page could not be drawn because of an error in the app. The error was "
                                                  "logged on the server; reloading the page may help."))]
    assert "無法" in messages[0] and "RuntimeError" not in messages[0]
    logged = [r for r in no_section_failed.records if r.getMessage() == "the page failed"]
    assert logged and logged[0].exc_info[0] is RuntimeError
    no_section_failed.records.clear()


def test_presentation_mode_with_no_run_to_compute_still_offers_the_way_out():
    at = fresh(clear=False)
    rid = page(at).runs[0].id
    widget(at, "selectbox", f"run{rid}.schedule").set_value("OneCycleLR").run()  # LectureRMS cannot cycle momentum
    at.toggle(key="present").set_value(True).run()
    assert any("No run can be computed" in plain(e.value) for e in at.error)
    widget(at, "selectbox", "lang.present").set_value("zh-TW").run()
    at.button(key="present_exit").click().run()
    assert not at.exception and not page(at).present and page(at).lang == "zh-TW"


def test_the_run_chosen_for_step_through_fate_map_and_sweep_survives_rename_language_add_duplicate_remove():
    at = fresh({"view": "step"}, clear=False)
    at.button(key="preset-adam").click().run()
    third = page(at).runs[2].id
    for name in ("step.run", "fate.run", "sweep.run"):
        open_section(at, study=name.split(".")[0] if name != "step.run" else None)
        widget(at, "selectbox", name).set_value(third).run()
    at.text_input(key=f"run{third}.label").set_value("my Adam").run()
    widget(at, "selectbox", "lang").set_value("zh-TW").run()
    at.button(key="add_run").click().run()
    first = page(at).runs[0].id
    at.button(key=f"run{first}.dup").click().run()
    at.button(key=f"run{first}.del").click().run()
    assert not at.exception
    state = page(at)
    assert state.step_run == state.fate.run == state.sweep.run == third
    position = [r.id for r in state.runs].index(third) + 1
    for name in ("step.run", "fate.run", "sweep.run"):
        open_section(at, study=name.split(".")[0] if name != "step.run" else None)
        box = widget(at, "selectbox", name)
        assert box.value == third and box.format_func(box.value) == f"{position}: my Adam"
