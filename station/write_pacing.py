"""How many rows the next write transaction of a long job (an RMA import, a pull) takes.

Why: an SQLite database has one write lock. A job that writes a million rows in
transactions of a fixed size holds it for longer on a slow or busy machine, and the bench
behind it waits; a size that is safe on the slowest machine wastes the fast ones. So the
size follows the time: each transaction is timed and the next one grows or shrinks so that
it lasts about `target_s`.

Contract: `size` is always between `least` and `most`; `timed()` wraps one transaction
and adjusts `size` from how long it took (at most doubling or halving it per step).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

#: What one write transaction of a long job should last: well inside the 100 ms a bench
#: may wait for its own write, long enough that committing (an fsync) is a small part.
TARGET_S: Final = 0.05


class ChunkPacer:
    def __init__(self, *, first: int = 200, least: int = 50, most: int = 2000,
                 target_s: float = TARGET_S) -> None:
        self.size = first
        self._least = least
        self._most = most
        self._target_s = target_s

    @contextmanager
    def timed(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        took = max(time.perf_counter() - started, 1e-4)
        factor = min(2.0, max(0.5, self._target_s / took))
        self.size = max(self._least, min(self._most, int(self.size * factor)))
