"""Figure builders, tested without a browser: plain functions from results to Plotly figures."""
import base64
import io
import json

import numpy as np
import pytest
from PIL import Image

from experiments.scenario import parse_scenario, run_scenario
from experiments.tour import BY_KEY, DEFAULT
from optimizers import OPTIMIZERS, RunSpec, simulate
from surfaces import get_surface
from surfaces.base import Surface
from views.background import colour_scale, render_png
from views.diagnostics import ROWS, diagnostics_figure
from views.latex import num, update_rule_latex
from views.mapfig import HOVER_GRID, HOVER_TRACE, PALETTE, fit_view, map_figure
from views.sampling import curve_indices, frame_steps, path_indices
from views.surface3d import surface3d_figure


def arr(v):
    """A figure array from JSON: plotly sends NumPy arrays as {"dtype", "bdata"} (base64)."""
    if isinstance(v, dict) and "bdata" in v:
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
    return np.asarray(v)


def as_json(fig):
    return json.loads(fig.to_json())


def preset_results(key):
    sc = parse_scenario(BY_KEY[key].scenario)
    return sc.surface_obj, run_scenario(sc)


def test_default_preset_map_is_animated_small_and_has_no_contour_trace():
    surface, results = preset_results(DEFAULT)
    fig = map_figure(surface, results, PALETTE[: len(results)], fit_view(surface, results))
    d = as_json(fig)
    size = len(fig.to_json())
    assert size < 1.5e6
    assert 2 <= len(d["frames"]) <= 300
    # the surface is a layout image; the one heatmap is the invisible hover grid
    assert [i for i, t in enumerate(d["data"]) if t["type"] in ("contour", "heatmap")] == [HOVER_TRACE]
    (image,) = d["layout"]["images"]
    assert image["source"].startswith("data:image/png;base64,") and image["layer"] == "below" and image["xref"] == "x"
    moving = set(d["frames"][0]["traces"])
    assert HOVER_TRACE not in moving and 0 not in moving  # no frame touches the hover grid or the colour bar
    grid = d["data"][HOVER_TRACE]
    assert grid["type"] == "heatmap" and grid["opacity"] == 0 and len(arr(grid["x"])) == HOVER_GRID
    # The current point advances from frame to frame.
    first, last = d["frames"][0]["data"][0], d["frames"][-1]["data"][0]
    assert not np.allclose(arr(first["x"])[-1], arr(last["x"])[-1])
    assert [b["label"] for b in d["layout"]["updatemenus"][0]["buttons"]][:2] == ["▶ Play", "❚❚ Pause"]
    assert len(d["layout"]["sliders"][0]["steps"]) == len(d["frames"])


def test_long_runs_are_subsampled_to_300_frames_and_the_slider_names_real_steps():
    surface, results = preset_results("crawl")  # 100,000 steps
    d = as_json(map_figure(surface, results))
    assert len(d["frames"]) == 300
    assert d["layout"]["meta"] == {"frames": 300, "steps": 100_000, "subsampled": True}
    labels = [s["label"] for s in d["layout"]["sliders"][0]["steps"]]
    assert labels[0] == "0" and labels[-1] == "100,000"
    assert len(json.dumps(d)) < 1.5e6


def test_diverged_run_ends_with_a_marked_cross_and_the_step():
    surface = get_surface("lecture_regression")
    runs = [RunSpec("SGD", OPTIMIZERS["SGD"].validate({"lr": 2e-6}), (-120.0, -4.0), label="too fast"),
            RunSpec("SGD", OPTIMIZERS["SGD"].validate({"lr": 1e-7}), (-120.0, -4.0), label="fine")]
    results = simulate(surface.objective, runs, 300)
    assert results[0].diverged_at is not None and results[1].diverged_at is None
    d = as_json(map_figure(surface, results))
    texts = [t.get("text") for t in d["data"] if t.get("text")]
    assert [f"diverged at step {results[0].diverged_at}"] in [list(t) for t in texts]


def test_background_log_scale_and_gaps_where_the_surface_is_not_finite():
    lecture = get_surface("lecture_regression")
    png, scale = render_png(lecture, lecture.domain, 120, 100)
    assert scale.log and Image.open(io.BytesIO(png)).size == (120, 100)

    def log_surface(x, y):  # not finite for x ≤ 0
        with np.errstate(all="ignore"):
            return np.log(x) + y * y, 1 / x, 2 * y

    gappy = Surface("gappy", "gappy", "test", log_surface, ((-1, 1), (-1, 1)), (0.5, 0.5))
    png, _ = render_png(gappy, gappy.domain, 100, 50)
    alpha = np.asarray(Image.open(io.BytesIO(png)))[..., 3]
    assert (alpha[:, :45] == 0).all() and (alpha[:, 55:] == 255).all()  # left half (x < 0) is a transparent gap


