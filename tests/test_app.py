"""The first page: loads, shows a chart, and explains bad input instead of failing."""
from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def test_page_loads_with_a_chart():
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert at.get("plotly_chart")


def test_bad_parameter_is_explained_and_other_runs_still_show():
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.number_input(key="p1-Adam-eps").set_value(-1.0).run()
    assert not at.exception
    assert any("Run 2 is not shown" in w.value and "Adam.eps" in w.value for w in at.warning)
    assert at.get("plotly_chart")


def test_diverging_run_is_explained():
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.number_input(key="p0-SGD-lr").set_value(0.5).run()  # rosenbrock? default surface is the lecture's
    assert not at.exception
    assert any("diverged" in e.value or "step" in e.value for e in at.error)
