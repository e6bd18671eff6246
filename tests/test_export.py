"""Exports: CSV/JSON hold every recorded quantity, GIF/MP4/PNG have the frames and size asked for,
the HTML page carries its own plotly.js, and `cli.py export` writes them all."""
import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from experiments.records import CSV_COLUMNS, row_count, trace_dict, trace_json, trajectories_csv
from experiments.scenario import parse_scenario, run_scenario
from experiments.tour import BY_KEY
from views import export as ex
from views.mapfig import map_figure

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def warmup():
    sc = parse_scenario(BY_KEY["warmup"].scenario)
    return sc, run_scenario(sc)


@pytest.fixture(scope="module")
def diverging():
    sc = parse_scenario({"surface": "lecture_regression", "start": [-120, -4], "steps": 200,
                         "runs": [{"optimizer": "SGD", "params": {"lr": 2e-6}}, {"optimizer": "Adam", "params": {"lr": 1.0}}]})
    return sc, run_scenario(sc)


def test_csv_has_one_row_per_run_and_step_with_every_quantity(warmup):
    sc, results = warmup
    rows = list(csv.DictReader(io.StringIO(trajectories_csv(sc.surface_obj, results, chunk=700))))
    assert list(rows[0]) == list(CSV_COLUMNS)
    assert len(rows) == row_count(results) == 2 * (sc.steps + 1)
    adam = [r for r in rows if r["run"] == "2"]
    r = results[1]
    t = 1234
    row = adam[t]
    assert int(row["step"]) == t and row["label"] == r.label
    assert float(row["x"]) == r.points[t, 0] and float(row["loss"]) == r.loss[t]
    assert float(row["grad_y"]) == r.grads[t - 1, 1] and float(row["lr"]) == r.lr[t - 1]
    assert float(row["sigma_x"]) == r.sigma[t - 1, 0] and float(row["momentum_y"]) == r.momentum[t - 1, 1]
    assert float(row["effective_lr_x"]) == r.effective_lr[t - 1, 0]
    assert adam[0]["grad_x"] == "" and adam[0]["x"] == "-120.0"
    # the stability lens: the lecture surface's constant curvature, and S_t/T_t of Adam (T = 38)
    assert float(row["curvature_min"]) == pytest.approx(5.5735, rel=1e-4)
    assert float(row["curvature_max"]) == pytest.approx(1.746830e6, rel=1e-6)
    assert float(row["stability"]) == pytest.approx(float(row["effective_sharpness"]) / 38, rel=1e-12)


def test_csv_marks_divergence_and_leaves_missing_numbers_empty(diverging):
    sc, results = diverging
    rows = list(csv.DictReader(io.StringIO(trajectories_csv(sc.surface_obj, results))))
    sgd = [r for r in rows if r["run"] == "1"]
    k = results[0].diverged_at
    assert k is not None and all(r["diverged_at"] == str(k) for r in sgd)
    assert sgd[-1]["sigma_x"] == "" and "nan" not in "".join(r["loss"] for r in sgd).lower()


def test_json_export_is_the_cli_trace(warmup):
    sc, results = warmup
    calls = []
    text = trace_json(sc, results, progress=calls.append)
    assert json.loads(text) == json.loads(json.dumps(trace_dict(sc, results)))
    assert calls == [0.5, 1.0]


def test_gif_has_the_frames_and_size_asked_for(warmup):
    sc, results = warmup
    seen = []
    frames = ex.animation_frames(sc.surface_obj, results, None, None, frames=40, progress=seen.append)
    gif = Image.open(io.BytesIO(ex.gif_bytes(frames)))
    assert gif.n_frames == 40 and gif.size == ex.SIZE
    assert gif.info["duration"] == 40 and gif.info["loop"] == 0
    assert len(seen) == 40 and seen[-1] == 1.0
    # the moving point moves: the first and last frames differ inside the plot
    gif.seek(0)
    first = np.asarray(gif.convert("RGB")).astype(int)
    gif.seek(39)
    last = np.asarray(gif.convert("RGB")).astype(int)
    assert np.abs(first - last).sum(axis=2).astype(bool).mean() > 0.001
    # the surface is drawn: many colours, little grey
    assert len(np.unique(first.reshape(-1, 3), axis=0)) > 20


