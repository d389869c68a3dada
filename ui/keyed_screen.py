"""Screens whose keys work wherever the focus is inside them.

Keys are handled as they bubble up from the focused widget, not as window shortcuts,
because Qt fires shortcuts only in the active window and a bench PC in kiosk mode (or a
window manager that has just closed a dialog) may leave the window inactive while it
still receives every keystroke from the scanner and the keyboard.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QWidget

_PLAIN = (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier)


class KeyedScreen(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self._keys: dict[int, Callable[[], object]] = {}
        self._taken: set[QObject] = set()

    def bind_key(self, key: Qt.Key, action: Callable[[], object]) -> None:
        self._keys[int(key)] = action

    def bind_keys(self, keys: tuple[Qt.Key, ...], action: Callable[[], object]) -> None:
        for key in keys:
            self.bind_key(key, action)

    def take_keys_from(self, child: QWidget) -> None:
        """The screen's keys win over `child`'s own use of them: a table's type-ahead search
        would swallow a letter key before it bubbles up here. Its other keys (arrows) still
        reach it."""
        self._taken.add(child)
        child.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched in self._taken and isinstance(event, QKeyEvent) \
                and event.type() == QEvent.Type.KeyPress:
            action = self._action(event)
            if action is not None:
                event.accept()
                action()
                return True
        return super().eventFilter(watched, event)

    def _action(self, event: QKeyEvent) -> Callable[[], object] | None:
        return self._keys.get(event.key()) if event.modifiers() in _PLAIN else None

    def keyPressEvent(self, event: QKeyEvent) -> None:
        action = self._action(event)
        if action is None:
            super().keyPressEvent(event)
            return
        event.accept()
        action()


ENTER = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
