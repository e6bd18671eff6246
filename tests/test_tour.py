"""Every claim the lecture tour's texts make, checked on the engine's numbers."""
from functools import cache

import numpy as np
import pytest

from experiments.analysis import burst_starts, burst_steps, default_tolerance, step_lengths, summarize, view_diagonal
from experiments.scenario import parse_scenario, run_scenario
from experiments.tour import BY_KEY, PRESETS
from surfaces import get_surface
from surfaces.lecture import LECTURE_X, LECTURE_Y, regression_minimum

B_STAR, W_STAR, L_STAR = regression_minimum()
LECTURE = get_surface("lecture_regression")
TOL = default_tolerance(LECTURE)  # the summary table's default tolerance: 0.1 here


@cache
def results(key):
    return run_scenario(parse_scenario(BY_KEY[key].scenario))


def floor_offset(points):
    """w − argmin_w L(b, w): signed distance from the valley floor at the same b."""
    b, w = points[:, 0], points[:, 1]
    w_floor = ((LECTURE_X * LECTURE_Y).sum() - LECTURE_X.sum() * b) / (LECTURE_X**2).sum()
    return w - w_floor


def test_every_preset_is_a_valid_scenario_with_labels_and_two_to_four_sentences():
    assert [p.key for p in PRESETS if p.tour] == ["stuck", "crawl", "rms", "rmsprop", "adam", "burst", "decay", "warmup"]
    for p in PRESETS:
        sc = parse_scenario(p.scenario)
        assert all(r.label for r in sc.runs), p.key
        assert 2 <= p.text.count(". ") + 1 <= 5, p.key


def test_stuck_loss_barely_falls_while_the_gradient_stays_large_and_the_path_bounces():
    (r,) = results("stuck")
    assert r.diverged_at is None
    assert r.loss[-1] >= 0.85 * r.loss[0] and r.loss[-1] >= 100 * L_STAR
    assert np.linalg.norm(r.grads, axis=1).min() >= 1e7  # far from a critical point at every step
    side = np.sign(floor_offset(r.points))
    assert np.mean(side[1:] != side[:-1]) >= 0.99  # crosses the floor on (nearly) every step


def test_tiny_learning_rate_crawls():
    (r,) = results("crawl")
    assert r.steps_taken == 100_000
    assert -124.0 < r.points[-1, 0] < -123.5  # the text: "about −123.7"
    assert abs(r.points[-1, 0] - B_STAR) > 60


def test_rms_reaches_the_floor_and_walks_along_it():
    (r,) = results("rms")
    off = np.abs(floor_offset(r.points))
    reached = int(np.argmax(off < 0.05))
    assert 0 < reached <= 20
    assert off[reached:].max() < 0.1  # stays on the floor (no burst yet in 300 steps)
    assert r.points[0, 0] - r.points[-1, 0] > 10  # further along b than SGD gets in 100,000 steps


def test_rmsprop_sigma_follows_the_path_and_gets_much_closer():
    rms, prop = results("rmsprop")
    assert prop.spec.params["alpha"] == 0.9 and rms.spec.params["lr"] == prop.spec.params["lr"] == 0.1
    ratio = prop.sigma[300] / rms.sigma[300]
    assert np.all((1 / 40 < ratio) & (ratio < 1 / 15))  # "by step 300 its σ is about a twentieth of RMS's"
    assert round(rms.points[-1, 0]) == -127 and round(prop.points[-1, 0]) == -186  # "b ≈ −127 … b ≈ −186"
    s_rms, s_prop = summarize(LECTURE, rms), summarize(LECTURE, prop)
    assert round(s_prop.distance, 1) == 2.4 and s_rms.distance > 60  # "2.4 from the minimum"
    assert s_prop.final_loss < s_rms.final_loss  # "and at a lower loss"
    assert s_rms.bursts == s_prop.bursts == 0 and s_rms.diverged_at is None is s_prop.diverged_at


def test_burst_after_the_floor_is_reached_then_return():
    (r,) = results("burst")
    lengths = step_lengths(r.points)
    reached = int(np.argmax(np.abs(floor_offset(r.points)) < 0.05))
    after = lengths[reached:]
    k = int(np.argmax(after)) + reached
    assert after.max() >= 20 * np.median(lengths)  # the criterion
    assert 600 <= k <= 800  # "around step 700"
    assert np.abs(r.points[reached:, 1]).max() > 5  # out of the |w| ≤ 5 window
    assert np.abs(floor_offset(r.points[-1:]))[0] < 0.05  # and back on the floor at the end


def test_decay_no_burst_and_converges_while_constant_bursts_repeatedly():
    constant, decayed = results("decay")
    scale = view_diagonal(LECTURE)
    lengths = step_lengths(decayed.points)
    reached = int(np.argmax(np.abs(floor_offset(decayed.points)) < 0.05))
    # No step after the floor is reached is ≥ 5× its recent median (the issue: no step ≥ 5× the median).
    assert len([t for t in burst_steps(lengths, scale, factor=5.0) if t >= reached]) == 0
    s = summarize(LECTURE, decayed)
    assert s.distance < TOL and s.bursts == 0
    assert summarize(LECTURE, constant).bursts >= 2


