"""A grader that walks a checklist by itself, for the load generator, benchmarks and tests.

It answers every question with the answer that keeps the unit's grade best (so the
checklist's own branches and caps are exercised as a person would meet them), then gives
the requested grade with a stated reason when that is worse than proposed, and takes
every required photo with the image bytes it is given, through the real photo store.
Nothing it produces is passed off as a person's work: the override reason says who graded.
"""

from __future__ import annotations

from datetime import datetime

from station.common.permissions import Actor
from station.common.vocabulary import Grade
from station.grading.checklists import AnswerValue, ChecklistRun, Question, QuestionType
from station.grading.unit_in_progress import PhotoTaken, UnitInspection
from station.ports.photos import PhotoStore

SIMULATED_REASON = "graded by the simulated grader"
#: A 2×2 PNG the simulated grader "photographs" with: the photo store keeps it like any other.
SIMULATED_PHOTO = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000002000000020802000000fdd49a73"
    "0000001649444154789c63f8cfc0f09f8181e13f03c3ff0c0c0c00360c05fbd3b8"
    "38b80000000049454e44ae426082")


def _candidates(question: Question) -> list[AnswerValue]:
    if question.type is QuestionType.YES_NO:
        return [True, False]
    if question.type is QuestionType.CHOICE:
        return list(question.choices)
    if question.type is QuestionType.NUMBER:
        low = question.min if question.min is not None else 0
        return [low] if question.max is None else [low, question.max]
    return [None] if not question.required else ["ok"]


def _rank(run: ChecklistRun, value: AnswerValue, question: Question) -> tuple[int, int, int]:
    trial = ChecklistRun(run.checklist, run.preset_flags)
    for answer in run.answers:
        trial.answer(answer.value, question_id=answer.question_id)
    trial.answer(value, question_id=question.id)
    outcome = trial.outcome()
    return (list(Grade).index(outcome.grade), len(outcome.flags), int(trial.ended))


def best_answer(run: ChecklistRun, question: Question) -> AnswerValue:
    """Of the answers a question allows, the one that keeps the grade best."""
    return min(_candidates(question), key=lambda value: _rank(run, value, question))


def answer_all(work: UnitInspection) -> None:
    """Answer every remaining question, each time with the answer that keeps the grade best."""
    while (question := work.current) is not None:
        work.answer(best_answer(work.run, question), question_id=question.id)


def finish(work: UnitInspection, grade: Grade, actor: Actor, store: PhotoStore,
           image: bytes, now: datetime) -> None:
    """Answer everything, give `grade` (with the simulated reason if it differs from the
    proposal; a grade better than the ceiling raises InspectionError) and take the
    required photos. The unit is then ready to finalize."""
    answer_all(work)
    proposed = work.outcome().grade
    if grade != proposed:
        work.choose_grade(grade, SIMULATED_REASON)
    stored = store.store(image)
    for need in work.missing().photos:
        for _ in range(need.short):
            work.add_photo(PhotoTaken(stored.sha256, need.kind, stored.size_bytes,
                                      stored.width, stored.height, now, actor.user_id,
                                      actor.display_name))
