"""Every test fails if a section of the page failed (ui/guard.py logs it): the net that keeps a
broken section from taking the whole page down is no place for a bug to hide."""
import logging

import pytest


class _Errors(logging.Handler):
    def __init__(self):
        super().__init__(logging.ERROR)
        self.records = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture(scope="module")
def app_server():
    """A real `streamlit run app.py` for a browser test module (harness.monkey.Server: url, log())."""
    from harness.monkey import monkey_server
    with monkey_server() as s:
        yield s


@pytest.fixture(scope="module")
def chromium():
    """Debian's Chromium through Playwright, one per browser test module."""
    sync_api = pytest.importorskip("playwright.sync_api")
    from harness.browser import launch
    with sync_api.sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


@pytest.fixture(autouse=True)
def no_section_failed():
    handler = _Errors()
    log = logging.getLogger("descent_lab")
    log.addHandler(handler)
    yield handler
    log.removeHandler(handler)
    if handler.records:
        first = handler.records[0]
        detail = logging.Formatter().formatException(first.exc_info) if first.exc_info else ""
        pytest.fail(f"a page section failed: {first.getMessage()}\n{detail}", pytrace=False)
