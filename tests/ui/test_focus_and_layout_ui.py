"""The window keeps its size and the keyboard whatever is scanned, opened or closed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import select
from station_bench import StationUnderTest
from ui_steps import scan, sign_in

from station.common.vocabulary import Role
from station.store.models import Rma
from ui.app import create_application
from ui.main_window import MainWindow

LONG_SCAN = "X" * 400


@pytest.fixture
def window(bench: StationUnderTest, qtbot: QtBot) -> Iterator[MainWindow]:
    create_application()
    win = MainWindow(bench.ctx)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.tasks.wait_idle()


def first_rma(bench: StationUnderTest) -> str:
    with bench.ctx.sessions() as session:
        number = session.scalars(select(Rma.rma_number).order_by(Rma.rma_number)).first()
    assert number is not None
    return number


def readable(message: str, tooltip: str, code: str) -> bool:
    """The whole code can be read: in the message itself, or in its tooltip when elided."""
    return code in message or ("…" in message and code in tooltip)


def test_a_400_character_scan_on_the_scan_screen_leaves_the_window_as_wide_as_it_was(
    window: MainWindow, qtbot: QtBot
) -> None:
    sign_in(window, qtbot, Role.GRADER)
    width = window.width()

    scan(qtbot, LONG_SCAN)
    qtbot.waitUntil(lambda: window.scan.unexpected_button.isVisible())
    qtbot.wait(50)

    assert window.width() == width
    message = window.scan.message
    assert message.width() <= window.width()
    assert readable(message.text(), message.toolTip(), LONG_SCAN)


def test_a_400_character_scan_on_the_rma_screen_leaves_the_window_as_wide_as_it_was(
    bench: StationUnderTest, window: MainWindow, qtbot: QtBot
) -> None:
    sign_in(window, qtbot, Role.GRADER)
    scan(qtbot, first_rma(bench))
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.rma)
    width = window.width()

    scan(qtbot, LONG_SCAN)
    qtbot.waitUntil(lambda: window.scan.unexpected_button.isVisible())
    qtbot.wait(50)

    assert window.width() == width
    assert window.statusBar().geometry().right() <= window.width()
    message = window.scan.message
    assert readable(message.text(), message.toolTip(), LONG_SCAN)
