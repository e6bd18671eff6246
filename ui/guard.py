"""Each section of the page fails alone.

`with guarded("summary", tr): …` runs a section; an exception in it is logged with its traceback
(logger "descent_lab", to the server's stderr) and replaced, where the section would be, by one
line in the page's language: no traceback, path or exception name reaches the browser. Streamlit's
own control flow (st.stop, st.rerun) is not an Exception and passes through.

This is a net, not a place for bugs to hide: the tests fail on any record this logger writes
(tests/conftest.py), and the browser tests on any traceback in the server's log.
"""
from __future__ import annotations

import contextlib
import logging

import streamlit as st

log = logging.getLogger("descent_lab")
if not log.handlers:
    _handler = logging.StreamHandler()
    _handler.setFormatter(logging.Formatter("Descent Lab: %(levelname)s %(message)s"))
    log.addHandler(_handler)
    log.propagate = True


def page_failed() -> None:
    """The net under the whole page (app.py): an exception no section caught is logged and said in
    the page's language, as a section's would be (Streamlit's own box is English only)."""
    from i18n import translator

    from .bind import PAGE
    state = st.session_state.get(PAGE)
    tr = translator(getattr(state, "lang", "en"))
    if _stopped_job(tr):
        return
    log.exception("the page failed")
    st.error(tr("The page could not be drawn because of an error in the app. The error was logged on the server; "
                "reloading the page may help."))


def _stopped_job(tr) -> bool:
    """A computation whose worker process ended (ui/jobs.py): not a bug in the app, so a warning
    that says what to do, and nothing logged as an error."""
    import sys

    from .jobs import JobFailed
    if not isinstance(sys.exc_info()[1], JobFailed):
        return False
    log.warning("a job stopped: %s", sys.exc_info()[1])
    st.warning(tr("The computation stopped before it finished: its worker process ended. The page works; "
                  "change a setting or press the button again to retry."))
    return True


@contextlib.contextmanager
def guarded(section: str, tr):
    try:
        yield
    except Exception:
        if _stopped_job(tr):
            return
        log.exception("the %s section failed", section)
        st.error(tr("This part of the page could not be drawn because of an error in the app; the rest of the page "
                    "works. The error was logged on the server."))