def test_colour_scale_is_linear_for_gentle_ranges():
    x, y = np.meshgrid(np.linspace(-1, 1, 50), np.linspace(-1, 1, 50))
    assert not colour_scale(10 + x**2 + y**2).log
    assert colour_scale(np.exp(20 * (x**2 + y**2))).log


def test_sampling_keeps_the_burst_and_the_spike():
    assert len(frame_steps(100_000)) == 300 and frame_steps(100_000)[-1] == 100_000
    assert list(frame_steps(5)) == [0, 1, 2, 3, 4, 5]
    pts = np.zeros((50_001, 2))
    pts[:, 0] = np.linspace(0, 1, 50_001)
    pts[25_000, 1] = 100.0  # one far point: a burst
    assert 25_000 in path_indices(pts, 1000)
    y = np.ones(100_000)
    y[77_777] = 1e6
    assert 77_777 in curve_indices(y, 500)


def test_diagnostics_rows_share_the_step_axis_and_mark_bursts():
    surface, results = preset_results("burst")
    d = as_json(diagnostics_figure(surface, results, PALETTE))
    assert len(ROWS) == 7
    names = [t["name"] for t in d["data"]]
    assert any("bursts" in n for n in names)
    burst = next(t for t in d["data"] if "bursts" in t["name"])
    assert 600 <= arr(burst["x"]).min() <= 800  # the first burst, around step 700
    axes = [d["layout"]["xaxis"]] + [d["layout"][f"xaxis{i}"] for i in range(2, len(ROWS))]
    assert all(a["matches"] == f"x{len(ROWS)}" for a in axes)  # one shared step axis


@pytest.mark.parametrize("key", ["burst", "decay", "adam"])
def test_one_burst_count_in_the_summary_the_step_through_and_the_diagnostics(key):
    from experiments.analysis import summarize, view_diagonal
    from views.stepfig import bursts_of
    surface, results = preset_results(key)
    d = as_json(diagnostics_figure(surface, results, PALETTE))
    marked = [len(arr(t["x"])) for t in d["data"] if t["name"].endswith(": bursts")]
    counts = [summarize(surface, r).bursts for r in results]
    stepper = [len(bursts_of(r, view_diagonal(surface))) for r in results]
    assert sum(counts) > 0 and counts == stepper
    assert sorted(marked) == sorted(c for c in counts if c)


def test_the_stability_row_shades_what_is_unstable_and_draws_the_edge():
    """Scene 6: the lecture's RMS is unstable from step 513 (S_t/T_t > 1) and bursts at step 713;
    the row shades each unstable stretch and draws the edge at 1."""
    from experiments.stability import stability_of, unstable_stretches
    from views.diagnostics import STABILITY_ROW
    surface, results = preset_results("burst")
    d = as_json(diagnostics_figure(surface, results, PALETTE))
    row = f"y{STABILITY_ROW}"
    (curve,) = [t for t in d["data"] if t.get("yaxis") == row]
    ratio = stability_of(surface, results[0]).stability
    x = arr(curve["x"]).astype(int)
    assert np.allclose(arr(curve["y"]), ratio[x - 1], equal_nan=True)  # sampled, not altered
    shaded = [(s["x0"], s["x1"]) for s in d["layout"]["shapes"] if s["type"] == "rect" and s["yref"] == f"{row} domain"]
    stretches = unstable_stretches(ratio)
    assert stretches[0][0] == 513 and shaded == [(a - 0.5, b + 0.5) for a, b in stretches]
    (edge,) = [s for s in d["layout"]["shapes"] if s["type"] == "line" and s["yref"] == row]
    assert edge["y0"] == edge["y1"] == 0 and d["layout"][f"yaxis{STABILITY_ROW}"]["type"] == "log"  # log10(1)


def test_update_rule_latex_states_the_lecture_spine_with_numbers():
    surface, results = preset_results("rms")
    eq, parts, exact = update_rule_latex(results[0], 1, surface.axis_names)
    assert exact and r"\frac{\eta_t}{\sigma_t}" in eq and "=" in eq
    assert r"\sigma_t" in parts and "-120" in eq
    nadam = simulate(get_surface("rosenbrock").objective, [RunSpec("NAdam", OPTIMIZERS["NAdam"].validate({"lr": 0.01}), (-1.5, 2.0))], 10)[0]
    _, parts, exact = update_rule_latex(nadam, 5)
    assert not exact and r"\Delta\theta" in parts
    assert num(-32110.5) == r"-3.211\times10^{4}" and num(0.5) == "0.5"


