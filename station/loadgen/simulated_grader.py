"""A grader that walks a checklist by itself, for the load generator, benchmarks and tests.

It answers every question with the answer that keeps the unit's grade best (so the
checklist's own branches and caps are exercised as a person would meet them), then gives
the requested grade with a stated reason when that is worse than proposed, and takes
every photo the checklist lists for the grade as if they were evidence (so a held or
partial refund never finds one missing), with the image bytes it is given (a distinct
variant for each photo, as a unit never has the same photo twice), through the real
photo store.
Nothing it produces is passed off as a person's work: the override reason says who graded.
"""

from __future__ import annotations

import struct
import zlib
from datetime import datetime

from station.common.permissions import Actor
from station.common.vocabulary import Grade
from station.grading.checklists import AnswerValue, ChecklistRun, Question, QuestionType
from station.grading.unit_in_progress import PhotoTaken, UnitInspection
from station.ports.photos import PhotoStore

SIMULATED_REASON = "graded by the simulated grader"
PHOTO_SIDE = 480


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def _grey_png(side: int) -> bytes:
    rows = b"".join(b"\x00" + bytes(range(256))[: side // 2] * 2 for _ in range(side))
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(rows, 9)) + _chunk(b"IEND", b""))


#: A 480×480 grey PNG the simulated grader "photographs" with (big enough to count as a
#: photo): the photo store keeps it like any other.
SIMULATED_PHOTO = _grey_png(PHOTO_SIDE)


def photo_variant(image: bytes, index: int) -> bytes:
    """`image` for index 0, else the same picture with a distinct PNG text chunk or JPEG
    comment, so each photo of a unit has its own bytes and hash."""
    if index == 0:
        return image
    marker = f"simulated photo {index}".encode()
    if image.startswith(b"\x89PNG") and image.endswith(_chunk(b"IEND", b"")):
        return image[:-12] + _chunk(b"tEXt", b"Comment\x00" + marker) + image[-12:]
    if image.startswith(b"\xff\xd8"):
        return image[:2] + b"\xff\xfe" + struct.pack(">H", len(marker) + 2) + marker + image[2:]
    raise ValueError("the simulated grader photographs with PNG or JPEG bytes")


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
    taken = [photo.kind.value for photo in work.photos]
    for need in work.run.missing_photos(taken, work.grade, evidence=True):
        for _ in range(need.short):
            stored = store.store(photo_variant(image, len(work.photos)))
            work.add_photo(PhotoTaken(stored.sha256, need.kind, stored.size_bytes,
                                      stored.width, stored.height, now, actor.user_id,
                                      actor.display_name))
