"""Monkey test, end to end: 3 fixed seeds × 25 random user actions on the real page (a real
`streamlit run`, Debian's Chromium through Playwright), the page's health checked after every
action (harness/monkey.py says what is checked). Each seed's failures are listed in full: seed,
action number, the sequence so far, and what was wrong (server tracebacks included).
Screenshots of failures go to tests/artifacts/. To rerun one seed by hand:
    python3 scripts/monkey.py --seed 2 --actions 25 -v
"""
import os
import random

import pytest

pytestmark = pytest.mark.e2e

sync_api = pytest.importorskip("playwright.sync_api")

from harness.browser import CHROMIUM, launch  # noqa: E402
from harness.monkey import monkey_server, parse_actions, plan, run_seed  # noqa: E402

if not os.path.exists(CHROMIUM):
    pytest.skip(f"{CHROMIUM} is missing (bash scripts/test.sh installs it)", allow_module_level=True)

SEEDS = (1, 2, 3)
ACTIONS = 25
ARTIFACTS = os.path.join(os.path.dirname(__file__), "artifacts")


@pytest.fixture(scope="module")
def server_and_browser():
    with monkey_server() as server, sync_api.sync_playwright() as p:
        browser = launch(p)
        try:
            yield server, browser
        finally:
            browser.close()


def test_the_same_seed_gives_the_same_actions():
    a, b = plan(random.Random(7), ACTIONS), plan(random.Random(7), ACTIONS)
    assert [str(x) for x in a] == [str(x) for x in b]
    assert [str(x) for x in a] != [str(x) for x in plan(random.Random(8), ACTIONS)]
    assert [str(x) for x in parse_actions("; ".join(map(str, a)))] == [str(x) for x in a]  # printed sequences replay


@pytest.mark.parametrize("seed", SEEDS)
def test_random_actions_break_nothing(server_and_browser, seed):
    server, browser = server_and_browser
    report = run_seed(browser, server.url, seed, ACTIONS, server_log=server.log, artifacts=ARTIFACTS)
    assert len(report.actions) == ACTIONS
    if report.failures:
        pytest.fail(f"seed {seed}: {report.failed} of {ACTIONS} actions failed ({report.seconds:.0f} s)\n\n"
                    + "\n\n".join(f.format() for f in report.failures), pytrace=False)
