"""Checklists: the shipped files, branching, grades with reasons, photos, what is missing."""

from __future__ import annotations

import re

import pytest

import resources
from station.common.vocabulary import Category, Flag, Grade, PhotoKind
from station.grading.checklist_files import load_checklists
from station.grading.checklists import (
    AnswerError,
    Checklist,
    ChecklistRun,
)

CHECKLISTS = load_checklists(resources.path("checklists"))


def run_for(category: Category, *answers: object, flags: tuple[Flag, ...] = ()) -> ChecklistRun:
    """A run of the shipped checklist with these answers given in order."""
    run = ChecklistRun(CHECKLISTS[category], frozenset(flags))
    for value in answers:
        run.answer(value)
    return run


def asked(run: ChecklistRun) -> list[str]:
    return [answer.question_id for answer in run.answers]


# ---------------------------------------------------------------- the shipped files


def test_every_category_has_a_checklist_and_other_gets_the_default() -> None:
    assert set(CHECKLISTS) == set(Category)
    assert CHECKLISTS[Category.OTHER].name == "default"
    own = {category for category, checklist in CHECKLISTS.items() if checklist.category}
    assert own == set(Category) - {Category.OTHER}


@pytest.mark.parametrize("category", list(Category))
def test_every_shipped_checklist_is_a_sensible_size_with_photos(category: Category) -> None:
    checklist = CHECKLISTS[category]
    assert 5 <= len(checklist.questions) <= 12
    assert checklist.version
    kinds = {photo.kind for photo in checklist.photos}
    assert PhotoKind.FRONT in kinds
    [defect] = [photo for photo in checklist.photos if photo.kind == PhotoKind.DEFECT]
    assert defect.per_defect and defect.when_grade_below == Grade.B
    assert any(q.when is not None for q in checklist.questions), "no branching"


@pytest.mark.parametrize("category", [Category.ELECTRONICS, Category.JEWELLERY_WATCHES])
def test_serial_labels_are_photographed_for_electronics_and_watches(category: Category) -> None:
    assert PhotoKind.LABEL_SERIAL in {photo.kind for photo in CHECKLISTS[category].photos}


# ---------------------------------------------------------------- branching


def test_electronics_that_does_not_power_on_is_asked_about_visible_damage() -> None:
    run = run_for(Category.ELECTRONICS, "yes", False, "matches", False)
    assert run.current is not None and run.current.id == "powers_on"
    run.answer(False)
    assert run.current is not None and run.current.id == "visible_damage"
    run.answer(False)
    outcome = run.outcome()
    assert outcome.grade == Grade.D
    assert "“Does it power on?” no: suggests D" in outcome.reason


def test_electronics_that_powers_on_skips_visible_damage() -> None:
    run = run_for(Category.ELECTRONICS, "yes", False, "matches", False, True)
    assert run.current is not None and run.current.id == "cosmetic"
    run.answer("as new")
    run.answer(True)  # account free
    run.answer(True)  # accessories complete
    run.answer(0)  # defects
    run.answer("")  # optional notes
    assert run.current is None
    assert "visible_damage" not in asked(run)
    assert run.outcome().grade == Grade.B  # opened: capped at B


def test_a_sealed_unit_is_not_opened_to_be_tested() -> None:
    run = run_for(Category.ELECTRONICS, "yes", True, "matches", None)
    assert asked(run) == ["right_item", "sealed", "serial_matches", "notes"]
    assert run.current is None
    assert run.outcome().grade == Grade.A
    assert run.outcome().reason == "A (new / sealed): no answer or flag lowers the grade"


def test_a_swollen_battery_is_hazardous_x_and_ends_the_checklist() -> None:
    run = run_for(Category.ELECTRONICS, "yes", False, "matches", True)
    outcome = run.outcome()
    assert run.current is None and run.ended
    assert Flag.HAZARDOUS in outcome.flags
    assert outcome.grade == outcome.ceiling == Grade.X
    assert "flag hazardous caps at X" in outcome.reason
    assert any("fire-safe bin" in note for note in outcome.notes)


def test_an_empty_box_ends_the_checklist_with_x() -> None:
    run = run_for(Category.TOYS, "nothing (empty box)")
    assert run.current is None
    assert run.outcome().flags == {Flag.EMPTY_BOX}
    assert run.outcome().grade == Grade.X
    assert run.missing().questions == ()


def test_a_serial_mismatch_is_flagged() -> None:
    run = run_for(Category.ELECTRONICS, "yes", True, "different")
    assert run.outcome().flags == {Flag.SERIAL_MISMATCH}
    assert run.outcome().grade == Grade.X


# ---------------------------------------------------------------- grades and reasons


