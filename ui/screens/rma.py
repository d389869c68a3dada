"""One RMA: its lines, receiving the parcel, and choosing the line to inspect next."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from station.common.errors import UserFacingError
from station.common.money import format_minor
from station.common.permissions import Action, Actor, allowed
from station.common.vocabulary import Category, Reason
from station.inspection import finalize as inspection
from station.inspection.finalize import OverReturnError, UnitInspection
from station.receiving import parcels as receiving
from station.receiving.parcels import LineView, RmaView
from station.runtime.context import StationContext
from ui.keyed_screen import ENTER, KeyedScreen
from ui.message_line import MessageLine
from ui.tasks import Changed, TaskRunner

COLUMNS = ("Line", "SKU", "Item", "Category", "Reason", "Price", "Done")
SURPLUS = ("A surplus item in the parcel: press O to set it aside as an over-return for a "
           "supervisor.")
ALL_DONE = f"Every unit of this RMA is inspected. Enter or Esc: next parcel. {SURPLUS}"


def _all_done(view: RmaView) -> bool:
    return all(line.units_left == 0 for line in view.lines)


class RmaScreen(KeyedScreen):
    inspect = Signal(object)
    over_return = Signal(object)
    received = Signal(object)
    back = Signal()

    def __init__(self, ctx: StationContext, background: TaskRunner) -> None:
        super().__init__()
        self._ctx = ctx
        self._background = background
        self._actor: Actor | None = None
        self._view: RmaView | None = None
        self._over_return: OverReturnError | None = None

        self.title = QLabel()
        self.title.setObjectName("title")
        self.details = QLabel()
        self.details.setObjectName("hint")
        self.details.setTextFormat(Qt.TextFormat.PlainText)
        self.details.setWordWrap(True)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.message = MessageLine()
        self.primary = QPushButton()
        self.primary.setObjectName("primary")
        self.back_button = QPushButton("New parcel  (Esc)")
        buttons = QHBoxLayout()
        buttons.addWidget(self.primary)
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(40, 30, 40, 30)
        layout.addWidget(self.title)
        layout.addWidget(self.details)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        layout.addLayout(buttons)

        self.primary.clicked.connect(self.act)
        self.table.doubleClicked.connect(lambda _index: self.act())
        self.back_button.clicked.connect(self.back.emit)
        self.bind_key(Qt.Key.Key_Escape, self.escape)
        self.bind_keys(ENTER, self.act)
        self.bind_key(Qt.Key.Key_O, self.surplus)
        self.take_keys_from(self.table)

    @property
    def view(self) -> RmaView | None:
        return self._view

    def show_rma(self, actor: Actor, view: RmaView, message: str | None = None) -> None:
        self._actor = actor
        self._view = view
        self._over_return = None
        self.title.setText(f"{view.rma_number}")
        customer = view.customer_name or "—"
        self.details.setText(
            f"Order {view.order_number} of {view.order_date:%d %b %Y} · {customer} · "
            f"wants: {view.requested.replace('_', ' ')}"
        )
        self.table.setRowCount(len(view.lines))
        for row, line in enumerate(view.lines):
            values = (str(line.line_no), line.sku, line.description,
                      Category(line.category).label, Reason(line.reason).label,
                      format_minor(line.unit_price_minor, line.currency),
                      f"{line.units_done} of {line.quantity}")
            for column, value in enumerate(values):
                self.table.setItem(row, column, QTableWidgetItem(value))
        first_open = next((i for i, line in enumerate(view.lines) if line.units_left), 0)
        self.table.selectRow(first_open)
        if view.receipt_id is None:
            self.primary.setText("Receive parcel  (Enter)")
            self.message.warning(f"{message + ' ' if message else ''}Not received yet. Press "
                                 "Enter to receive this parcel.")
        else:
            primary, advice = self._next_step(actor, view)
            self.primary.setText(primary)
            if message is None:
                self.message.ok(f"{self.received_text(view)} {advice}")
            elif advice == ALL_DONE:
                self.message.ok(f"{message} {advice}")
            else:
                self.message.ok(message)
        self.table.setFocus()

    @staticmethod
    def _next_step(actor: Actor, view: RmaView) -> tuple[str, str]:
        """What Enter does on a received parcel, for this person: a clerk cannot inspect, so
        is told to pass the parcel on rather than offered an inspection the core refuses."""
        if not allowed(actor.role, Action.INSPECT):
            return "Next parcel  (Enter)", "Now hand it to a grader. Enter or Esc: next parcel."
        if _all_done(view):
            return "Next parcel  (Enter)", ALL_DONE
        return "Inspect selected line  (Enter)", "Choose a line and press Enter to inspect a unit."

    def received_text(self, view: RmaView, *, just_now: bool = False) -> str:
        """When and by whom the parcel was received here: a rescan shows it was already."""
        if view.received_at is None:
            return "Received."
        at = view.received_at.astimezone()
        today = self._ctx.clock().astimezone().date()
        when = f"{at:%H:%M}" if at.date() == today else f"{at:%d %b %Y %H:%M}"
        who = f" by {view.received_by}" if view.received_by else ""
        return f"{'Parcel received' if just_now else 'Received'} at {when}{who}."

    def escape(self) -> None:
        if self._over_return is not None:
            self._over_return = None
            self.message.clear_message()
            return
        self.back.emit()

    def act(self) -> None:
        view, actor = self._view, self._actor
        if view is None or actor is None or self._background.busy:
            return
        if self._over_return is not None:
            pending, self._over_return = self._over_return, None
            self.over_return.emit(pending)
            return
        if view.receipt_id is None:
            self._background.run(lambda: receiving.receive(self._ctx, actor, view.rma_number),
                                 self._received, self._failed, changes=Changed.OUTBOX)
            return
        if _all_done(view) or not allowed(actor.role, Action.INSPECT):
            self.back.emit()
            return
        line = self._selected_line()
        if line is None:
            return
        if line.units_left == 0:
            self.message.warning(f"Line {line.line_no} is done ({line.units_done} of "
                                 f"{line.quantity}): choose a line with units left with the "
                                 f"arrow keys. {SURPLUS}")
            return
        self._start_unit(actor, view, line)

    def surplus(self) -> None:
        """O: an item in the parcel beyond its line's quantity. Asked for by this key only,
        never by Enter, so a stray Enter cannot open an over-return; the core refuses the
        unit and the over-return is then offered for a second, explicit Enter."""
        view, actor = self._view, self._actor
        if view is None or actor is None or view.receipt_id is None or self._background.busy:
            return
        line = self._selected_line()
        if line is None:
            return
        if line.units_left > 0:
            self.message.warning(f"Line {line.line_no} still has {line.units_left} unit(s) to "
                                 "inspect: Enter inspects one.")
            return
        self._start_unit(actor, view, line)

    def _selected_line(self) -> LineView | None:
        view = self._view
        row = self.table.currentRow()
        if view is None or not 0 <= row < len(view.lines):
            self.message.error("Choose a line with the arrow keys first.")
            return None
        return view.lines[row]

    def _start_unit(self, actor: Actor, view: RmaView, line: LineView) -> None:
        receipt_id = view.receipt_id
        if receipt_id is None:
            return
        self._background.run(
            lambda: inspection.start_unit(self._ctx, actor, receipt_id, line.id),
            self._started, self._failed,
        )

    def _received(self, view: RmaView) -> None:
        assert self._actor is not None
        _primary, advice = self._next_step(self._actor, view)
        self.show_rma(self._actor, view, f"{self.received_text(view, just_now=True)} {advice}")
        self.received.emit(view)

    def _started(self, work: UnitInspection) -> None:
        self.inspect.emit(work)

    def _failed(self, error: Exception) -> None:
        if isinstance(error, OverReturnError):
            self._over_return = error
            self.message.error(f"{error} Enter sets it aside as an exception for a "
                               "supervisor (no unit, no refund); Esc goes back.")
            return
        text = str(error) if isinstance(error, UserFacingError) else (
            f"That did not work ({error.__class__.__name__}); try again or call a supervisor.")
        self.message.error(text)
