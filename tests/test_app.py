"""The page through Streamlit's AppTest: every preset, the main widget interactions, bad input."""
import json

import pytest

pytest.importorskip("streamlit")

from experiments import scenario  # noqa: E402
from experiments.tour import BY_KEY, DEFAULT, PRESETS  # noqa: E402
from tests.apptest import charts, fresh, legend, map_spec, maps, open_section, page, plain, player, run_ids, widget  # noqa: E402


def test_page_loads_the_default_preset_with_its_text_and_an_animated_map():
    at = fresh()
    assert not at.exception
    assert BY_KEY[DEFAULT].title in at.info[0].value
    spec = map_spec(at)
    assert spec["layout"]["images"] and "frames" not in spec  # the player makes the frames (ui/player.js)
    played = player(at)
    assert len(played["steps"]) == 300 and len(played["tails"]) == 1 and played["moving"]
    assert len(charts(at)) == 2  # map + diagnostics
    assert len(maps(at)[0].proto.bytes) < 0.3e6
    assert len(at.latex) >= 3 and at.dataframe


@pytest.mark.parametrize("preset", [p.key for p in PRESETS])
def test_every_preset_loads_with_one_click(preset):
    at = fresh()
    at.button(key=f"preset-{preset}").click().run()
    assert not at.exception
    p = BY_KEY[preset]
    assert p.title in at.info[0].value
    assert not at.warning and not at.error
    assert widget(at, "selectbox", "surface").value == p.scenario["surface"]
    assert at.number_input(key="steps").value == p.scenario["steps"]
    assert len(run_ids(at)) == len(p.scenario["runs"])
    assert len(player(at)["steps"]) <= 300
    assert legend(at) == [r["label"] for r in p.scenario["runs"]]


def plain_of(element) -> str:
    return plain(element.value)


def test_bad_parameter_is_explained_next_to_the_run_and_other_runs_still_show():
    at = fresh()
    at.button(key="preset-adam").click().run()
    adam = run_ids(at)[2]
    at.number_input(key=f"run{adam}.p.Adam.eps").set_value(0.0).run()
    assert not at.exception
    assert any("Run 3 is not shown" in w and "Adam.eps" in w for w in map(plain_of, at.warning))
    assert any("Adam.eps must be a number in (0, inf)" in e for e in map(plain_of, at.error))  # in the run's box
    spec = map_spec(at)
    names = [t["name"] for t in spec["data"] if t.get("mode") == "lines+markers"]
    assert names == ["RMSprop, η = 1", "SGD + momentum 0.9"]  # the other two runs are still drawn
    assert at.number_input(key="steps").value == 3000  # other settings kept


def test_text_that_is_not_a_number_list_is_refused_without_eval():
    at = fresh()
    rid = run_ids(at)[0]
    widget(at, "selectbox", f"run{rid}.schedule").set_value("MultiStepLR").run()
    at.text_input(key=f"run{rid}.s.MultiStepLR.milestones").input("__import__('os').system('echo hi')").run()
    assert not at.exception
    assert any("MultiStepLR.milestones must be a list of integers" in e for e in map(plain_of, at.error))


def test_diverging_run_is_cut_marked_and_explained():
    at = fresh()
    at.button(key="preset-stuck").click().run()
    rid = run_ids(at)[0]
    at.number_input(key=f"run{rid}.p.SGD.lr").set_value(2e-6).run()
    assert not at.exception
    assert any("stopped" in e and "step" in e and "diverged" in e for e in map(plain_of, at.error))
    texts = [t.get("text") for t in map_spec(at)["data"] if t.get("text")]
    assert any("diverged at step" in t[0] for t in texts)


