import zlib

import numpy as np
import pytest

from surfaces import GLOBAL_MIN, LOCAL_MIN, SURFACES, get_surface
from surfaces.lecture import HESSIAN, LECTURE_X, LECTURE_Y, regression_minimum

REQUIRED = {"rosenbrock", "beale", "booth", "himmelblau", "rastrigin", "ackley", "matyas", "three_hump_camel",
            "six_hump_camel", "goldstein_price", "styblinski_tang", "saddle", "monkey_saddle", "lecture_regression", "narrow_valley"}


def test_required_surfaces_are_registered_with_metadata():
    assert REQUIRED <= set(SURFACES)
    for s in SURFACES.values():
        (x0, x1), (y0, y1) = s.domain
        assert x0 < x1 and y0 < y1
        assert s.description and "\n" not in s.description
        assert x0 <= s.default_start[0] <= x1 and y0 <= s.default_start[1] <= y1, s.name


@pytest.mark.parametrize("name", sorted(SURFACES))
def test_gradient_matches_central_differences(name):
    s = get_surface(name)
    rng = np.random.default_rng(zlib.crc32(name.encode()))  # the same points in every run (hash() is salted)
    (x0, x1), (y0, y1) = s.domain
    x, y = rng.uniform(x0, x1, 200), rng.uniform(y0, y1, 200)
    gx, gy = s.gradient(x, y)
    hx, hy = 1e-6 * max(1, x1 - x0), 1e-6 * max(1, y1 - y0)
    fdx = (s.value(x + hx, y) - s.value(x - hx, y)) / (2 * hx)
    fdy = (s.value(x, y + hy) - s.value(x, y - hy)) / (2 * hy)
    scale = np.maximum(1.0, np.abs(s.value(x, y)) * 1e-6 + np.hypot(gx, gy))
    assert np.max(np.abs(gx - fdx) / scale) < 1e-5
    assert np.max(np.abs(gy - fdy) / scale) < 1e-5


@pytest.mark.parametrize("name", sorted(SURFACES))
def test_listed_critical_points_have_listed_value_and_zero_gradient(name):
    s = get_surface(name)
    assert s.critical_points, name
    for p in s.critical_points:
        f = float(s.value(p.x, p.y))
        assert f == pytest.approx(p.value, rel=1e-9, abs=1e-9), (name, p)
        gx, gy = s.gradient(p.x, p.y)
        assert np.hypot(gx, gy) < 1e-6 * max(1.0, abs(p.value)), (name, p, gx, gy)
    if name not in ("saddle", "monkey_saddle"):  # the two saddles have no minimum at all
        assert any(p.kind == GLOBAL_MIN for p in s.critical_points)


def test_minima_are_minima():
    """Every listed minimum is lower than its neighbourhood (not a saddle or maximum)."""
    for s in SURFACES.values():
        for p in s.minima:
            (x0, x1), (y0, y1) = s.domain
            r = 1e-3 * min(x1 - x0, y1 - y0)
            ang = np.linspace(0, 2 * np.pi, 16, endpoint=False)
            ring = s.value(p.x + r * np.cos(ang), p.y + r * np.sin(ang))
            assert np.all(ring >= p.value - 1e-12), (s.name, p)
            assert p.kind in (GLOBAL_MIN, LOCAL_MIN)


def test_himmelblau_has_four_global_minima():
    assert len(get_surface("himmelblau").global_minima) == 4


def test_vectorised_over_any_shape():
    s = get_surface("beale")
    xs, ys = np.meshgrid(np.linspace(-1, 1, 7), np.linspace(-2, 2, 5))
    f = s.value(xs, ys)
    assert f.shape == (5, 7)
    loss, g = s.objective(np.stack([xs, ys], axis=-1))
    assert loss.shape == (5, 7) and g.shape == (5, 7, 2)
    np.testing.assert_allclose(loss, f)


def test_lecture_regression_is_the_lecture_loss():
    s = get_surface("lecture_regression")
    rng = np.random.default_rng(0)
    for b, w in rng.uniform([-200, -5], [-100, 5], size=(20, 2)):
        direct = np.sum((LECTURE_Y - b - w * LECTURE_X) ** 2)  # summed, not averaged
        assert float(s.value(b, w)) == pytest.approx(direct, rel=1e-10)
    assert s.domain == ((-200, -100), (-5, 5)) and s.default_start == (-120.0, -4.0)


def test_lecture_regression_minimum_solves_the_normal_equations():
    b, w, L = regression_minimum()
    assert b == pytest.approx(-188.433, abs=1e-3) and w == pytest.approx(2.6695, abs=1e-4)
    X = np.column_stack([np.ones(10), LECTURE_X])
    coef, *_ = np.linalg.lstsq(X, LECTURE_Y, rcond=None)  # independent solver
    np.testing.assert_allclose([b, w], coef, rtol=1e-10)
    p = get_surface("lecture_regression").global_minima[0]
    assert (p.x, p.y, p.value) == (b, w, L)


def test_lecture_regression_curvatures():
    lo, hi = np.linalg.eigvalsh(HESSIAN)
    assert lo == pytest.approx(5.6, rel=0.01) and hi == pytest.approx(1.75e6, rel=0.01)
    assert 2 / hi == pytest.approx(1.14e-6, rel=0.01)  # plain GD's stability limit


def test_narrow_valley_is_ill_conditioned():
    s = get_surface("narrow_valley")
    h = 1e-4
    fxx = (s.value(h, 0) - 2 * s.value(0, 0) + s.value(-h, 0)) / h**2
    fyy = (s.value(0, h) - 2 * s.value(0, 0) + s.value(0, -h)) / h**2
    assert fyy / fxx >= 1000
