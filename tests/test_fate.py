"""Beyond one path (issue 6): fate maps, sweeps, noisy gradients, clipping; in scenarios, links, CLI, page."""
from __future__ import annotations

import io
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from experiments.scenario import bundled_paths, parse_scenario, run_bundles, run_fate_map, run_sweep
from optimizers import OPTIMIZERS, RunSpec, ValidationError, simulate
from optimizers.fate import DIVERGED, MOVING, fate_map, sweep
from optimizers.tables import GradientNoise, perturb
from surfaces import formula_surface, get_surface
from tests.apptest import app_test, open_section

ROOT = Path(__file__).resolve().parents[1]


def spec(name="SGD", start=(0.0, 0.0), clip=None, noise=None, **params):
    return RunSpec(name, OPTIMIZERS[name].validate(params), start, clip=clip, noise=noise)


def test_a_convex_quadratic_sends_every_start_to_its_one_minimum():
    s = formula_surface("x^2 + 3*y^2")
    fm = fate_map(s.objective, spec(lr=0.1), s.domain, 40, 300, [(0.0, 0.0)], 0.01)
    assert fm.grid("fate").shape == (40, 40) and (fm.grid("fate") == 0).all()
    steps = fm.grid("steps")
    assert np.isfinite(steps).all() and steps.max() <= 300
    # farther starts need more steps: the corner against the centre
    assert steps[0, 0] > steps[20, 20]


def test_himmelblaus_map_finds_all_four_basins():
    s = get_surface("himmelblau")
    minima = [(m.x, m.y) for m in s.minima]
    fm = fate_map(s.objective, spec("Adam", lr=0.05), s.domain, 60, 500, minima, 0.05)
    fate = fm.grid("fate")
    counts = [int(np.sum(fate == k)) for k in range(4)]
    assert all(c > 0.1 * fate.size for c in counts), counts
    # each minimum's own cell ends in its own basin
    for k, (mx, my) in enumerate(minima):
        i, j = np.argmin(np.abs(fm.ys - my)), np.argmin(np.abs(fm.xs - mx))
        assert fate[i, j] == k


def test_sgd_diverges_exactly_above_two_over_L_and_heavy_ball_above_two_one_plus_mu_over_L():
    s = formula_surface("5*x^2 + 0.5*y^2")  # L = 10 (the curvature along x)
    L = 10.0
    lrs = np.geomspace(0.01, 1.0, 41)
    momenta = np.array([0.0, 0.5, 0.9])
    sw = sweep(s.objective, spec(lr=0.1, start=(2.0, 2.0)), lrs, "momentum", momenta, 3000, [(0.0, 0.0)], 1e-3)
    diverged = sw.grid("fate") == DIVERGED
    for row, mu in zip(diverged, momenta):
        expected = lrs > 2 * (1 + mu) / L  # |eigenvalues| of the heavy-ball iteration exceed 1
        assert (row == expected).all(), (mu, lrs[row != expected])
    # below the threshold the runs that converge end at the minimum
    assert (sw.grid("fate")[0][lrs < 0.15] != DIVERGED).all()


def clipped(specs, g):
    """g after the runs' noise and clipping at step 0 (tables.perturb works in place)."""
    out = np.array(g, dtype=float)
    perturb(out, 0, *GradientNoise(specs, 1).arrays())
    return out


def test_clipping_follows_torch_nn_utils():
    g = np.array([[3.0, 4.0], [0.3, 0.4], [-7.0, 0.5]])
    specs = [spec(clip=("norm", 1.0)), spec(clip=("norm", 1.0)), spec(clip=("value", 2.0))]
    out = clipped(specs, g)
    assert out[0] == pytest.approx(g[0] * (1.0 / (5.0 + 1e-6)))  # max_norm / (‖g‖ + 1e-6)
    assert out[1] == pytest.approx(g[1])  # under the norm: unchanged (the coefficient is clamped at 1)
    assert out[2].tolist() == [-2.0, 0.5]
    torch = pytest.importorskip("torch")
    for row, sp in zip(g, specs):
        t = torch.zeros(2, dtype=torch.float64, requires_grad=True)
        t.grad = torch.tensor(row)
        if sp.clip[0] == "norm":
            torch.nn.utils.clip_grad_norm_([t], sp.clip[1])
        else:
            torch.nn.utils.clip_grad_value_([t], sp.clip[1])
        assert np.allclose(t.grad.numpy(), clipped([sp], row[None])[0], rtol=1e-15, atol=0)


