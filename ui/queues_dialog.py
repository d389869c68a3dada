"""Station ▸ Supervisor queues (F6): held refunds to approve or deny, exceptions to close.

Every action needs a reason, typed in the dialog (a refund decision the supervisor's PIN
too), and goes through the core, which checks
the role again and records the decision as a fact with its audit event. The lists are read
and the actions run on the window's task runner (database lane).
"""

from __future__ import annotations

import uuid

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from station.common.money import format_minor
from station.common.permissions import Actor
from station.common.vocabulary import ExceptionOutcome, RefundAction
from station.inspection import approvals
from station.people import signin
from station.reports.units import in_words
from station.runtime.context import StationContext
from station.supervision import queues
from station.supervision.queues import HeldRefund, OpenException
from ui.list_table import list_table
from ui.message_line import MessageLine
from ui.tasks import Changed, TaskRunner

#: "Why held" last: it is the longest, and the last column takes the room that is left.
REFUND_COLUMNS = ("LPN", "RMA", "SKU", "Amount", "Grade", "Disposition", "Station",
                  "Held since", "Why held")
EXCEPTION_COLUMNS = ("Kind", "Station", "Opened", "Details")


def _cell(text: str) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setToolTip(text)  # the whole text where the column is too narrow for it
    return item


def _words(section: str, key: str | None) -> str:
    """A grade or disposition in words ("A (new / sealed)", "open box"); "" for none."""
    return in_words(section, key) if key else ""


