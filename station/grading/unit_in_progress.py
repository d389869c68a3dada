"""One unit's inspection while the grader works on it: answers, checks, flags, photos, grade.

Pure (no database, no clock): the screen drives it, `station.inspection.drafts` saves `to_state()`
after every step and rebuilds it with `from_state()` after a crash, and
`station.inspection.finalize.finalize` turns it into facts. The grade is the checklist's proposal
unless the grader chose another, which needs a reason and can be no better than the
ceiling the answers and flags set. Any change to the answers or flags drops an earlier
choice, so a grade is never kept for answers it was not given for.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from station.codes.scans import Payload
from station.common.errors import UserFacingError
from station.common.text_hygiene import clean_text
from station.common.vocabulary import Flag, Grade, PhotoKind
from station.grading.checklists import (
    AnswerValue,
    Checklist,
    ChecklistRun,
    FastPathStop,
    Missing,
    Outcome,
    Question,
)
from station.grading.verification import CheckKind, ExpectedItem, ItemCheck, check_scan

MAX_NOTES = 2000
MAX_PHOTOS = 40
#: A photo whose shorter side is smaller than this cannot show a defect or a label (a 360p
#: webcam frame is the smallest a bench camera gives).
MIN_PHOTO_SIDE = 320


@dataclass(frozen=True)
class AnswerMade:
    """Who gave an answer, when, and how: `via` is "key" (a key, button or bench-card answer),
    "fast_path" or "check" (the fast path read it from a matching scan)."""

    at: datetime | None = None
    by: uuid.UUID | None = None
    via: str = "key"


class InspectionError(UserFacingError):
    """The unit cannot be started or finished; the message says why and what to do."""


class OverReturnError(InspectionError):
    """Every unit of the line is taken: the item in hand is an over-return."""

    def __init__(self, message: str, receipt_id: uuid.UUID, rma_line_id: uuid.UUID) -> None:
        super().__init__(message)
        self.receipt_id = receipt_id
        self.rma_line_id = rma_line_id


@dataclass(frozen=True)
class UnitDraft:
    """A unit being inspected: its reserved LPN and what the RMA line says it is."""

    lpn: str
    receipt_id: uuid.UUID
    rma_line_id: uuid.UUID
    rma_number: str
    line_no: int
    sku: str
    description: str
    category: str
    reason: str
    requested: str
    unit_price_minor: int
    currency: str
    started_at: datetime
    order_date: date | None = None
    expected: ExpectedItem = field(default_factory=lambda: ExpectedItem("", None, None))


@dataclass(frozen=True)
class PhotoTaken:
    """A photo kept in the photo store for this unit, before the unit's facts exist."""

    sha256: str
    kind: PhotoKind
    size_bytes: int
    width: int
    height: int
    taken_at: datetime
    taken_by: uuid.UUID
    taken_by_name: str

    def as_record(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "kind": self.kind.value, "size_bytes": self.size_bytes,
                "width": self.width, "height": self.height,
                "taken_at": self.taken_at.isoformat(), "taken_by": str(self.taken_by),
                "taken_by_name": self.taken_by_name}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> PhotoTaken:
        return cls(str(record["sha256"]), PhotoKind(record["kind"]), int(record["size_bytes"]),
                   int(record["width"]), int(record["height"]),
                   datetime.fromisoformat(record["taken_at"]), uuid.UUID(record["taken_by"]),
                   str(record.get("taken_by_name", "")))


