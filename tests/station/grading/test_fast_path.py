"""The fast path: one key answers a checklist's "new, sealed, complete" path, each answer
recorded with the grader and the time; photos are required only where they are evidence."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from station.codes.scans import Payload, inspect_scan
from station.common.vocabulary import Category, Flag, Grade, PhotoKind
from station.grading.checklist_files import ChecklistError, parse_checklist, shipped_checklists
from station.grading.checklists import Checklist, FastPathStop
from station.grading.unit_in_progress import (
    MIN_PHOTO_SIDE,
    InspectionError,
    PhotoTaken,
    UnitDraft,
    UnitInspection,
)
from station.grading.verification import ExpectedItem
from station.settings.config import DEFAULT_RMA_PATTERN

NOW = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
GRADER = uuid.uuid4()


def unit(category: Category, *, price_minor: int = 2_999, serial: str | None = None,
         checklist: Checklist | None = None) -> UnitInspection:
    draft = UnitDraft(
        lpn="BN00000001F", receipt_id=uuid.uuid4(), rma_line_id=uuid.uuid4(),
        rma_number="RMA-100231", line_no=1, sku="SKU-1", description="An item",
        category=category.value, reason="changed_mind", requested="refund",
        unit_price_minor=price_minor, currency="EUR", started_at=NOW,
        expected=ExpectedItem("SKU-1", None, serial))
    return UnitInspection(draft, checklist or shipped_checklists()[category])


def scanned(text: str) -> Payload:
    return inspect_scan(text, re.compile(DEFAULT_RMA_PATTERN))


def photo(kind: PhotoKind, sha: str = "a" * 64, side: int = 1200) -> PhotoTaken:
    return PhotoTaken(sha, kind, 200_000, side, side, NOW, GRADER, "Gus Grader")


def test_every_shipped_checklist_has_a_fast_path_with_a_label() -> None:
    for category, checklist in shipped_checklists().items():
        assert checklist.fast_path is not None, category
        assert checklist.fast_path.label


def test_one_key_answers_a_standard_apparel_unit_each_answer_recorded() -> None:
    work = unit(Category.APPAREL)

    stop = work.fast_path(at=NOW, by=GRADER)

    assert stop is None and work.current is None
    assert work.grade is Grade.A and work.outcome().flags == frozenset()
    assert work.ready, "a grade A unit of ordinary value needs no photo"
    log = work.answer_log()
    assert [entry["question"] for entry in log] == [q.id for q in work.checklist.questions
                                                    if q.id != "defect_count"]
    assert all(entry["by"] == str(GRADER) and entry["at"] == NOW.isoformat() for entry in log)
    assert {entry["via"] for entry in log} == {"fast_path"}
    assert log[-1] == {"question": "notes", "value": None, "at": NOW.isoformat(),
                       "by": str(GRADER), "via": "fast_path"}, "the optional note is skipped"


def test_the_fast_path_starts_from_the_current_question_and_keeps_earlier_answers() -> None:
    work = unit(Category.APPAREL)
    work.answer("yes", question_id="right_item", at=NOW, by=GRADER)

    work.fast_path(at=NOW, by=GRADER)

    assert [entry["via"] for entry in work.answer_log()][:2] == ["key", "fast_path"]


def test_electronics_waits_for_the_serial_scan_then_carries_on_by_itself() -> None:
    work = unit(Category.ELECTRONICS, serial="SN-KFATP8KHV")

    stop = work.fast_path(at=NOW, by=GRADER)

    assert isinstance(stop, FastPathStop)
    assert (stop.question.id, stop.check) == ("serial_matches", "serial")
    assert not work.ready
    work.scan(scanned("SN-KFATP8KHV"))
    assert work.resume_fast_path(at=NOW, by=GRADER) is None
    assert work.answers_record()["serial_matches"] == "matches"
    assert work.answer_log()[2]["via"] == "check"
    assert work.grade is Grade.A


def test_electronics_without_a_serial_on_file_records_not_recorded() -> None:
    work = unit(Category.ELECTRONICS, serial=None)

    assert work.fast_path(at=NOW, by=GRADER) is None
    assert work.answers_record()["serial_matches"] == "not recorded"


def test_a_swapped_serial_stops_the_fast_path_for_the_grader() -> None:
    work = unit(Category.ELECTRONICS, serial="SN-KFATP8KHV")
    work.scan(scanned("SN-SWAPPED01"))

    stop = work.fast_path(at=NOW, by=GRADER)

    assert isinstance(stop, FastPathStop) and stop.question.id == "serial_matches"
    assert Flag.SERIAL_MISMATCH in work.outcome().flags


def test_a_question_the_path_cannot_answer_is_left_to_the_grader_and_then_it_carries_on(
) -> None:
    work = unit(Category.BOOKS_MEDIA)

    stop = work.fast_path(at=NOW, by=GRADER)

    assert isinstance(stop, FastPathStop) and stop.question.id == "format"
    assert stop.check is None
    work.answer("book", question_id="format", at=NOW, by=GRADER)
    assert work.resume_fast_path(at=NOW, by=GRADER) is None
    assert work.answers_record()["pages"] == "clean"


def test_undoing_an_answer_hands_the_checklist_back_to_the_grader() -> None:
    work = unit(Category.APPAREL)
    work.fast_path(at=NOW, by=GRADER)

    work.back()

    assert not work.fast_path_on and work.current is not None
    assert work.resume_fast_path(at=NOW, by=GRADER) is None
    assert work.current is not None, "the fast path does not come back by itself"


def test_the_answer_log_and_the_fast_path_survive_a_saved_draft() -> None:
    work = unit(Category.ELECTRONICS, serial="SN-KFATP8KHV")
    work.fast_path(at=NOW, by=GRADER)

    again = UnitInspection.from_state(work.draft, work.checklist, work.to_state())

    assert again.answer_log() == work.answer_log() and again.fast_path_on
    again.scan(scanned("SN-KFATP8KHV"))
    assert again.resume_fast_path(at=NOW, by=GRADER) is None


def test_photos_are_required_where_they_are_evidence() -> None:
    plain = unit(Category.APPAREL)
    plain.fast_path(at=NOW, by=GRADER)
    assert plain.evidence_reasons() == () and plain.ready

    worn = unit(Category.APPAREL)
    for value in ("yes", True, True):
        worn.answer(value)
    assert worn.evidence_reasons() == ("grade C is below B", "flagged used worn")
    assert {need.kind for need in worn.missing().photos} == {PhotoKind.FRONT, PhotoKind.BACK}

    costly = unit(Category.APPAREL, price_minor=30_000)
    costly.fast_path(at=NOW, by=GRADER)
    assert costly.evidence_reasons() == ("a line worth 250 EUR or more",)
    assert not costly.ready

    held = unit(Category.APPAREL)
    held.fast_path(at=NOW, by=GRADER)
    assert held.require_refund_evidence("a held refund")
    assert held.evidence_reasons() == ("a held refund",) and not held.ready


def test_a_site_can_require_a_photo_always_and_set_its_own_evidence_policy() -> None:
    text = (Path(shipped_checklists()[Category.TOYS].source or "").read_text(encoding="utf-8")
            .replace('kind = "front"\n', 'kind = "front"\nalways = true\n')
            + '\n[evidence]\nvalue_at_least = 10\nany_flag = false\n')
    checklist = parse_checklist(text)
    work = unit(Category.TOYS, price_minor=999, checklist=checklist)
    work.fast_path(at=NOW, by=GRADER)
    assert [need.kind for need in work.missing().photos] == [PhotoKind.FRONT]
    assert unit(Category.TOYS, price_minor=1000, checklist=checklist).evidence_reasons() == (
        "a line worth 10 EUR or more",)


def test_a_photo_too_small_to_show_anything_is_refused() -> None:
    work = unit(Category.APPAREL)
    with pytest.raises(InspectionError, match="20×20 pixels: too small"):
        work.add_photo(photo(PhotoKind.BACK, side=20))
    work.add_photo(photo(PhotoKind.BACK, side=MIN_PHOTO_SIDE))
    assert len(work.photos) == 1


def test_the_same_photo_twice_on_one_unit_is_refused() -> None:
    work = unit(Category.APPAREL)
    work.add_photo(photo(PhotoKind.DEFECT, sha="b" * 64))
    with pytest.raises(InspectionError, match=r"same photo as no\. 1 \(defect"):
        work.add_photo(photo(PhotoKind.DEFECT, sha="b" * 64))
    assert len(work.photos) == 1


BASE = shipped_checklists()[Category.TOYS]


@pytest.mark.parametrize(("old", "new", "key", "problem"), [
    ('answers = { right_item = "yes", sealed = true }',
     'answers = { right_item = "yes", sealed = true, colour = "red" }',
     "fast_path.answers.colour", "unknown key"),
    ('answers = { right_item = "yes", sealed = true }',
     'answers = { right_item = "maybe", sealed = true }',
     "fast_path.answers.right_item", "choose one of yes"),
    ('label = "Sealed, as new"\n', "", "fast_path.label", "is required"),
    ('answers = { right_item = "yes", sealed = true }',
     'answers = { right_item = "yes" }\nfrom_checks = { sealed = { check = "serial", '
     'ok = "yes", none_on_file = "yes" } }',
     "fast_path.from_checks.sealed.check", "must be a choice question"),
])
def test_a_bad_fast_path_is_refused_with_the_key(old: str, new: str, key: str,
                                                  problem: str) -> None:
    text = Path(BASE.source or "").read_text(encoding="utf-8")
    assert old in text
    with pytest.raises(ChecklistError) as caught:
        parse_checklist(text.replace(old, new))
    assert caught.value.key == key and problem in caught.value.problem
