"""The whole bench flow with the keyboard alone, typed at scanner speed like a wedge scanner."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select
from station_bench import PINS, StationUnderTest
from ui_steps import finish_inspection, write_photo

from station.common.vocabulary import Role
from station.store.models import (
    AuditEvent,
    DispositionDecision,
    ExceptionCase,
    Inspection,
    OutboxEntry,
    Receipt,
    RefundTrigger,
    Rma,
    Unit,
)
from ui.app import create_application
from ui.main_window import MainWindow

SCANNER_KEY_DELAY_MS = 3


@pytest.fixture
def window(bench: StationUnderTest, qtbot: QtBot) -> Iterator[MainWindow]:
    create_application()
    win = MainWindow(bench.ctx, demo=True)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.tasks.wait_idle()


def focused() -> object:
    widget = QApplication.focusWidget()
    assert widget is not None, "nothing has the keyboard focus"
    return widget


def type_keys(qtbot: QtBot, text: str, delay: int = SCANNER_KEY_DELAY_MS) -> None:
    qtbot.keyClicks(focused(), text, delay=delay)


def press(qtbot: QtBot, key: Qt.Key) -> None:
    qtbot.keyClick(focused(), key)


def sign_in_as(qtbot: QtBot, win: MainWindow, role: Role) -> None:
    users = win.sign_in.users
    qtbot.waitUntil(lambda: win.sign_in.badge.hasFocus())
    press(qtbot, Qt.Key.Key_Down)
    assert users.hasFocus()
    row = next(i for i in range(users.count()) if role.value in users.item(i).text())
    while users.currentRow() != row:
        press(qtbot, Qt.Key.Key_Down if users.currentRow() < row else Qt.Key.Key_Up)
    press(qtbot, Qt.Key.Key_Return)
    assert win.sign_in.pin.hasFocus()
    type_keys(qtbot, PINS[role], delay=20)
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: win.stack.currentWidget() is win.scan and win.scan.field.hasFocus())


def counts(bench: StationUnderTest) -> dict[str, int]:
    models = (Receipt, Unit, Inspection, DispositionDecision, RefundTrigger, AuditEvent,
              OutboxEntry, ExceptionCase)
    with bench.ctx.sessions() as session:
        return {m.__tablename__: session.scalar(select(func.count()).select_from(m)) or 0
                for m in models}


def test_a_grader_walks_a_parcel_from_sign_in_to_the_label_with_the_keyboard_only(
    bench: StationUnderTest, window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    with bench.ctx.sessions() as session:
        number = session.scalars(select(Rma.rma_number).order_by(Rma.rma_number)).first()
    assert number is not None
    sign_in_as(qtbot, window, Role.GRADER)

    type_keys(qtbot, number)
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.rma)
    assert window.rma.title.text() == number
    qtbot.waitUntil(lambda: "Inspect" in window.rma.primary.text())  # received on arrival
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.inspection)

    finish_inspection(window, qtbot, write_photo(tmp_path))
    assert window.decision.disposition.text()
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.label, timeout=10_000)
    pixmap = window.label.preview.pixmap()
    assert pixmap is not None and not pixmap.isNull()

    facts = counts(bench)
    for table in ("receipts", "units", "inspections", "dispositions", "refund_triggers"):
        assert facts[table] == 1, table
    assert facts["audit_events"] >= 6 and facts["outbox"] >= 11

    press(qtbot, Qt.Key.Key_Return)  # the next unit: the one line still open is started
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.inspection)
    assert window.inspection.work is not None
    assert window.inspection.work.draft.line_no == 2
    assert "1 of" in window.rma.table.item(0, 6).text()


def test_an_unknown_code_gets_a_message_and_f2_receives_it_as_unexpected(
    bench: StationUnderTest, window: MainWindow, qtbot: QtBot
) -> None:
    sign_in_as(qtbot, window, Role.CLERK)
    type_keys(qtbot, "RMA-999999")
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.scan.unexpected_button.isVisible())
    assert "No RMA matches" in window.scan.message.text()
    assert counts(bench)["receipts"] == 0
    press(qtbot, Qt.Key.Key_F2)
    qtbot.waitUntil(lambda: window.scan.message.tone == "ok")
    facts = counts(bench)
    assert facts["receipts"] == 1 and facts["exceptions"] == 1


def test_a_wrong_pin_keeps_the_user_on_the_sign_in_screen(
    window: MainWindow, qtbot: QtBot
) -> None:
    qtbot.waitUntil(lambda: window.sign_in.badge.hasFocus())
    press(qtbot, Qt.Key.Key_Down)
    press(qtbot, Qt.Key.Key_Return)
    type_keys(qtbot, "0000")
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.sign_in.message.tone == "error")
    assert "Wrong PIN" in window.sign_in.message.text()
    assert window.stack.currentWidget() is window.sign_in
    assert window.sign_in.pin.text() == ""


def test_a_clerk_is_sent_on_to_the_next_parcel_not_into_a_refused_inspection(
    bench: StationUnderTest, window: MainWindow, qtbot: QtBot
) -> None:
    with bench.ctx.sessions() as session:
        number = session.scalars(select(Rma.rma_number).order_by(Rma.rma_number)).first()
    assert number is not None
    sign_in_as(qtbot, window, Role.CLERK)
    type_keys(qtbot, number)
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.rma)
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "hand it to a grader" in window.rma.message.text())
    assert window.rma.primary.text().startswith("Next parcel")
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.scan)
    assert counts(bench)["units"] == 0