def test_add_duplicate_remove_runs():
    at = fresh()
    assert len(run_ids(at)) == 1
    add = next(b for b in at.button if b.label == "＋ Add run")
    before = len(run_ids(at))
    add.click().run()
    assert len(run_ids(at)) == before + 1
    first = run_ids(at)[0]
    at.number_input(key=f"run{first}.p.LectureRMS.lr").set_value(0.5).run()
    at.button(key=f"run{first}.dup").click().run()
    ids = run_ids(at)
    copy = ids[1]
    twin = page(at).run(copy)
    assert twin.optimizer == "LectureRMS" and twin.params["lr"] == 0.5
    assert widget(at, "selectbox", f"run{copy}.optimizer").value == "LectureRMS"
    assert at.number_input(key=f"run{copy}.p.LectureRMS.lr").value == 0.5
    at.button(key=f"run{copy}.del").click().run()
    assert copy not in run_ids(at)
    assert not at.exception
    assert len([t for t in map_spec(at)["data"] if t.get("mode") == "lines+markers"]) == len(run_ids(at))


def test_changing_the_surface_resets_the_start_point_and_keeps_the_runs():
    at = fresh()
    n = len(run_ids(at))
    widget(at, "selectbox", "surface").set_value("himmelblau").run()
    assert not at.exception
    from surfaces import get_surface
    sx, sy = get_surface("himmelblau").default_start
    assert (at.number_input(key="start_x").value, at.number_input(key="start_y").value) == (sx, sy)
    assert len(run_ids(at)) == n


def counting_simulate(monkeypatch) -> list:
    """Engine runs made by page scripts from now on (the background warm-up's are not counted).
    Call it after fresh(), which empties the caches."""
    import threading

    import ui.compute
    ui.compute.warm_up()[0].join(120)  # the tour's scenes are in the cache before the first click
    calls, real = [], scenario.simulate

    def counting(*a, **k):
        if threading.current_thread().name != "descent-lab-warm-up":
            calls.append(1)
        return real(*a, **k)

    monkeypatch.setattr(scenario, "simulate", counting)
    return calls


def test_a_rerun_that_changes_nothing_computes_nothing(monkeypatch):
    at = fresh()
    calls = counting_simulate(monkeypatch)
    at.number_input(key="steps").set_value(1234).run()
    assert len(calls) == 1
    at.run()
    at.run()
    assert len(calls) == 1
    at.slider(key="inspect_t").set_value(5).run()  # only the update-rule panel changes
    assert len(calls) == 1
    rid = run_ids(at)[0]
    at.number_input(key=f"run{rid}.p.LectureRMS.lr").set_value(0.9).run()
    assert len(calls) == 2


def test_the_tour_is_computed_once_per_server_before_anyone_clicks(monkeypatch):
    """A class opens the same scenes: the server computes them in the background when it starts
    (ui/compute.py), in both languages, and keeps them in a cache tier no other scenario evicts."""
    import ui.compute
    at = fresh()
    calls = counting_simulate(monkeypatch)
    for lang in ("en", "zh-TW"):
        widget(at, "selectbox", "lang").set_value(lang).run()
        for p in PRESETS:
            at.button(key=f"preset-{p.key}").click().run()
            assert not at.exception
    assert calls == []  # every scene came from the warm cache
    general = ui.compute.RESULTS["general"]
    monkeypatch.setattr(general, "budget", 1 << 20)  # 1 MB: a few of the scenarios below
    for steps in range(3001, 3021):  # more new scenarios than the general tier holds (0.24 MB each)
        ui.compute.compute(ui.compute.scenario_key(dict(BY_KEY["burst"].scenario, steps=steps)))
        assert general.bytes <= general.budget
    assert 0 < len(general) < 20
    at.button(key="preset-decay").click().run()
    assert len(calls) == 20  # …and the scenes are still there


def test_3d_view_replaces_the_map_and_back():
    at = fresh()
    widget(at, "button_group", "view").set_value("3d").run()
    assert not at.exception
    assert not maps(at)
    (chart,) = at.get("plotly_chart")[:1]
    spec = json.loads(chart.proto.spec)
    assert spec["data"][0]["type"] == "surface" and any(t["type"] == "scatter3d" for t in spec["data"])
    widget(at, "button_group", "view").set_value("map").run()
    assert player(at)["steps"]


