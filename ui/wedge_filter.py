"""Catches keyboard-wedge scans anywhere in the app, whatever has the focus.

Installed on the QApplication: printable keys are held back while the detector decides;
a scan is emitted as `scanned` and its keys never reach a widget, typing is replayed to
the widget it was meant for. Keys with Ctrl/Alt/Meta pass straight through (shortcuts).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication

from station.codes.wedge import Hold, Replay, Scan, WedgeDetector
from station.settings.config import ScannerConfig

_PASS_MODIFIERS = (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
                   | Qt.KeyboardModifier.MetaModifier)
_ENTER_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
# A scanner presses Shift for every capital, like a person: modifiers alone decide nothing.
_MODIFIER_KEYS = {Qt.Key.Key_Shift, Qt.Key.Key_Control, Qt.Key.Key_Alt, Qt.Key.Key_AltGr,
                  Qt.Key.Key_Meta, Qt.Key.Key_CapsLock, Qt.Key.Key_NumLock}


@dataclass(frozen=True)
class HeldKey:
    """What is needed to replay a key press (and its release) to the widget it was for."""

    target: QObject
    key: int
    modifiers: Qt.KeyboardModifier
    text: str


class WedgeFilter(QObject):
    scanned = Signal(str, bool)  # the code, and whether it ended with Enter

    def __init__(self, settings: ScannerConfig, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._detector: WedgeDetector[HeldKey] = WedgeDetector(settings)
        self._replaying = False
        self._swallow_release: set[int] = set()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._on_timeout)

    @staticmethod
    def _now_ms() -> float:
        return time.monotonic() * 1000

    def _key_time(self, event: QKeyEvent) -> float:
        """When the key was pressed: the window system's own time stamp where it gives one,
        so a busy moment on the UI thread cannot make a scanner look like a person."""
        stamp = event.timestamp()
        return float(stamp) if stamp > 0 else self._now_ms()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if self._replaying or not isinstance(event, QKeyEvent) or not watched.isWidgetType():
            return False
        if event.type() == QEvent.Type.KeyRelease:
            if event.key() in self._swallow_release and not event.isAutoRepeat():
                self._swallow_release.discard(event.key())
                return True
            return False
        if event.type() != QEvent.Type.KeyPress or event.modifiers() & _PASS_MODIFIERS \
                or event.key() in _MODIFIER_KEYS:
            return False
        held = HeldKey(watched, event.key(), event.modifiers(), event.text())
        if event.key() in _ENTER_KEYS:
            if not self._detector.holding:
                return False
            self._timer.stop()
            self._swallow_release.add(event.key())
            self._apply(self._detector.enter(held, self._key_time(event)))
            return True
        text = event.text()
        if len(text) != 1 or not text.isprintable():
            if self._detector.holding:
                self._timer.stop()
                self._apply(self._detector.timeout(self._key_time(event)))
            return False
        self._swallow_release.add(event.key())
        self._apply(self._detector.key(held, text, self._key_time(event)))
        return True

    def _on_timeout(self) -> None:
        self._apply(self._detector.timeout(self._now_ms()))

    def _apply(self, decision: Hold | Scan | Replay[HeldKey]) -> None:
        if isinstance(decision, Hold):
            self._timer.start(decision.wait_ms + 5)
        elif isinstance(decision, Scan):
            self.scanned.emit(decision.text, decision.entered)
        else:
            self._replay(decision.keys)
            if self._detector.holding:
                self._timer.start(self._detector.settings.max_key_interval_ms + 5)

    def _replay(self, keys: tuple[HeldKey, ...]) -> None:
        self._replaying = True
        try:
            for held in keys:
                focus = QApplication.focusWidget()
                target = focus if focus is not None else held.target
                for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
                    QApplication.sendEvent(target, QKeyEvent(kind, held.key, held.modifiers,
                                                             held.text))
        finally:
            self._replaying = False