def test_apparel_without_tags_is_capped_at_b_and_says_why() -> None:
    run = run_for(Category.APPAREL, "yes", False, False, False, True, False, True, None)
    outcome = run.outcome()
    assert outcome.grade == outcome.ceiling == Grade.B
    assert outcome.reason == (
        "B (like new / opened): “Are the original tags attached?” no: caps at B "
        "(Tags removed: it cannot be sold as new.)"
    )
    assert outcome.allows(Grade.C) and not outcome.allows(Grade.A)


def test_worn_apparel_is_used_worn_and_c() -> None:
    run = run_for(Category.APPAREL, "yes", False, True, False, True, False, True, None)
    outcome = run.outcome()
    assert outcome.flags == {Flag.USED_WORN}
    assert outcome.grade == Grade.C
    assert outcome.reason.startswith("C (used, good): flag used worn caps at C")
    assert "from “Has it been worn or washed" in outcome.reason
    assert "Also: “Are the original tags attached?” no: caps at B" in outcome.reason


def test_beauty_with_a_broken_hygiene_seal_is_x_and_flagged() -> None:
    run = run_for(Category.BEAUTY_PERSONAL_CARE, "yes", False)
    outcome = run.outcome()
    assert outcome.flags == {Flag.HYGIENE_SEAL_BROKEN}
    assert outcome.grade == outcome.ceiling == Grade.X
    assert "“Is the hygiene seal intact" in outcome.reason
    assert "caps at X (Opened hygiene product" in outcome.reason


def test_a_suggestion_is_advice_and_a_cap_is_a_rule() -> None:
    # Opened (cap B) and does not power on (suggests D): D proposed, B is the best allowed.
    run = run_for(Category.ELECTRONICS, "yes", False, "matches", False, False, False)
    outcome = run.outcome()
    assert (outcome.grade, outcome.ceiling) == (Grade.D, Grade.B)
    assert outcome.allows(Grade.B) and outcome.allows(Grade.C) and outcome.allows(Grade.X)
    assert not outcome.allows(Grade.A)


def test_flags_from_receiving_count_like_flags_from_answers() -> None:
    run = run_for(Category.TOYS, "yes", True, None, flags=(Flag.DAMAGED_IN_TRANSIT,))
    outcome = run.outcome()
    assert outcome.grade == Grade.C
    assert "flag damaged in transit caps at C" in outcome.reason
    assert "set before the checklist" in outcome.reason


def test_transit_damage_to_the_shipping_box_only_is_lifted_by_an_answer() -> None:
    # right item, shipping box damaged, item unharmed, still sealed, no glass, 0 defects, notes
    run = run_for(Category.HOME_KITCHEN, "yes", True, True, True, False, None)
    outcome = run.outcome()
    assert Flag.DAMAGED_IN_TRANSIT in outcome.flags
    assert outcome.lifted == {Flag.DAMAGED_IN_TRANSIT}
    assert outcome.grade == Grade.A
    assert any("default cap lifted" in note for note in outcome.notes)

    harmed = run_for(Category.HOME_KITCHEN, "yes", True, False)
    assert harmed.outcome().ceiling == Grade.C
    assert harmed.outcome().grade == Grade.D


def test_over_return_does_not_change_the_grade() -> None:
    run = run_for(Category.TOYS, "yes", True, None, flags=(Flag.OVER_RETURN,))
    assert run.outcome().grade == Grade.A


# ---------------------------------------------------------------- photos and missing()


def _damaged_apparel(defects: int) -> ChecklistRun:
    return run_for(Category.APPAREL, "yes", True, False, True, defects, True, False, True, None)


def test_below_b_every_defect_needs_a_close_up() -> None:
    run = _damaged_apparel(3)
    assert run.outcome().grade == Grade.D
    needed = {req.kind: count for req, count in run.photos_needed()}
    assert needed == {PhotoKind.FRONT: 1, PhotoKind.BACK: 1, PhotoKind.DEFECT: 3}


def test_at_b_or_better_no_close_ups_are_required() -> None:
    run = run_for(Category.APPAREL, "yes", False, False, False, True, False, True, None)
    assert run.outcome().grade == Grade.B
    assert {req.kind for req, _ in run.photos_needed()} == {PhotoKind.FRONT, PhotoKind.BACK}
    # ...unless the grader gives a worse grade: then the requirement follows that grade.
    assert {req.kind for req, _ in run.photos_needed(Grade.C)} == {
        PhotoKind.FRONT, PhotoKind.BACK}  # no defects were counted


def test_a_photo_can_depend_on_an_answer() -> None:
    no_box = run_for(Category.FOOTWEAR, "yes", True, False)
    assert PhotoKind.PACKAGING not in {req.kind for req, _ in no_box.photos_needed()}
    with_box = run_for(Category.FOOTWEAR, "yes", True, True)
    assert PhotoKind.PACKAGING in {req.kind for req, _ in with_box.photos_needed()}


