"""The grader's inspection screen, walked with the keyboard, the scanner and the bench card."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from label_video import write_label_video
from PIL import Image
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select
from station_bench import StationUnderTest, make_station
from ui_steps import (
    answer_with_keys,
    complete_checklist,
    import_required_photos,
    scan,
    sign_in,
    write_photo,
)

from drivers.decoding.decode_pipeline import PipelineDecoder
from drivers.documents.evidence_pdf import ReportLabEvidenceRenderer
from drivers.photos.photo_store import FilePhotoStore
from drivers.scanners.camera_scanner import CameraScanner
from station.common.vocabulary import Role
from station.inspection import finalize as inspection
from station.loadgen.simulated_grader import best_answer
from station.ports.photo_files import photo_path
from station.receiving import parcels as receiving
from station.store.models import AuditEvent, ExceptionCase, Inspection, Photo, Unit
from ui.app import create_application
from ui.main_window import MainWindow

ELECTRONICS, TOYS_X3, BEAUTY, APPAREL = "RMA-100002", "RMA-100003", "RMA-100004", "RMA-100007"


@pytest.fixture
def window(bench: StationUnderTest, qtbot: QtBot, tmp_path: Path) -> Iterator[MainWindow]:
    create_application()
    win = MainWindow(bench.ctx, photos=FilePhotoStore(tmp_path / "photos"))
    qtbot.addWidget(win)
    win.show()
    win.activateWindow()
    sign_in(win, qtbot, Role.GRADER)
    yield win
    win.draft_saver.wait()
    win.tasks.wait_idle()


def to_inspection(window: MainWindow, qtbot: QtBot, number: str) -> None:
    """Scan the RMA: at a grader's bench that receives it and starts its one open line;
    with several open lines, the bench card's Next inspects the first."""
    scan(qtbot, number)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.inspection
                    or "Choose the line" in window.rma.message.text(), timeout=10_000)
    if window.stack.currentWidget() is window.rma:
        scan(qtbot, "CMD:NEXT")
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.inspection, timeout=10_000)


def answer(window: MainWindow, qtbot: QtBot, question_id: str, value: object) -> None:
    work = window.inspection.work
    assert work is not None and work.current is not None
    assert work.current.id == question_id
    answer_with_keys(window, qtbot, value)


def finish_to_label(window: MainWindow, qtbot: QtBot) -> None:
    scan(qtbot, "CMD:NEXT")
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.decision, timeout=10_000)
    scan(qtbot, "CMD:PRINT")
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.label, timeout=10_000)


def inspection_row(bench: StationUnderTest, lpn: str) -> Inspection:
    with bench.ctx.sessions() as session:
        unit = session.scalar(select(Unit).where(Unit.lpn == lpn))
        assert unit is not None
        row = session.scalar(select(Inspection).where(Inspection.unit_id == unit.id))
        assert row is not None
        session.expunge(row)
        return row


