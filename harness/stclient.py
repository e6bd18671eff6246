"""A minimal Streamlit client that speaks the browser's websocket protocol (protobuf over
/_stcore/stream), for load tests: it opens a session, clicks buttons and changes widgets exactly
as the browser's front end reports them, and times how long the server takes to send the map.

It draws nothing, so N sessions cost the machine what the server does for N students, not what N
browsers would cost on the same two cores. The messages are Streamlit's own protobufs
(streamlit.proto), so this speaks the version of the protocol that is installed.
"""
from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import connect

# The map is the chart whose layout carries meta.steps (views/mapfig.py); other charts have none.
MAP_STEPS = re.compile(r'"meta":\s*\{[^{}]*"steps":\s*(\d+)')


class ProtocolError(RuntimeError):
    """The server sent something a browser would show as an error (or nothing in time)."""


@dataclass
class Widget:
    kind: str  # the Element field: number_input, button, selectbox, …
    id: str
    label: str


@dataclass
class RunReply:
    """What one script run sent: its widgets, the map's step count, and when the map came."""
    seconds_to_map: float | None = None
    map_steps: int | None = None
    widgets: dict[str, Widget] = field(default_factory=dict)  # by label
    exceptions: list[str] = field(default_factory=list)


class Session:
    """One browser tab's websocket. Use `async with Session(url) as s:`."""

    def __init__(self, url: str, timeout: float = 120.0, headers: dict[str, str] | None = None):
        self.ws_url = url.replace("http://", "ws://").rstrip("/") + "/_stcore/stream"
        self.origin = url.rstrip("/")
        self.timeout = timeout
        self.headers = headers or {}  # e.g. a proxy's sticky-session cookie
        self.query = ""
        self.page_hash = ""
        self.widgets: dict[str, Widget] = {}

    async def __aenter__(self):
        self.ws = await connect(self.ws_url, subprotocols=["streamlit"], origin=self.origin, max_size=None,
                                open_timeout=self.timeout, compression=None, additional_headers=self.headers)
        return self

    async def __aexit__(self, *exc):
        await self.ws.close()

    async def open(self, query: str = "") -> RunReply:
        """The first script run, as when a browser opens URL?query."""
        self.query = query
        return await self._rerun([])

    async def click(self, label: str) -> RunReply:
        w = self._widget(label, "button")
        state = BackMsg().rerun_script.widget_states.widgets.add()
        state.id, state.trigger_value = w.id, True
        return await self._rerun([state])

    async def set_int(self, label: str, value: int) -> RunReply:
        w = self._widget(label, "number_input")
        state = BackMsg().rerun_script.widget_states.widgets.add()
        state.id, state.int_value = w.id, value
        return await self._rerun([state])

    async def set_slider(self, label: str, value: float) -> RunReply:
        w = self._widget(label, "slider")
        state = BackMsg().rerun_script.widget_states.widgets.add()
        state.id = w.id
        state.double_array_value.data.append(value)
        return await self._rerun([state])

    def _widget(self, label: str, kind: str) -> Widget:
        w = self.widgets.get(label)
        if w is None or w.kind != kind:
            raise ProtocolError(f"no {kind} labelled {label!r} on the page")
        return w

    async def _rerun(self, states) -> RunReply:
        msg = BackMsg()
        msg.rerun_script.query_string = self.query
        msg.rerun_script.page_script_hash = self.page_hash
        for s in states:
            msg.rerun_script.widget_states.widgets.add().CopyFrom(s)
        t0 = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        reply = RunReply()
        try:
            async with asyncio.timeout(self.timeout):
                while not await self._receive(reply, t0):
                    pass
        except TimeoutError:
            raise ProtocolError(f"no script_finished within {self.timeout:.0f} s") from None
        self.widgets.update(reply.widgets)
        if reply.exceptions:
            raise ProtocolError("the page shows an exception: " + reply.exceptions[0][:300])
        return reply

    async def _receive(self, reply: RunReply, t0: float) -> bool:
        """Read one message; True when the script run has finished."""
        fwd = ForwardMsg()
        fwd.ParseFromString(await self.ws.recv())
        kind = fwd.WhichOneof("type")
        if kind == "new_session":
            self.page_hash = fwd.new_session.page_script_hash or self.page_hash
        elif kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
            element = fwd.delta.new_element
            name = element.WhichOneof("type")
            if name == "bidi_component" and reply.map_steps is None and element.bidi_component.bytes:
                # the map's player (ui/player.py) is sent its JSON as UTF-8 bytes
                spec = element.bidi_component.bytes
                m = MAP_STEPS.search(spec.decode()) if b'"moving"' in spec else None
                if m:
                    reply.seconds_to_map = time.perf_counter() - t0
                    reply.map_steps = int(m.group(1))
            elif name == "exception":
                reply.exceptions.append(element.exception.message)
            elif name is not None and hasattr(getattr(element, name), "id") and hasattr(getattr(element, name), "label"):
                w = getattr(element, name)
                reply.widgets[w.label] = Widget(name, w.id, w.label)
        elif kind == "script_finished":
            # A run cut short by st.rerun goes straight on; wait for the one that finishes.
            return fwd.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN
        return False
