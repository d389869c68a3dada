"""The evidence sheet of a unit: what it holds, who may make it, that making it is audited,
that it never names the customer, and what it says about each photo's file."""

from __future__ import annotations

import dataclasses
import hashlib
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from station_bench import TINY_PNG, StationUnderTest, inspect_unit, make_station

from station.audit import chain as audit
from station.common.money import format_minor
from station.common.permissions import PermissionDenied
from station.common.vocabulary import Category, Grade, Role
from station.inspection import finalize as inspection
from station.ports.photo_files import photo_path
from station.receiving import parcels as receiving
from station.settings.config import PrivacyConfig
from station.store.models import AuditEvent, ExceptionCase, Inspection, Photo, Rma, RmaLine, Unit
from station.supervision.evidence import (
    GENERATED_ACTION,
    EvidenceError,
    EvidenceSheet,
    PhotoFile,
    gather,
    human_size,
    utc_minutes,
    write_atomically,
)

CUSTOMER = "Zebulon Quackenbush-Private"


def receive_first_rma(bench: StationUnderTest) -> tuple[uuid.UUID, uuid.UUID]:
    """The first RMA received by the grader: its receipt and first line."""
    grader = bench.actors[Role.GRADER]
    with bench.ctx.sessions() as session:
        number = session.scalars(select(Rma.rma_number).order_by(Rma.rma_number)).first()
    view = receiving.receive(bench.ctx, grader, number)
    assert view.receipt_id is not None
    return view.receipt_id, view.lines[0].id


def photos_folder(bench: StationUnderTest) -> Path:
    return bench.locations.photos_folder(bench.ctx.config)


def keep_file(bench: StationUnderTest, content: bytes) -> Path:
    """Put a photo's file where the station keeps it."""
    path = photo_path(photos_folder(bench), hashlib.sha256(content).hexdigest())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def finished_lpn(bench: StationUnderTest, grade: Grade = Grade.B) -> str:
    """A unit taken through the checklist by the simulated grader, its photo files kept."""
    receipt_id, line_id = receive_first_rma(bench)
    unit = inspect_unit(bench, bench.actors[Role.GRADER], receipt_id, line_id, grade)
    keep_file(bench, TINY_PNG)
    return str(unit.lpn)


def add_photo(bench: StationUnderTest, lpn: str, content: bytes, *, kind: str = "defect",
              age: timedelta = timedelta(0)) -> str:
    """A photo row for the unit, taken `age` ago; its file is not kept (see keep_file)."""
    sha = hashlib.sha256(content).hexdigest()
    with bench.ctx.sessions.begin() as session:
        unit = session.scalars(select(Unit).where(Unit.lpn == lpn)).one()
        session.add(Photo(unit_id=unit.id, inspection_id=None, kind=kind, sha256=sha,
                          size_bytes=len(content), taken_by=bench.actors[Role.GRADER].user_id,
                          taken_at=bench.clock() - age, lpn=lpn, width=640, height=480))
    return sha


def set_inspection(bench: StationUnderTest, lpn: str, **values: Any) -> None:
    """Stand in for an inspection recorded differently (older checklist, other notes)."""
    with bench.ctx.sessions.begin() as session:
        unit_id = session.scalars(select(Unit.id).where(Unit.lpn == lpn)).one()
        session.execute(update(Inspection).where(Inspection.unit_id == unit_id).values(**values))