def test_fit_view_widens_the_map_to_the_whole_paths():
    at = fresh()  # the burst preset: the path leaves the |w| ≤ 5 window
    at.toggle(key="fit_view").set_value(False).run()
    narrow = map_spec(at)["layout"]["yaxis"]["range"]
    at.toggle(key="fit_view").set_value(True).run()
    wide = map_spec(at)["layout"]["yaxis"]["range"]
    assert narrow == [-5, 5] and wide[1] > 6


def test_make_gif_on_the_page_gives_a_gif_with_the_chosen_frames():
    import io

    from PIL import Image
    at = open_section(fresh(), export=True)
    at.slider(key="gif_frames").set_value(40).run()
    at.button(key="make_GIF").click().run()
    assert not at.exception
    kind, _, data = at.session_state["made_download"]
    gif = Image.open(io.BytesIO(data))
    assert kind == "GIF"
    assert gif.n_frames == 40 and gif.size == (800, 640)
    assert any("GIF" in b.label and "MB" in b.label for b in at.get("download_button"))


def test_long_runs_prepare_csv_with_a_button_and_short_runs_download_directly():
    at = fresh()
    assert "Trajectories (CSV)" not in [b.label for b in at.get("download_button")]  # the export section is closed: not drawn
    open_section(at, export=True)
    labels = [b.label for b in at.get("download_button")]
    assert "Trajectories (CSV)" in labels  # 3,000 steps: a direct download
    at.button(key="preset-crawl").click().run()
    assert "Trajectories (CSV)" not in [b.label for b in at.get("download_button")]
    at.button(key="make_CSV").click().run()
    assert not at.exception
    kind, _, text = at.session_state["made_download"]
    assert kind == "CSV" and text.count("\n") == 1 + 100_001
    at.button(key="make_JSON").click().run()  # the session keeps one prepared download: the CSV goes
    kind, _, text = at.session_state["made_download"]
    assert kind == "JSON" and text.startswith("{")
    assert "Download CSV" not in " ".join(b.label for b in at.get("download_button"))


def test_every_bound_is_listed_on_the_page_and_the_widgets_stop_at_it():
    from optimizers.fate import MAX_MAP, MAX_SWEEP
    from surfaces.parse import MAX_LENGTH
    from ui.link import MAX_PARAM_CHARS
    from ui.share import MAX_DOWNLOAD_ROWS
    from ui.state import MAX_PAGE_RUNS
    from views.export import MAX_EXPORT_FRAMES, SIZE
    at = fresh()
    limits = next(e for e in at.expander if e.label == "Limits")
    text = " ".join(m.value for m in limits.markdown)
    for bound in (f"{scenario.MAX_STEPS:,}", str(MAX_PAGE_RUNS), str(scenario.MAX_RUNS), f"{MAX_MAP} × {MAX_MAP}",
                  f"{scenario.MAX_MAP_STEPS:,}", f"{MAX_SWEEP} × {MAX_SWEEP}", str(MAX_EXPORT_FRAMES),
                  f"{SIZE[0]} × {SIZE[1]}", f"{scenario.MAX_FILE_BYTES // 1000:,} kB", str(MAX_LENGTH),
                  f"{MAX_PARAM_CHARS:,}", f"{scenario.MAX_WORK:,}", f"{MAX_DOWNLOAD_ROWS:,}"):
        assert bound in text, bound
    top = {w.label: w.max for w in at.number_input}
    assert top["Steps"] == scenario.MAX_STEPS
    assert top["Cells per side"] == MAX_MAP and top["Steps per start"] == scenario.MAX_MAP_STEPS
    widget(at, "selectbox", "run0.optimizer").select("Adam").run()  # a rule with a second parameter: the sweep's inputs show
    open_section(at, study="sweep", export=True)
    assert {w.label: w.max for w in at.number_input}["lr values"] == MAX_SWEEP
    assert at.slider(key="gif_frames").max == MAX_EXPORT_FRAMES