class UnitInspection:
    """The grader's work on one unit; every method keeps it consistent or raises."""

    def __init__(self, draft: UnitDraft, checklist: Checklist) -> None:
        self.draft = draft
        self.checklist = checklist
        self.run = ChecklistRun(checklist)
        self.photos: list[PhotoTaken] = []
        self.notes = ""
        self.checks: dict[CheckKind, ItemCheck] = {}
        self.manual_flags: set[Flag] = set()
        self.chosen_grade: Grade | None = None
        self.override_reason: str | None = None
        self._made: list[AnswerMade] = []
        #: The grader used the fast path: it carries on after each answer or scan it waited for.
        self.fast_path_on = False
        #: "a held refund" / "a partial refund": the decision made this unit's photos evidence.
        self.refund_evidence: str | None = None

    # -- flags and checks

    @property
    def preset_flags(self) -> frozenset[Flag]:
        """Flags from the item checks and the grader's own, before any answer."""
        found = {check.flag for check in self.checks.values() if check.flag is not None}
        return frozenset(found | self.manual_flags)

    def _flags_changed(self) -> None:
        self.run.preset_flags = self.preset_flags
        self._drop_choice()

    def scan(self, payload: Payload) -> list[ItemCheck]:
        """Compare a scanned product barcode or serial with the RMA line; [] if it is
        neither."""
        checks = check_scan(self.draft.expected, payload)
        for check in checks:
            self.checks[check.kind] = check
        if checks:
            self._flags_changed()
        return checks

    def toggle_flag(self, flag: Flag) -> bool:
        """Raise or clear a flag by hand; returns whether it is now raised by hand."""
        if flag in self.manual_flags:
            self.manual_flags.discard(flag)
        else:
            self.manual_flags.add(flag)
        self._flags_changed()
        return flag in self.manual_flags

    # -- the checklist

    @property
    def current(self) -> Question | None:
        return self.run.current

    def answer(self, raw: object, *, question_id: str | None = None,
               at: datetime | None = None, by: uuid.UUID | None = None,
               via: str = "key") -> None:
        """Answer the current question; `at` and `by` are recorded with it."""
        self.run.answer(raw, question_id=question_id)
        self._made.append(AnswerMade(at, by, via))
        self._drop_choice()

    def back(self) -> bool:
        """Undo the last answer (and stop the fast path: the grader takes over); False when
        there was none."""
        undone = self.run.back() is not None
        if undone:
            self._made.pop()
            self.fast_path_on = False
            self._drop_choice()
        return undone

    def check_results(self) -> dict[str, bool | None]:
        """Each item check's result by kind (True matched, False did not, None: the line has
        nothing on file); a kind still to scan is absent."""
        results: dict[str, bool | None] = {kind.value: check.ok
                                           for kind, check in self.checks.items()}
        on_file = {CheckKind.GTIN: self.draft.expected.gtin,
                   CheckKind.SERIAL: self.draft.expected.serial}
        for kind, value in on_file.items():
            if not value:
                results.setdefault(kind.value, None)
        return results

    def fast_path(self, at: datetime | None = None,
                  by: uuid.UUID | None = None) -> FastPathStop | None:
        """Give the checklist's fast-path answers from the current question on, each recorded
        like a key press; where it stops, the grader answers (or scans) and it carries on
        with `resume_fast_path`. None when every question is answered."""
        if self.checklist.fast_path is None:
            raise InspectionError(f"The {self.checklist.name} checklist has no fast path; "
                                  "answer the questions one by one.")
        self.fast_path_on = True
        return self.resume_fast_path(at, by)

    def resume_fast_path(self, at: datetime | None = None,
                         by: uuid.UUID | None = None) -> FastPathStop | None:
        """Carry on with the fast path if the grader started it; the stop, or None."""
        if not self.fast_path_on:
            return None
        while True:
            step = self.run.fast_path_answer(self.check_results())
            if step is None or isinstance(step, FastPathStop):
                return step
            question, value = step
            via = "check" if self.checklist.fast_path and question.id in \
                self.checklist.fast_path.from_checks else "fast_path"
            self.answer(value, question_id=question.id, at=at, by=by, via=via)

    @property
    def progress(self) -> tuple[int, int]:
        """(answered, answered + still to ask) — the total shrinks or grows with branches."""
        answered = len(self.run.answers)
        return answered, answered + len(self.run.still_to_ask())

    def outcome(self) -> Outcome:
        return self.run.outcome()

    # -- grade

    @property
    def grade(self) -> Grade:
        """The grade the unit gets: the grader's choice, else the proposal."""
        return self.chosen_grade or self.outcome().grade

    def choose_grade(self, grade: Grade, reason: str = "") -> None:
        """Give another grade than proposed; needs a reason and respects the ceiling."""
        outcome = self.outcome()
        if not outcome.allows(grade):
            binding = "; ".join(c.text for c in outcome.causes if c.binding
                                and c.grade == outcome.ceiling)
            raise InspectionError(f"Grade {grade.value} is better than this unit can get: "
                                  f"{binding}. Change that answer (Backspace) if it is wrong.")
        if grade == outcome.grade:
            self._drop_choice()
            return
        reason = clean_text(reason, 300)
        if not reason:
            raise InspectionError(f"Say why the grade is {grade.value} and not the proposed "
                                  f"{outcome.grade.value}: a reason is required.")
        self.chosen_grade, self.override_reason = grade, reason

    def _drop_choice(self) -> None:
        self.chosen_grade, self.override_reason = None, None

    # -- photos and notes

    def add_photo(self, photo: PhotoTaken) -> None:
        """Keep a photo, unless it is too small to be evidence or already on this unit."""
        if len(self.photos) >= MAX_PHOTOS:
            raise InspectionError(f"This unit already has {MAX_PHOTOS} photos; delete one "
                                  "before taking another.")
        if min(photo.width, photo.height) < MIN_PHOTO_SIDE:
            raise InspectionError(f"That photo is {photo.width}×{photo.height} pixels: too "
                                  f"small to show anything (at least {MIN_PHOTO_SIDE} pixels "
                                  "on the shorter side). Take it again closer up or import "
                                  "the full-size file.")
        for index, kept in enumerate(self.photos, start=1):
            if kept.sha256 == photo.sha256:
                raise InspectionError(f"That is the same photo as no. {index} "
                                      f"({kept.kind.label}); take a new one.")
        self.photos.append(photo)

    def remove_photo(self, index: int) -> PhotoTaken:
        if not 0 <= index < len(self.photos):
            raise InspectionError("That photo is no longer there.")
        return self.photos.pop(index)

    def next_photo_kind(self) -> PhotoKind:
        """The kind the next photo most likely is: the first one still short."""
        for need in self.missing().photos:
            return need.kind
        return PhotoKind.DEFECT if self.grade not in (Grade.A,) else PhotoKind.FRONT

    def set_notes(self, text: str) -> None:
        self.notes = text.replace("\x00", "")[:MAX_NOTES]

    # -- finishing

    def evidence_reasons(self) -> tuple[str, ...]:
        """Why this unit's photos are evidence and so required; () when they are not."""
        return self.checklist.evidence.reasons(self.grade, self.outcome().flags,
                                               self.draft.unit_price_minor,
                                               self.draft.currency, self.refund_evidence)

    def require_refund_evidence(self, refund: str) -> bool:
        """The decision holds or cuts the refund (`refund`, e.g. "a held refund"): photos
        become evidence where the checklist says so. True if that adds missing photos."""
        before = self.missing().photos
        self.refund_evidence = refund
        return self.missing().photos != before

    def missing(self) -> Missing:
        return self.run.missing([p.kind.value for p in self.photos], self.grade,
                                evidence=bool(self.evidence_reasons()))

    @property
    def ready(self) -> bool:
        return self.missing().complete

    # -- persistence

    def to_state(self) -> dict[str, Any]:
        """Everything the grader did, as JSON, in the order it happened."""
        return {
            "checklist": self.checklist.name, "checklist_version": self.checklist.version,
            "answers": [[a.question_id, a.value, *self._made_record(made)]
                        for a, made in zip(self.run.answers, self._made, strict=True)],
            "fast_path_on": self.fast_path_on, "refund_evidence": self.refund_evidence,
            "notes": self.notes, "photos": [p.as_record() for p in self.photos],
            "checks": {kind.value: check.as_record() for kind, check in self.checks.items()},
            "manual_flags": sorted(flag.value for flag in self.manual_flags),
            "chosen_grade": self.chosen_grade.value if self.chosen_grade else None,
            "override_reason": self.override_reason,
        }

    @classmethod
    def from_state(cls, draft: UnitDraft, checklist: Checklist,
                   state: dict[str, Any]) -> UnitInspection:
        """Rebuild a saved inspection; answers the checklist no longer asks are dropped."""
        work = cls(draft, checklist)
        work.checks = {CheckKind(kind): ItemCheck.from_record(kind, record)
                       for kind, record in dict(state.get("checks", {})).items()}
        work.manual_flags = {Flag(value) for value in state.get("manual_flags", [])}
        work.run.preset_flags = work.preset_flags
        for question_id, value, *made in state.get("answers", []):
            current = work.run.current
            if current is None or current.id != question_id:
                break
            work.run.answer(value, question_id=question_id)
            work._made.append(cls._made_from(made))
        work.fast_path_on = bool(state.get("fast_path_on", False))
        refund = state.get("refund_evidence")
        work.refund_evidence = str(refund)[:40] if refund else None
        work.photos = [PhotoTaken.from_record(r) for r in state.get("photos", [])]
        work.notes = str(state.get("notes", ""))[:MAX_NOTES]
        chosen = state.get("chosen_grade")
        if chosen and state.get("override_reason"):
            try:
                work.choose_grade(Grade(chosen), str(state["override_reason"]))
            except InspectionError:
                work._drop_choice()
        return work

    def answers_record(self) -> dict[str, AnswerValue]:
        return self.run.values()

    def answer_log(self) -> list[dict[str, Any]]:
        """Every answer in order with who gave it, when and how (stored with the
        inspection, so a fast-path answer is as accountable as a key press)."""
        return [{"question": a.question_id, "value": a.value, "at": made.at.isoformat()
                 if made.at else None, "by": str(made.by) if made.by else None,
                 "via": made.via}
                for a, made in zip(self.run.answers, self._made, strict=True)]

    @staticmethod
    def _made_record(made: AnswerMade) -> list[Any]:
        return [made.at.isoformat() if made.at else None, str(made.by) if made.by else None,
                made.via]

    @staticmethod
    def _made_from(record: list[Any]) -> AnswerMade:
        """The record `_made_record` wrote; an older draft without one gives an empty one."""
        if len(record) != 3:
            return AnswerMade()
        at, by, via = record
        try:
            return AnswerMade(datetime.fromisoformat(at) if at else None,
                              uuid.UUID(by) if by else None,
                              via if via in ("key", "fast_path", "check") else "key")
        except (TypeError, ValueError):
            return AnswerMade()
