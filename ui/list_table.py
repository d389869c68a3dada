"""The read-only list every supervisor dialog shows: whole rows selected one at a time, no
editing, no row numbers, columns as wide as their contents and the last one filling the rest
of the width, never narrower than its own contents: when the columns are wider than the list
it scrolls sideways instead of cutting the last column's text short ("store credit 53.9…").
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QTimer
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QWidget


class ListTable(QTableWidget):
    """A QTableWidget whose last column stretches only while every column fits whole."""

    def __init__(self, columns: Sequence[str], parent: QWidget | None = None) -> None:
        super().__init__(0, len(columns), parent)
        self.setHorizontalHeaderLabels(list(columns))
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self._refit = QTimer(self)
        self._refit.setSingleShot(True)
        self._refit.setInterval(0)
        self._refit.timeout.connect(self.fit_last_column)
        model = self.model()
        for signal in (model.dataChanged, model.rowsInserted, model.rowsRemoved,
                       model.modelReset):
            signal.connect(self._refit.start)

    def fit_last_column(self) -> None:
        """Stretch the last column over the width left when the columns fit whole; else
        size it to its contents too and let the list scroll sideways."""
        header = self.horizontalHeader()
        last = self.columnCount() - 1
        if last < 0:
            return
        whole = sum(max(self.sizeHintForColumn(column), header.sectionSizeHint(column))
                    for column in range(last + 1))
        stretch = whole <= self.viewport().width()
        if header.stretchLastSection() != stretch:
            header.setStretchLastSection(stretch)
            if not stretch:  # Qt gives it back the width it had before it stretched
                self.resizeColumnToContents(last)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit_last_column()


def list_table(columns: Sequence[str]) -> ListTable:
    table = ListTable(columns)
    table.setObjectName("compact")
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().setVisible(False)
    table.fit_last_column()
    return table