def test_frame_count_is_capped_and_short_runs_give_one_frame_per_step():
    sc = parse_scenario({"surface": "booth", "steps": 9, "runs": [{"optimizer": "SGD", "params": {"lr": 0.05}}]})
    results = run_scenario(sc)
    assert len(ex.animation_frames(sc.surface_obj, results, frames=150)) == 10
    assert ex.animation_frames(sc.surface_obj, results, frames=10_000, size=(160, 128))[0].size == (160, 128)


def test_png_shows_the_step_asked_for(warmup):
    sc, results = warmup
    early = ex.frame_image(sc.surface_obj, results, step=5)
    late = ex.frame_image(sc.surface_obj, results, step=None)
    png = Image.open(io.BytesIO(ex.png_bytes(late)))
    assert png.format == "PNG" and png.size == ex.SIZE
    assert np.abs(np.asarray(early).astype(int) - np.asarray(late).astype(int)).any()


@pytest.mark.skipif(not ex.mp4_available(), reason="imageio-ffmpeg is not installed")
def test_mp4_has_the_frames(warmup, tmp_path):
    import imageio_ffmpeg
    sc, results = warmup
    path = tmp_path / "a.mp4"
    path.write_bytes(ex.mp4_bytes(ex.animation_frames(sc.surface_obj, results, frames=30)))
    frames, secs = imageio_ffmpeg.count_frames_and_secs(str(path))
    assert frames == 30 and abs(secs - 1.2) < 0.05


def test_html_page_carries_plotly_and_the_frames(warmup):
    sc, results = warmup
    fig = map_figure(sc.surface_obj, results)
    page = ex.html_bytes(fig, "Warm-up <test>", "a & b", "zh-TW").decode()
    assert page.startswith("<!DOCTYPE html>") and 'lang="zh-TW"' in page
    assert "Warm-up &lt;test&gt;" in page and "a &amp; b" in page
    assert not re.search(r"<script[^>]+src=", page)  # nothing loaded from the network
    assert re.search(r"plotly\.js v\d+\.\d+", page)  # plotly.js's own banner: the library is in the page
    assert len(re.findall(r'"name":"\d+"', page)) == len(fig.raw_frames) == 300  # every frame, by its number
    assert len(page) > 3_000_000  # plotly.js itself is inlined


def cli(*args):
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], capture_output=True, text=True, cwd=ROOT, timeout=300)


def test_cli_export_writes_every_file(tmp_path):
    scen = tmp_path / "s.json"
    scen.write_text(json.dumps(BY_KEY["rms"].scenario))
    out = {ext: tmp_path / f"out.{ext}" for ext in ("html", "gif", "csv", "png", "json")}
    p = cli("export", str(scen), *[a for ext, f in out.items() for a in (f"--{ext}", str(f))], "--frames", "20",
            "--lang", "zh-TW", "--step", "10")
    assert p.returncode == 0, p.stderr
    assert all(f.stat().st_size > 0 for f in out.values())
    assert Image.open(out["gif"]).n_frames == 20
    assert Image.open(out["png"]).size == ex.SIZE
    assert len(list(csv.reader(open(out["csv"])))) == 1 + 301
    assert json.loads(out["json"].read_text())["scenario"]["surface"] == "lecture_regression"
    assert "wrote" in p.stdout


def test_cli_export_refuses_nothing_to_do_and_bad_files(tmp_path):
    scen = tmp_path / "s.json"
    scen.write_text(json.dumps(BY_KEY["rms"].scenario))
    p = cli("export", str(scen))
    assert p.returncode == 2 and "nothing to export" in p.stderr and "Traceback" not in p.stderr
    scen.write_text("{bad json")
    p = cli("export", str(scen), "--csv", str(tmp_path / "x.csv"))
    assert p.returncode == 2 and "not valid JSON" in p.stderr and not (tmp_path / "x.csv").exists()
