"""An inspection in progress survives the app being killed (SIGKILL) and is resumed exactly.

The app runs in a child process (`kill_walk_app.py`): it signs in as the grader, receives a
parcel, answers three questions, imports two photos and types a note, says what it did on
stdout and keeps running. The test kills it with SIGKILL — no clean-up, no close event, no
last save — then opens the same station folder again in this process, as the restarted app
would, signs in as the same grader and resumes the draft with F5.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select
from station_bench import START, ManualClock, make_station
from ui_steps import complete_checklist, import_required_photos, sign_in, write_photo

from drivers.photos.photo_store import FilePhotoStore
from station.common.vocabulary import Role
from station.ports.photo_files import photo_path
from station.runtime.bootstrap import OpenStation, open_station
from station.settings.config import StationConfig, resolve_locations
from station.store.models import AuditEvent, Inspection, InspectionDraft, Photo, Unit
from ui.app import create_application
from ui.main_window import MainWindow

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX only")

APP_SCRIPT = Path(__file__).with_name("kill_walk_app.py")
REPO = Path(__file__).resolve().parents[2]
REPORT_TIMEOUT_S = 60.0
UI_TIMEOUT_MS = 15_000


@dataclass(frozen=True)
class KilledWalk:
    """What the killed app had done, as it reported it just before the kill."""

    lpn: str
    answers: list[list[Any]]
    photos: list[list[str]]
    notes: str
    current: str


def _read_lines(stream: IO[str], lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line)
    lines.put("")  # end of output: the child exited (or was killed)


def walk_and_kill(folder: Path, photos: list[Path], log: Path) -> KilledWalk:
    """Run the app to the middle of an inspection, wait for its report, SIGKILL it."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    with log.open("w", encoding="utf-8") as stderr:
        child = subprocess.Popen(
            [sys.executable, str(APP_SCRIPT), str(folder), *map(str, photos)],
            stdout=subprocess.PIPE, stderr=stderr, stdin=subprocess.DEVNULL, text=True,
            encoding="utf-8", env=env, cwd=REPO)
    assert child.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=_read_lines, args=(child.stdout, lines), daemon=True)
    reader.start()
    try:
        try:
            line = lines.get(timeout=REPORT_TIMEOUT_S)
        except queue.Empty:
            pytest.fail(f"the app did not report within {REPORT_TIMEOUT_S:.0f} s; its stderr:\n"
                        + log.read_text(encoding="utf-8")[-4000:])
        if not line.strip():
            child.wait(timeout=10)
            pytest.fail(f"the app exited ({child.returncode}) before reporting; its stderr:\n"
                        + log.read_text(encoding="utf-8")[-4000:])
        assert child.poll() is None, "the app must still be running when it is killed"
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=30)
        reader.join(timeout=10)
        child.stdout.close()
    report = json.loads(line)
    return KilledWalk(report["lpn"], report["answers"], report["photos"], report["notes"],
                      report["current"])


@dataclass
class Restarted:
    opened: OpenStation
    walked: KilledWalk

    @property
    def ctx(self) -> Any:
        return self.opened.ctx

    @property
    def photos_dir(self) -> Path:
        return self.opened.locations.photos_dir


@pytest.fixture
def restarted(tmp_path: Path) -> Iterator[Restarted]:
    """The station after the app was killed mid-inspection, opened again as on restart."""
    folder = tmp_path / "station"
    make_station(folder).opened.close()
    photos = [write_photo(tmp_path, "front.jpg", (180, 90, 40)),
              write_photo(tmp_path, "back.jpg", (40, 90, 180))]
    walked = walk_and_kill(folder, photos, tmp_path / "app-stderr.log")
    locations = resolve_locations(data_dir=str(folder), env={})
    opened = open_station(StationConfig(station_code="BENCH-01", lpn_prefix="BN"), locations)
    # Later than anything the killed app did (its clock started at START and ran for seconds).
    opened = replace(opened, ctx=replace(opened.ctx, clock=ManualClock(START + timedelta(hours=1))))
    yield Restarted(opened, walked)
    opened.close()


@pytest.fixture
def window(restarted: Restarted, qtbot: QtBot) -> Iterator[MainWindow]:
    create_application()
    win = MainWindow(restarted.ctx, photos=FilePhotoStore(restarted.photos_dir))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.draft_saver.wait()
    win.tasks.wait_idle()


