"""The station app, walked to the middle of an inspection, then left running until killed.

Run as a subprocess by `test_draft_survives_kill.py`:

    python tests/ui/kill_walk_app.py DATA_DIR PHOTO_FILE [SECOND_PHOTO_FILE]

Opens the station in DATA_DIR (a copy made by `station_bench.make_station`: station BENCH-01,
LPN prefix BN), signs in as the grader, receives the first RMA, starts inspecting its first
line, answers three questions with the keyboard, imports two photos (front from PHOTO_FILE,
back from SECOND_PHOTO_FILE, or PHOTO_FILE again), types a note, waits until the draft is
written, prints what it did as one JSON line on stdout, and then runs the Qt event loop
forever like the real app, until the test kills it with SIGKILL.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
for entry in (ROOT / "tests", ROOT):  # tests helpers (station_bench, ui_steps), repo packages
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import json  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import replace  # noqa: E402
from datetime import datetime, timedelta  # noqa: E402

from PySide6.QtCore import QStandardPaths, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from sqlalchemy import select  # noqa: E402
from station_bench import PINS, START  # noqa: E402

from drivers.photos.photo_store import FilePhotoStore  # noqa: E402
from station.common.vocabulary import PhotoKind, Role  # noqa: E402
from station.loadgen.simulated_grader import best_answer  # noqa: E402
from station.runtime.bootstrap import open_station  # noqa: E402
from station.settings.config import StationConfig, resolve_locations  # noqa: E402
from station.store.models import Rma  # noqa: E402
from ui.app import create_application  # noqa: E402
from ui.main_window import MainWindow  # noqa: E402

NOTE = "Left heel scuffed; box corner dented"
TYPING_DELAY_MS = 80  # a person at the keyboard, not a wedge scanner (35 ms or less per key)
STEP_TIMEOUT_S = 20.0


def wait_until(what: str, predicate: Callable[[], bool], timeout: float = STEP_TIMEOUT_S) -> None:
    """Process Qt events until `predicate` holds; exit loudly (stderr, code 3) if it never does."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            print(f"kill_walk_app: timed out waiting for {what}", file=sys.stderr, flush=True)
            sys.exit(3)
        QApplication.processEvents()
        time.sleep(0.01)


def ticking_clock() -> Callable[[], datetime]:
    """Real time passing, but starting at the bench's START, the day the demo RMAs are for."""
    started = time.monotonic()
    return lambda: START + timedelta(seconds=time.monotonic() - started)


def answer_with_keys(window: MainWindow) -> tuple[str, object]:
    """Answer the current question as a grader does (number key, or type and Enter) with the
    answer that keeps the grade best; returns (question id, value)."""
    screen = window.inspection
    work = screen.work
    assert work is not None and work.current is not None
    question = work.current
    value = best_answer(work.run, question)
    before = len(work.run.answers)
    options = [v for _label, v in screen._options(question)]
    if options:
        QTest.keyClick(screen, Qt.Key(Qt.Key.Key_1 + options.index(value)))
    else:
        wait_until(f"the answer field of {question.id} to have the focus",
                   screen.field.hasFocus)
        if value is not None:
            QTest.keyClicks(screen.field, str(value), Qt.KeyboardModifier.NoModifier,
                            TYPING_DELAY_MS)
        QTest.keyClick(screen.field, Qt.Key.Key_Return)
    wait_until(f"the answer to {question.id}", lambda: len(work.run.answers) == before + 1)
    return question.id, value


def main(argv: list[str]) -> int:
    if len(argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    data_dir = Path(argv[1])
    first_photo = Path(argv[2])
    second_photo = Path(argv[3]) if len(argv) == 4 else first_photo
    QStandardPaths.setTestModeEnabled(True)  # QSettings stay out of ~/.config, as in the tests

    locations = resolve_locations(data_dir=str(data_dir), env={})
    opened = open_station(StationConfig(station_code="BENCH-01", lpn_prefix="BN"), locations)
    opened = replace(opened, ctx=replace(opened.ctx, clock=ticking_clock()))
    ctx = opened.ctx
    app = create_application()
    window = MainWindow(ctx, photos=FilePhotoStore(locations.photos_dir))
    window.show()
    window.raise_()
    window.activateWindow()
    wait_until("the window to be exposed", window.isVisible)

    window.sign_in.select_user(Role.GRADER.value)
    window.sign_in.pin.setText(PINS[Role.GRADER])
    window.sign_in.button.click()
    wait_until("the scan screen", lambda: window.stack.currentWidget() is window.scan)

    with ctx.sessions() as session:
        number = session.scalars(select(Rma.rma_number).order_by(Rma.rma_number)).first()
    assert number is not None
    window.scan.submit(number)
    wait_until("the RMA screen", lambda: window.stack.currentWidget() is window.rma)
    wait_until("the RMA screen to be idle", lambda: not window.tasks.busy)
    window.rma.act()  # receive the parcel
    wait_until("the parcel to be received", lambda: "Inspect" in window.rma.primary.text())
    wait_until("the RMA screen to be idle", lambda: not window.tasks.busy)
    window.rma.table.selectRow(0)
    window.rma.act()  # inspect the first line
    wait_until("the inspection screen",
               lambda: window.stack.currentWidget() is window.inspection
               and window.inspection.work is not None)
    screen = window.inspection
    work = screen.work
    assert work is not None
    wait_until("the inspection screen to have the focus",
               lambda: QApplication.focusWidget() in (screen, screen.field))

    answers = [answer_with_keys(window) for _ in range(3)]

    for path, kind in ((first_photo, PhotoKind.FRONT), (second_photo, PhotoKind.BACK)):
        before = len(work.photos)
        screen.import_file(path, kind)
        wait_until(f"the {kind.value} photo", lambda b=before: len(work.photos) == b + 1)

    screen.notes.setFocus()
    wait_until("the notes field to have the focus", screen.notes.hasFocus)
    QTest.keyClicks(screen.notes, NOTE, Qt.KeyboardModifier.NoModifier, TYPING_DELAY_MS)
    QTest.keyClick(screen.notes, Qt.Key.Key_Return)
    wait_until("the note to be recorded", lambda: work.notes == NOTE)

    window.tasks.wait_idle()
    QApplication.processEvents()
    if not window.draft_saver.wait(30_000):
        print("kill_walk_app: the draft saver did not finish", file=sys.stderr, flush=True)
        return 4
    window.tasks.wait_idle()

    current = work.current
    report = {
        "lpn": work.draft.lpn,
        "answers": [[a.question_id, a.value] for a in work.run.answers],
        "photos": [[p.sha256, p.kind.value] for p in work.photos],
        "notes": work.notes,
        "chosen": [[qid, value] for qid, value in answers],
        "current": current.id if current is not None else None,
        "pid": os.getpid(),
    }
    sys.stdout.write(json.dumps(report) + "\n")
    sys.stdout.flush()
    return app.exec()  # like the real app: runs until it is killed


if __name__ == "__main__":
    sys.exit(main(sys.argv))
