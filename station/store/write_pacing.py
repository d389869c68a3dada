"""How many rows the next write transaction of a long job (an RMA import, a pull) takes,
and how long the job rests before it, so that a bench's write waiting meanwhile gets in.

Why: an SQLite database has one write lock. A job that writes a million rows in
transactions of a fixed size holds it for longer on a slow or busy machine, and the bench
behind it waits; a size that is safe on the slowest machine wastes the fast ones. So the
size follows the time: each transaction is timed and the next one grows or shrinks so that
it lasts about `target_s`.

A short transaction is not enough on its own. A writer that finds the lock taken does not
queue: SQLite's busy handler sleeps and tries again, sleeping longer the longer it has
waited (1, 2, 5, 10, 15, 20, 25 ms …). A job that starts its next transaction as soon as
the last one committed leaves a gap of a millisecond or two, which such a writer sleeps
through, and it can miss several gaps in a row (an import measured 106-172 ms waits behind
50 ms transactions). So before a transaction the job makes sure the lock has been free for
as long as a writer who began waiting during the previous transaction may sleep between
two tries: that writer then always finds the lock free once, and waits at most about one
transaction and that one sleep. Work the job does in the meantime (reading the next chunk,
writing the other database) counts towards the rest, so it usually costs nothing.

Contract: `size` is always between `least` and `most`; `timed()` wraps one transaction:
it first waits until the lock has been free for `writer_gap_s(duration of the previous
transaction)` since that one ended, then adjusts `size` from how long this one took (at
most doubling or halving it per step).
"""

from __future__ import annotations

import bisect
import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import accumulate
from typing import Final

#: What one write transaction of a long job should last: with the rest after it
#: (`writer_gap_s`, 15-20 ms for this length) well inside the 100 ms a bench may wait for
#: its own write, long enough that committing (an fsync) is a small part.
TARGET_S: Final = 0.04

#: The sleeps of SQLite's default busy handler (sqlite3_busy_timeout, which Python's
#: sqlite3 `timeout` sets), in seconds: the n-th retry comes after the n-th sleep, the
#: last one repeating.
_BUSY_SLEEPS_S: Final = (0.001, 0.002, 0.005, 0.010, 0.015, 0.020, 0.025, 0.025, 0.025,
                         0.050, 0.050, 0.100)
#: When, after it began waiting, such a writer tries again.
_BUSY_RETRIES_S: Final = tuple(accumulate(_BUSY_SLEEPS_S))
#: Added to the rest: the clocks of the job and the writer are not in step to the
#: microsecond, and the writer still has to be scheduled.
_MARGIN_S: Final = 0.002


def writer_gap_s(held_s: float) -> float:
    """How long the lock must stay free after a transaction that held it for `held_s` so
    that a writer who began waiting during it (backing off as SQLite's busy handler does)
    tries again meanwhile: the longest of its sleeps that can span the moment of release."""
    index = bisect.bisect_left(_BUSY_RETRIES_S, held_s)
    return _BUSY_SLEEPS_S[min(index, len(_BUSY_SLEEPS_S) - 1)] + _MARGIN_S


class ChunkPacer:
    def __init__(self, *, first: int = 200, least: int = 50, most: int = 2000,
                 target_s: float = TARGET_S) -> None:
        self.size = first
        self._least = least
        self._most = most
        self._target_s = target_s
        self._free_from = 0.0  # perf_counter when the last transaction's rest is over

    @contextmanager
    def timed(self) -> Iterator[None]:
        resting = self._free_from - time.perf_counter()
        if resting > 0:
            time.sleep(resting)
        collecting = gc.isenabled()
        gc.disable()  # a collection now would hold the lock: it runs after, in the rest
        started = time.perf_counter()
        try:
            yield
        finally:
            if collecting:
                gc.enable()
        ended = time.perf_counter()
        took = max(ended - started, 1e-4)
        self._free_from = ended + writer_gap_s(took)
        factor = min(2.0, max(0.5, self._target_s / took))
        self.size = max(self._least, min(self._most, int(self.size * factor)))


@contextmanager
def long_job() -> Iterator[None]:
    """Keep the objects alive at the start of a long job out of the garbage collector's
    full collections until it ends.

    Why: a full collection walks every object the process holds (the program, its modules,
    the open station: a million and more), 70-90 ms each time, and a job that reads a
    million rows triggers one every few seconds. Frozen (gc.freeze), those objects are
    skipped and a full collection only walks what the job made; at the end they are
    handed back (gc.unfreeze), so garbage among them is still collected later. Nested, the
    first job to end hands back everything: the outer one's collections merely walk
    those objects again."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()

