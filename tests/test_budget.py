"""A bounded cost for every request: the work budget, the byte-bounded caches, the worker process
(issue: one student cannot take the server down)."""
from __future__ import annotations

import gc
import json
import os
import signal
import threading
import time
import tracemalloc

import numpy as np
import pytest

from experiments import scenario
from experiments.scenario import MAX_WORK, parse_scenario, read_scenario_json, run_scenario, salvage_scenario, work
from optimizers import ValidationError
from ui import jobs
from ui.cache import ByteCache, nbytes


def _noisy(steps: int, runs: int, seeds: int) -> dict:
    return {"surface": "booth", "start": [0, 0], "steps": steps,
            "runs": [{"optimizer": "SGD", "params": {"lr": 0.01}, "noise": {"std": 1, "seed": i, "bundle": seeds}}
                     for i in range(runs)]}


def test_work_counts_each_seed_as_a_run():
    assert work(100_000, (1,) * 16) == 1_600_000 and work(100_000, (32,)) == 3_200_000 == MAX_WORK
    assert parse_scenario(_noisy(100_000, 1, 32)).bundles == (32,)  # exactly the budget: allowed


@pytest.mark.parametrize("steps, runs, seeds", [(100_000, 8, 32), (100_000, 2, 17), (50_000, 16, 5)])
def test_a_file_over_the_work_budget_is_refused_before_anything_runs(steps, runs, seeds):
    raw = json.dumps(_noisy(steps, runs, seeds)).encode()
    with pytest.raises(ValidationError, match="run-steps") as e:
        read_scenario_json(raw)
    assert f"{steps * runs * seeds:,}" in str(e.value) and f"{MAX_WORK:,}" in str(e.value)


def test_a_link_over_the_work_budget_keeps_its_runs_with_one_seed_each():
    data, notes = salvage_scenario(_noisy(100_000, 8, 32))
    assert len(data["runs"]) == 8 and all(r["noise"]["bundle"] == 1 for r in data["runs"])
    assert any("run-steps" in text for text, _ in notes)
    assert work(data["steps"], parse_scenario(data).bundles or (1,) * 8) <= MAX_WORK


def test_the_page_refuses_settings_over_the_work_budget_and_keeps_them():
    """Widgets alike: 8 noisy runs × 100,000 steps, then 32 seeds drawn for run 1 (typed in its
    box): 3,900,000 run-steps, over the budget. The page says so in its language, computes
    nothing, and keeps every setting; back to one seed, the map is back."""
    from tests.apptest import charts, fresh, maps, widget
    from ui.page import Run
    at = fresh({"lang": "zh-TW"})
    page = at.session_state["page"]
    page.runs = [Run(id=i, optimizer="SGD", params={"lr": 0.01}, noise_std=1.0, noise_seed=i) for i in range(8)]
    page.surface, page.start, page.steps = "booth", [0.0, 0.0], 100_000
    at.run()
    assert not at.exception and not at.error
    widget(at, "number_input", "run0.bundle").set_value(32).run()
    assert not at.exception
    (error,) = [e.value for e in at.error]
    assert "3,900,000" in error and f"{MAX_WORK:,}" in error and "run-steps" not in error  # said in Chinese
    page = at.session_state["page"]
    assert page.runs[0].bundle == 32 and page.steps == 100_000 and len(page.runs) == 8
    assert not charts(at)
    widget(at, "number_input", "run0.bundle").set_value(1).run()
    assert not at.exception and not at.error and maps(at)


def test_nbytes_measures_what_results_and_a_map_figure_hold():
    """Against the allocations tracemalloc sees while they are built (within 25%)."""
    from views.mapfig import map_figure
    sc = parse_scenario({"surface": "rosenbrock", "start": [-1.5, 2], "steps": 5000,
                         "runs": [{"optimizer": o, "params": {"lr": 0.001}} for o in ("SGD", "Adam", "RMSprop")]})
    results = run_scenario(sc)
    map_figure(sc.surface_obj, results)  # the background picture's own cache is filled outside the measurement
    for build in (lambda: run_scenario(sc), lambda: map_figure(sc.surface_obj, results)):
        gc.collect()
        tracemalloc.start()
        try:
            value = build()
            gc.collect()
            held = tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()
        assert 0.75 * held < nbytes(value) < 1.25 * held