def test_noise_is_seeded_and_is_what_the_optimizer_saw():
    s = get_surface("booth")
    noisy = [spec(lr=0.01, start=(0.0, 0.0), noise=(0.5, 7)), spec(lr=0.01, start=(0.0, 0.0), noise=(0.5, 7)),
             spec(lr=0.01, start=(0.0, 0.0), noise=(0.5, 8)), spec(lr=0.01, start=(0.0, 0.0))]
    a, b, c, exact = simulate(s.objective, noisy, 50)
    assert np.array_equal(a.points, b.points) and not np.array_equal(a.points, c.points)
    table = np.random.default_rng(7).standard_normal((50, 2)) * 0.5
    _, true_g = s.objective(a.points[:-1])
    assert np.allclose(a.grads, true_g + table)  # the recorded gradient is the noisy one used
    assert np.allclose(a.points[1:], a.points[:-1] - 0.01 * a.grads)
    assert not np.array_equal(exact.points, a.points)


def test_a_bundle_draws_other_seeds_and_their_mean():
    from views.mapfig import map_figure
    data = {"surface": "booth", "start": [0, 0], "steps": 40,
            "runs": [{"optimizer": "SGD", "params": {"lr": 0.02}, "noise": {"std": 3, "seed": 1, "bundle": 4}}]}
    sc = parse_scenario(data)
    (main,) = simulate(sc.surface_obj.objective, list(sc.runs), sc.steps)
    seeds = [simulate(sc.surface_obj.objective, [replace(sc.runs[0], noise=(3.0, s))], sc.steps)[0] for s in (2, 3, 4)]
    bundles = run_bundles(sc, {0: main.points})
    assert bundles[0].seeds == 4 and all(np.array_equal(p, r.points) for p, r in zip(bundles[0].paths, seeds))
    mean = np.mean([main.points] + [r.points for r in seeds], axis=0)
    assert np.allclose(bundles[0].mean, mean) and np.allclose(mean[0], [0, 0])
    fig = map_figure(sc.surface_obj, [main], bundles=bundles)
    dotted = [t for t in fig.data if t.type == "scatter" and t.line and t.line.dash == "dot"]
    assert len(dotted) == 1 and np.allclose(dotted[0].x[-1], mean[-1, 0])
    assert sum(1 for t in fig.data if t.opacity == 0.3) == 3


def test_bundle_seeds_are_stepped_in_chunks_and_thinned():
    """More seeds than one chunk: every seed is there once, thinned, and the mean stops at the shortest."""
    from experiments.scenario import BUNDLE_CHUNK
    k = BUNDLE_CHUNK + 3
    sc = parse_scenario({"surface": "booth", "start": [0, 0], "steps": 30,
                         "runs": [{"optimizer": "SGD", "params": {"lr": 0.02}, "noise": {"std": 3, "seed": 10, "bundle": k}}]})
    main = simulate(sc.surface_obj.objective, list(sc.runs), sc.steps)
    bundles = run_bundles(sc, bundled_paths(sc, main), thin=lambda p: np.arange(0, len(p), 10))
    assert len(bundles[0].paths) == k - 1 and all(len(p) == 4 for p in bundles[0].paths)
    last = simulate(sc.surface_obj.objective, [replace(sc.runs[0], noise=(3.0, 10 + k - 1))], sc.steps)[0]
    assert np.array_equal(bundles[0].paths[-1], last.points[::10])


def test_scenarios_hold_maps_sweeps_noise_and_clipping():
    data = {"surface": "himmelblau", "start": [0, 0], "steps": 100,
            "runs": [{"optimizer": "SGD", "params": {"lr": 0.01, "momentum": 0.5}, "clip": {"max_norm": 2},
                      "noise": {"std": 0.5, "seed": 3, "bundle": 3}}],
            "map": {"cells": 20, "steps": 50}, "sweep": {"param": "momentum", "lr": [1e-3, 0.1, 5], "values": [0, 0.9, 3]}}
    sc = parse_scenario(data)
    assert parse_scenario(json.loads(json.dumps(sc.to_dict()))) == sc
    assert sc.runs[0].clip == ("norm", 2.0) and sc.runs[0].noise == (0.5, 3) and sc.bundles == (3,)
    fm, minima, settings = run_fate_map(sc)
    assert fm.grid("fate").shape == (20, 20) and settings["steps"] == 50 and len(minima) == 4
    sw, _ = run_sweep(sc)
    assert sw.grid("fate").shape == (3, 5)
    bad = [({"map": {"cells": 500}}, "map.cells"), ({"map": {"run": 3}}, "map.run"), ({"map": {"grid": 3}}, "unknown key"),
           ({"sweep": {"param": "beta1"}}, "sweep.param for SGD"), ({"sweep": {"values": [-0.5, 0.9, 3]}}, "sweep.values"),
           ({"sweep": {"lr": [0, 1, 3]}}, "sweep.lr"), ({"runs": [{"optimizer": "SGD", "clip": {"max_norm": -1}}]}, "clip.max_norm"),
           ({"runs": [{"optimizer": "SGD", "clip": {"max_norm": 1, "clip_value": 1}}]}, "exactly one"),
           ({"runs": [{"optimizer": "SGD", "noise": {"std": 1, "bundle": 99}}]}, "noise.bundle")]
    for change, words in bad:
        with pytest.raises(ValidationError, match=words.replace(".", r"\.")):
            parse_scenario(dict(data, **change))