def strings_in(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings_in(key)
            yield from strings_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings_in(item)
    elif isinstance(value, Path):
        yield str(value)


def test_the_sheet_holds_the_rma_line_the_inspection_the_decision_and_the_photos(
    bench: StationUnderTest,
) -> None:
    lpn = finished_lpn(bench)
    grader = bench.actors[Role.GRADER]
    sheet = gather(bench.ctx, grader, lpn, photos_folder(bench))

    with bench.ctx.sessions() as session:
        unit = session.scalars(select(Unit).where(Unit.lpn == lpn)).one()
        line = session.get(RmaLine, unit.rma_line_id)
        assert line is not None
        rma = session.get(Rma, line.rma_id)
        assert rma is not None
        record = session.scalars(select(Inspection).where(Inspection.unit_id == unit.id)).one()
        photo_rows = session.scalars(select(Photo).where(Photo.unit_id == unit.id)).all()
    assert (sheet.lpn, sheet.station_code) == (lpn, "BENCH-01")
    assert (sheet.rma_number, sheet.order_number) == (rma.rma_number, rma.order_number)
    assert sheet.order_date == rma.order_date.isoformat()
    assert (sheet.line_no, sheet.sku, sheet.gtin) == (line.line_no, line.sku, line.gtin)
    assert sheet.category == Category(line.category).label
    assert sheet.price_paid == format_minor(line.unit_price_minor, line.currency)
    assert sheet.grader == grader.display_name == sheet.generated_by
    assert sheet.completed_at == sheet.generated_at == utc_minutes(bench.clock())
    assert (sheet.grade, sheet.grade_meaning) == ("B", "like new / opened")
    assert sheet.checklist == record.checklist and sheet.checklist_version

    checklist = bench.ctx.checklist_for(line.category)
    assert [answer.question for answer in sheet.answers] == [
        checklist.question(question_id).text for question_id in record.answers]
    assert all(answer.answer for answer in sheet.answers)

    assert sheet.decision is not None and sheet.decision.rules_version == "2026.11-1"
    assert sheet.decision.why and sheet.decision.decided_by == grader.display_name
    assert sheet.refund is not None and line.currency in sheet.refund

    assert len(sheet.photos) == len(photo_rows) > 0
    first = next(photo for photo in sheet.photos
                 if photo.sha256 == hashlib.sha256(TINY_PNG).hexdigest())
    assert first.file is PhotoFile.KEPT
    assert first.path == photo_path(photos_folder(bench), first.sha256)
    assert first.caption == (f"{first.kind} · {first.taken_at} · {grader.display_name} · "
                             f"{human_size(first.size_bytes)} · 480×480 · sha256 {first.sha256}")


def test_a_scanned_lpn_is_found_however_it_was_typed(bench: StationUnderTest) -> None:
    lpn = finished_lpn(bench)
    sheet = gather(bench.ctx, bench.actors[Role.GRADER], f"  {lpn.lower()}\r\n",
                   photos_folder(bench))
    assert sheet.lpn == lpn


def test_an_answer_to_a_question_the_checklist_has_since_dropped_shows_its_id(
    bench: StationUnderTest,
) -> None:
    lpn = finished_lpn(bench)
    set_inspection(bench, lpn, answers={"retired_question": True, "how_many": 3})
    sheet = gather(bench.ctx, bench.actors[Role.GRADER], lpn, photos_folder(bench))
    assert [tuple(answer) for answer in sheet.answers] == [
        ("retired_question", "yes"), ("how_many", "3")]


def test_flags_override_and_verification_are_spelled_out(bench: StationUnderTest) -> None:
    lpn = finished_lpn(bench, Grade.D)
    set_inspection(bench, lpn, flags=["missing_parts", "used_worn"], proposed_grade="C",
                   override_reason="Cracked back\nnot asked by the checklist",
                   verification={"gtin": {"expected": "4006381333931",
                                          "scanned": "4006381333948", "ok": False,
                                          "message": "This is line 2's item."},
                                 "serial": {"expected": "SN-1", "scanned": "SN-1", "ok": True}})
    sheet = gather(bench.ctx, bench.actors[Role.GRADER], lpn, photos_folder(bench))
    assert sheet.flags == ("missing parts", "used worn")
    assert (sheet.proposed_grade, sheet.grade) == ("C", "D")
    assert sheet.override_reason == "Cracked back\nnot asked by the checklist"
    assert sheet.verification == (
        "GTIN: expected 4006381333931, scanned 4006381333948: DOES NOT MATCH "
        "(This is line 2's item.)",
        "Serial number: expected SN-1, scanned SN-1: matches",
    )


def test_control_characters_never_reach_the_sheet(bench: StationUnderTest) -> None:
    lpn = finished_lpn(bench)
    set_inspection(bench, lpn, notes="Scuffed\x1b[2J corner\r\n\u202eseal torn\x00")
    sheet = gather(bench.ctx, bench.actors[Role.GRADER], lpn, photos_folder(bench))
    assert sheet.notes == "Scuffed[2J corner\nseal torn"


def test_the_sheet_never_names_the_customer(bench: StationUnderTest) -> None:
    lpn = finished_lpn(bench)
    with bench.ctx.sessions.begin() as session:
        session.execute(update(Rma).values(customer_name=CUSTOMER))
    sheet = gather(bench.ctx, bench.actors[Role.GRADER], lpn, photos_folder(bench))
    texts = list(strings_in(dataclasses.asdict(sheet)))
    assert texts and not [text for text in texts if "Quackenbush" in text]
    assert "customer_name" not in {field.name for field in dataclasses.fields(EvidenceSheet)}


def test_making_a_sheet_is_audited_with_its_photo_count(bench: StationUnderTest) -> None:
    lpn = finished_lpn(bench)
    grader = bench.actors[Role.GRADER]
    sheet = gather(bench.ctx, grader, lpn, photos_folder(bench))
    with bench.ctx.sessions() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == GENERATED_ACTION)).one()
        assert (event.subject, event.actor_id) == (lpn, grader.user_id)
        assert event.data["photos"] == len(sheet.photos)
        assert audit.verify_chain(session, bench.ctx.station_code) is None


