"""Steps many UI tests share, done the way a person at the bench does them."""

from __future__ import annotations

from pytestqt.qtbot import QtBot
from station_bench import PINS

from station.vocabulary import Role
from ui.main_window import MainWindow


def sign_in(window: MainWindow, qtbot: QtBot, role: Role) -> None:
    """Choose the user of that role, type the PIN, sign in; ends on the scan screen."""
    window.sign_in.select_user(role.value)
    window.sign_in.pin.setText(PINS[role])
    window.sign_in.button.click()
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.scan)