def test_electronics_with_a_swapped_serial_is_flagged_graded_x_and_needs_its_photos(
    bench: StationUnderTest, window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    to_inspection(window, qtbot, ELECTRONICS)
    screen = window.inspection
    assert "Scan the serial (expected SN-KFATP8KHV)" in screen.checks.text()

    scan(qtbot, "SN-SWAPPED01")
    qtbot.waitUntil(lambda: "Serial mismatch" in screen.message.text())
    assert "SN-SWAPPED01" in screen.checks.text() and "SN-KFATP8KHV" in screen.checks.text()
    scan(qtbot, "4901234036741")  # the product barcode on the box is right
    qtbot.waitUntil(lambda: "matches ELE-SPK-0330" in screen.checks.text())

    answer(window, qtbot, "right_item", "yes")
    answer(window, qtbot, "sealed", False)
    answer(window, qtbot, "serial_matches", "different")
    qtbot.keyClick(screen, Qt.Key.Key_Backspace)  # undo, then answer again
    qtbot.waitUntil(lambda: screen.work is not None and screen.work.current is not None
                    and screen.work.current.id == "serial_matches")
    answer(window, qtbot, "serial_matches", "different")
    answer(window, qtbot, "battery_swollen", False)
    answer(window, qtbot, "powers_on", True)
    complete_checklist(window, qtbot)
    assert screen.work is not None
    assert screen.work.grade.value == "X"
    assert "serial_mismatch" in screen.outcome.text().replace(" ", "_")

    scan(qtbot, "CMD:NEXT")  # refused: the photos are missing, and the screen names them
    qtbot.waitUntil(lambda: "Cannot finish yet" in screen.message.text())
    for kind in ("front", "back", "label / serial", "packaging"):
        assert kind in screen.message.text()
    assert window.stack.currentWidget() is window.inspection

    import_required_photos(window, qtbot, write_photo(tmp_path))
    assert screen.thumbs.count() == 4
    finish_to_label(window, qtbot)

    assert window.label.unit is not None
    row = inspection_row(bench, window.label.unit.lpn)
    assert row.grade == "X" and "serial_mismatch" in row.flags
    assert row.verification["serial"]["scanned"] == "SN-SWAPPED01"
    assert row.verification["gtin"]["ok"] is True


def test_apparel_without_tags_is_b_and_a_grader_can_give_c_with_a_reason(
    bench: StationUnderTest, window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    to_inspection(window, qtbot, APPAREL)
    screen = window.inspection
    answer(window, qtbot, "right_item", "yes")
    answer(window, qtbot, "tags_attached", False)
    complete_checklist(window, qtbot)
    assert screen.work is not None and screen.work.grade.value == "B"
    assert "caps at B" in screen.outcome.text()

    scan(qtbot, "CMD:GRADE:A")  # better than the cap: refused with the reason
    qtbot.waitUntil(lambda: "better than this unit can get" in screen.message.text())
    scan(qtbot, "CMD:GRADE:C")
    qtbot.waitUntil(lambda: screen.reason_field.hasFocus())
    qtbot.keyClicks(screen.reason_field, "pilling on both cuffs", delay=40)
    qtbot.keyClick(screen.reason_field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: screen.work is not None and screen.work.grade.value == "C")
    assert "pilling on both cuffs" in screen.outcome.text()

    import_required_photos(window, qtbot, write_photo(tmp_path))
    finish_to_label(window, qtbot)

    assert window.label.unit is not None
    row = inspection_row(bench, window.label.unit.lpn)
    assert (row.grade, row.proposed_grade, row.override_reason) == (
        "C", "B", "pilling on both cuffs")
    assert row.answers["tags_attached"] is False
    with bench.ctx.sessions() as session:
        assert session.scalar(select(AuditEvent).where(
            AuditEvent.action == "inspection.grade_overridden")) is not None


def test_beauty_with_a_broken_seal_is_x_with_its_seal_photo(
    bench: StationUnderTest, window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    to_inspection(window, qtbot, BEAUTY)
    screen = window.inspection
    answer(window, qtbot, "right_item", "yes")
    answer(window, qtbot, "hygiene_seal_intact", False)
    complete_checklist(window, qtbot)
    assert screen.work is not None and screen.work.grade.value == "X"
    assert "packaging" in screen.photo_needs.text()
    assert "✗" in screen.photo_needs.text()

    photo = write_photo(tmp_path)
    import_required_photos(window, qtbot, photo)
    assert "✗" not in screen.photo_needs.text()
    finish_to_label(window, qtbot)

    assert window.label.unit is not None
    row = inspection_row(bench, window.label.unit.lpn)
    assert row.grade == "X" and "hygiene_seal_broken" in row.flags
    with bench.ctx.sessions() as session:
        kinds = sorted(session.scalars(select(Photo.kind).where(
            Photo.lpn == window.label.unit.lpn)))
    assert kinds == ["back", "front", "packaging"]


def test_space_takes_a_photo_from_the_camera_stored_clean_and_shown_with_its_caption(
    bench: StationUnderTest, qtbot: QtBot, tmp_path: Path
) -> None:
    create_application()
    video = write_label_video(tmp_path / "bench.avi", "SN-KFATP8KHV", frames=240)
    camera = CameraScanner(str(video), PipelineDecoder(), realtime=True, retry_s=30)
    store = FilePhotoStore(tmp_path / "photos")
    window = MainWindow(bench.ctx, camera=camera, photos=store)
    qtbot.addWidget(window)
    window.show()
    try:
        sign_in(window, qtbot, Role.GRADER)
        to_inspection(window, qtbot, ELECTRONICS)
        screen = window.inspection
        qtbot.waitUntil(lambda: not screen.camera.view.image.isNull(), timeout=10_000)
        qtbot.keyClick(screen, Qt.Key.Key_Space)
        qtbot.waitUntil(lambda: screen.work is not None and len(screen.work.photos) == 1,
                        timeout=10_000)
        photo = screen.work.photos[0]
        assert photo.kind.value == "front" and (photo.width, photo.height) == (640, 360)
        stored = photo_path(store.folder, photo.sha256)
        with Image.open(stored) as image:
            assert image.format == "JPEG" and not image.getexif()
        caption = screen.thumbs.item(0).text()
        assert "front" in caption and "Grader Person" in caption
        assert photo.sha256[:12] in caption
        # the camera also reads the serial on the label it sees
        qtbot.waitUntil(lambda: "SN-KFATP8KHV" in screen.checks.text(), timeout=10_000)
    finally:
        window.close()
        window.tasks.wait_idle()
        window.draft_saver.wait()


def test_a_fourth_unit_of_a_line_of_three_is_set_aside_as_an_over_return(
    bench: StationUnderTest, window: MainWindow, qtbot: QtBot
) -> None:
    grader = bench.actors[Role.GRADER]
    view = receiving.receive(bench.ctx, grader, TOYS_X3)
    assert view.receipt_id is not None
    for _ in range(3):  # three units on benches already
        inspection.start_unit(bench.ctx, grader, view.receipt_id, view.lines[0].id)
    scan(qtbot, TOYS_X3)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.rma)
    qtbot.waitUntil(lambda: "over-return" in window.rma.message.text())
    assert "Enter sets it aside" in window.rma.message.text()
    qtbot.keyClick(window.rma, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "set aside for a supervisor" in window.rma.message.text())
    with bench.ctx.sessions() as session:
        case = session.scalar(select(ExceptionCase))
        assert case is not None and case.kind == "over_return"
        assert session.scalar(select(func.count()).select_from(Unit)) == 0


def test_e_on_the_label_screen_writes_the_units_evidence_sheet(
    bench: StationUnderTest, qtbot: QtBot, tmp_path: Path
) -> None:
    create_application()
    window = MainWindow(bench.ctx, photos=FilePhotoStore(tmp_path / "photos"),
                        evidence=ReportLabEvidenceRenderer(),
                        evidence_folder=tmp_path / "evidence")
    qtbot.addWidget(window)
    window.show()
    try:
        sign_in(window, qtbot, Role.GRADER)
        to_inspection(window, qtbot, APPAREL)
        complete_checklist(window, qtbot)
        import_required_photos(window, qtbot, write_photo(tmp_path))
        finish_to_label(window, qtbot)
        assert window.label.unit is not None
        lpn = window.label.unit.lpn
        qtbot.keyClick(window.label, Qt.Key.Key_E)
        qtbot.waitUntil(lambda: "Evidence sheet written" in window.label.message.text(),
                        timeout=15_000)
        pdf = tmp_path / "evidence" / f"{lpn}.pdf"
        assert pdf.read_bytes().startswith(b"%PDF")
        assert "2 photo(s)" in window.label.message.text()
    finally:
        window.tasks.wait_idle()
        window.draft_saver.wait()


def test_a_number_out_of_range_is_refused_with_the_allowed_range_and_can_be_typed_again(
    window: MainWindow, qtbot: QtBot
) -> None:
    to_inspection(window, qtbot, ELECTRONICS)
    screen = window.inspection
    assert screen.work is not None
    while (question := screen.work.current) is not None and question.id != "defect_count":
        answer_with_keys(window, qtbot,
                         False if question.id == "sealed" else best_answer(screen.work.run,
                                                                           question))
    before = screen.work.run.answers
    assert screen.field.hasFocus()
    qtbot.keyClicks(screen.field, "25")
    qtbot.keyClick(screen.field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "enter a whole number from 0 to 20" in screen.message.text())
    assert screen.work.run.answers == before
    assert screen.work.current is not None and screen.work.current.id == "defect_count"
    screen.field.selectAll()
    answer_with_keys(window, qtbot, 2)
    assert screen.work.run.values()["defect_count"] == 2


def test_s_answers_the_sealed_path_and_goes_on_to_the_decision(
    bench: StationUnderTest, window: MainWindow, qtbot: QtBot
) -> None:
    to_inspection(window, qtbot, BEAUTY)
    work = window.inspection.work
    assert work is not None and window.inspection.fast_button.isVisible()
    assert "Sealed, as new" in window.inspection.fast_button.text()

    qtbot.keyClick(window.inspection, Qt.Key.Key_S)

    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.decision, timeout=10_000)
    assert work.grade.value == "A" and not work.photos
    grader = bench.actors[Role.GRADER]
    assert {(entry["via"], entry["by"]) for entry in work.answer_log()} == {
        ("fast_path", str(grader.user_id))}


def test_the_fast_path_waits_for_the_serial_scan_then_goes_on(
    window: MainWindow, qtbot: QtBot
) -> None:
    to_inspection(window, qtbot, ELECTRONICS)
    screen = window.inspection
    scan(qtbot, "CMD:ASNEW")  # the bench card's barcode does what S does
    qtbot.waitUntil(lambda: "Scan the serial (SN-KFATP8KHV)" in screen.message.text())
    assert window.stack.currentWidget() is screen

    scan(qtbot, "SN-KFATP8KHV")

    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.decision, timeout=10_000)
    assert screen.work is not None
    assert screen.work.answers_record()["serial_matches"] == "matches"