def test_a_supervisor_may_make_a_sheet_and_a_clerk_may_not(bench: StationUnderTest) -> None:
    lpn = finished_lpn(bench)
    assert gather(bench.ctx, bench.actors[Role.SUPERVISOR], lpn, photos_folder(bench)).lpn == lpn
    with pytest.raises(PermissionDenied, match="grader or above"):
        gather(bench.ctx, bench.actors[Role.CLERK], lpn, photos_folder(bench))
    with bench.ctx.sessions() as session:
        actions = list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))
    assert actions[-1] == "permission.refused"
    assert actions.count(GENERATED_ACTION) == 1


def test_an_unknown_lpn_is_refused_with_what_to_do_and_nothing_is_audited(
    bench: StationUnderTest,
) -> None:
    with pytest.raises(EvidenceError, match=r"No unit with LPN BN00000099Z on this station\. "
                                            r"Check the label"):
        gather(bench.ctx, bench.actors[Role.GRADER], "bn00000099z", photos_folder(bench))
    with bench.ctx.sessions() as session:
        assert GENERATED_ACTION not in set(session.scalars(select(AuditEvent.action)))


def test_a_unit_still_on_the_bench_has_no_sheet_yet(bench: StationUnderTest) -> None:
    receipt_id, line_id = receive_first_rma(bench)
    work = inspection.start_unit(bench.ctx, bench.actors[Role.GRADER], receipt_id, line_id)
    with pytest.raises(EvidenceError, match="still being inspected"):
        gather(bench.ctx, bench.actors[Role.GRADER], work.draft.lpn, photos_folder(bench))


@pytest.fixture
def retaining(tmp_path: Path) -> Iterator[StationUnderTest]:
    """A station that deletes photo files after 30 days."""
    station = make_station(tmp_path / "station", privacy=PrivacyConfig(retention_days=30))
    yield station
    station.opened.close()


def test_each_photo_says_whether_its_file_is_kept_deleted_missing_or_altered(
    retaining: StationUnderTest,
) -> None:
    lpn = finished_lpn(retaining)
    expired = add_photo(retaining, lpn, b"expired photo", age=timedelta(days=31))
    lost = add_photo(retaining, lpn, b"lost photo", age=timedelta(days=1))
    altered = add_photo(retaining, lpn, b"original photo")
    edited = photo_path(photos_folder(retaining), altered)
    edited.parent.mkdir(parents=True, exist_ok=True)
    edited.write_bytes(b"the same photo, edited since")

    sheet = gather(retaining.ctx, retaining.actors[Role.GRADER], lpn, photos_folder(retaining))
    states = {photo.sha256: photo.file for photo in sheet.photos}
    assert states[expired] is PhotoFile.DELETED_BY_RETENTION
    assert states[lost] is PhotoFile.MISSING
    assert states[altered] is PhotoFile.ALTERED
    assert states[hashlib.sha256(TINY_PNG).hexdigest()] is PhotoFile.KEPT
    assert [photo.taken_at for photo in sheet.photos] == sorted(
        photo.taken_at for photo in sheet.photos)


def test_a_file_is_replaced_whole_or_not_at_all(tmp_path: Path) -> None:
    target = tmp_path / "sheet.pdf"
    target.write_bytes(b"old")
    write_atomically(target, b"%PDF new")
    assert target.read_bytes() == b"%PDF new"
    assert [path.name for path in tmp_path.iterdir()] == ["sheet.pdf"]
    with pytest.raises(EvidenceError, match=r"Cannot write .*no-such-folder"):
        write_atomically(tmp_path / "no-such-folder" / "sheet.pdf", b"%PDF")


def test_the_units_exceptions_are_listed_without_customer_details(
    bench: StationUnderTest,
) -> None:
    lpn = finished_lpn(bench)
    with bench.ctx.sessions.begin() as session:
        unit = session.scalars(select(Unit).where(Unit.lpn == lpn)).one()
        session.add(ExceptionCase(
            kind="wrong_item", receipt_id=unit.receipt_id, unit_id=unit.id,
            details={"sku": "SKU-9", "customer_name": CUSTOMER,
                     "gtin_check": {"ok": False, "customer_email": "z@example.com"}},
            opened_by=bench.actors[Role.GRADER].user_id, opened_at=bench.clock(),
            station_code="BENCH-01"))
    sheet = gather(bench.ctx, bench.actors[Role.GRADER], lpn, photos_folder(bench))
    assert sheet.exceptions == (
        f"wrong item, opened {utc_minutes(bench.clock())} "
        '(sku: SKU-9; gtin_check: {"ok": false})',)
