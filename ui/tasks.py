"""The UI's one task runner: core calls off the UI thread, outcomes back on it.

Like Anki's `aqt.operations` and `aqt.taskman`: a widget says what to run, what to do with
the result or the error, and what the operation changes; the floor never waits on the
database, the disk, the network or the printer.

Two lanes, each one worker thread, so work on a lane runs in the order it was asked for:
`Lane.DATABASE` for the station database (its writes are serialised: a draft saved after
a step is written after the step before it) and `Lane.DEVICES` for the network (sync),
the printer and other slow devices, so a hung printer never holds up a screen. Results and
errors are delivered on the UI thread, then `changed` says what the operation changed
(`Changed`), and views that show it refresh.
"""

from __future__ import annotations

import enum
import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from station.common.errors import UserFacingError

log = logging.getLogger(__name__)
T = TypeVar("T")


class Lane(enum.Enum):
    """Which worker thread runs an operation."""

    DATABASE = "database"
    DEVICES = "devices"


class Changed(enum.Flag):
    """What an operation changed, so views showing it refresh (Anki's OpChanges)."""

    NOTHING = 0
    #: Facts were written to the outbox, or sync sent or parked some.
    OUTBOX = enum.auto()
    #: Held refunds or exceptions, the supervisor's queues.
    QUEUES = enum.auto()


@dataclass(frozen=True)
class _Pending:
    on_done: Callable[[Any], None]
    on_error: Callable[[Exception], None]
    changes: Changed
    shows_busy: bool


class _Relay(QObject):
    finished = Signal(int, object, object)


class _Job(QRunnable):
    def __init__(self, token: int, work: Callable[[], object], relay: _Relay) -> None:
        super().__init__()
        self._token = token
        self._work = work
        self._relay = relay

    def run(self) -> None:
        try:
            result = self._work()
        except Exception as error:
            self._relay.finished.emit(self._token, None, error)
        else:
            self._relay.finished.emit(self._token, result, None)


def _one_thread(parent: QObject) -> QThreadPool:
    pool = QThreadPool(parent)
    pool.setMaxThreadCount(1)
    pool.setExpiryTimeout(-1)  # the same thread for the window's life
    return pool


class TaskRunner(QObject):
    """One per window. `busy_changed` drives the busy indicator (operations that show it);
    `changed` carries the `Changed` of each operation that succeeded, after its `on_done`."""

    busy_changed = Signal(bool)
    changed = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lanes = {lane: _one_thread(self) for lane in Lane}
        self._relay = _Relay()
        self._relay.finished.connect(self._deliver)
        self._tokens = itertools.count(1)
        self._pending: dict[int, _Pending] = {}

    def run(self, work: Callable[[], T], on_done: Callable[[T], None],
            on_error: Callable[[Exception], None], *, lane: Lane = Lane.DATABASE,
            changes: Changed = Changed.NOTHING, shows_busy: bool = True) -> None:
        """Run `work` on `lane`'s thread; then, on the UI thread, `on_done(result)` and
        `changed(changes)`, or `on_error(error)`. `shows_busy=False` for work the bench
        does by itself (saves, look-ups, sync, printing), which must not look busy."""
        token = next(self._tokens)
        was_busy = self.busy
        self._pending[token] = _Pending(on_done, on_error, changes, shows_busy)
        if shows_busy and not was_busy:
            self.busy_changed.emit(True)
        self._lanes[lane].start(_Job(token, work, self._relay))

    @property
    def busy(self) -> bool:
        """Work the person asked for is still running or not yet delivered."""
        return any(pending.shows_busy for pending in self._pending.values())

    def wait_idle(self, msecs: int = 30_000) -> bool:
        """Block until both lanes have run everything queued (tests, and before closing);
        outcomes are delivered by the event loop afterwards."""
        return all(pool.waitForDone(msecs) for pool in self._lanes.values())

    @Slot(int, object, object)
    def _deliver(self, token: int, result: object, error: object) -> None:
        pending = self._pending.pop(token)
        if pending.shows_busy and not self.busy:
            self.busy_changed.emit(False)
        if isinstance(error, Exception):
            if not isinstance(error, UserFacingError):
                log.error("background task failed", exc_info=error)
            pending.on_error(error)
            return
        pending.on_done(result)
        if pending.changes:
            self.changed.emit(pending.changes)