def test_surface3d_lifts_every_path():
    surface, results = preset_results("adam")
    d = as_json(surface3d_figure(surface, results, PALETTE))
    assert d["data"][0]["type"] == "surface"
    assert sum(t["type"] == "scatter3d" and t.get("mode") == "lines" for t in d["data"]) == len(results)


def test_surface3d_draws_the_paths_above_the_drawn_valley_floor_of_rosenbrock():
    from views.surface3d import drawn_height
    surface, results = preset_results("rosenbrock")
    d = as_json(surface3d_figure(surface, results, PALETTE))
    xs, ys = arr(d["data"][0]["x"]), arr(d["data"][0]["y"])
    H = arr(d["data"][0]["z"]).reshape(len(ys), len(xs))
    paths = [t for t in d["data"] if t["type"] == "scatter3d" and t.get("mode") == "lines"]
    for t in paths:
        x, y, z = arr(t["x"]), arr(t["y"]), arr(t["z"])
        floor = drawn_height(xs, ys, H, x, y)
        assert np.all(z > floor), t["name"]  # never inside the drawing, even where the true floor is far below
        assert "customdata" in t  # the hover says the real loss


@pytest.mark.parametrize("key", list(BY_KEY))
def test_every_preset_figure_stays_under_the_payload_budget(key):
    surface, results = preset_results(key)
    fig = map_figure(surface, results, view=fit_view(surface, results) if BY_KEY[key].fit_view else None)
    payload = fig.to_json()
    assert len(payload) < 1.5e6
    png = json.loads(payload)["layout"]["images"][0]["source"].split(",", 1)[1]
    assert len(base64.b64decode(png)) < 300_000


def test_animation_tail_follows_the_run_and_stops_where_it_stopped():
    from views.mapfig import TAIL, Tail
    points = np.arange(12.0).reshape(6, 2)  # a run cut after 5 steps
    shown = np.arange(0, 40, 2)  # frame j shows step 2j
    tail = Tail(points, shown, size=9)
    assert tail.frame(0) == ([0.0], [1.0], [9])
    x, y, sizes = tail.frame(2)  # steps 0, 2, 4
    assert x == [0.0, 4.0, 8.0] and y == [1.0, 5.0, 9.0] and sizes == [0.0, 0.0, 9]
    x, _, sizes = tail.frame(3)  # step 6 is past the end: the last point, once
    assert x == [0.0, 4.0, 8.0, 10.0] and sizes[-1] == 9 and len(sizes) == 4
    assert tail.frame(len(shown) - 1) == ([10.0], [11.0], [9])  # long after the end: the last point alone
    long = Tail(np.arange(200.0).reshape(100, 2), shown)
    x, _, _ = long.frame(15)
    assert x == [2.0 * 2 * j for j in range(15 - TAIL, 16)]  # the last TAIL + 1 frames


def test_a_constant_learning_rate_is_drawn_at_its_value_and_a_missing_sigma_is_explained():
    surface, results = preset_results("stuck")  # SGD, η = 1.1449e-6 throughout
    d = as_json(diagnostics_figure(surface, results, PALETTE))
    lr_axis = d["layout"]["yaxis3"]
    assert lr_axis["type"] == "linear" and lr_axis["tickvals"] == [0, pytest.approx(1.1449e-6)]
    assert lr_axis["ticktext"] == ["0", "1.1449e-6"]
    assert lr_axis["range"] == [0, pytest.approx(1.15 * 1.1449e-6)]  # from 0 to just above the value, not −1…1
    (note,) = [a for a in d["layout"]["annotations"] if a["text"].startswith("no σ_t for SGD")]
    low, high = d["layout"]["yaxis4"]["domain"]
    assert note["yref"] == "paper" and low < note["y"] < high  # in the σ row (plotly drops that row's empty axes)
    surface, results = preset_results("adam")  # η = 1 and 10⁻⁶ on one log axis; only SGD lacks σ
    d = as_json(diagnostics_figure(surface, results, PALETTE))
    assert d["layout"]["yaxis3"]["type"] == "log" and len(d["layout"]["yaxis3"]["tickvals"]) == 2
    assert [n for n in (a["text"] for a in d["layout"]["annotations"]) if n.startswith("no σ_t")] == [
        "no σ_t for SGD + momentum 0.9: this rule does not divide its step by a σ (read σ_t = 1: the step is η_t·m_t)"]
    surface, results = preset_results("warmup")  # cosine to 0: a linear axis from 0
    d = as_json(diagnostics_figure(surface, results, PALETTE))
    assert d["layout"]["yaxis3"]["type"] == "linear" and d["layout"]["yaxis3"]["range"][0] == 0


