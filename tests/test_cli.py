import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def cli(*args, input_file=None):
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_trace_prints_the_documented_json():
    p = cli("trace", "scenarios/adam_cosine_rosenbrock.json")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert len(out["runs"]) == 3
    for r in out["runs"]:
        assert {"label", "optimizer", "points", "loss", "grads", "lr", "sigma", "effective_lr", "diverged_at", "reason"} <= set(r)
        n = len(r["lr"])
        assert n == 500 and len(r["points"]) == len(r["loss"]) == n + 1 and len(r["grads"]) == n
    adam = out["runs"][0]
    assert adam["label"] == "Adam + cosine" and adam["points"][0] == [-1.5, 2.0] and len(adam["sigma"]) == 500
    assert out["runs"][1]["sigma"] is None  # SGD has no σ
    # the stability lens, under the names the README gives
    for r in out["runs"]:
        n = len(r["lr"])
        assert len(r["curvature"]) == n and len(r["curvature"][0]) == 2 and len(r["effective_sharpness"]) == n
    x, y = -1.5, 2.0  # Rosenbrock's Hessian at the start, in closed form
    exact = np.linalg.eigvalsh([[1200 * x * x - 400 * y + 2, -400 * x], [-400 * x, 200]])
    assert np.allclose(adam["curvature"][0], exact, rtol=1e-6)
    assert adam["stability"][-1] == pytest.approx(adam["effective_sharpness"][-1] / 38, rel=1e-12)


def test_bad_scenario_exits_2_with_one_line(tmp_path):
    cases = {
        "bad.json": '{"surface": "rosenbrock", "runs": [{"optimizer": "Adam", "params": {"betas": [0.9, 1.5]}}]}',
        "notjson.json": "{surface: ",
        "list.json": "[1, 2]",
        "nan.json": '{"surface": "booth", "start": [NaN, 1], "runs": [{"optimizer": "SGD"}]}',
    }
    for name, text in cases.items():
        f = tmp_path / name
        f.write_text(text)
        p = cli("trace", str(f))
        assert p.returncode == 2, (name, p.stderr)
        assert p.stdout == "" and p.stderr.count("\n") == 1 and p.stderr.startswith("error: "), (name, p.stderr)
        assert "Traceback" not in p.stderr
    p = cli("trace", str(tmp_path / "missing.json"))
    assert p.returncode == 2 and "cannot read" in p.stderr


def test_list_shows_everything_with_defaults():
    p = cli("list")
    assert p.returncode == 0
    for word in ["lecture_regression", "himmelblau", "LectureRMSProp", "NAdam", "momentum_decay=0.004", "OneCycleLR", "NoamLR", "betas=(0.9, 0.999)"]:
        assert word in p.stdout, word
