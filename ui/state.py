"""Where the page's state comes from and what changes it besides its widgets: the share link
at the start of a session, the tour's buttons, clicks on the charts, an uploaded file.

The state itself is one `Page` (ui/page.py) in st.session_state["page"]; see ui/bind.py for how
widgets show and change it.
"""
from __future__ import annotations

import streamlit as st

from experiments.scenario import START_LIMIT
from experiments.tour import BY_KEY, DEFAULT
from i18n import DEFAULT_LANGUAGE

from .bind import PAGE, page
from .link import read_link
from .page import MAX_PAGE_RUNS, VIEWS, Page, default_run, free_colour, from_scenario, load_scene, normalise, run_from_spec


def apply_link(params) -> Page:
    """The page from query parameters (untrusted): every part that cannot be used is named in
    the page's notes, and replaced by its default."""
    link = read_link(params, BY_KEY)
    base = Page(surface="", start=[0, 0], steps=1, runs=[], next_id=0, lang=link.lang or DEFAULT_LANGUAGE,
                present=bool(link.present), view=link.view if link.view in VIEWS else "map", notes=list(link.notes))
    if link.scenario is not None:
        new, notes = from_scenario(link.scenario, colours=link.colours, base=base)
        new.notes += notes
        new.fit = bool(link.fit)
        new.lens = bool(link.lens)
    else:
        new = load_scene(link.preset or DEFAULT, base=base)
        if link.fit is not None:
            new.fit = link.fit
        if link.lens is not None:
            new.lens = link.lens
    return normalise(new)


# How often the empty fragment below reruns by itself (it does nothing): rarely.
RECONNECT_FRAGMENT_EVERY = 3600  # s


@st.fragment(run_every=RECONNECT_FRAGMENT_EVERY)
def _rerun_on_reconnect() -> None:
    """Draws nothing. Its being on the page makes Streamlit's frontend (1.67) rerun the whole
    script as soon as its websocket reconnects: without a fragment on a timer it reruns only if
    a run was under way, and a page whose server has gone (a replica that died, behind a proxy)
    would sit on a new, empty session on another replica: still showing the old page, while its
    next click is lost (a new session calls no widget callbacks on its first run). With it, the
    new session runs at once from the page's URL, which holds the whole state (init_state), and
    the page is live again. On the same server (a wifi drop, the session kept) the rerun changes
    nothing. README, "Running it for a class"; tests/test_replicas.py."""


def init_state(query_params=None) -> None:
    """Once per session: from the share link if there is one, else the default tour scene (also
    when a page reconnects to a replica that has never seen it: see _rerun_on_reconnect)."""
    _rerun_on_reconnect()
    if PAGE in st.session_state:
        return
    st.session_state[PAGE] = apply_link(query_params) if query_params else load_scene(DEFAULT)


def go_to_scene(key: str) -> None:
    old = page()
    new = load_scene(key, base=old)
    new.notes = []
    st.session_state[PAGE] = normalise(new)


def load_dict(data: dict) -> list:
    """A valid scenario dict (an uploaded file) in place of the page's scenario; returns notes."""
    new, notes = from_scenario(data, base=page())
    st.session_state[PAGE] = normalise(new)
    return notes


def set_start(x: float, y: float) -> None:
    """A click on the map: the runs start there (within the start boxes' limits)."""
    p = page()
    p.start = [min(max(float(v), -START_LIMIT), START_LIMIT) for v in (x, y)]


def add_run_from(optimizer: str, params: dict, label: str) -> None:
    """A run with these settings at the end of the page's list (a sweep cell's click)."""
    p = page()
    if len(p.runs) >= MAX_PAGE_RUNS:
        return
    base = default_run(p.next_id, "#000000", optimizer)
    run = run_from_spec(p.next_id, {"optimizer": optimizer, "params": dict(base.params, **params), "label": label},
                        free_colour(p))
    p.runs.append(run)
    p.next_id += 1
