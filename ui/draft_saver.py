"""Saves the inspection in progress after every step, in order, off the UI thread.

Saves run on the task runner's database lane (one thread), so they land in the order the
grader made them; the state is copied on the UI thread (`UnitInspection.to_state()`), so
the worker never touches live objects.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal

from station.grading.unit_in_progress import UnitInspection
from station.inspection import drafts
from station.runtime.context import StationContext
from ui.tasks import TaskRunner

log = logging.getLogger(__name__)


class DraftSaver(QObject):
    """`failed` carries the message to show when a save did not land."""

    failed = Signal(str)

    def __init__(self, ctx: StationContext, tasks: TaskRunner,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._tasks = tasks

    def save(self, work: UnitInspection) -> None:
        ctx, lpn, state = self.ctx, work.draft.lpn, work.to_state()
        self._tasks.run(lambda: drafts.save(ctx, lpn, state), lambda _none: None,
                        lambda error: self._failed(lpn, error), shows_busy=False)

    def _failed(self, lpn: str, error: Exception) -> None:
        """The next step saves the whole state again."""
        log.error("saving the draft of %s failed", lpn, exc_info=error)
        self.failed.emit(f"The inspection could not be saved ({error.__class__.__name__}); "
                         "it is retried with the next step.")

    def wait(self, msecs: int = 10_000) -> bool:
        """Block until every queued save is written (tests, and before finalizing)."""
        return self._tasks.wait_idle(msecs)
