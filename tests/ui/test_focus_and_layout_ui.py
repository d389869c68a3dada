"""The window keeps its size and the keyboard whatever is scanned, opened or closed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select
from station_bench import PINS, StationUnderTest
from ui_steps import finish_inspection, scan, sign_in, write_photo

from station.common.vocabulary import Flag, Role
from station.receiving import parcels as receiving
from station.store.models import ExceptionCase, Receipt, Rma
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


def lock_and_resume(window: MainWindow, bench: StationUnderTest, qtbot: QtBot,
                    role: Role) -> None:
    """Leave the bench idle until it locks, then type the PIN again, as the same person."""
    qtbot.waitUntil(lambda: not window.tasks.busy)
    bench.clock.advance(minutes=bench.ctx.config.security.idle_lock_minutes + 1)
    window.check_idle()
    assert window.actor is None
    qtbot.waitUntil(lambda: window.sign_in.pin.hasFocus())
    qtbot.keyClicks(window.sign_in.pin, PINS[role], delay=10)
    qtbot.keyClick(window.sign_in.pin, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.actor is not None)


def test_after_the_idle_lock_the_inspection_takes_answer_keys_not_the_notes_field(
    bench: StationUnderTest, window: MainWindow, qtbot: QtBot
) -> None:
    sign_in(window, qtbot, Role.GRADER)
    scan(qtbot, first_rma(bench))
    qtbot.waitUntil(lambda: "Inspect" in window.rma.primary.text())
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.inspection)
    screen = window.inspection
    assert screen.work is not None and screen.work.current is not None
    assert screen._options(screen.work.current), "the first question is answered with keys"

    lock_and_resume(window, bench, qtbot, Role.GRADER)

    assert window.stack.currentWidget() is screen
    focus = QApplication.focusWidget()
    assert focus is not screen.notes
    assert focus is screen or (focus is not None and screen.isAncestorOf(focus))
    qtbot.keyClick(focus, Qt.Key.Key_1)
    qtbot.waitUntil(lambda: len(screen.work.run.answers) == 1)  # type: ignore[union-attr]
    assert screen.notes.text() == ""


def close_the_dialog_when_it_opens(qtbot: QtBot) -> None:
    """Esc on the dialog as soon as it is open (exec() blocks the test until it closes)."""
    def close() -> None:
        qtbot.waitUntil(lambda: QApplication.activeModalWidget() is not None)
        modal = QApplication.activeModalWidget()
        assert modal is not None
        qtbot.keyClick(modal, Qt.Key.Key_Escape)

    QTimer.singleShot(0, close)


def keys_reach_the_scan_screen(window: MainWindow, qtbot: QtBot) -> bool:
    return (QApplication.activeWindow() is window
            and QApplication.focusWidget() is window.scan.field)


@pytest.mark.parametrize(("role", "opens"), [
    (Role.GRADER, MainWindow.show_bench_card),
    (Role.GRADER, MainWindow.show_demo_sheet),
    (Role.SUPERVISOR, MainWindow.show_queues),
    (Role.ADMIN, MainWindow.show_users),
])
def test_after_a_dialog_closes_the_keys_go_to_the_screen_again(
    window: MainWindow, qtbot: QtBot, role: Role, opens: Callable[[MainWindow], None]
) -> None:
    sign_in(window, qtbot, role)
    qtbot.waitUntil(lambda: not window.tasks.busy)
    window.scan.field.clearFocus()

    close_the_dialog_when_it_opens(qtbot)
    opens(window)

    qtbot.waitUntil(lambda: keys_reach_the_scan_screen(window, qtbot))


def test_after_the_daily_summary_closes_the_keys_go_to_the_screen_again(
    window: MainWindow, qtbot: QtBot
) -> None:
    sign_in(window, qtbot, Role.SUPERVISOR)
    qtbot.waitUntil(lambda: not window.tasks.busy)
    window.show_summary()
    summary = window.summary_dialog
    assert summary is not None
    qtbot.waitUntil(summary.isVisible)
    summary.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is summary)

    qtbot.keyClick(summary, Qt.Key.Key_Escape)

    qtbot.waitUntil(lambda: keys_reach_the_scan_screen(window, qtbot))


def test_a_menu_mnemonic_works_in_the_open_menu(window: MainWindow, qtbot: QtBot) -> None:
    sign_in(window, qtbot, Role.ADMIN)
    qtbot.waitUntil(lambda: not window.tasks.busy)
    opened: list[str] = []

    def close_and_note() -> None:
        qtbot.waitUntil(lambda: QApplication.activeModalWidget() is not None)
        modal = QApplication.activeModalWidget()
        assert modal is not None
        opened.append(modal.windowTitle())
        qtbot.keyClick(modal, Qt.Key.Key_Escape)

    qtbot.keyClick(window, Qt.Key.Key_S, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: QApplication.activePopupWidget() is not None)
    menu = QApplication.activePopupWidget()
    assert menu is not None
    QTimer.singleShot(0, close_and_note)
    qtbot.keyClick(menu, Qt.Key.Key_U)

    qtbot.waitUntil(lambda: bool(opened))
    assert opened == ["Users"]
    assert window.scan.field.text() == ""


ONE_UNIT_RMA = "RMA-100004"


def open_exceptions(bench: StationUnderTest) -> int:
    with bench.ctx.sessions() as session:
        return session.scalar(select(func.count()).select_from(ExceptionCase)) or 0


def press(qtbot: QtBot, key: Qt.Key) -> None:
    widget = QApplication.focusWidget()
    assert widget is not None, "nothing has the keyboard focus"
    qtbot.keyClick(widget, key)


def start_the_only_unit(window: MainWindow, qtbot: QtBot) -> None:
    """A grader scans a one-unit RMA: it is received and its unit started at once."""
    scan(qtbot, ONE_UNIT_RMA)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.inspection)


def inspect_the_only_unit(window: MainWindow, qtbot: QtBot, photo: Path) -> None:
    """Scan a one-unit RMA, inspect and confirm its unit: ends on the label."""
    start_the_only_unit(window, qtbot)
    finish_inspection(window, qtbot, photo)
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.label, timeout=10_000)


def test_when_every_unit_is_done_the_label_screen_offers_the_next_parcel(
    bench: StationUnderTest, window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    sign_in(window, qtbot, Role.GRADER)
    inspect_the_only_unit(window, qtbot, write_photo(tmp_path))
    qtbot.waitUntil(lambda: not window.tasks.busy)
    assert window.label.next_button.text().startswith("Next parcel")

    for _ in range(3):
        press(qtbot, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: not window.tasks.busy)

    assert window.stack.currentWidget() is window.scan
    assert open_exceptions(bench) == 0


def test_enter_on_an_rma_whose_units_are_all_done_starts_no_over_return_only_o_does(
    bench: StationUnderTest, window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    sign_in(window, qtbot, Role.GRADER)
    inspect_the_only_unit(window, qtbot, write_photo(tmp_path))
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.scan)
    scan(qtbot, ONE_UNIT_RMA)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.rma)
    assert window.rma.primary.text().startswith("Next parcel")
    assert "press O" in window.rma.message.text()

    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.scan)
    assert open_exceptions(bench) == 0

    scan(qtbot, ONE_UNIT_RMA)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.rma)
    press(qtbot, Qt.Key.Key_O)
    qtbot.waitUntil(lambda: "Enter sets it aside" in window.rma.message.text())
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "set aside for a supervisor" in window.rma.message.text())
    assert open_exceptions(bench) == 1


def test_a_clerk_is_told_what_to_do_with_a_received_parcel_not_offered_an_inspection(
    bench: StationUnderTest, window: MainWindow, qtbot: QtBot
) -> None:
    sign_in(window, qtbot, Role.CLERK)
    scan(qtbot, ONE_UNIT_RMA)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.rma)
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.rma.view is not None
                    and window.rma.view.receipt_id is not None)

    said = window.rma.message.text()
    assert "inspect" not in said.lower()
    assert "grader" in said and "Esc" in said
    assert "Inspect" not in window.rma.primary.text()

    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.scan)
    assert window.rma.message.tone != "error"


def test_a_rescanned_parcel_says_when_and_by_whom_it_was_received(
    bench: StationUnderTest, window: MainWindow, qtbot: QtBot
) -> None:
    receiving.receive(bench.ctx, bench.actors[Role.GRADER], ONE_UNIT_RMA)
    sign_in(window, qtbot, Role.CLERK)

    scan(qtbot, ONE_UNIT_RMA)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.rma)

    received_at = bench.clock().astimezone()
    assert f"Received at {received_at:%H:%M} by Grader Person" in window.rma.message.text()


def shown_text(screen: QWidget) -> str:
    return " ".join(label.text() for label in screen.findChildren(QLabel) if label.isVisible())


def test_the_label_of_a_wrong_item_says_an_exception_was_opened_for_a_supervisor(
    bench: StationUnderTest, window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    sign_in(window, qtbot, Role.GRADER)
    start_the_only_unit(window, qtbot)
    work = window.inspection.work
    assert work is not None
    work.toggle_flag(Flag.WRONG_ITEM)
    finish_inspection(window, qtbot, write_photo(tmp_path))
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.label, timeout=10_000)
    qtbot.waitUntil(lambda: not window.tasks.busy)

    assert open_exceptions(bench) == 1
    said = shown_text(window.label)
    assert "exception" in said and "supervisor" in said


def test_a_grader_rescanning_a_received_parcel_is_told_when_and_by_whom_it_was_received(
    bench: StationUnderTest, window: MainWindow, qtbot: QtBot
) -> None:
    receiving.receive(bench.ctx, bench.actors[Role.CLERK], ONE_UNIT_RMA)
    sign_in(window, qtbot, Role.GRADER)

    start_the_only_unit(window, qtbot)

    received_at = bench.clock().astimezone()
    assert f"Received at {received_at:%H:%M} by Clerk Person" in \
        window.inspection.message.text()


def receipts(bench: StationUnderTest) -> int:
    with bench.ctx.sessions() as session:
        return session.scalar(select(func.count()).select_from(Receipt)) or 0


def test_the_scan_screen_shows_what_a_look_alike_scan_was_read_as(
    window: MainWindow, qtbot: QtBot
) -> None:
    sign_in(window, qtbot, Role.CLERK)

    window.on_scan("rma\u2010999999")  # a serial or camera scanner: no key events
    qtbot.waitUntil(lambda: window.scan.unexpected_button.isVisible())

    assert "Read as RMA-999999 (from 'rma\u2010999999': case, dash)" in \
        window.scan.message.text()


def test_a_look_alike_scan_of_a_known_rma_says_what_it_was_read_as(
    window: MainWindow, qtbot: QtBot
) -> None:
    sign_in(window, qtbot, Role.CLERK)

    window.on_scan("rma\u2010100002")
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.rma)

    assert window.rma.title.text() == "RMA-100002"
    assert "Read as RMA-100002 (from 'rma\u2010100002': case, dash)" in \
        window.rma.message.text()


GARBAGE = "!!@@##$$%%^^&&**"


def test_f2_on_garbage_asks_again_before_receiving_it_as_an_unexpected_parcel(
    bench: StationUnderTest, window: MainWindow, qtbot: QtBot
) -> None:
    sign_in(window, qtbot, Role.CLERK)
    scan(qtbot, GARBAGE)
    qtbot.waitUntil(lambda: window.scan.unexpected_button.isVisible())

    press(qtbot, Qt.Key.Key_F2)
    qtbot.waitUntil(lambda: not window.tasks.busy)
    assert receipts(bench) == 0
    assert "F2 again" in window.scan.message.text()

    press(qtbot, Qt.Key.Key_F2)
    qtbot.waitUntil(lambda: window.scan.message.tone == "ok")
    assert receipts(bench) == 1


def test_the_same_garbage_scanned_twice_is_received_with_one_f2(
    bench: StationUnderTest, window: MainWindow, qtbot: QtBot
) -> None:
    sign_in(window, qtbot, Role.CLERK)
    for _ in range(2):
        scan(qtbot, GARBAGE)
        qtbot.waitUntil(lambda: window.scan.unexpected_button.isVisible())
        qtbot.waitUntil(lambda: not window.tasks.busy)

    press(qtbot, Qt.Key.Key_F2)
    qtbot.waitUntil(lambda: window.scan.message.tone == "ok")
    assert receipts(bench) == 1


def test_f2_on_a_code_that_looks_like_a_parcel_code_receives_it_at_once(
    bench: StationUnderTest, window: MainWindow, qtbot: QtBot
) -> None:
    sign_in(window, qtbot, Role.CLERK)
    scan(qtbot, "1Z999AA10123456784")
    qtbot.waitUntil(lambda: window.scan.unexpected_button.isVisible())

    press(qtbot, Qt.Key.Key_F2)
    qtbot.waitUntil(lambda: window.scan.message.tone == "ok")
    assert receipts(bench) == 1


def test_when_a_dialog_of_the_summary_closes_the_summary_has_the_keyboard_again(
    window: MainWindow, qtbot: QtBot
) -> None:
    sign_in(window, qtbot, Role.SUPERVISOR)
    qtbot.waitUntil(lambda: not window.tasks.busy)
    window.show_summary()
    summary = window.summary_dialog
    assert summary is not None
    qtbot.waitUntil(lambda: QApplication.activeWindow() is summary)

    close_the_dialog_when_it_opens(qtbot)
    QMessageBox.information(summary, "Export", "As the save dialog of Export CSV… would be.")

    qtbot.waitUntil(lambda: QApplication.activeWindow() is summary)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None
                    and summary.isAncestorOf(QApplication.focusWidget()))
