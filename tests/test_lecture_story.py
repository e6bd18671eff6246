"""The lecture's claims, checked with numbers on the engine's output (issue 2)."""
import numpy as np
import pytest

from optimizers import OPTIMIZERS, RunSpec, simulate
from surfaces import get_surface

LECTURE = get_surface("lecture_regression")
START = (-120.0, -4.0)


def run(opt, params, steps, schedule="none", surface=LECTURE, start=START):
    return simulate(surface.objective, [RunSpec(opt, OPTIMIZERS[opt].validate(params), start, schedule, {})], steps)[0]


def test_plain_gd_diverges_just_above_two_over_the_largest_curvature():
    stable = run("SGD", {"lr": 1.1e-6}, 5000)
    unstable = run("SGD", {"lr": 1.2e-6}, 5000)
    assert stable.diverged_at is None
    assert unstable.diverged_at is not None and "diverged" in unstable.reason
    assert np.isfinite(unstable.points).all()  # cut at the step where it left, nothing after


def test_a_tiny_learning_rate_crawls():
    r = run("SGD", {"lr": 1e-7}, 100_000)
    b_final = r.points[-1, 0]
    assert b_final == pytest.approx(-123.7, abs=0.05)  # the minimum is at b = −188.4
    assert r.diverged_at is None


def _bursts(points, after):
    w = points[after:, 1]
    return int(np.sum((np.abs(w[1:]) > 5) & (np.abs(w[:-1]) <= 5)))


def test_lecture_rms_reaches_the_valley_then_bursts_out_again_and_again():
    r = run("LectureRMS", {"lr": 1.0}, 20_000)
    b_star, w_star = LECTURE.global_minima[0].x, LECTURE.global_minima[0].y
    assert abs(r.points[-1, 0] - b_star) < 1.0 and abs(r.points[-1, 1] - w_star) < 0.1  # it comes back
    assert _bursts(r.points, after=1000) >= 5  # out past the ±5 window, repeatedly
    reached = np.flatnonzero(np.abs(r.points[:, 1] - w_star) < 0.1)[0]
    assert reached < 1000


def test_inverse_sqrt_decay_removes_the_bursts():
    r = run("LectureRMS", {"lr": 1.0}, 20_000, schedule="InverseSqrtLR")
    assert np.abs(r.points[100:, 1]).max() < 5
    steps = np.linalg.norm(np.diff(r.points[100:], axis=0), axis=1)
    assert steps.max() < 5 * np.median(steps) + 1e-9 or steps.max() < 1e-3
    L0, Lstar = r.loss[0], LECTURE.global_minima[0].value
    assert (r.loss[-1] - Lstar) / (L0 - Lstar) < 1e-3  # 99.9% of the way down, and still going


def test_rms_on_rosenbrock_also_bursts():
    r = run("LectureRMS", {"lr": 0.01}, 20_000, surface=get_surface("rosenbrock"), start=(-1.5, 2.0))
    steps = np.linalg.norm(np.diff(r.points, axis=0), axis=1)
    assert steps.max() >= 20 * np.median(steps)


def test_lecture_rmsprop_starts_at_abs_g0_and_torch_rmsprop_at_zero():
    s = get_surface("booth")
    start = (-8.0, -6.0)
    lec = run("LectureRMSProp", {"lr": 0.1, "alpha": 0.9}, 3, surface=s, start=start)
    tor = run("RMSprop", {"lr": 0.1, "alpha": 0.9, "eps": 1e-12}, 3, surface=s, start=start)
    g0 = lec.grads[0]
    np.testing.assert_allclose(lec.sigma[0], np.abs(g0))
    np.testing.assert_allclose(tor.sigma[0], np.sqrt(0.1) * np.abs(g0), rtol=1e-9)
    # σ₀ = |g₀|: the first lecture step moves each coordinate by exactly η
    np.testing.assert_allclose(np.abs(lec.points[1] - lec.points[0]), [0.1, 0.1])
    # then σ₁ = √(α σ₀² + (1−α) g₁²)
    np.testing.assert_allclose(lec.sigma[1] ** 2, 0.9 * g0**2 + 0.1 * lec.grads[1] ** 2)


def test_lecture_rms_is_the_root_mean_square_of_all_gradients():
    r = run("LectureRMS", {"lr": 0.05}, 50, surface=get_surface("himmelblau"), start=(0.0, 0.0))
    for t in (0, 1, 10, 49):
        np.testing.assert_allclose(r.sigma[t], np.sqrt(np.mean(r.grads[: t + 1] ** 2, axis=0)), rtol=1e-12)
        np.testing.assert_allclose(r.effective_lr[t], 0.05 / r.sigma[t], rtol=1e-12)
