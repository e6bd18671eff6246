"""Widgets as views of the one `Page` (ui/page.py) in st.session_state["page"].

Each widget is drawn showing the page's value and writes a change back through a setter, in its
on_change callback (before the script reruns); nothing else keeps a widget's value. Two browser
facts shape the keys:

- a selectbox, radio or segmented control sends back the *label* it shows, and Streamlit maps it
  to an option through the current format_func. When the labels change (a language switch, a run
  renamed) an old label maps to nothing and comes back as raw text. So a choice widget's key holds
  a digest of the labels it shows: new labels make a new widget, drawn from the page's value.
- a widget keeps its own value under its key, and loses it when it is not drawn for a run; so
  every widget is given the page's value before it is drawn (`_sync`), which is also how a scene
  or a link reaches it.
"""
from __future__ import annotations

import hashlib

import streamlit as st

from .page import Page, normalise

PAGE = "page"
NUMBER = "%.6g"  # a number box's format: the browser's sprintf prints a plain %g with every digit (0.3333333333333333)


def page() -> Page:
    return st.session_state[PAGE]


def _sync(key: str, value) -> None:
    # Always, not only when it differs: a widget that was not drawn for a run (presentation mode
    # draws fewer) keeps a stale copy under its key, and would come back at its default.
    st.session_state[key] = value


def _write(key: str, setter) -> None:
    setter(page(), st.session_state[key])
    normalise(page())


def bound(widget, key: str, value, setter, **kw):
    """widget(key=…) showing `value`; a change calls setter(page, new value)."""
    _sync(key, value)
    return widget(key=key, on_change=_write, args=(key, setter), **kw)


def digest(labels) -> str:
    return hashlib.blake2s("\x1f".join(map(str, labels)).encode("utf-8"), digest_size=5).hexdigest()


def choice(widget, name: str, options, value, setter, fmt=str, **kw):
    """A selectbox / radio / segmented control over stable options, shown through `fmt`."""
    options = list(options)
    shown = [fmt(o) for o in options]
    key = f"{name}~{digest(shown)}"
    labels = dict(zip(options, shown))
    return bound(widget, key, value if value in options else options[0], setter, options=options,
                 format_func=labels.__getitem__, **kw)


def open_tabs(name: str, tabs: dict, value, setter) -> dict:
    """st.tabs over named tabs (tab name → label) showing the page's `value` open; choosing another
    calls setter(page, its name). Each returned container's `.open` says whether it is the open
    one, so that only it need be drawn. The key holds a digest of the labels, as a choice widget's
    does: a language switch makes a new widget, opened at the page's tab."""
    labels = list(tabs.values())
    by_label = {label: tab for tab, label in tabs.items()}
    containers = bound(st.tabs, f"{name}~{digest(labels)}", tabs[value], lambda p, v: setter(p, by_label.get(v, value)),
                       tabs=labels)
    return dict(zip(tabs, containers))


def act(fn, *args):
    """A button's on_click: fn(page, *args), then the page is normalised."""
    def run():
        fn(page(), *args)
        normalise(page())
    return run