def test_missing_lists_exactly_the_answers_and_photos_still_needed() -> None:
    run = _damaged_apparel(3)
    missing = run.missing(taken=["front", "defect"])
    assert missing.questions == ()
    assert [(n.kind, n.needed, n.taken) for n in missing.photos] == [
        (PhotoKind.BACK, 1, 0), (PhotoKind.DEFECT, 3, 1)]
    assert missing.lines() == [
        "Photo: 1 × back (Laid flat, back); 0 of 1 taken",
        "Photo: 2 × defect close-up (A close-up of each stain or damaged spot); 1 of 3 taken",
    ]
    assert run.missing(taken={"front": 1, "back": 1, "defect": 3}).complete


def test_missing_names_only_questions_that_apply_now() -> None:
    run = run_for(Category.ELECTRONICS, "yes", False)
    missing = run.missing(taken=[])
    # battery_swollen applies (opened); powers_on waits on it, so it is not listed yet;
    # the optional notes never block.
    assert [q.id for q in missing.questions] == [
        "serial_matches", "battery_swollen", "accessories_complete", "defect_count"]
    assert [n.kind for n in missing.photos] == [
        PhotoKind.FRONT, PhotoKind.BACK, PhotoKind.LABEL_SERIAL, PhotoKind.PACKAGING]
    assert not missing.complete


# ---------------------------------------------------------------- answering


def test_back_removes_the_last_answer_and_asks_it_again() -> None:
    run = run_for(Category.ELECTRONICS, "yes", False, "matches", False, False)
    assert run.current is not None and run.current.id == "visible_damage"
    undone = run.back()
    assert undone is not None and (undone.question_id, undone.value) == ("powers_on", False)
    assert run.current is not None and run.current.id == "powers_on"
    run.answer(True)
    assert run.current is not None and run.current.id == "cosmetic"
    while run.back():
        pass
    assert run.answers == () and run.back() is None
    assert run.current is not None and run.current.id == "right_item"


@pytest.mark.parametrize(("answers", "refused", "message"), [
    ((), "maybe", "choose one of yes, a different item, nothing (empty box)"),
    (("yes",), "perhaps", "answer yes or no"),
    (("yes",), 1.5, "answer yes or no"),
    (("yes",), None, "needs an answer"),
    (("yes", False, "matches", False, True, "as new", True, True), 21,
     "enter a whole number from 0 to 20"),
    (("yes", False, "matches", False, True, "as new", True, True), -1, "from 0 to 20"),
    (("yes", False, "matches", False, True, "as new", True, True), "2.5", "whole number"),
    (("yes", False, "matches", False, True, "as new", True, True), "lots", "whole number"),
    (("yes", False, "matches", False, True, "as new", True, True, 0), "x" * 201,
     "at most 200 characters"),
])
def test_invalid_answers_are_refused_and_change_nothing(
    answers: tuple[object, ...], refused: object, message: str,
) -> None:
    run = run_for(Category.ELECTRONICS, *answers)
    before = run.answers
    with pytest.raises(AnswerError, match=re.escape(message)):
        run.answer(refused)
    assert run.answers == before


def test_keyboard_answers_are_understood_and_text_is_cleaned() -> None:
    run = run_for(Category.ELECTRONICS, "YES", "n", "Matches", "no", "y", "Light  Marks",
                  "yes", "yes", " 3 ", "Scuffed\x1b[0m corner,\n\tsee\u202e photo ")
    assert run.values() == {
        "right_item": "yes", "sealed": False, "serial_matches": "matches",
        "battery_swollen": False, "powers_on": True, "cosmetic": "light marks",
        "account_free": True, "accessories_complete": True, "defect_count": 3,
        "notes": "Scuffed[0m corner, see photo",
    }


def test_an_answer_for_a_stale_question_is_refused() -> None:
    run = run_for(Category.ELECTRONICS, "yes")
    with pytest.raises(AnswerError, match="The question now is"):
        run.answer(True, question_id="powers_on")
    run.answer(True, question_id="sealed")


def test_nothing_more_can_be_answered_once_done() -> None:
    run = run_for(Category.TOYS, "a different item")
    with pytest.raises(AnswerError, match="Every question is answered"):
        run.answer("yes")


def test_a_stored_inspection_resumes_and_stale_answers_are_refused() -> None:
    checklist: Checklist = CHECKLISTS[Category.ELECTRONICS]
    original = run_for(Category.ELECTRONICS, "yes", False, "matches", False, False, True)
    resumed = ChecklistRun.resume(checklist, original.values())
    assert resumed.answers == original.answers
    assert resumed.current is not None and resumed.current.id == "accessories_complete"
    with pytest.raises(AnswerError, match="does not ask for now: cosmetic"):
        ChecklistRun.resume(checklist, {**original.values(), "cosmetic": "as new"})