def resume_after_sign_in(window: MainWindow, qtbot: QtBot, lpn: str) -> None:
    """Sign in as the grader; the scan screen offers the draft; F5 resumes it."""
    sign_in(window, qtbot, Role.GRADER)
    button = window.scan.resume_button
    qtbot.waitUntil(lambda: button.isVisible() and lpn in button.text(), timeout=UI_TIMEOUT_MS)
    assert lpn in window.scan.message.text()
    qtbot.keyClick(window.scan, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.inspection
                    and window.inspection.work is not None, timeout=UI_TIMEOUT_MS)


def test_a_killed_inspection_is_resumed_with_every_answer_photo_and_note_and_finished(
    restarted: Restarted, window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    walked = restarted.walked
    assert len(walked.answers) == 3 and len(walked.photos) == 2 and walked.notes
    assert walked.photos[0][0] != walked.photos[1][0]
    resume_after_sign_in(window, qtbot, walked.lpn)

    screen = window.inspection
    work = screen.work
    assert work is not None
    assert work.draft.lpn == walked.lpn
    assert [[a.question_id, a.value] for a in work.run.answers] == walked.answers
    assert [[p.sha256, p.kind.value] for p in work.photos] == walked.photos
    for sha, _kind in walked.photos:
        assert photo_path(restarted.photos_dir, sha).is_file()
    assert screen.thumbs.count() == 2
    assert all(not screen.thumbs.item(i).icon().isNull() for i in range(2)), \
        "the thumbnails are loaded from the photo folder"
    assert work.notes == walked.notes and screen.notes.text() == walked.notes
    assert work.current is not None and work.current.id == walked.current
    asked = [q.id for q in work.checklist.questions]
    assert asked.index(walked.current) == 3, "the question after the three answered"
    assert work.current.text in screen.question.text()
    assert "Resumed" in screen.message.text()

    complete_checklist(window, qtbot)
    import_required_photos(window, qtbot, write_photo(tmp_path, "more.jpg", (90, 180, 40)))
    window.draft_saver.wait()
    qtbot.keyClick(screen, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.decision,
                    timeout=UI_TIMEOUT_MS)
    window.decision.confirm()
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.label, timeout=UI_TIMEOUT_MS)
    window.tasks.wait_idle()

    with restarted.ctx.sessions() as session:
        units = list(session.scalars(select(Unit).where(Unit.lpn == walked.lpn)))
        assert len(units) == 1
        inspection = session.scalars(select(Inspection)
                                     .where(Inspection.unit_id == units[0].id)).one()
        for question_id, value in walked.answers:
            assert inspection.answers[question_id] == value, question_id
        assert inspection.notes == walked.notes
        kept = {(p.sha256, p.kind) for p in session.scalars(
            select(Photo).where(Photo.unit_id == units[0].id, Photo.lpn == walked.lpn))}
        assert {(sha, kind) for sha, kind in walked.photos} <= kept
        assert session.scalar(select(func.count()).select_from(InspectionDraft)) == 0
        resumed = list(session.scalars(select(AuditEvent).where(
            AuditEvent.action == "inspection.resumed", AuditEvent.subject == walked.lpn)))
        assert len(resumed) == 1
        assert resumed[0].data == {"answers": 3, "photos": 2}


def test_a_killed_inspection_can_be_put_back_after_resuming(
    restarted: Restarted, window: MainWindow, qtbot: QtBot
) -> None:
    walked = restarted.walked
    resume_after_sign_in(window, qtbot, walked.lpn)
    assert window.inspection.work is not None
    assert window.inspection.work.draft.lpn == walked.lpn

    window.inspection.ask_put_back()
    assert window.stack.currentWidget() is window.inspection, "the first Esc only asks"
    window.inspection.ask_put_back()
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.rma, timeout=UI_TIMEOUT_MS)
    window.tasks.wait_idle()

    with restarted.ctx.sessions() as session:
        assert session.scalar(select(func.count()).select_from(InspectionDraft)) == 0
        assert session.scalar(select(func.count()).select_from(Unit)) == 0
        abandoned = list(session.scalars(select(AuditEvent).where(
            AuditEvent.action == "inspection.abandoned", AuditEvent.subject == walked.lpn)))
        assert len(abandoned) == 1
        assert abandoned[0].data == {"answers": 3, "photos": 2}
