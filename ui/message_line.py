"""The one-line message every screen uses to say what happened and what to do next."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from station.common.errors import UserFacingError


class MessageLine(QLabel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("message")
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.clear_message()

    def _show(self, text: str, tone: str) -> None:
        self.setText(text)
        self.setProperty("tone", tone)
        self.style().unpolish(self)
        self.style().polish(self)
        self.setVisible(True)

    def error(self, text: str) -> None:
        self._show(text, "error")

    def warning(self, text: str) -> None:
        self._show(text, "warning")

    def ok(self, text: str) -> None:
        self._show(text, "ok")

    def failed(self, error: Exception) -> None:
        """What went wrong in a background job: the core's words for a refusal, the kind of
        error otherwise (its details are in the log, not on the bench)."""
        self.error(str(error) if isinstance(error, UserFacingError) else
                   f"That did not work ({error.__class__.__name__}).")

    def clear_message(self) -> None:
        self.setText("")
        self.setVisible(False)

    @property
    def tone(self) -> str:
        return str(self.property("tone") or "")
