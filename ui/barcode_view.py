"""A Code 128 barcode drawn on screen from the core's encoder, big enough to scan off it."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QWidget

from station.labels.code128 import Code128Error, encode

QUIET_MODULES = 10


class BarcodeView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._text = ""
        self._widths: list[int] = []
        self.setMinimumSize(QSize(360, 120))

    def set_text(self, text: str) -> None:
        self._text = text
        try:
            self._widths = encode(text) if text else []
        except Code128Error:
            self._widths = []
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("white"))
        if not self._widths:
            return
        modules = sum(self._widths) + 2 * QUIET_MODULES
        module = max(1, self.width() // modules)
        x = (self.width() - module * (modules - 2 * QUIET_MODULES)) // 2
        text_height = 28
        bar_height = self.height() - text_height - 8
        for index, width in enumerate(self._widths):
            if index % 2 == 0:
                painter.fillRect(QRectF(x, 4, width * module, bar_height), QColor("black"))
            x += width * module
        painter.setPen(QColor("black"))
        painter.drawText(QRectF(0, bar_height + 6, self.width(), text_height),
                         Qt.AlignmentFlag.AlignCenter, self._text)
        painter.end()
