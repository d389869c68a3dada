"""Runs the privacy retention rule soon after start and then once a day, off the UI thread
(on the task runner's devices lane, with the slow work)."""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QTimer

from station.privacy.sweep import purge_station
from station.runtime.bootstrap import OpenStation
from ui.tasks import Lane, TaskRunner

DAY_MS = 24 * 60 * 60 * 1000
FIRST_RUN_DELAY_MS = 30_000
log = logging.getLogger(__name__)


class RetentionTimer(QObject):
    def __init__(self, opened: OpenStation, background: TaskRunner,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._opened = opened
        self._background = background
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.run_now)
        if opened.ctx.config.privacy.retention_days > 0:
            QTimer.singleShot(FIRST_RUN_DELAY_MS, self.run_now)
            self._timer.start(DAY_MS)

    def run_now(self) -> None:
        # On the devices lane: a long purge must not hold up the bench's own reads and writes.
        self._background.run(lambda: purge_station(self._opened, None),
                             lambda _result: None,
                             lambda error: log.error("retention purge failed: %s", error),
                             lane=Lane.DEVICES)
