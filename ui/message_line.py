"""The one-line message every screen uses to say what happened and what to do next.

Messages often quote what was scanned, and a scan can be hundreds of characters without a
space. A word-wrapped label cannot break such a run, so it would ask for its whole width and
widen the window past the screen (issue #17 defect 1). A run longer than `LONGEST_RUN` is
therefore shown shortened in the middle, and the full message is the line's tooltip.
"""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from station.common.errors import UserFacingError

LONGEST_RUN = 64
"""Characters of one unbroken run (no space) shown in full; longer runs are elided."""
_KEEP_HEAD, _KEEP_TAIL = 40, 20
_LONG_RUN = re.compile(rf"\S{{{LONGEST_RUN + 1},}}")


def shortened(text: str) -> str:
    """`text` with every run of more than `LONGEST_RUN` non-space characters cut to its
    start, "…" and its end, so that it can wrap at a width the window already has."""
    return _LONG_RUN.sub(lambda run: f"{run[0][:_KEEP_HEAD]}…{run[0][-_KEEP_TAIL:]}", text)


class MessageLine(QLabel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("message")
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.clear_message()

    def _show(self, text: str, tone: str) -> None:
        shown = shortened(text)
        self.setText(shown)
        self.setToolTip(text if shown != text else "")
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
        self.setToolTip("")
        self.setVisible(False)

    @property
    def tone(self) -> str:
        return str(self.property("tone") or "")
