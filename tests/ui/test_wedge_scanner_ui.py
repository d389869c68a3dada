"""A keyboard-wedge scanner works on any screen and never types into the focused field."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select
from station_bench import PINS, StationUnderTest
from ui_steps import import_required_photos, write_photo

from station.common.vocabulary import Role
from station.loadgen.simulated_grader import best_answer
from station.people import users
from station.store.models import Rma
from ui.app import create_application
from ui.feedback import Tone
from ui.main_window import MainWindow

SCANNER_MS = 3
HUMAN_MS = 90


@pytest.fixture
def window(bench: StationUnderTest, qtbot: QtBot) -> Iterator[MainWindow]:
    create_application()
    win = MainWindow(bench.ctx)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.tasks.wait_idle()


def keys(qtbot: QtBot, text: str, delay: int, enter: bool = True) -> None:
    widget = QApplication.focusWidget()
    assert widget is not None
    qtbot.keyClicks(widget, text, delay=delay)
    if enter:
        qtbot.wait(delay)
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)


def first_rma(bench: StationUnderTest) -> str:
    with bench.ctx.sessions() as session:
        number = session.scalars(select(Rma.rma_number).order_by(Rma.rma_number)).first()
    assert number is not None
    return number


def scan_receive_and_inspect(bench: StationUnderTest, window: MainWindow, qtbot: QtBot) -> None:
    """Scan the first RMA, Enter to receive it, Enter to inspect its first line."""
    keys(qtbot, first_rma(bench), SCANNER_MS)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.rma)
    keys(qtbot, "", HUMAN_MS)
    qtbot.waitUntil(lambda: "Inspect" in window.rma.primary.text())
    keys(qtbot, "", HUMAN_MS)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.inspection)


def signed_in_grader(window: MainWindow, qtbot: QtBot) -> None:
    window.sign_in.select_user("grader")
    keys(qtbot, PINS[Role.GRADER], HUMAN_MS)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.scan)


def test_a_scan_while_the_field_holds_typed_text_reaches_the_handler_not_the_field(
    bench: StationUnderTest, window: MainWindow, qtbot: QtBot
) -> None:
    signed_in_grader(window, qtbot)
    keys(qtbot, "abc", HUMAN_MS, enter=False)
    qtbot.waitUntil(lambda: window.scan.field.text() == "abc")
    keys(qtbot, first_rma(bench), SCANNER_MS)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.rma)
    assert window.rma.title.text() == first_rma(bench)


def test_a_person_typing_an_rma_number_by_hand_still_works(
    bench: StationUnderTest, window: MainWindow, qtbot: QtBot
) -> None:
    signed_in_grader(window, qtbot)
    keys(qtbot, first_rma(bench), HUMAN_MS)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.rma)


def test_a_badge_scanned_on_the_inspection_screen_switches_user_and_keeps_the_draft(
    bench: StationUnderTest, window: MainWindow, qtbot: QtBot
) -> None:
    badge = users.issue_badge(bench.ctx, bench.actors[Role.ADMIN], "supervisor")
    signed_in_grader(window, qtbot)
    scan_receive_and_inspect(bench, window, qtbot)
    keys(qtbot, badge, SCANNER_MS)
    qtbot.waitUntil(lambda: window.actor is not None and window.actor.username == "supervisor")
    assert window.stack.currentWidget() is window.scan
    qtbot.waitUntil(lambda: window.scan.resume_button.isVisible())


def test_a_single_key_on_the_inspection_screen_still_answers(
    bench: StationUnderTest, window: MainWindow, qtbot: QtBot
) -> None:
    signed_in_grader(window, qtbot)
    scan_receive_and_inspect(bench, window, qtbot)
    keys(qtbot, "1", HUMAN_MS, enter=False)
    qtbot.waitUntil(lambda: window.inspection.work is not None
                    and len(window.inspection.work.run.answers) == 1)


def test_a_good_scan_and_an_unknown_code_are_signalled_differently(
    bench: StationUnderTest, window: MainWindow, qtbot: QtBot
) -> None:
    signed_in_grader(window, qtbot)
    keys(qtbot, "RMA-999999", SCANNER_MS)
    qtbot.waitUntil(lambda: window.feedback.last == Tone.UNKNOWN)
    keys(qtbot, first_rma(bench), SCANNER_MS)
    qtbot.waitUntil(lambda: window.feedback.last == Tone.SUCCESS)


def test_sounds_can_be_muted_and_it_is_remembered(bench: StationUnderTest, window: MainWindow,
                                                  qtbot: QtBot) -> None:
    window.mute_action.trigger()
    assert window.feedback.muted
    again = MainWindow(bench.ctx)
    qtbot.addWidget(again)
    assert again.feedback.muted and again.mute_action.isChecked()
    again.mute_action.trigger()
    assert not again.feedback.muted


def test_the_whole_bench_flow_with_the_scanner_and_the_bench_card_alone(
    bench: StationUnderTest, window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    signed_in_grader(window, qtbot)
    keys(qtbot, first_rma(bench), SCANNER_MS)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.rma)
    keys(qtbot, "CMD:NEXT", SCANNER_MS)
    qtbot.waitUntil(lambda: "Inspect" in window.rma.primary.text())
    keys(qtbot, "CMD:NEXT", SCANNER_MS)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.inspection)
    screen = window.inspection
    while screen.work is not None and (question := screen.work.current) is not None:
        value = best_answer(screen.work.run, question)
        options = [v for _label, v in screen._options(question)]
        before = len(screen.work.run.answers)
        if options:
            keys(qtbot, f"CMD:ANSWER:{options.index(value) + 1}", SCANNER_MS)
        else:
            keys(qtbot, "" if value is None else str(value), HUMAN_MS)
        qtbot.waitUntil(lambda b=before: len(screen.work.run.answers) == b + 1)
    keys(qtbot, "CMD:GRADE:B", SCANNER_MS)
    qtbot.waitUntil(lambda: screen.reason_field.hasFocus())
    keys(qtbot, "customer used it once", HUMAN_MS)
    qtbot.waitUntil(lambda: screen.work is not None and screen.work.grade.value == "B")
    import_required_photos(window, qtbot, write_photo(tmp_path))
    keys(qtbot, "CMD:NEXT", SCANNER_MS)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.decision)
    keys(qtbot, "CMD:PRINT", SCANNER_MS)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.label, timeout=10_000)
    keys(qtbot, "CMD:SIGNOUT", SCANNER_MS)
    qtbot.waitUntil(lambda: window.actor is None)


def test_a_tracking_number_with_a_wrong_check_digit_is_refused_with_a_reason(
    window: MainWindow, qtbot: QtBot
) -> None:
    signed_in_grader(window, qtbot)
    keys(qtbot, "1Z999AA10123456785", SCANNER_MS)
    qtbot.waitUntil(lambda: window.feedback.last == Tone.ERROR)
    assert "check digit wrong" in window.scan.message.text()
    assert window.stack.currentWidget() is window.scan


def test_a_scanner_pressing_shift_for_each_capital_is_still_one_scan(
    bench: StationUnderTest, window: MainWindow, qtbot: QtBot
) -> None:
    signed_in_grader(window, qtbot)
    widget = QApplication.focusWidget()
    assert widget is not None
    for char in first_rma(bench):
        if char.isupper():
            qtbot.keyPress(widget, Qt.Key.Key_Shift)
            qtbot.keyClick(widget, char, Qt.KeyboardModifier.ShiftModifier)
            qtbot.keyRelease(widget, Qt.Key.Key_Shift)
        else:
            qtbot.keyClick(widget, char)
        qtbot.wait(2)
    qtbot.keyClick(widget, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.rma)
    assert window.rma.title.text() == first_rma(bench)
