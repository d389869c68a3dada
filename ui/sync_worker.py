"""Sync in the background: push and pull every few seconds and on demand, never on the UI
thread, and say how it went (online or not, waiting, parked, last success, last error).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import QObject, QTimer, Signal

from station.common.errors import UserFacingError
from station.sync import exchange as sync
from ui.tasks import Changed, Lane, TaskRunner

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


class SyncWorker(QObject):
    """`sync_once` is station.sync.exchange.sync_once bound to this station's databases;
    `waiting` counts the outbox (waiting, parked). Runs on the window's task runner, on its
    devices lane (the network), from `start`."""

    status_changed = Signal(object)

    def __init__(self, sync_once: Callable[[], sync.SyncReport],
                 waiting: Callable[[], tuple[int, int]], interval_s: int,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._sync_once = sync_once
        self._waiting = waiting
        self._tasks: TaskRunner | None = None
        self._running = False
        self.status = SyncStatus(None, 0, 0, None, "")
        self._timer = QTimer(self)
        self._timer.setInterval(interval_s * 1000)
        self._timer.timeout.connect(self.sync_now)

    def start(self, tasks: TaskRunner) -> None:
        """Sync now and then every interval, on `tasks`."""
        self._tasks = tasks
        self._timer.start()
        self.sync_now()

    def stop(self) -> None:
        self._timer.stop()
        self.wait(10_000)

    def sync_now(self) -> None:
        if self._running or self._tasks is None:
            return
        self._running = True
        self._tasks.run(self.run_once, self._synced, self._failed, lane=Lane.DEVICES,
                        changes=Changed.OUTBOX, shows_busy=False)

    def wait(self, msecs: int = 30_000) -> bool:
        return self._tasks.wait_idle(msecs) if self._tasks is not None else True

    def run_once(self) -> SyncStatus:
        """On the devices lane: one push and pull; the outcome as the new status."""
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
        return SyncStatus(online, waiting, parked, last, error, conflicts, halted, arrived)

    def _synced(self, status: SyncStatus) -> None:
        self.status = status
        self._running = False
        self.status_changed.emit(status)

    def _failed(self, _error: Exception) -> None:
        self._running = False