def test_a_tiny_photo_and_the_same_photo_twice_are_refused_with_the_reason(
    window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    to_inspection(window, qtbot, BEAUTY)
    screen = window.inspection
    assert screen.work is not None
    tiny = write_photo(tmp_path, "tiny.jpg", size=(20, 20))
    screen.import_file(tiny)
    qtbot.waitUntil(lambda: "20×20 pixels: too small" in screen.message.text(), timeout=10_000)
    photo = write_photo(tmp_path, "close-up.jpg")
    screen.import_file(photo)
    qtbot.waitUntil(lambda: len(screen.work.photos) == 1, timeout=10_000)  # type: ignore[union-attr]
    screen.import_file(photo)
    qtbot.waitUntil(lambda: "same photo as no. 1" in screen.message.text(), timeout=10_000)
    assert len(screen.work.photos) == 1 and screen.thumbs.count() == 1


def test_space_without_a_camera_imports_from_the_folder_used_last(
    window: MainWindow, qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    to_inspection(window, qtbot, BEAUTY)
    screen = window.inspection
    assert not screen.camera_available
    card = tmp_path / "camera-card"
    card.mkdir()
    photos = [write_photo(card, f"{n}.jpg", (60 * n, 90, 40)) for n in (1, 2)]
    asked: list[str] = []

    def pick(_parent: object, _title: str, folder: str, _filter: str) -> tuple[str, str]:
        asked.append(folder)
        return str(photos[len(asked) - 1]), ""

    monkeypatch.setattr("ui.screens.inspection.QFileDialog.getOpenFileName", pick)
    for count in (1, 2):
        qtbot.keyClick(screen, Qt.Key.Key_Space)
        qtbot.waitUntil(lambda c=count: len(screen.work.photos) == c,  # type: ignore[union-attr]
                        timeout=10_000)
    assert asked[1] == str(card)


def test_the_photo_strip_shows_whole_captions_from_the_first_photo_after_a_resume(
    window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    to_inspection(window, qtbot, BEAUTY)
    screen = window.inspection
    for n in range(6):
        screen.import_file(write_photo(tmp_path, f"{n}.jpg", (30 * n, 90, 40)))
        qtbot.waitUntil(lambda c=n: len(screen.work.photos) == c + 1,  # type: ignore[union-attr]
                        timeout=10_000)
    work = screen.work
    assert work is not None
    window.draft_saver.wait()
    screen.show_work(work, window.actor)  # as a resume shows it  # type: ignore[arg-type]
    qtbot.waitUntil(lambda: screen.thumbs.count() == 6)

    first = screen.thumbs.visualItemRect(screen.thumbs.item(0))
    assert screen.thumbs.viewport().rect().contains(first.topLeft()), "scrolled to the top"
    lines = screen.thumbs.item(0).text().splitlines()
    metrics = screen.thumbs.fontMetrics()
    grid = screen.thumbs.gridSize()
    assert len(lines) == 4
    assert grid.height() >= screen.thumbs.iconSize().height() + len(lines) * metrics.lineSpacing()
    assert all(metrics.horizontalAdvance(line) <= grid.width() for line in lines)


def test_a_held_refund_asks_for_its_evidence_photos_before_the_decision(
    tmp_path: Path, qtbot: QtBot
) -> None:
    held = make_station(tmp_path / "held", high_value_threshold_major=1)
    create_application()
    window = MainWindow(held.ctx, photos=FilePhotoStore(tmp_path / "photos"))
    qtbot.addWidget(window)
    window.show()
    try:
        sign_in(window, qtbot, Role.GRADER)
        to_inspection(window, qtbot, "RMA-100012")
        screen = window.inspection
        qtbot.keyClick(screen, Qt.Key.Key_S)  # a sealed unit: no photo is evidence yet
        qtbot.waitUntil(lambda: "Photos are evidence for a held refund" in
                        screen.message.text(), timeout=10_000)
        assert window.stack.currentWidget() is screen
        assert "front" in screen.message.text()
        import_required_photos(window, qtbot, write_photo(tmp_path))
        qtbot.keyClick(screen, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: window.stack.currentWidget() is window.decision,
                        timeout=10_000)
        assert window.decision.held.isVisible()
    finally:
        window.close()
        window.tasks.wait_idle()
        window.draft_saver.wait()
