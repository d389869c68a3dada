"""A unit from RMA line to finished inspection: checklist, checks, flags, photos, grade,
multi-unit lines and over-returns, and drafts that hold everything until the end."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from station_bench import TINY_PNG, StationUnderTest, inspect_unit, make_station, ready_unit

from station.codes.scans import classify
from station.common.vocabulary import Flag, Grade, PhotoKind, Role
from station.grading.unit_in_progress import PhotoTaken
from station.inspection import drafts
from station.inspection import finalize as inspection
from station.inspection.finalize import InspectionError, OverReturnError, UnitInspection
from station.loadgen.simulated_grader import answer_all, best_answer, photo_variant
from station.ports.photos import MemoryPhotoStore
from station.receiving import parcels as receiving
from station.store.models import (
    AuditEvent,
    ExceptionCase,
    Inspection,
    InspectionDraft,
    OutboxEntry,
    Photo,
    Unit,
)

RMA = re.compile(r"RMA-[0-9]{6}")
ELECTRONICS, TOYS_X3, BEAUTY, APPAREL = "RMA-100002", "RMA-100003", "RMA-100004", "RMA-100007"


def start(bench: StationUnderTest, number: str, line: int = 0,
          role: Role = Role.GRADER) -> UnitInspection:
    actor = bench.actors[role]
    view = receiving.receive(bench.ctx, actor, number)
    assert view.receipt_id is not None
    return inspection.start_unit(bench.ctx, actor, view.receipt_id, view.lines[line].id)


def answer(work: UnitInspection, question_id: str, value: object) -> None:
    assert work.current is not None and work.current.id == question_id
    work.answer(value, question_id=question_id)


def take_missing_photos(bench: StationUnderTest, work: UnitInspection) -> None:
    store = MemoryPhotoStore()
    grader = bench.actors[Role.GRADER]
    for need in work.missing().photos:
        for _ in range(need.short):
            stored = store.store(photo_variant(TINY_PNG, len(work.photos)))
            work.add_photo(PhotoTaken(stored.sha256, need.kind, stored.size_bytes,
                                      stored.width, stored.height, bench.clock(),
                                      grader.user_id, grader.display_name))


def count(session: Session, model: type, *where: object) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_a_serial_mismatch_scanned_on_an_electronics_unit_makes_it_x_and_is_recorded(
    bench: StationUnderTest,
) -> None:
    work = start(bench, ELECTRONICS)
    [check] = work.scan(classify("SN-SWAPPED01", RMA))
    assert check.message == "Serial mismatch: scanned SN-SWAPPED01, sold SN-KFATP8KHV."
    answer_all(work)
    outcome = work.outcome()
    assert Flag.SERIAL_MISMATCH in outcome.flags and outcome.grade is Grade.X
    assert "serial mismatch" in outcome.reason
    take_missing_photos(bench, work)

    unit = inspection.finalize(bench.ctx, bench.actors[Role.GRADER], work)

    with bench.ctx.sessions() as session:
        row = session.scalar(select(Inspection).where(Inspection.unit_id == unit.unit_id))
        assert row is not None and row.grade == "X" and "serial_mismatch" in row.flags
        assert row.verification["serial"] == {
            "scanned": "SN-SWAPPED01", "expected": "SN-KFATP8KHV", "ok": False,
            "message": check.message}
        assert (row.checklist, row.checklist_version) == ("electronics", "2026.12-1")
        assert row.answers == work.run.values()


def test_apparel_without_tags_is_capped_at_b_and_says_why(bench: StationUnderTest) -> None:
    work = start(bench, APPAREL)
    answer(work, "right_item", "yes")
    answer(work, "tags_attached", False)
    answer_all(work)
    outcome = work.outcome()
    assert (outcome.grade, outcome.ceiling) == (Grade.B, Grade.B)
    assert "caps at B" in outcome.reason


def test_a_broken_hygiene_seal_on_beauty_is_x_and_no_better_grade_can_be_given(
    bench: StationUnderTest,
) -> None:
    work = start(bench, BEAUTY)
    answer(work, "right_item", "yes")
    answer(work, "hygiene_seal_intact", False)
    answer_all(work)
    assert work.outcome().grade is Grade.X
    assert Flag.HYGIENE_SEAL_BROKEN in work.outcome().flags
    with pytest.raises(InspectionError, match="better than this unit can get"):
        work.choose_grade(Grade.C, "looks fine to me")
    assert work.grade is Grade.X


def test_a_unit_cannot_be_finished_while_an_answer_or_photo_is_missing(
    bench: StationUnderTest,
) -> None:
    work = start(bench, APPAREL)
    grader = bench.actors[Role.GRADER]
    with pytest.raises(InspectionError, match=r"Answer: Is the item on the RMA line"):
        inspection.finalize(bench.ctx, grader, work)
    answer_all(work)
    with pytest.raises(InspectionError) as refused:
        inspection.finalize(bench.ctx, grader, work)
    assert "Photo: 1 × front" in str(refused.value) and "Photo: 1 × back" in str(refused.value)
    with bench.ctx.sessions() as session:
        assert count(session, Unit) == 0


def test_another_grade_needs_a_reason_which_is_recorded_and_audited(
    bench: StationUnderTest,
) -> None:
    work = start(bench, APPAREL)
    answer_all(work)
    assert work.outcome().grade is Grade.A
    with pytest.raises(InspectionError, match="a reason is required"):
        work.choose_grade(Grade.C, "   ")
    work.choose_grade(Grade.C, "pilling on both cuffs")
    take_missing_photos(bench, work)
    unit = inspection.finalize(bench.ctx, bench.actors[Role.GRADER], work)
    assert unit.grade is Grade.C
    with bench.ctx.sessions() as session:
        row = session.scalar(select(Inspection).where(Inspection.unit_id == unit.unit_id))
        assert row is not None
        assert (row.grade, row.proposed_grade, row.override_reason) == (
            "C", "A", "pilling on both cuffs")
        event = session.scalar(select(AuditEvent).where(
            AuditEvent.action == "inspection.grade_overridden"))
        assert event is not None and event.data["reason"] == "pilling on both cuffs"


def test_changing_an_answer_drops_a_grade_given_for_the_old_answers(
    bench: StationUnderTest,
) -> None:
    work = start(bench, APPAREL)
    answer_all(work)
    work.choose_grade(Grade.D, "torn seam")
    work.back()
    assert (work.chosen_grade, work.override_reason) == (None, None)


def test_a_line_of_three_yields_three_units_and_a_fourth_item_is_an_exception(
    bench: StationUnderTest,
) -> None:
    grader = bench.actors[Role.GRADER]
    view = receiving.receive(bench.ctx, grader, TOYS_X3)
    assert view.receipt_id is not None
    line = view.lines[0]
    assert line.quantity == 3
    lpns = {inspect_unit(bench, grader, view.receipt_id, line.id, Grade.A).lpn
            for _ in range(2)}
    on_bench = inspection.start_unit(bench.ctx, grader, view.receipt_id, line.id)
    with pytest.raises(OverReturnError, match="over-return") as refused:
        inspection.start_unit(bench.ctx, grader, view.receipt_id, line.id)
    lpns.add(on_bench.draft.lpn)
    assert len(lpns) == 3

    aside = inspection.set_aside_over_return(bench.ctx, grader, refused.value.receipt_id,
                                             refused.value.rma_line_id)

    with bench.ctx.sessions() as session:
        case = session.get(ExceptionCase, aside.exception_id)
        assert case is not None and case.kind == "over_return"
        assert case.details["quantity"] == 3 and case.details["units_taken"] == 3
        assert count(session, OutboxEntry, OutboxEntry.entity_id == case.id) == 1
        assert count(session, Unit) == 2


def test_a_wrong_item_opens_an_exception_for_a_supervisor(bench: StationUnderTest) -> None:
    work = start(bench, ELECTRONICS)
    work.scan(classify("5012345036748", RMA))
    answer(work, "right_item", "a different item")
    assert work.current is None  # the checklist ends there
    take_missing_photos(bench, work)
    unit = inspection.finalize(bench.ctx, bench.actors[Role.GRADER], work)
    assert unit.exception_id is not None
    with bench.ctx.sessions() as session:
        case = session.get(ExceptionCase, unit.exception_id)
        assert case is not None and case.kind == "wrong_item" and case.unit_id == unit.unit_id
        assert case.details["gtin_check"]["scanned"] == "5012345036748"


def test_photos_become_facts_with_lpn_grader_time_size_and_hash(bench: StationUnderTest) -> None:
    grader = bench.actors[Role.GRADER]
    work = ready_unit(bench, grader, *ids(bench, APPAREL), Grade.A)
    unit = inspection.finalize(bench.ctx, grader, work)
    with bench.ctx.sessions() as session:
        photos = session.scalars(select(Photo).where(Photo.unit_id == unit.unit_id)).all()
        assert sorted(p.kind for p in photos) == ["back", "front"]
        for photo in photos:
            assert (photo.lpn, photo.taken_by, photo.width, photo.height) == (
                unit.lpn, grader.user_id, 480, 480)
            assert photo.sha256 in {taken.sha256 for taken in work.photos}
            assert count(session, OutboxEntry, OutboxEntry.entity_id == photo.id) == 1


def ids(bench: StationUnderTest, number: str) -> tuple[uuid.UUID, uuid.UUID]:
    view = receiving.receive(bench.ctx, bench.actors[Role.GRADER], number)
    assert view.receipt_id is not None
    return view.receipt_id, view.lines[0].id


# ----------------------------------------------------------------------------- drafts


def half_done(bench: StationUnderTest) -> UnitInspection:
    work = start(bench, ELECTRONICS)
    work.scan(classify("SN-KFATP8KHV", RMA))
    for _ in range(3):
        assert work.current is not None
        work.answer(best_answer(work.run, work.current))
    work.add_photo(PhotoTaken("ab" * 32, PhotoKind.FRONT, 1234, 640, 480, bench.clock(),
                              bench.actors[Role.GRADER].user_id, "Grader Person"))
    work.set_notes("charger missing from the box")
    work.toggle_flag(Flag.DAMAGED_IN_TRANSIT)
    assert drafts.save(bench.ctx, work.draft.lpn, work.to_state())
    return work


def test_a_saved_draft_resumes_exactly_as_it_was_left(bench: StationUnderTest) -> None:
    work = half_done(bench)
    grader = bench.actors[Role.GRADER]
    [summary] = drafts.open_drafts(bench.ctx, grader)
    assert (summary.lpn, summary.answers, summary.photos) == (work.draft.lpn, 3, 1)

    resumed = drafts.resume(bench.ctx, grader, work.draft.lpn)

    assert resumed.draft == work.draft
    assert resumed.run.answers == work.run.answers
    assert resumed.photos == work.photos
    assert resumed.notes == work.notes and resumed.checks == work.checks
    assert resumed.manual_flags == {Flag.DAMAGED_IN_TRANSIT}
    assert resumed.current == work.current and resumed.outcome() == work.outcome()
    with bench.ctx.sessions() as session:
        assert count(session, AuditEvent, AuditEvent.action == "inspection.resumed") == 1


def test_an_open_draft_holds_its_place_and_finishing_removes_it(bench: StationUnderTest) -> None:
    work = half_done(bench)
    answer_all(work)
    take_missing_photos(bench, work)
    inspection.finalize(bench.ctx, bench.actors[Role.GRADER], work)
    assert drafts.save(bench.ctx, work.draft.lpn, work.to_state()) is False  # a late save
    with bench.ctx.sessions() as session:
        assert count(session, InspectionDraft) == 0


def test_only_its_grader_or_a_supervisor_may_resume_a_draft(bench: StationUnderTest) -> None:
    work = half_done(bench)
    other = bench.actors[Role.ADMIN]
    assert drafts.open_drafts(bench.ctx, bench.actors[Role.SUPERVISOR])
    with pytest.raises(InspectionError, match="another grader"):
        drafts.resume(bench.ctx, bench.actors[Role.GRADER].__class__(
            uuid.uuid4(), "temp", "Temp Grader", Role.GRADER), work.draft.lpn)
    assert drafts.resume(bench.ctx, other, work.draft.lpn).draft.lpn == work.draft.lpn


def test_putting_a_unit_back_discards_the_draft_and_is_audited(bench: StationUnderTest) -> None:
    work = half_done(bench)
    drafts.discard(bench.ctx, bench.actors[Role.GRADER], work.draft.lpn)
    with bench.ctx.sessions() as session:
        assert count(session, InspectionDraft) == 0 and count(session, Unit) == 0
        event = session.scalar(select(AuditEvent).where(
            AuditEvent.action == "inspection.abandoned"))
        assert event is not None and event.data == {"answers": 3, "photos": 1}
    assert drafts.save(bench.ctx, work.draft.lpn, work.to_state()) is False


def test_the_fast_path_answers_are_stored_with_the_grader_and_time(
    bench: StationUnderTest,
) -> None:
    work = start(bench, BEAUTY)
    grader = bench.actors[Role.GRADER]
    assert work.fast_path(at=bench.clock(), by=grader.user_id) is None

    unit = inspection.finalize(bench.ctx, grader, work)

    with bench.ctx.sessions() as session:
        row = session.scalar(select(Inspection).where(Inspection.unit_id == unit.unit_id))
        assert row is not None and row.grade == "A"
    assert row.answer_log == work.answer_log() and len(row.answer_log) == len(row.answers)
    assert {entry["via"] for entry in row.answer_log} == {"fast_path"}
    assert {entry["by"] for entry in row.answer_log} == {str(grader.user_id)}


def test_a_held_refund_needs_its_evidence_photos_before_it_is_saved(tmp_path: Path) -> None:
    held = make_station(tmp_path / "held", high_value_threshold_major=1)
    work = start(held, "RMA-100012")
    grader = held.actors[Role.GRADER]
    work.fast_path(at=held.clock(), by=grader.user_id)
    assert work.ready, "photos are not evidence before the decision"

    with pytest.raises(InspectionError, match="Photos are evidence for a held refund"):
        inspection.finalize(held.ctx, grader, work)
    with held.ctx.sessions() as session:
        assert count(session, Unit) == 0
    take_missing_photos(held, work)
    assert inspection.finalize(held.ctx, grader, work).decision.refund_action.value == "HELD"
