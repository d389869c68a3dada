"""Saves the inspection in progress after every step, in order, off the UI thread.

One worker thread, so saves land in the order the grader made them; the state is copied on
the UI thread (`UnitInspection.to_state()`), so the worker never touches live objects.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from station.grading.unit_in_progress import UnitInspection
from station.inspection import drafts
from station.runtime.context import StationContext

log = logging.getLogger(__name__)


class _Save(QRunnable):
    def __init__(self, saver: DraftSaver, lpn: str, state: dict[str, Any]) -> None:
        super().__init__()
        self._saver, self._lpn, self._state = saver, lpn, state

    def run(self) -> None:
        try:
            drafts.save(self._saver.ctx, self._lpn, self._state)
        except Exception as error:  # the next step saves the whole state again
            log.exception("saving the draft of %s failed", self._lpn)
            self._saver.failed.emit(f"The inspection could not be saved "
                                    f"({error.__class__.__name__}); it is retried with the "
                                    "next step.")


class DraftSaver(QObject):
    failed = Signal(str)

    def __init__(self, ctx: StationContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)

    def save(self, work: UnitInspection) -> None:
        self._pool.start(_Save(self, work.draft.lpn, work.to_state()))

    def wait(self, msecs: int = 10_000) -> bool:
        """Block until every queued save is written (tests, and before finalizing)."""
        return self._pool.waitForDone(msecs)
