import numpy as np
import pytest

from optimizers import OPTIMIZERS, SCHEDULES, RunSpec, simulate
from surfaces import get_surface

BOOTH = get_surface("booth")


def spec(opt, params=None, start=(-8.0, -6.0), schedule="none", sp=None, label="", steps=100):
    return RunSpec(opt, OPTIMIZERS[opt].validate(params or {}), start, schedule, SCHEDULES[schedule].validate(sp, steps), label)


def test_records_have_the_documented_shapes():
    n = 25
    r = simulate(BOOTH.objective, [spec("Adam", {"lr": 0.1})], n)[0]
    assert r.points.shape == (n + 1, 2) and r.loss.shape == (n + 1,)
    assert r.grads.shape == (n, 2) and r.lr.shape == (n,)
    assert r.sigma.shape == r.effective_lr.shape == r.momentum.shape == (n, 2)
    # the gradient recorded at step t is the gradient at point t, and the loss is f(point t)
    _, g = BOOTH.objective(r.points[:-1])
    np.testing.assert_array_equal(r.grads, g)
    np.testing.assert_array_equal(r.loss, BOOTH.value(r.points[:, 0], r.points[:, 1]))
    sgd = simulate(BOOTH.objective, [spec("SGD", {"lr": 0.01})], n)[0]
    assert sgd.sigma is None and sgd.momentum is None
    np.testing.assert_allclose(sgd.points[1:] - sgd.points[:-1], -0.01 * sgd.grads)


def test_a_diverging_run_stops_and_the_others_go_on():
    runs = [spec("SGD", {"lr": 0.01}, label="ok"), spec("SGD", {"lr": 0.5}, label="too big"), spec("Adam", {"lr": 0.5})]
    ok, bad, adam = simulate(BOOTH.objective, runs, 200)
    assert ok.diverged_at is None and adam.diverged_at is None and len(ok.points) == 201
    assert bad.diverged_at is not None and 0 < bad.diverged_at < 200
    assert f"step {bad.diverged_at}" in bad.reason
    assert len(bad.points) == bad.diverged_at and np.isfinite(bad.points).all()
    assert np.abs(bad.points).max() <= 1e6
    assert len(bad.lr) == len(bad.grads) == bad.diverged_at
    alone = simulate(BOOTH.objective, [runs[0]], 200)[0]
    np.testing.assert_array_equal(alone.points, ok.points)


def test_non_finite_loss_region_stops_a_run():
    def objective(theta):  # log barrier: not finite for x ≤ 0
        x, y = theta[..., 0], theta[..., 1]
        f = -np.log(x) + x + y * y
        g = np.stack([-1 / x + 1, 2 * y], axis=-1)
        return f, g
    r = simulate(objective, [spec("SGD", {"lr": 5.0}, start=(3.0, 0.0)), spec("SGD", {"lr": 0.1}, start=(3.0, 0.0))], 50)
    assert r[0].diverged_at == 1 and r[0].reason.startswith("step 1 reached a point where the loss is nan")
    assert len(r[0].points) == 1 and r[1].diverged_at is None and len(r[1].points) == 51
    assert isinstance(r[0].diverged_at, int)


def test_start_outside_the_finite_region():
    r = simulate(lambda th: (np.log(th[..., 0]), np.ones_like(th)), [spec("SGD", start=(-1.0, 0.0))], 10)[0]
    assert r.diverged_at == 0 and "start point" in r.reason and len(r.points) == 0


def test_deterministic_and_independent_of_batch_order():
    runs = [spec("Adam", {"lr": 0.1}), spec("RMSprop", {"lr": 0.01}), spec("Adam", {"lr": 0.05, "amsgrad": True}), spec("SGD", {"lr": 0.02, "momentum": 0.9})]
    a = simulate(BOOTH.objective, runs, 100)
    b = simulate(BOOTH.objective, runs[::-1], 100)[::-1]
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x.points, y.points)
        assert x.spec == y.spec