def _cli(*args):
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], capture_output=True, text=True, timeout=300, cwd=ROOT)


def test_cli_map_and_sweep_write_json_and_png(tmp_path):
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"surface": "himmelblau", "start": [0, 0], "steps": 200,
                                "runs": [{"optimizer": "Adam", "params": {"lr": 0.05}}]}))
    out = _cli("map", str(path), "--cells", "30", "--steps", "300", "--json", str(tmp_path / "m.json"), "--png", str(tmp_path / "m.png"))
    assert out.returncode == 0, out.stderr
    m = json.loads((tmp_path / "m.json").read_text())
    fates = {v for row in m["fate"] for v in row}
    assert len(m["fate"]) == 30 and len(m["x"]) == 30 and {0, 1, 2, 3} <= fates
    assert Image.open(io.BytesIO((tmp_path / "m.png").read_bytes())).size == (600, 600)
    out = _cli("sweep", str(path), "--param", "beta1", "--lr", "1e-3", "1", "6", "--values", "0", "0.9", "4",
               "--json", str(tmp_path / "sw.json"), "--png", str(tmp_path / "sw.png"))
    assert out.returncode == 0, out.stderr
    w = json.loads((tmp_path / "sw.json").read_text())
    assert w["param"] == "beta1" and len(w["fate"]) == 4 and len(w["fate"][0]) == 6 and w["values"][-1] == 0.9
    for args, words in ((("map", str(path), "--cells", "900", "--json", "x"), "map.cells"),
                        (("sweep", str(path), "--param", "nope", "--json", "x"), "sweep.param"),
                        (("map", str(path)), "nothing to write")):
        out = _cli(*args)
        assert out.returncode == 2 and words in out.stderr and out.stderr.count("\n") == 1


def test_the_page_computes_a_fate_map_and_a_sweep_and_the_link_keeps_them():
    from experiments.tour import BY_KEY
    from ui.link import read_link
    at = app_test()
    at.query_params["p"] = "rosenbrock"
    at.run()
    at.number_input(key="fate_cells").set_value(24).run()
    at.button(key="fate_go").click().run()
    assert not at.exception
    assert any("576 starts" in c.body for c in at.caption)
    open_section(at, study="sweep")
    at.button(key="sweep_go").click().run()
    assert not at.exception and any("runs of" in c.body for c in at.caption)
    link = read_link(dict(at.query_params), BY_KEY)
    assert link.scenario["map"]["cells"] == 24 and "sweep" in link.scenario and not link.notes
    fresh = app_test()
    for k, v in at.query_params.items():
        fresh.query_params[k] = v
    fresh.run()
    assert not fresh.exception and fresh.session_state["page"].fate.settings["cells"] == 24
    assert any("576 starts" in c.body for c in fresh.caption)  # computed on opening the link
    assert "sweep" in read_link(dict(fresh.query_params), BY_KEY).scenario  # its tab is closed: the link keeps it
    open_section(fresh, study="sweep")  # and opening its tab computes it
    assert not fresh.exception and any("runs of" in c.body for c in fresh.caption)


