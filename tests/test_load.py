"""A short load smoke test against a real `streamlit run` (the full benchmark is bench/load.py),
and what a hostile client can send over the websocket itself."""
import asyncio

import pytest

pytest.importorskip("websockets")
pytestmark = pytest.mark.e2e
from harness.browser import streamlit_server  # noqa: E402
from harness.load import run_load  # noqa: E402
from harness.stclient import Session  # noqa: E402


@pytest.fixture(scope="module")
def server():
    with streamlit_server(extra=["--server.disconnectedSessionTTL", "1"]) as url:
        yield url


def test_five_sessions_at_once_all_get_their_chart_and_the_server_lets_them_go(server):
    out = run_load(server, server.pid, sessions=5, rounds=2, ttl=1, log=lambda *a: None)
    assert out["errors"] == [] and out["sessions"] == 10
    assert set(out["stats"]) == {"open", "preset", "steps", "all"}  # every session timed all three actions
    median, p95, worst = out["stats"]["all"]
    assert 0 < median <= p95 <= worst < 60
    (_, warm), (_, first), (_, second) = out["memory"]
    assert second < first * 1.5  # closed sessions are released, not piled up (the bench measures this properly)


async def crafted(url, value):
    async with Session(url) as s:
        await s.open()
        return await s.set_int("Steps", value)


@pytest.mark.parametrize("value", [10**9, 0, -5])
def test_a_crafted_widget_value_beyond_its_bounds_is_not_computed(server, value):
    """A client that skips the browser (which refuses such numbers) still gets no 10⁹-step run and
    no error: Streamlit resets an out-of-range number to the widget's bound and the page carries on."""
    reply = asyncio.run(crafted(server, value))  # a page exception would raise ProtocolError
    assert reply.map_steps is not None and 1 <= reply.map_steps <= 100_000
