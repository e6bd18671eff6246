"""User text shown as text: escaped for the markup of the place it is drawn in.

A label, a file name, a typed formula or any value echoed back in a message comes from a user,
perhaps from a stranger's link. Streamlit renders Markdown in messages, captions and expander
labels (images, links, :red[…] colours, $…$ maths), and Plotly renders an HTML-like subset in
legends and hover texts (<a href>, <b>, and %{…} fields in a hover template). Each function
here makes its input show literally in one of those places.
"""
from __future__ import annotations

import re

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$:=^&\"'])")


def md(text) -> str:
    """Literal text inside Streamlit Markdown: every punctuation mark that Markdown, Streamlit's
    directives or maths could read is backslash-escaped; line breaks become spaces."""
    return _MARKDOWN.sub(r"\\\1", " ".join(str(text).split()))


def plotly_text(text) -> str:
    """Literal text in a Plotly label or hover template (entities, which Plotly decodes)."""
    s = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("%", "&#37;")
    return " ".join(s.split())

