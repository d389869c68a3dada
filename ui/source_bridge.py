"""Turns a background scan source's callbacks into Qt signals delivered on the UI thread."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from station.ports.scanner import ScanSource, SourceStatus


class SourceBridge(QObject):
    scanned = Signal(str)
    status = Signal(object)

    def __init__(self, source: ScanSource, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.source = source
        self.last_status: SourceStatus | None = None
        self.status.connect(self._remember)

    def _remember(self, status: SourceStatus) -> None:
        self.last_status = status

    def start(self) -> None:
        # Signals emitted from the source's thread are queued to this object's (UI) thread.
        self.source.start(self.scanned.emit, self.status.emit)

    def stop(self) -> None:
        self.source.stop()