def test_a_byte_cache_stays_within_its_budget_and_keeps_the_recent():
    cache = ByteCache("test", 10_000)
    for i in range(10):
        cache.get(i, lambda: np.zeros(300))  # 2,400 bytes each
    assert cache.bytes <= 10_000 and len(cache) == 4
    assert cache.get(9, lambda: pytest.fail("recomputed")) is not None
    big = cache.get("big", lambda: np.zeros(2_000))  # 16,000 bytes: handed back, not kept
    assert big.shape == (2_000,) and "big" not in cache._entries and cache.bytes <= 10_000


def test_a_byte_cache_computes_a_key_once_for_many_waiting_sessions():
    cache, calls = ByteCache("test", 1 << 20), []

    def slow():
        calls.append(1)
        time.sleep(0.3)
        return np.ones(10)
    threads = [threading.Thread(target=cache.get, args=("k", slow)) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == [1]


def _sleepy(seconds: float, progress=None):
    for i in range(10):
        time.sleep(seconds / 10)
        progress((i + 1) / 10)
    return os.getpid()


def test_a_job_runs_in_another_process_and_reports_progress():
    seen = []
    pid = jobs.run(_sleepy, 1.0, progress=seen.append)
    assert pid != os.getpid()
    assert len(seen) >= 2 and seen == sorted(seen) and 0 < seen[-1] <= 1


def test_a_killed_worker_fails_the_job_cleanly_and_the_next_job_works():
    pid = jobs.run(_sleepy, 0.1)

    def kill_soon():
        time.sleep(0.5)
        os.kill(pid, signal.SIGKILL)
    threading.Thread(target=kill_soon).start()
    with pytest.raises(jobs.JobFailed):
        jobs.run(_sleepy, 5.0)
    assert jobs.run(_sleepy, 0.1) != pid


def _modules(progress=None):
    """The worker's modules, and the file its __mp_main__ came from (None if it has none)."""
    import sys
    return sorted(sys.modules), getattr(sys.modules.get("__mp_main__"), "__file__", None)


def test_a_worker_does_not_import_the_servers_main_script(tmp_path, monkeypatch):
    """Under `streamlit run`, __main__ is the page script: a new worker must not import it (it
    did, and with it Streamlit and the page's caches: 297 MB before its first job)."""
    import sys
    import types
    marker = tmp_path / "imported"
    script = tmp_path / "page_script.py"
    script.write_text(f"open({str(marker)!r}, 'w').close()\n")
    fake = types.ModuleType("__main__")
    fake.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", fake)
    jobs._reset()  # a new worker, started while this script is __main__
    try:
        modules, main_file = jobs.run(_modules)
    finally:
        jobs._reset()
    assert not marker.exists() and main_file != str(script)
    assert not any(m.startswith("streamlit") for m in modules)


def test_heavy_results_from_the_worker_equal_those_made_here():
    from ui.compute import heavy, scenario_key
    data = {"surface": "rosenbrock", "start": [-1.5, 2], "steps": 70_000,
            "runs": [{"optimizer": "Adam", "params": {"lr": 0.01}}, {"optimizer": "SGD", "params": {"lr": 1e-4}},
                     {"optimizer": "RMSprop", "params": {"lr": 1e-3}, "noise": {"std": 0.1, "seed": 3}}]}
    sc = parse_scenario(data)
    assert heavy(sc)
    there, here = jobs.run(jobs.results_job, scenario_key(data)), run_scenario(sc)
    fields = ("points", "loss", "grads", "lr", "sigma", "effective_lr", "momentum")
    for a, b in zip(there, here, strict=True):
        for name in fields:
            x, y = getattr(a, name), getattr(b, name)
            assert (x is None) == (y is None), name
            if x is not None:
                assert np.array_equal(x, y, equal_nan=True), name
        assert (a.diverged_at, a.label) == (b.diverged_at, b.label)


BASE = {"surface": "booth", "start": [0, 0], "steps": 100, "runs": [{"optimizer": "SGD", "params": {"lr": 0.01}}]}
OVER = {  # one scenario beyond each bound the page's Limits list, by the field it breaks
    "steps": dict(BASE, steps=100_001),
    "runs": dict(BASE, runs=BASE["runs"] * 17),
    "work": _noisy(100_000, 2, 17),
    "map.cells": dict(BASE, map={"cells": 201}),
    "map.steps": dict(BASE, map={"steps": 5_001}),
    "sweep.lr": dict(BASE, sweep={"param": "momentum", "lr": [1e-3, 1, 61]}),
    "sweep.steps": dict(BASE, sweep={"param": "momentum", "steps": 5_001}),
    "formula": dict(BASE, surface={"formula": "x^2 + " + "+".join(["y"] * 400), "domain": [[-1, 1], [-1, 1]]}),
}


@pytest.mark.parametrize("bound", sorted(OVER))
def test_every_limit_is_enforced_for_files_and_links_alike(bound):
    """A file beyond a bound is refused with a message; a link beyond it is read without that part
    (with a note), and what the page then holds is within every bound."""
    from i18n import translator
    from ui.link import encode_scenario
    from ui.page import scenario_dict
    from ui.state import apply_link
    data = OVER[bound]
    with pytest.raises(ValidationError):
        read_scenario_json(json.dumps(data).encode())
    page = apply_link({"s": encode_scenario(data)})
    assert page.notes, bound
    held = parse_scenario(scenario_dict(page, translator("en")))  # raises if anything is still beyond a bound
    assert held.steps <= scenario.MAX_STEPS and work(held.steps, held.bundles or (1,)) <= MAX_WORK


def test_files_and_links_beyond_their_size_are_refused():
    from ui.link import MAX_PARAM_CHARS
    from ui.state import apply_link
    with pytest.raises(ValidationError, match="larger than"):
        read_scenario_json(b" " * (scenario.MAX_FILE_BYTES + 1))
    page = apply_link({"s": "A" * (MAX_PARAM_CHARS + 1)})
    assert page.notes and page.runs


def test_big_entries_nobody_asks_for_are_dropped_after_idle_seconds():
    cache = ByteCache("test", 1 << 30, idle=60, big=1 << 20)
    cache.get("big", lambda: np.zeros(1 << 18))  # 2 MB
    cache.get("small", lambda: np.zeros(10))
    cache.expire(time.monotonic() + 30)
    assert len(cache) == 2
    cache.expire(time.monotonic() + 61)
    assert "big" not in cache._entries and "small" in cache._entries and cache.bytes == nbytes(np.zeros(10))


def test_every_widget_holds_the_bound_the_limits_list():
    """Widgets alike: every box for a quantity the Limits expander bounds has that bound as its
    maximum (a browser's box clamps to it, AppTest refuses beyond it), the Limits text states
    the same numbers, and ＋ Add run is disabled once the page holds its most runs."""
    from experiments.scenario import MAX_MAP_STEPS, MAX_STEPS
    from optimizers.fate import MAX_MAP, MAX_SWEEP
    from tests.apptest import fresh, open_section, widget
    from ui.controls import MAX_BUNDLE, MAX_PAGE_RUNS
    from ui.page import Run
    from views.export import MAX_EXPORT_FRAMES
    at = fresh()
    # A run with a sweepable parameter and gradient noise, so that every bounded box is shown.
    at.session_state["page"].runs = [Run(id=0, optimizer="Adam", params={"lr": 0.01}, noise_std=1.0, noise_seed=0)]
    at.run()
    bounds = {("number_input", "steps"): MAX_STEPS, ("number_input", "run0.bundle"): MAX_BUNDLE,
              ("number_input", "fate_cells"): MAX_MAP, ("number_input", "fate_steps"): MAX_MAP_STEPS,
              ("number_input", "sweep.lr2"): MAX_SWEEP, ("number_input", "sweep.v2"): MAX_SWEEP,
              ("slider", "gif_frames"): MAX_EXPORT_FRAMES}
    for (kind, name), bound in bounds.items():
        open_section(at, study="sweep" if name.startswith("sweep") else "fate", export=name == "gif_frames")
        assert widget(at, kind, name).max == bound, name
    (limits,) = [m.value for m in at.markdown if "at most" in m.value and "steps:" in m.value]
    for bound in (MAX_STEPS, MAX_MAP, MAX_MAP_STEPS, MAX_SWEEP, MAX_EXPORT_FRAMES, MAX_PAGE_RUNS, MAX_WORK):
        assert f"{bound:,}" in limits or str(bound) in limits, bound
    while len(at.session_state["page"].runs) < MAX_PAGE_RUNS:
        assert not widget(at, "button", "add_run").disabled
        widget(at, "button", "add_run").click().run()
        assert not at.exception
    assert widget(at, "button", "add_run").disabled
