"""Sends queued labels to the printer off the UI thread, retrying with back-off.

The queue's state lives in the database (jobs and attempts), so a label asked for before a
crash or while the printer was off is still sent when the app and the printer are back.
A label is asked for on the task runner's database lane and printed on its devices lane,
so a slow or hung printer never holds up a screen or makes it look busy.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from station.labels import print_queue
from station.labels.print_queue import PrintQueue
from station.labels.printers import LabelPrinter, PrintOutcome
from station.runtime.context import StationContext
from ui.tasks import Changed, Lane, TaskRunner

CHECK_MS = 1000
log = logging.getLogger(__name__)


class PrintWorker(QObject):
    """`attempted` carries (job id, outcome) for every attempt made."""

    attempted = Signal(object, object)

    def __init__(self, ctx: StationContext, printer: LabelPrinter, tasks: TaskRunner,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.printer = printer
        self._tasks = tasks
        self._queue = PrintQueue()
        self._running = False
        self._timer = QTimer(self)
        self._timer.setInterval(CHECK_MS)
        self._timer.timeout.connect(self.kick)
        self._timer.start()

    def stop(self) -> None:
        """No more tries from this worker (its window closed); jobs stay queued."""
        self._timer.stop()

    def submit(self, request: Callable[[], object]) -> None:
        """Record a print job (a database write) and send it at once."""
        self._tasks.run(request, lambda _job: self.kick(),
                        lambda error: log.error("print request failed: %s", error),
                        changes=Changed.OUTBOX, shows_busy=False)

    def kick(self) -> None:
        """Try every job that is due now (called after a new job, and every second)."""
        if self._running:
            return
        self._running = True
        render = print_queue.renderer(self.ctx, self.printer.size)

        def work() -> list[tuple[uuid.UUID, PrintOutcome]]:
            due = self._queue.next_due(self.ctx)
            if due is None or due > self.ctx.clock():
                return []
            return self._queue.run_once(self.ctx, self.printer, render)

        self._tasks.run(work, self._done, self._failed, lane=Lane.DEVICES, shows_busy=False)

    def _done(self, results: list[tuple[uuid.UUID, PrintOutcome]]) -> None:
        self._running = False
        for job_id, outcome in results:
            self.attempted.emit(job_id, outcome)

    def _failed(self, _error: Exception) -> None:
        self._running = False
