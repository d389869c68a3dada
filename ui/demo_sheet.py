"""The demo sheet: the demo users with their PINs and every demo RMA with a scannable barcode."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from station.common.vocabulary import Category
from station.demo.station import DEMO_USERS
from station.receiving import rma_store
from station.receiving.rma_store import RmaSummary
from station.runtime.context import StationContext
from ui.barcode_view import BarcodeView
from ui.tasks import TaskRunner


class DemoSheetDialog(QDialog):
    """The demo RMAs are read on the task runner and listed when they arrive."""

    def __init__(self, ctx: StationContext, tasks: TaskRunner,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Demo sheet")
        self.resize(1240, 740)
        self.users_label = users = QLabel("<b>Demo users</b> (name · PIN): " + " &nbsp; ".join(
            f"{u.display_name} ({u.role.value}) · <b>{u.pin}</b>" for u in DEMO_USERS))
        users.setWordWrap(True)
        self.summaries: list[RmaSummary] = []
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(["RMA", "Tracking", "Wants", "Units", "Categories"])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setObjectName("compact")
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.barcode = BarcodeView()
        hint = QLabel("Type an RMA number on the scan screen, or scan this barcode off the "
                      "screen with a handheld scanner.")
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        right = QVBoxLayout()
        right.addWidget(self.barcode)
        right.addWidget(hint)
        right.addStretch(1)
        body = QHBoxLayout()
        body.addWidget(self.table, 5)
        body.addLayout(right, 3)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(users)
        layout.addLayout(body, 1)
        layout.addWidget(buttons)
        self.table.currentCellChanged.connect(lambda row, *_: self._select(row))
        # Closed before the read came back: the dialog may be deleted, nothing to fill in.
        self._open = True
        self.finished.connect(self._closed)

        def read() -> list[RmaSummary]:
            with ctx.sessions() as session:
                return rma_store.list_summaries(session)

        def failed(error: Exception) -> None:
            if self._open:
                hint.setText(f"The demo RMAs could not be read ({error.__class__.__name__}).")

        tasks.run(read, self._show, failed, shows_busy=False)

    def _closed(self) -> None:
        self._open = False

    def _show(self, summaries: list[RmaSummary]) -> None:
        if not self._open:
            return
        self.summaries = summaries
        self.table.setRowCount(len(summaries))
        for row, summary in enumerate(summaries):
            for column, value in enumerate((
                summary.rma_number, summary.carrier_tracking or "",
                summary.requested.replace("_", " "),
                str(summary.units), ", ".join(Category(c).label for c in summary.categories),
            )):
                self.table.setItem(row, column, QTableWidgetItem(value))
        if summaries:
            self.table.selectRow(0)
            self._select(0)

    def _select(self, row: int) -> None:
        if 0 <= row < len(self.summaries):
            self.barcode.set_text(self.summaries[row].rma_number)
