"""Giving freed memory back to the system (glibc), so that a server's resident size falls again
after a heavy session ends.

glibc serves a large allocation from its own mapping and unmaps it on free, but after the first
such free it raises that threshold (up to 32 MB) and later arrays of a few MB come from the heap,
whose top it gives back only when it is free to the very end. A fixed threshold keeps every
array of 256 kB or more in a mapping of its own; `trim()` returns the heap's free pages as well.
Elsewhere than glibc both are no-ops.
"""
from __future__ import annotations

import ctypes
import ctypes.util

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
MMAP_THRESHOLD = 256 * 1024


def _libc():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


def return_freed_memory() -> bool:
    """Fix glibc's mmap threshold (and with it the trim threshold). True where it took effect."""
    libc = _libc()
    if libc is None:
        return False
    return bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(libc.mallopt(M_TRIM_THRESHOLD, 4 * MMAP_THRESHOLD))


def trim() -> None:
    """Return the heap's free pages to the system (after a garbage collection)."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
