"""Parity with torch.optim and torch.optim.lr_scheduler.

The golden file was produced by tests/golden/make_golden.py with torch 2.13 (float64, the
canonical opt.step(); sched.step() loop). Every case of a surface runs here in ONE batched
engine call, so this also checks that batching (groups, per-run hyperparameter arrays) changes
nothing. When torch is importable, a sample is re-run live against torch as well.
"""
from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from optimizers import OPTIMIZERS, SCHEDULES, RunSpec, simulate
from optimizers.schedules import parse_schedule_ref
from surfaces import get_surface

GOLDEN = Path(__file__).parent / "golden" / "torch_trajectories.json"
CASES = json.loads(GOLDEN.read_text())["cases"]
RTOL = 1e-10


def spec_of(case) -> RunSpec:
    ours = case.get("as", case)
    params = OPTIMIZERS[ours["optimizer"]].validate(ours["params"])
    name, sp = parse_schedule_ref(ours["schedule"])
    return RunSpec(ours["optimizer"], params, tuple(case["start"]), name, SCHEDULES[name].validate(sp, case["steps"]),
                   label=json.dumps([case["optimizer"], case["params"], case["schedule"]]))


def assert_matches(result, points, lrs=None):
    points = np.asarray(points, dtype=float)
    k = len(result.points)
    assert np.all(np.isfinite(points[:k])), "we stopped later than torch left the finite numbers"
    scale = np.maximum(1.0, np.abs(points[:k]))
    err = np.abs(result.points - points[:k]) / scale
    assert err.max() <= RTOL, f"{result.label}: max relative difference {err.max():.3g} at step {err.max(axis=1).argmax()}"
    if result.diverged_at is not None:
        # torch's next point is out of bounds or not finite, or its loss/gradient is not finite there
        assert k < len(points)
    if lrs is not None:  # None: the case compares a different but equivalent formulation
        np.testing.assert_allclose(result.lr, np.asarray(lrs[: len(result.lr)]), rtol=1e-13, atol=0)


by_surface = defaultdict(list)
for c in CASES:
    by_surface[c["surface"]].append(c)


@pytest.mark.parametrize("surface", sorted(by_surface))
def test_golden_batched(surface):
    cases = by_surface[surface]
    results = simulate(get_surface(surface).objective, [spec_of(c) for c in cases], cases[0]["steps"])
    for case, res in zip(cases, results):
        assert_matches(res, case["points"], None if "as" in case else case["lr"])


def test_golden_cover_every_torch_optimizer_and_schedule():
    optimizers = {c["optimizer"] for c in CASES}
    schedules = {c["schedule"]["name"] for c in CASES if c["schedule"]}
    members = {m["name"] for c in CASES if c["schedule"] and c["schedule"]["name"] == "SequentialLR" for m in c["schedule"]["params"]["schedulers"]}
    assert optimizers == {n for n, o in OPTIMIZERS.items() if o.source == "torch.optim"}
    assert schedules == set(SCHEDULES) - {"none"}
    assert {"LinearLR", "CosineAnnealingLR", "ConstantLR", "ExponentialLR", "StepLR"} <= members


def test_each_case_also_alone():
    """One run per call gives the same numbers as the batch (no cross-talk between rows)."""
    for case in CASES[::9]:
        res = simulate(get_surface(case["surface"]).objective, [spec_of(case)], case["steps"])[0]
        assert_matches(res, case["points"], None if "as" in case else case["lr"])


def test_live_against_torch():
    torch = pytest.importorskip("torch")
    import sys
    sys.path.insert(0, str(GOLDEN.parent))
    import make_golden

    torch.set_default_dtype(torch.float64)
    rng = np.random.default_rng(7)
    # fresh start points the golden file does not have
    for case in make_golden.all_cases()[::5]:
        if "as" in case:
            continue
        start = tuple(np.round(rng.uniform(-3, 3, size=2), 3))
        case = {**case, "surface": "himmelblau", "start": start, "steps": 80}
        pts, lrs = make_golden.torch_trajectory("himmelblau", start, case["optimizer"], case["params"], case["schedule"], steps=80)
        res = simulate(get_surface("himmelblau").objective, [spec_of(case)], 80)[0]
        assert_matches(res, pts, lrs)
