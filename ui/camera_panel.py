"""The live camera preview with an outline around every code it sees.

Frames arrive from the camera's own thread as NumPy arrays; they are converted and painted
here on the UI thread, at most at the camera's preview rate. When the camera stops or is
lost, the last frame (6 MB at 1920x1080) is let go rather than kept behind a hidden panel.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from station.ports.decoder import DecodedCode
from station.ports.scanner import SourceState, SourceStatus


def frame_to_image(frame: Any) -> QImage:
    """A BGR (or grey) uint8 frame as a QImage that owns its pixels."""
    height, width = frame.shape[:2]
    if frame.ndim == 2:
        image = QImage(frame.data, width, height, frame.strides[0], QImage.Format.Format_Grayscale8)
    else:
        image = QImage(frame.data, width, height, frame.strides[0], QImage.Format.Format_BGR888)
    return image.copy()


class CameraView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._image = QImage()
        self._codes: list[DecodedCode] = []
        self.setMinimumSize(320, 180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def show_frame(self, image: QImage, codes: list[DecodedCode]) -> None:
        self._image = image
        self._codes = codes
        self.update()

    @property
    def codes(self) -> list[DecodedCode]:
        return self._codes

    @property
    def image(self) -> QImage:
        """The latest frame at full size (a null image before the first frame)."""
        return self._image

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#1d232a"))
        if self._image.isNull():
            painter.end()
            return
        scale = min(self.width() / self._image.width(), self.height() / self._image.height())
        width, height = self._image.width() * scale, self._image.height() * scale
        left, top = (self.width() - width) / 2, (self.height() - height) / 2
        painter.drawImage(QRectF(left, top, width, height), self._image)
        painter.setPen(QPen(QColor("#35d46a"), 3))
        for code in self._codes:
            polygon = QPolygonF([QPointF(left + x * scale, top + y * scale)
                                 for x, y in code.position])
            painter.drawPolygon(polygon)
            if code.position:
                x, y = code.position[0]
                painter.drawText(QPointF(left + x * scale, top + y * scale - 6), code.text[:40])
        painter.end()


class CameraPanel(QWidget):
    """Preview plus the camera's state; `frame_ready` carries frames across threads."""

    frame_ready = Signal(object, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = CameraView()
        self.state = QLabel("Camera off")
        self.state.setObjectName("hint")
        self.state.setTextFormat(Qt.TextFormat.PlainText)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.state)
        self.frame_ready.connect(self._show)

    def deliver(self, frame: Any, codes: list[DecodedCode]) -> None:
        """Called on the camera thread."""
        self.frame_ready.emit(frame_to_image(frame), codes)

    def _show(self, image: QImage, codes: list[DecodedCode]) -> None:
        self.view.show_frame(image, codes)

    def show_status(self, status: SourceStatus) -> None:
        self.state.setText(status.text)
        if status.state is not SourceState.CONNECTED:
            self.view.show_frame(QImage(), [])