def test_fate_clicks_set_the_start_and_sweep_clicks_add_a_run():
    """The chart callbacks, with the selection a click on a cell sends."""
    import streamlit

    from ui import studies
    from ui.page import active_scene, load_scene
    state = load_scene("rosenbrock")
    assert active_scene(state) == "rosenbrock"

    class State(dict):
        __getattr__, __setattr__ = dict.__getitem__, dict.__setitem__
    fake = State(page=state, fate_chart={"selection": {"points": [{"x": 0.25, "y": -0.5000000000000001}]}},
                 sweep_chart={"selection": {"points": [{"x": 0.01, "y": 0.9}]}})
    original = streamlit.session_state
    try:
        streamlit.session_state = fake
        studies._on_fate_click()
        assert state.start == [0.25, -0.5] and active_scene(state) is None
        studies._on_sweep_click("SGD", dict(OPTIMIZERS["SGD"].validate({"lr": 0.1})), "momentum")
        new = state.runs[-1]
        assert new.optimizer == "SGD" and new.params["lr"] == 0.01 and new.params["momentum"] == 0.9
        assert new.label == "SGD, lr = 0.01, momentum = 0.9"
    finally:
        streamlit.session_state = original


def test_the_fate_figure_marks_every_fate():
    from views.fatefig import fate_figure, sweep_figure
    s = get_surface("himmelblau")
    minima = [(m.x, m.y) for m in s.minima]
    legend = {}
    for lr in (0.015, 0.03):  # 0.015: four basins and some still moving; 0.03 throws the steep corners out
        fm = fate_map(s.objective, spec("SGD", lr=lr), s.domain, 30, 200, minima, 0.05)
        legend[lr] = " ".join(t.name or "" for t in fate_figure(s, fm, minima).data)
        counts = {int(k): int(v) for k, v in zip(*np.unique(fm.outcome.fate, return_counts=True))}
        for n in counts.values():
            assert f": {n:,}" in legend[lr]  # each fate is in the legend with its count
    assert all(f"minimum {k}" in legend[0.015] for k in (1, 2, 3, 4)) and "still moving" in legend[0.015]
    assert "diverged" in legend[0.03]
    fig = sweep_figure(sweep(s.objective, spec(lr=0.01), [1e-3, 1e-2], "momentum", [0.0, 0.5], 50, minima, 0.05))
    assert fig.layout.xaxis.type == "log" and fig.layout.xaxis.exponentformat == "power"  # 10⁻⁴, not "100μ"


@pytest.mark.parametrize("metric", ["final loss", "steps to converge", "diverged"])
def test_every_sweep_layer_says_which_cells_diverged_and_how_many(metric):
    from views.fatefig import DIVERGED_COLOUR, sweep_figure
    s = get_surface("himmelblau")
    minima = [(m.x, m.y) for m in s.minima]
    sw = sweep(s.objective, spec(lr=0.01), [1e-3, 1e-2, 0.05, 0.1], "momentum", [0.0, 0.9], 100, minima, 0.05)
    gone = int(np.sum(sw.grid("fate") == DIVERGED))
    assert 0 < gone < 8
    fig = sweep_figure(sw, metric)
    legend = [t.name for t in fig.data if t.showlegend is not False and t.type == "scatter" and t.name != "cells"]
    assert f"diverged: {gone:,}" in legend
    red = [t for t in fig.data if t.type == "heatmap" and DIVERGED_COLOUR in str(t.colorscale)]
    assert red  # the diverged cells are drawn red in every layer
    assert MOVING == -2


def test_a_share_link_keeps_noise_clipping_and_bundles():
    from experiments.tour import BY_KEY
    from ui.link import link_params, read_link
    data = {"surface": "booth", "start": [0.0, 0.0], "steps": 40,
            "runs": [{"optimizer": "SGD", "params": {"lr": 0.02}, "clip": {"clip_value": 0.5},
                      "noise": {"std": 3.0, "seed": 1, "bundle": 4}}], "map": {"cells": 10, "steps": 20}}
    state = read_link(link_params(data, [], "en", False, "map", False), BY_KEY)
    assert not state.notes and parse_scenario(state.scenario) == parse_scenario(data)
    bad = dict(data, map={"cells": 10_000})
    state = read_link(link_params(bad, [], "en", False, "map", False), BY_KEY)
    assert "map" not in state.scenario and "map settings were ignored" in state.notes[0][0].format(**state.notes[0][1])


def test_a_fate_map_reports_its_progress_to_the_end():
    """The page's progress bar is this callback: it rises from 0 to 1 while the starts run."""
    s = get_surface("booth")
    seen = []
    fate_map(s.objective, spec(lr=0.05), s.domain, 10, 200, [(1.0, 3.0)], 0.1, progress=seen.append)
    assert seen[0] == 0 and seen[-1] == 1 and seen == sorted(seen) and len(seen) >= 50
