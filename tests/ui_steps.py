"""Steps many UI tests share, done the way a person at the bench does them."""

from __future__ import annotations

import gc
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from station_bench import PINS

from station.common.vocabulary import Role
from station.loadgen.simulated_grader import best_answer
from ui.main_window import MainWindow

SCANNER_MS = 3  # between keys, as a keyboard-wedge scanner types


def scan(qtbot: QtBot, text: str) -> None:
    """A keyboard-wedge scanner: fast keys into whatever has the focus, then Enter.

    The test process's own garbage collector is held off while the keys go in: a full
    collection over everything earlier tests left (the app freezes its start-up objects
    out of the collector's way; a test run has no such start) can pause longer than the
    wedge filter's gap between a scanner's keys, and the scan would arrive as two."""
    widget = QApplication.focusWidget()
    assert widget is not None
    collecting = gc.isenabled()
    gc.disable()
    try:
        qtbot.keyClicks(widget, text, delay=SCANNER_MS)
        qtbot.wait(SCANNER_MS)
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    finally:
        if collecting:
            gc.enable()


def sign_in(window: MainWindow, qtbot: QtBot, role: Role) -> None:
    """Choose the user of that role, type the PIN, sign in; ends on the scan screen."""
    window.sign_in.select_user(role.value)
    window.sign_in.pin.setText(PINS[role])
    window.sign_in.button.click()
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.scan)


def answer_with_keys(window: MainWindow, qtbot: QtBot, value: object) -> None:
    """Answer the current question as a grader would: its number key, or type and Enter."""
    screen = window.inspection
    assert screen.work is not None and screen.work.current is not None
    question = screen.work.current
    before = len(screen.work.run.answers)
    options = [v for _label, v in screen._options(question)]
    if options:
        qtbot.keyClick(screen, Qt.Key(Qt.Key.Key_1 + options.index(value)))
    else:
        assert screen.field.hasFocus()
        if value is not None:
            qtbot.keyClicks(screen.field, str(value))
        qtbot.keyClick(screen.field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(screen.work.run.answers) == before + 1,  # type: ignore[union-attr]
                    timeout=10_000)


def complete_checklist(window: MainWindow, qtbot: QtBot) -> None:
    """Answer every question with the keyboard, each time with the answer that keeps the
    unit's grade best."""
    screen = window.inspection
    while screen.work is not None and (question := screen.work.current) is not None:
        answer_with_keys(window, qtbot, best_answer(screen.work.run, question))


def import_required_photos(window: MainWindow, qtbot: QtBot, photo: Path) -> None:
    """Import every photo still required from a handheld camera's file."""
    screen = window.inspection
    assert screen.work is not None
    for need in screen.work.missing().photos:
        for _ in range(need.short):
            before = len(screen.work.photos)
            shade = 40 + 20 * before  # a unit never has the same photo twice
            screen.import_file(write_photo(photo.parent, f"{photo.stem}-{before}.jpg",
                                           (shade, 90, 40)), need.kind)
            qtbot.waitUntil(lambda b=before: len(screen.work.photos) == b + 1,  # type: ignore[union-attr]
                            timeout=10_000)


def finish_inspection(window: MainWindow, qtbot: QtBot, photo: Path) -> None:
    """From the inspection screen to the decision: checklist, photos, Enter."""
    complete_checklist(window, qtbot)
    import_required_photos(window, qtbot, photo)
    window.draft_saver.wait()
    qtbot.keyClick(window.inspection, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.decision, timeout=10_000)


def write_photo(folder: Path, name: str = "photo.jpg", colour: tuple[int, int, int] = (180, 90, 40),
                size: tuple[int, int] = (640, 480)) -> Path:
    """A real JPEG, as a handheld camera would leave on its card."""
    from PIL import Image

    path = folder / name
    Image.new("RGB", size, colour).save(path, "JPEG", quality=90)
    return path
