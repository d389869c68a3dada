"""Sync in the background: push and pull every few seconds and on demand, never on the UI
thread, and say how it went (online or not, waiting, parked, last success, last error).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal

from station.common.errors import UserFacingError
from station.sync import exchange as sync

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyncStatus:
    online: bool | None  # None: not tried yet
    waiting: int
    parked: int
    last_success: datetime | None
    last_error: str
    conflicts: tuple[str, ...] = ()
    #: Sync stopped with an alarm (a restored or cloned data folder): an admin must act.
    halted: bool = False
    #: The pull brought people from the central directory this station did not have.
    people_arrived: bool = False

    @property
    def text(self) -> str:
        state = {None: "sync: starting", True: "online", False: "OFFLINE"}[self.online]
        if self.halted:
            state = "SYNC HALTED: call a supervisor"
        parts = [state, f"{self.waiting} waiting"]
        if self.parked:
            parts.append(f"{self.parked} PARKED")
        if self.last_success is not None:
            parts.append(f"last sync {self.last_success.astimezone():%H:%M:%S}")
        return " · ".join(parts)


class _Run(QRunnable):
    def __init__(self, worker: SyncWorker) -> None:
        super().__init__()
        self._worker = worker

    def run(self) -> None:
        self._worker.run_once()


class SyncWorker(QObject):
    """`sync_once` is station.sync.exchange.sync_once bound to this station's databases."""

    status_changed = Signal(object)

    def __init__(self, sync_once: Callable[[], sync.SyncReport],
                 waiting: Callable[[], tuple[int, int]], interval_s: int,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._sync_once = sync_once
        self._waiting = waiting
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._running = False
        self.status = SyncStatus(None, 0, 0, None, "")
        self._timer = QTimer(self)
        self._timer.setInterval(interval_s * 1000)
        self._timer.timeout.connect(self.sync_now)

    def start(self) -> None:
        self._timer.start()
        self.sync_now()

    def stop(self) -> None:
        self._timer.stop()
        self._pool.waitForDone(10_000)

    def sync_now(self) -> None:
        if self._running:
            return
        self._running = True
        self._pool.start(_Run(self))

    def wait(self, msecs: int = 30_000) -> bool:
        return self._pool.waitForDone(msecs)

    def run_once(self) -> None:
        """On the worker thread: one push and pull; the outcome becomes the status."""
        online: bool = True
        error = ""
        conflicts: tuple[str, ...] = ()
        halted = False
        arrived = False
        last = self.status.last_success
        try:
            report = self._sync_once()
            last = report.finished_at
            conflicts = tuple(sync.conflict_text(c) for c in report.pulled.conflicts)
            arrived = report.pulled.users is not None and report.pulled.users.added > 0
        except sync.SyncOffline as problem:
            online, error = False, str(problem)
        except sync.SyncHalted as problem:
            halted, error = True, str(problem)
        except UserFacingError as problem:
            error = str(problem)
        except Exception as problem:  # a bug must not stop the worker for good
            log.exception("sync failed")
            error = f"Sync failed ({problem.__class__.__name__}); see the log."
        try:
            waiting, parked = self._waiting()
        except Exception:
            log.exception("counting the outbox failed")
            waiting, parked = self.status.waiting, self.status.parked
        self.status = SyncStatus(online, waiting, parked, last, error, conflicts, halted,
                                 arrived)
        self._running = False
        self.status_changed.emit(self.status)
