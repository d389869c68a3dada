"""The app's own events in the station's log file (issue #17: it held only Alembic's lines).

What a person at the bench did and what the devices answered, one line each, so that the
log tells a support person what happened at the bench that morning: sign-in and sign-out
(who, by user name and role), each unit confirmed (LPN, RMA, grade, disposition, refund
action), each print attempt's outcome, and sync's state whenever it changes (not at every
interval). Errors are logged where they are caught (ui.tasks). Never a PIN, a badge code,
a customer's name or a password: the lines are built from the fields named here only, and
the log's redacting formatter (station.settings.logging_setup) is the second line of
defence.

It listens to the window's public signals and reads the state they announce; the window
does not know it exists (ui.app attaches it).
"""

from __future__ import annotations

import logging
import uuid

from PySide6.QtCore import QObject, QTimer

from station.common.permissions import Actor
from station.labels.printers import PrintOutcome
from ui.main_window import MainWindow
from ui.sync_worker import SyncStatus

log = logging.getLogger("returns_station.bench")


class EventLog(QObject):
    """Logs the events of `window` for as long as the window lives (it is the parent)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window
        self._signed_in: Actor | None = None
        self._confirmed_lpn = ""
        self._sync: tuple[object, ...] | None = None
        window.sign_in.signed_in.connect(self._sign_in)
        window.stack.currentChanged.connect(self._screen_changed)
        if window.print_worker is not None:
            window.print_worker.attempted.connect(self._printed)
        if window.sync_worker is not None:
            window.sync_worker.status_changed.connect(self._synced)

    def _sign_in(self, actor: Actor) -> None:
        if actor == self._signed_in:  # the screen change announced it already
            return
        self._signed_in = actor
        log.info("signed in: %s (%s)", actor.username, actor.role.value)

    def _screen_changed(self, _index: int) -> None:
        window = self._window
        shown = window.stack.currentWidget()
        if self._signed_in is not None and window.actor is None:
            log.info("signed out: %s", self._signed_in.username)
            self._signed_in = None
        elif window.actor is not None and window.actor != self._signed_in:
            self._sign_in(window.actor)  # switched user by badge at the scan screen
        if shown is window.label:  # the window fills it in after showing it
            QTimer.singleShot(0, self._label_shown)

    def _label_shown(self) -> None:
        unit = getattr(self._window.label, "unit", None)
        if unit is None or unit.lpn == self._confirmed_lpn:
            return
        self._confirmed_lpn = unit.lpn
        decision = unit.decision
        log.info("unit confirmed: %s (RMA %s, SKU %s) grade %s, %s to %s, refund %s",
                 unit.lpn, unit.rma_number, unit.sku, unit.grade.value,
                 decision.disposition.value, decision.destination,
                 decision.refund_action.value)

    @staticmethod
    def _printed(job_id: uuid.UUID, outcome: PrintOutcome) -> None:
        level = logging.INFO if outcome.ok else logging.WARNING
        log.log(level, "print job %s: %s %s (%d bytes, %.0f ms)", job_id,
                outcome.state.value, outcome.detail, outcome.bytes_sent, outcome.ms)

    def _synced(self, status: SyncStatus) -> None:
        state = (status.online, status.halted, status.last_error, status.parked,
                 status.conflicts)
        if state == self._sync:
            return
        self._sync = state
        level = logging.INFO if status.online and not status.halted else logging.WARNING
        log.log(level, "sync: %s; %d waiting, %d parked%s", status.text, status.waiting,
                status.parked, f"; last error: {status.last_error}" if status.last_error
                else "")
