"""The bench card: every command barcode with its caption, to print and stick by the bench.

With it a grader grades, confirms, cancels and signs out with the scanner alone.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGridLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from station.codes.scans import COMMAND_CAPTIONS
from ui.barcode_view import BarcodeView

COLUMNS = 2


class BenchCardDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Bench card")
        self.resize(1000, 720)
        self.card = QWidget()
        self.card.setStyleSheet("background: white;")
        grid = QGridLayout(self.card)
        self.barcodes: dict[str, BarcodeView] = {}
        for index, (code, caption) in enumerate(COMMAND_CAPTIONS.items()):
            cell = QVBoxLayout()
            title = QLabel(caption)
            title.setAlignment(Qt.AlignmentFlag.AlignCenter)
            title.setStyleSheet("font-size: 16pt; font-weight: 600; color: black;")
            barcode = BarcodeView()
            barcode.set_text(code)
            barcode.setMinimumSize(380, 110)
            cell.addWidget(title)
            cell.addWidget(barcode)
            grid.addLayout(cell, index // COLUMNS, index % COLUMNS)
            self.barcodes[code] = barcode
        scroll = QScrollArea()
        scroll.setWidget(self.card)
        scroll.setWidgetResizable(True)
        save = QPushButton("Save as PNG…")
        save.clicked.connect(self._save)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(save, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        hint = QLabel("Print this card and keep it at the bench: scanning a code does what its "
                      "caption says on the current screen.")
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        layout.addWidget(hint)
        layout.addWidget(scroll, 1)
        layout.addWidget(buttons)

    def _save(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save the bench card", "bench-card.png",
                                              "PNG images (*.png)")
        if path:
            self.card.grab().save(path, "PNG")