def test_warmup_calms_the_first_steps_and_reaches_the_minimum_sooner():
    plain, warm = results("warmup")
    s_plain, s_warm = summarize(LECTURE, plain), summarize(LECTURE, warm)
    assert s_plain.longest_step_at == 1 and 27 < s_plain.longest_step < 29  # "its longest step first (28 units)"
    assert 15.5 < np.abs(plain.points[:, 1]).max() < 16.5  # "throws w out to 16", the window is |w| ≤ 5
    assert s_warm.longest_step < 2  # "no step is longer than 2"
    assert s_warm.steps_to_tolerance < s_plain.steps_to_tolerance  # "reaches the minimum sooner"
    assert s_plain.distance < TOL and s_warm.distance < TOL
    lr = warm.lr
    assert lr[0] == pytest.approx(0.2) and lr.argmax() == 100 and lr.max() == pytest.approx(20)  # rise …
    assert lr[-1] < 1e-3  # … then decay
    assert plain.lr[0] == pytest.approx(20)  # the same η and decay, without the rise


def test_adam_beats_rmsprop_and_momentum_alone():
    rmsprop, momentum, adam = results("adam")
    s_r, s_m, s_a = (summarize(LECTURE, r) for r in (rmsprop, momentum, adam))
    assert s_a.distance < TOL and s_a.bursts == 0
    assert s_r.bursts >= 1 and s_r.distance > TOL
    assert s_m.distance > 10


def test_plateau_small_gradient_far_from_the_minimum():
    sgd, adam = results("plateau")
    surface = get_surface("plateau")
    assert np.linalg.norm(sgd.grads, axis=1).max() < 0.01
    assert summarize(surface, sgd).distance > 6
    assert summarize(surface, adam).distance < default_tolerance(surface)


def test_torch_rmsprop_first_step_is_ten_times_the_lectures():
    lecture, torch_like = results("rmsprop_start")
    ratio = step_lengths(torch_like.points)[0] / step_lengths(lecture.points)[0]
    assert ratio == pytest.approx(10.0, rel=1e-6)


def test_burst_counting_merges_nearby_steps():
    assert burst_starts(np.array([10, 11, 12, 300, 301])).tolist() == [10, 300]
    assert burst_starts(np.array([10, 61, 300])).tolist() == [10, 61, 300]  # more than 50 steps apart: three
    assert len(burst_starts(np.array([], dtype=int))) == 0


def test_rosenbrock_momentum_zigzags_then_rolls_adam_follows_rmsprop_never_settles():
    sgd, rmsprop, adam = results("rosenbrock")
    surface = get_surface("rosenbrock")

    def crossings(r):  # steps where the path jumps from one side of the valley's floor y = x² to the other
        return np.flatnonzero(np.diff(np.sign(r.points[:, 1] - r.points[:, 0] ** 2)))
    assert np.count_nonzero(crossings(sgd) < 100) >= 20 and np.count_nonzero(crossings(sgd) >= 1000) == 0
    s_sgd, s_adam, s_rms = (summarize(surface, r) for r in (sgd, adam, rmsprop))
    assert s_sgd.steps_to_tolerance < 1300 and s_adam.steps_to_tolerance < 1300
    assert abs(s_sgd.steps_to_tolerance - s_adam.steps_to_tolerance) < 100  # "arrives as soon"
    assert s_rms.steps_to_tolerance is None and s_rms.distance == pytest.approx(0.06, abs=0.005)
    assert step_lengths(rmsprop.points)[-500:].mean() == pytest.approx(0.014, abs=0.001)
    assert np.count_nonzero(crossings(rmsprop) >= 1000) > 1000  # it keeps jumping across the floor


# ---------------------------------------------------------------- the stability lens in the texts
def lens(key, i=0):
    from experiments.stability import stability_of
    return stability_of(LECTURE, results(key)[i])


def test_scene_1_sits_just_under_the_edge_of_stability():
    ratio = lens("stuck").stability
    assert np.allclose(ratio, 0.99997, atol=5e-6) and ratio.max() < 1  # "η·λ_max/2 = 0.99997, just under 1"
    assert summarize(LECTURE, results("stuck")[0]).ended_at == "not a critical point"


def test_scene_4_rmsprop_crosses_the_edge_from_step_140_and_rms_stays_below_007():
    from experiments.stability import unstable_stretches
    stretches = unstable_stretches(lens("rmsprop", 1).stability)
    assert stretches[0][0] == 140 and len(stretches) > 10  # "from step 140 … again and again"
    assert lens("rmsprop", 0).stability.max() < 0.07


def test_scene_5_only_rmsprop_crosses_the_edge_and_each_burst_follows_a_stretch():
    rms, sgd, adam = (summarize(LECTURE, r) for r in results("adam"))
    assert rms.unstable_from[0] == 82 and sgd.unstable_from == () and adam.unstable_from == ()
    assert rms.bursts > 0 and len(rms.burst_leads) == rms.bursts and all(k is not None for k in rms.burst_leads)
    assert lens("adam", 2).stability.max() < 0.3


def test_scene_6_the_stability_row_sees_the_burst_200_steps_ahead():
    s = summarize(LECTURE, results("burst")[0])
    assert s.unstable_from[0] == 513 and s.burst_leads[0] == 200  # unstable from 513, out at 713
    first = burst_starts(burst_steps(step_lengths(results("burst")[0].points), view_diagonal(LECTURE)))[0] + 1
    assert first == 713
