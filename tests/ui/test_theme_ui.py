"""The station's theme: what cannot be used looks like it cannot be used."""

from __future__ import annotations

from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from ui.app import create_application


def darkest(image: QImage, left: int, top: int, width: int, height: int) -> int:
    """The lightness of the darkest pixel in the rectangle (the text's ink)."""
    return min(QColor(image.pixel(x, y)).lightness()
               for x in range(left, left + width) for y in range(top, top + height))


def test_a_disabled_menu_entry_is_drawn_lighter_than_an_enabled_one(qtbot: QtBot) -> None:
    create_application()
    menu = QMenu()
    qtbot.addWidget(menu)
    enabled = menu.addAction("Bench card: command barcodes")
    disabled = menu.addAction("Demo sheet: RMA numbers and users")
    disabled.setEnabled(False)
    menu.ensurePolished()
    menu.adjustSize()
    image = menu.grab().toImage()

    ink = {}
    for action in (enabled, disabled):
        rect = menu.actionGeometry(action)
        ink[action] = darkest(image, rect.x() + 2, rect.y() + 2, rect.width() - 4,
                              rect.height() - 4)
    assert ink[disabled] - ink[enabled] >= 60, ink