class QueuesDialog(QDialog):
    def __init__(self, ctx: StationContext, actor: Actor, background: TaskRunner,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx, self._actor, self._background = ctx, actor, background
        self.refunds: list[HeldRefund] = []
        self.exceptions: list[OpenException] = []
        self.setWindowTitle("Supervisor queues")
        self.resize(1100, 620)

        self.refund_table = list_table(REFUND_COLUMNS)
        self.refund_reason = QLineEdit()
        self.refund_reason.setPlaceholderText("Reason (required)")
        self.refund_pin = QLineEdit()
        self.refund_pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.refund_pin.setMaxLength(12)
        self.refund_pin.setPlaceholderText("Your PIN, then Approve or Deny")
        self.approve_button = QPushButton("&Approve")
        self.deny_button = QPushButton("&Deny")
        self.approve_button.clicked.connect(lambda: self.decide_refund(True))
        self.deny_button.clicked.connect(lambda: self.decide_refund(False))
        refund_row = QHBoxLayout()
        refund_row.addWidget(self.refund_reason, 1)
        refund_row.addWidget(self.refund_pin)
        refund_row.addWidget(self.approve_button)
        refund_row.addWidget(self.deny_button)
        # The chosen refund's case in one sentence that wraps: what the decision rests on
        # stays readable however narrow the list's columns are.
        self.refund_case = QLabel()
        self.refund_case.setWordWrap(True)
        self.refund_case.setTextFormat(Qt.TextFormat.PlainText)
        self.refund_table.currentCellChanged.connect(lambda row, *_: self._show_case(row))
        refund_page = QWidget()
        refund_layout = QVBoxLayout(refund_page)
        refund_layout.addWidget(self.refund_table, 1)
        refund_layout.addWidget(self.refund_case)
        refund_layout.addLayout(refund_row)

        self.exception_table = list_table(EXCEPTION_COLUMNS)
        self.outcome = QComboBox()
        for outcome in ExceptionOutcome:
            self.outcome.addItem(outcome.label, outcome.value)
        self.exception_reason = QLineEdit()
        self.exception_reason.setPlaceholderText("Reason (required), then Close")
        self.close_button = QPushButton("&Close exception")
        self.close_button.clicked.connect(self.close_exception)
        exception_row = QHBoxLayout()
        exception_row.addWidget(self.outcome)
        exception_row.addWidget(self.exception_reason, 1)
        exception_row.addWidget(self.close_button)
        exception_page = QWidget()
        exception_layout = QVBoxLayout(exception_page)
        exception_layout.addWidget(self.exception_table, 1)
        exception_layout.addLayout(exception_row)

        self.tabs = QTabWidget()
        self.tabs.addTab(refund_page, "Held refunds")
        self.tabs.addTab(exception_page, "Exceptions")
        title = QLabel("Supervisor queues")
        title.setObjectName("title")
        self.message = MessageLine()
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.message)
        self.reload()

    # -- lists

    def reload(self) -> None:
        ctx, actor = self._ctx, self._actor

        def work() -> tuple[list[HeldRefund], list[OpenException]]:
            with ctx.sessions() as session:
                return (queues.held_refunds(ctx, actor, session),
                        queues.open_exceptions(ctx, actor, session))

        self._background.run(work, self._show, self._failed)

    def _show(self, lists: tuple[list[HeldRefund], list[OpenException]]) -> None:
        self.refunds, self.exceptions = lists
        self.refund_table.setRowCount(len(self.refunds))
        for row, held in enumerate(self.refunds):
            values: tuple[str, ...] = (
                held.lpn, held.rma_number, held.sku,
                format_minor(held.amount_minor, held.currency),
                _words("grade", held.grade), _words("disposition", held.disposition),
                held.station_code, f"{held.held_at.astimezone():%d %b %H:%M}",
                held.held_why or "—")
            for column, value in enumerate(values):
                self.refund_table.setItem(row, column, _cell(value))
        self.exception_table.setRowCount(len(self.exceptions))
        for row, case in enumerate(self.exceptions):
            details = ", ".join(f"{k}: {v}" for k, v in list(case.details.items())[:4])
            values = (case.kind.replace("_", " "), case.station_code,
                      f"{case.opened_at.astimezone():%d %b %H:%M}", details)
            for column, value in enumerate(values):
                self.exception_table.setItem(row, column, _cell(value))
        self.tabs.setTabText(0, f"Held refunds ({len(self.refunds)})")
        self.tabs.setTabText(1, f"Exceptions ({len(self.exceptions)})")
        if self.refunds:
            self.refund_table.selectRow(0)
        self._show_case(self.refund_table.currentRow())
        if self.exceptions:
            self.exception_table.selectRow(0)

    def _show_case(self, row: int) -> None:
        if not 0 <= row < len(self.refunds):
            self.refund_case.clear()
            return
        held = self.refunds[row]
        parts = [held.lpn]
        if held.grade:
            parts.append(f"grade {_words('grade', held.grade)}")
        if held.disposition:
            parts.append(f"going to {_words('disposition', held.disposition)}")
        why = held.held_why.rstrip(".") or "not recorded"
        self.refund_case.setText(f"{', '.join(parts)}. Why held: {why}.")

    # -- actions

    def decide_refund(self, approve: bool) -> None:
        row = self.refund_table.currentRow()
        if not 0 <= row < len(self.refunds):
            self.message.warning("Choose a held refund first.")
            return
        trigger_id, reason = self.refunds[row].trigger_id, self.refund_reason.text()
        pin = self.refund_pin.text()
        self.refund_pin.clear()
        ctx, actor = self._ctx, self._actor

        def work() -> approvals.Resolution:
            # The PIN again, as at the bench: a refund decision is never made on a screen
            # someone else left signed in. A wrong PIN counts towards the lock-out.
            confirmed = signin.sign_in(ctx, actor.username, pin)
            return approvals.resolve_held_refund(ctx, confirmed, trigger_id, approve=approve,
                                                 reason=reason)

        def done(result: approvals.Resolution) -> None:
            self.refund_reason.clear()
            decided = ("denied" if result.action is RefundAction.DENY
                       else f"approved: {in_words('refund', result.action.value)}")
            self.message.ok(f"{result.lpn}: {decided} "
                            f"{format_minor(result.amount_minor, result.currency)} recorded.")
            self.reload()

        self._background.run(work, done, self._failed,
                             changes=Changed.QUEUES | Changed.OUTBOX)

    def close_exception(self) -> None:
        row = self.exception_table.currentRow()
        if not 0 <= row < len(self.exceptions):
            self.message.warning("Choose an exception first.")
            return
        exception_id: uuid.UUID = self.exceptions[row].exception_id
        outcome = ExceptionOutcome(self.outcome.currentData())
        reason = self.exception_reason.text()
        ctx, actor = self._ctx, self._actor

        def done(_resolution: uuid.UUID) -> None:
            self.exception_reason.clear()
            self.message.ok(f"Exception closed: {outcome.label}.")
            self.reload()

        self._background.run(
            lambda: queues.resolve_exception(ctx, actor, exception_id, outcome, reason),
            done, self._failed, changes=Changed.QUEUES | Changed.OUTBOX)

    def _failed(self, error: Exception) -> None:
        self.message.failed(error)
