"""A go.Figure that carries parts as plain dicts, merged in by to_dict() without validation.

plotly.py validates every property it is given: ~1 s for 300 animation frames, ~40 ms for the
six-row diagnostics figure, spent again on every new scenario (and, with a class on one server,
once per student), while the browser only needs the JSON. Everything that serialises a figure
(st.plotly_chart, to_json, to_html, write_html) goes through to_dict(), so all of them see the
complete figure. Arrays in raw traces are sent as typed arrays (base64), as plotly.py does.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from _plotly_utils.utils import to_typed_array_spec


def typed(values) -> dict:
    """A numeric array as plotly.js's typed-array spec {dtype, bdata}: 8 bytes a number in base64
    instead of up to 24 characters of decimal text."""
    return to_typed_array_spec(np.ascontiguousarray(values))


class RawFigure(go.Figure):
    raw_traces: list = []  # appended after the validated traces
    raw_layout: dict = {}  # merged over the validated layout
    player: dict = {}  # what the page's player makes its frames from (views/player.py)
    frames_of = None  # makes the animation's frames (plain dicts) when asked: the exports need them, the page does not

    @property
    def raw_frames(self) -> list:
        return self.frames_of() if self.frames_of is not None else []

    def to_dict(self, frames: bool = True):
        d = super().to_dict()
        d["data"] = d.get("data", []) + list(self.raw_traces)
        d["layout"].update(self.raw_layout)
        if frames and self.frames_of is not None:
            d["frames"] = self.raw_frames
        return d
