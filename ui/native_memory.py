"""Keeping the C heap of a long-running bench small (issue #17, benchmarks/startup.py).

The app's big allocations are short-lived and made on worker threads: a 1600x1200 photo
decoded and re-encoded (about 6 MB of pixels each time), a label rendered, a report built.
With glibc's defaults each worker thread gets a malloc arena of its own, and after the
first large buffer is freed, glibc raises its mmap threshold so that later ones come from
those arenas, which keep the freed memory instead of returning it to the system: resident
memory creeps up with every unit. Two settings and one call keep it level:

- `limit_heap_growth()`, at start-up before any thread: at most two arenas, and buffers of
  1 MB or more always in their own mapping (a fixed threshold), returned when freed;
- `release_freed_memory()`: hands the free pages at the top and inside the arenas back to
  the system (malloc_trim), a few milliseconds; the app (ui.app) calls it when the bench's
  screen changes (a unit confirmed, a parcel done), at most every few seconds.

Only glibc has these calls; elsewhere (musl, macOS, Windows) they do nothing. No Qt here:
the launcher calls `limit_heap_growth` before it knows whether the app or a command runs.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import sys

#: mallopt's parameters (glibc's malloc.h).
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
ARENAS = 2
MMAP_THRESHOLD = 1 << 20


@functools.cache
def _glibc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
        libc.malloc_trim  # noqa: B018 (musl has no malloc_trim: not glibc)
        libc.mallopt  # noqa: B018
    except (OSError, AttributeError):
        return None
    return libc


def limit_heap_growth() -> bool:
    """Fewer arenas and a fixed mmap threshold (module docstring); whether they were set."""
    libc = _glibc()
    if libc is None:
        return False
    return bool(libc.mallopt(_M_ARENA_MAX, ARENAS)) and \
        bool(libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))


def release_freed_memory() -> bool:
    """Return the C heap's free pages to the system; whether any were."""
    libc = _glibc()
    return bool(libc.malloc_trim(0)) if libc is not None else False