def test_lion_matches_an_independent_scalar_implementation():
    lr, b1, b2, wd = 0.02, 0.9, 0.99, 1e-3
    r = simulate(BOOTH.objective, [spec("Lion", {"lr": lr, "betas": [b1, b2], "weight_decay": wd})], 60)[0]
    theta, m = np.array([-8.0, -6.0]), np.zeros(2)
    for t in range(60):
        _, g = BOOTH.objective(theta)
        c = b1 * m + (1 - b1) * g
        theta = theta - lr * (np.sign(c) + wd * theta)
        m = b2 * m + (1 - b2) * g
        np.testing.assert_allclose(r.points[t + 1], theta, rtol=1e-12, atol=1e-14)


def test_cycled_momentum_reaches_the_optimizer():
    r = simulate(BOOTH.objective, [spec("SGD", {"lr": 0.001}, schedule="OneCycleLR", sp={"total_steps": 100})], 100)[0]
    # SGD with momentum 0 still gets OneCycleLR's momentum (0.95 → 0.85 → 0.95), as in torch
    assert r.momentum is not None
    assert r.lr[0] == pytest.approx(0.001 / 25) and r.lr.max() == pytest.approx(0.001, rel=1e-3)


def test_plateau_schedule_cuts_the_lr_when_the_loss_stalls():
    s = get_surface("rosenbrock")
    r = simulate(s.objective, [spec("SGD", {"lr": 0.0015}, start=(-1.5, 2.0), schedule="ReduceLROnPlateau",
                                     sp={"factor": 0.5, "patience": 5, "threshold": 1e-2})], 400)[0]
    assert r.lr[0] == 0.0015 and r.lr[-1] < 0.0015
    halvings = np.log2(0.0015 / r.lr)
    np.testing.assert_allclose(halvings, np.round(halvings), atol=1e-9)  # only ever cut by the factor
    assert np.all(np.diff(r.lr) <= 0)


def test_path_only_recording_for_maps():
    xs = np.linspace(-9, 9, 30)
    runs = [spec("Adam", {"lr": 0.5}, start=(float(x), float(-x))) for x in xs]
    res = simulate(BOOTH.objective, runs, 300, record="path")
    for r in res:
        assert r.grads is None and r.sigma is None
        assert np.linalg.norm(r.points[-1] - [1, 3]) < 1e-2


def test_until_the_compiled_loop_is_in_the_process_a_small_run_takes_the_python_loop(monkeypatch):
    """A first page on a new machine does not wait ~5 s for the step loop's compile: a small run
    steps the same kernels in the Python loop, with the same numbers; a large one waits for it."""
    numba = pytest.importorskip("numba")  # noqa: F841
    from optimizers import engine, loop
    runs = [spec("Adam", {"lr": 0.05}), spec("RMSprop", {"lr": 0.01}), spec("SGD", {"lr": 0.02, "momentum": 0.9})]
    loop.compiled_loop(BOOTH.objective.point[0])  # as the server's warm-up does
    assert loop.ready(BOOTH.objective.point[0])
    asked = []
    monkeypatch.setattr(loop, "run_compiled", lambda *a, real=loop.run_compiled: asked.append(1) or real(*a))
    with_loop = simulate(BOOTH.objective, runs, 300)
    assert asked == [1]  # stepped by the compiled loop
    monkeypatch.undo()
    asked = []
    monkeypatch.setattr(loop, "_compiled", {})  # as in a new process, before the warm-up has compiled it
    monkeypatch.setattr(loop, "run_compiled", lambda *a, **k: asked.append(a) or pytest.fail("waited for the loop"))
    without = simulate(BOOTH.objective, runs, 300)
    assert asked == []
    for a, b in zip(with_loop, without):
        assert np.array_equal(a.points, b.points) and np.array_equal(a.loss, b.loss) and np.array_equal(a.sigma, b.sigma)
    monkeypatch.setattr(engine, "LOOP_WORK", 900)  # 3 runs × 300 steps: now large enough to wait for it
    with pytest.raises(pytest.fail.Exception):
        simulate(BOOTH.objective, runs, 300)