def test_scene_1_shows_its_bounce_in_an_inset_before_play():
    """On the map the bounce is a vertical line (b hardly moves); the inset plots w against t."""
    preset = BY_KEY["stuck"]
    surface, results = preset_results("stuck")
    fig = as_json(map_figure(surface, results, inset=preset.inset))
    assert preset.inset == 20 and fig["layout"]["xaxis2"]["range"] == [0, 20]
    inset = [t for t in fig["data"] if t.get("xaxis") == "x2" and t.get("mode") == "lines+markers"]
    assert len(inset) == 1
    w = arr(inset[0]["y"])
    floor = surface.global_minima[0].y
    assert len(w) == 21 and np.all(np.diff(np.sign(w - floor)) != 0)  # across the valley floor at every step
    assert np.ptp(w) > 10  # wall to wall: most of the window's height (w in −5…10)
    assert "w against step t" in " ".join(a["text"] for a in fig["layout"]["annotations"])
    assert "xaxis2" not in as_json(map_figure(surface, results))["layout"]  # only where a scene asks for it


def test_fit_view_ignores_a_diverging_path_past_where_it_left_and_marks_the_exit():
    data = dict(BY_KEY["decay"].scenario)
    data["runs"] = data["runs"] + [{"optimizer": "SGD", "params": {"lr": 1e-3, "momentum": 0.9, "nesterov": True}}]
    sc = parse_scenario(data)
    surface, results = sc.surface_obj, run_scenario(sc)
    gone = results[-1]
    assert gone.diverged_at is not None and abs(gone.points[-1, 1]) > 1e4  # thrown to w ≈ 21,000 before it stopped
    (x0, x1), (y0, y1) = fit_view(surface, results)
    (wx0, wx1), (wy0, wy1) = surface.domain
    assert y1 - y0 < 2 * (wy1 - wy0) and x1 - x0 < 2 * (wx1 - wx0)  # the other paths keep the map
    fig = as_json(map_figure(surface, results, view=((x0, x1), (y0, y1))))
    exits = [a for a in fig["layout"].get("annotations", []) if "left the view at step 1" in a["text"]]
    assert len(exits) == 1 and exits[0]["y"] == pytest.approx(y1) and x0 <= exits[0]["x"] <= x1  # on the top edge
    assert "diverged at step 2" in exits[0]["text"]
    inside = map_figure(surface, results[:2], view=((x0, x1), (y0, y1)))
    assert not any("left the view" in (a.text or "") for a in inside.layout.annotations)


def test_every_path_line_has_a_casing_it_contrasts_with_at_least_3_to_1():
    from views.mapfig import casing_colour, contrast
    greys = [f"#{v:02x}{v:02x}{v:02x}" for v in range(0, 256, 5)]
    for colour in PALETTE + greys:
        assert contrast(colour, casing_colour(colour)) >= 4.2, colour  # WCAG 1.4.11 asks 3:1
    surface, results = preset_results("adam")
    d = as_json(map_figure(surface, results, PALETTE[: len(results)]))
    casings = [t for t in d["data"] if t.get("name") == "casing"]
    assert len(casings) == 2 * len(results)  # under each whole path and each animated tail
    moving = d["frames"][0]["traces"]
    assert [d["data"][i].get("name") for i in moving[::2]] == ["casing"] * len(results)
    assert len(d["frames"][5]["data"]) == len(moving)


def test_the_map_colours_each_update_by_its_stability_when_asked():
    """Scene 6 with the lens on: red under the updates whose stability is above 1 (from step 513),
    amber under those near the edge; without it, no such layer. The link carries the toggle."""
    from experiments.stability import stability_of, unstable_stretches
    from ui.link import link_params, read_link
    from views.mapfig import LENS_COLOURS, lens_segments
    surface, results = preset_results("burst")
    r = results[0]
    seg = lens_segments(r, surface, most=10**6)  # not thinned: one segment per update
    ratio = stability_of(surface, r).stability
    first = unstable_stretches(ratio)[0][0]
    assert np.array_equal(seg["unstable"][0], r.points[first - 1]) and np.array_equal(seg["unstable"][1], r.points[first])
    assert len(seg["unstable"]) == 3 * int((ratio > 1).sum())
    on = as_json(map_figure(surface, results, PALETTE, lens=True))
    off = as_json(map_figure(surface, results, PALETTE))
    colours = lambda d: {t.get("line", {}).get("color") for t in d["data"]}  # noqa: E731
    assert set(LENS_COLOURS.values()) <= colours(on) and not set(LENS_COLOURS.values()) & colours(off)
    link = read_link(link_params({"surface": "booth", "runs": [{"optimizer": "SGD"}]}, [], "en", False, "map", False, lens=True))
    assert link.lens is True and not link.notes
