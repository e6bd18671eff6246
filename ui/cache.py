"""Shared caches bounded in bytes, not in entries.

A 16-run × 100,000-step result holds 154 MB of records and a 200-step one 0.2 MB: a bound on the
number of entries is no bound on memory. Each `ByteCache` measures what it keeps (`nbytes`: the
arrays, strings and containers a value holds, each counted once) and evicts the least recently
used entries until the total is within its budget; a value larger than the whole budget is handed
back but not kept. One computation per key runs at a time: a class clicking the same scene waits
for the first click's result instead of computing it thirty times.
"""
from __future__ import annotations

import sys
import threading
import time
from collections import OrderedDict
from dataclasses import fields, is_dataclass

import numpy as np

MB = 1 << 20


def nbytes(value, seen: set | None = None) -> int:
    """The memory a value holds: NumPy buffers, strings and bytes by their length, containers by
    their slots plus what they hold; dataclasses and other objects (a plotly figure too) by their fields.
    Shared objects are counted once."""
    seen = set() if seen is None else seen
    if id(value) in seen or value is None or isinstance(value, bool):
        return 0
    seen.add(id(value))
    if isinstance(value, (int, float, complex)):  # a list of floats holds a 24-byte object per number
        return sys.getsizeof(value)
    if isinstance(value, np.ndarray):
        base = value if value.base is None else value.base
        if id(base) in seen and base is not value:
            return 0
        seen.add(id(base))
        return int(base.nbytes) if isinstance(base, np.ndarray) else int(value.nbytes)
    if isinstance(value, (str, bytes, bytearray)):
        return sys.getsizeof(value)
    if isinstance(value, dict):
        return sys.getsizeof(value) + sum(nbytes(k, seen) + nbytes(v, seen) for k, v in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return sys.getsizeof(value) + sum(nbytes(v, seen) for v in value)
    if is_dataclass(value):
        return sys.getsizeof(value) + sum(nbytes(getattr(value, f.name), seen) for f in fields(value))
    if hasattr(value, "__dict__"):
        return sys.getsizeof(value) + nbytes(vars(value), seen)
    return sys.getsizeof(value)


class ByteCache:
    """A thread-safe LRU cache of at most `budget` bytes (as `nbytes` measures them). With
    `idle`, an entry of `big` bytes or more is also dropped once nobody has asked for it for
    `idle` seconds (`expire()`): a student's 77 MB run is not held for the rest of the day."""

    def __init__(self, name: str, budget: int, idle: float | None = None, big: int = 16 * MB):
        self.name, self.budget, self.idle, self.big = name, int(budget), idle, big
        self._entries: OrderedDict = OrderedDict()  # key → (value, size)
        self._used: dict = {}  # key → when last asked for (time.monotonic)
        self._flights: dict = {}  # key → Event of the computation under way
        self._lock = threading.Lock()
        self.bytes = 0

    def get(self, key, make):
        """The cached value for key, else make()'s (kept if it fits)."""
        while True:
            with self._lock:
                if key in self._entries:
                    self._entries.move_to_end(key)
                    self._used[key] = time.monotonic()
                    return self._entries[key][0]
                flight = self._flights.get(key)
                if flight is None:
                    flight = self._flights[key] = threading.Event()
                    break
            flight.wait()  # someone else computes it: then it is cached (or failed: try ourselves)
            with self._lock:
                if key in self._entries:
                    self._entries.move_to_end(key)
                    return self._entries[key][0]
                if key not in self._flights:  # it did not fit or failed: compute it here
                    self._flights[key] = flight = threading.Event()
                    break
        try:
            value = make()
            self._put(key, value)
            return value
        finally:
            with self._lock:
                self._flights.pop(key, None)
            flight.set()

    def _put(self, key, value) -> None:
        size = nbytes(value)
        if size > self.budget:
            return
        with self._lock:
            self._entries[key] = (value, size)
            self._used[key] = time.monotonic()
            self.bytes += size
            while self.bytes > self.budget:
                old, (_, dropped) = self._entries.popitem(last=False)
                self._used.pop(old, None)
                self.bytes -= dropped

    def expire(self, now: float | None = None) -> None:
        """Drop the big entries nobody asked for in the last `idle` seconds."""
        if self.idle is None:
            return
        now = time.monotonic() if now is None else now
        with self._lock:
            for key in [k for k, (_, size) in self._entries.items() if size >= self.big and now - self._used[k] > self.idle]:
                _, size = self._entries.pop(key)
                self._used.pop(key, None)
                self.bytes -= size

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._used.clear()
            self.bytes = 0
