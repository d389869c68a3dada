"""Inspection checklists: the model of a category's checklist and the engine a grader
walks through. The files they are read from, and their format, are
station.grading.checklist_files.

Grades
------
Grades run A (best) to X (worst). An outcome starts from A, then:

* every cap that fired and every flag's default cap (`FLAG_RULES`) is binding: the
  grade can be no better than the worst of them, `Outcome.ceiling`;
* every suggestion that fired is advice: the proposed grade, `Outcome.grade`, is the
  worst of the ceiling and every suggestion.

The grader confirms the proposed grade or picks another no better than the ceiling
(`Outcome.allows`). `Outcome.reason` names the answers and flags that set the grade.

Flag defaults: wrong_item, empty_box, hazardous, counterfeit_suspected and
serial_mismatch make a unit X (not ours to resell, or not safely); missing_parts caps at D;
used_worn and hygiene_seal_broken at C (a file can be stricter: beauty makes a broken
hygiene seal X); damaged_in_transit caps at C unless an answer `lifts` it (e.g. "only the
shipping box was hit"); over_return is about quantity, not condition, and has no effect.
Flags raised before the checklist (e.g. at receiving) count the same as raised by answers.

Kept whole: the model, the answer checks, the outcome and the run are one contract (the
outcome is computed from the model's effects and caps as the run records answers), and
every part is pure and read together when a grading rule changes.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Final, Literal

from station.common.errors import UserFacingError
from station.common.money import CURRENCY_EXPONENTS
from station.common.text_hygiene import clean_text
from station.common.vocabulary import Category, Flag, Grade, PhotoKind

DEFAULT_NAME: Final = "default"
DEFAULT_TEXT_LENGTH: Final = 200

AnswerValue = bool | int | float | str | None
Op = Literal["equals", "in", "lt", "gt"]


# ---------------------------------------------------------------------------- grades


_RANK: Final = {grade: rank for rank, grade in enumerate(Grade)}


def worse(a: Grade, b: Grade) -> Grade:
    """The worse of two grades (X is the worst)."""
    return a if _RANK[a] >= _RANK[b] else b


def is_below(grade: Grade, threshold: Grade) -> bool:
    """Whether `grade` is worse than `threshold` (C, D and X are below B)."""
    return _RANK[grade] > _RANK[threshold]


@dataclass(frozen=True)
class FlagRule:
    """A flag's default effect on the grade; `liftable` ones can be cancelled by an answer."""

    cap: Grade | None
    why: str
    liftable: bool = False


FLAG_RULES: Final[Mapping[Flag, FlagRule]] = {
    Flag.WRONG_ITEM: FlagRule(Grade.X, "not the item sold"),
    Flag.EMPTY_BOX: FlagRule(Grade.X, "nothing to resell"),
    Flag.HAZARDOUS: FlagRule(Grade.X, "never resold"),
    Flag.COUNTERFEIT_SUSPECTED: FlagRule(Grade.X, "held for a supervisor"),
    Flag.SERIAL_MISMATCH: FlagRule(Grade.X, "may not be the unit sold"),
    Flag.MISSING_PARTS: FlagRule(Grade.D, "incomplete"),
    Flag.USED_WORN: FlagRule(Grade.C, "used"),
    Flag.HYGIENE_SEAL_BROKEN: FlagRule(Grade.C, "opened hygiene item"),
    Flag.DAMAGED_IN_TRANSIT: FlagRule(Grade.C, "damaged in transit", liftable=True),
    Flag.OVER_RETURN: FlagRule(None, "a quantity problem, not the item's condition"),
}
LIFTABLE_FLAGS: Final = frozenset(flag for flag, rule in FLAG_RULES.items() if rule.liftable)


# ---------------------------------------------------------------------------- model


class QuestionType(StrEnum):
    YES_NO = "yes_no"
    CHOICE = "choice"
    NUMBER = "number"
    TEXT = "text"


@dataclass(frozen=True)
class Test:
    """One test on an answer: equals a value, is in a list, is less / greater than."""

    op: Op
    value: bool | int | float | str | tuple[int | float | str, ...]

    def matches(self, answer: AnswerValue) -> bool:
        if answer is None:
            return False
        if self.op == "equals":
            return _same(answer, self.value)
        if self.op == "in":
            assert isinstance(self.value, tuple)
            return any(_same(answer, item) for item in self.value)
        if isinstance(answer, bool | str) or isinstance(self.value, bool | str | tuple):
            return False
        return answer < self.value if self.op == "lt" else answer > self.value


def _same(a: object, b: object) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b


@dataclass(frozen=True)
class Condition:
    """`when`: the answer to `question` passes every test (False if it was not answered)."""

    question: str
    tests: tuple[Test, ...]

    def holds(self, answers: Mapping[str, AnswerValue]) -> bool:
        value = answers.get(self.question)
        return value is not None and all(test.matches(value) for test in self.tests)


@dataclass(frozen=True)
class Effect:
    """What an answer does when it passes `tests`."""

    tests: tuple[Test, ...]
    flags: frozenset[Flag] = frozenset()
    cap: Grade | None = None
    suggest: Grade | None = None
    lifts: frozenset[Flag] = frozenset()
    end_checklist: bool = False
    note: str = ""

    def fires(self, answer: AnswerValue) -> bool:
        return answer is not None and all(test.matches(answer) for test in self.tests)


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    type: QuestionType
    hint: str = ""
    required: bool = True
    choices: tuple[str, ...] = ()
    min: int | float | None = None
    max: int | float | None = None
    whole: bool = True
    max_length: int = DEFAULT_TEXT_LENGTH
    when: Condition | None = None
    effects: tuple[Effect, ...] = ()


@dataclass(frozen=True)
class PhotoRequirement:
    """A photo the checklist asks for. Required only where photos are evidence
    (`EvidencePolicy`) unless `always`, and then only if its own conditions hold."""

    kind: PhotoKind
    caption: str
    count: int = 1
    per_defect: bool = False
    when_grade_below: Grade | None = None
    when: Condition | None = None
    always: bool = False


@dataclass(frozen=True)
class EvidencePolicy:
    """When a unit's photos are evidence, and so required: a grade below `grade_below`, any
    flag, a held or partial refund, or a line worth at least `value_at_least` (in major
    units of the line's currency, like the routing rules' high-value threshold; None: no
    value makes photos evidence)."""

    grade_below: Grade = Grade.B
    any_flag: bool = True
    held_or_partial_refund: bool = True
    value_at_least: int | None = 250

    def reasons(self, grade: Grade, flags: Iterable[Flag], price_minor: int, currency: str,
                refund: str | None = None) -> tuple[str, ...]:
        """Why this unit's photos are evidence, one phrase each; () when they are not.
        `refund` names a held or partial refund the decision proposes."""
        out: list[str] = []
        if is_below(grade, self.grade_below):
            out.append(f"grade {grade.value} is below {self.grade_below.value}")
        raised = sorted(flag.value for flag in flags)
        if self.any_flag and raised:
            out.append("flagged " + ", ".join(raised).replace("_", " "))
        if self.held_or_partial_refund and refund:
            out.append(refund)
        if self.value_at_least is not None and price_minor >= self.value_at_least * 10 ** \
                CURRENCY_EXPONENTS.get(currency, 2):
            out.append(f"a line worth {self.value_at_least} {currency} or more")
        return tuple(out)


@dataclass(frozen=True)
class CheckAnswer:
    """A fast-path answer read from an item check: `ok` when the scan matched what the line
    has on file, `none_on_file` when the line has nothing to compare with. Until the scan
    matches, the fast path waits for it."""

    check: str
    ok: str
    none_on_file: str


@dataclass(frozen=True)
class FastPath:
    """The checklist's "new, sealed, complete" answers, given at once by one key or the bench
    card's barcode. Optional questions it does not name are skipped; a required question it
    cannot answer stops it there for the grader."""

    label: str
    answers: Mapping[str, AnswerValue]
    from_checks: Mapping[str, CheckAnswer] = field(default_factory=dict)


@dataclass(frozen=True)
class FastPathStop:
    """Where the fast path stopped: `question` waits for the grader's answer, or for the scan
    of `check` when that is set."""

    question: Question
    check: str | None = None


@dataclass(frozen=True)
class Checklist:
    """One category's questions and photos; `category` is None for the default checklist."""

    category: Category | None
    version: str
    questions: tuple[Question, ...]
    photos: tuple[PhotoRequirement, ...] = ()
    defect_count: str | None = None
    source: Path | None = None
    fast_path: FastPath | None = None
    evidence: EvidencePolicy = EvidencePolicy()

    @property
    def name(self) -> str:
        return self.category.value if self.category else DEFAULT_NAME

    def question(self, question_id: str) -> Question:
        for question in self.questions:
            if question.id == question_id:
                return question
        raise KeyError(question_id)


# ---------------------------------------------------------------------------- answers


class AnswerError(UserFacingError):
    """An answer the question does not accept; the message says what it does accept."""


_YES = frozenset({"yes", "y", "true", "1"})
_NO = frozenset({"no", "n", "false", "0"})


def validate_answer(question: Question, raw: object) -> AnswerValue:
    """The answer as stored (bool, number, choice or cleaned text); AnswerError if refused.

    Accepts what a keyboard or scanner gives too: "yes"/"no", "3", "2,5"; `None` (or empty
    text) skips an optional question.
    """
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if question.required:
            raise AnswerError(f"“{question.text}” needs an answer.")
        return None
    match question.type:
        case QuestionType.YES_NO:
            if isinstance(raw, bool):
                return raw
            if isinstance(raw, str) and raw.strip().lower() in _YES | _NO:
                return raw.strip().lower() in _YES
            raise AnswerError(f"“{question.text}”: answer yes or no.")
        case QuestionType.CHOICE:
            if isinstance(raw, str):
                wanted = " ".join(raw.split()).casefold()
                for choice in question.choices:
                    if choice.casefold() == wanted:
                        return choice
            raise AnswerError(f"“{question.text}”: choose one of "
                              f"{', '.join(question.choices)}.")
        case QuestionType.NUMBER:
            return _number(question, raw)
        case _:
            if not isinstance(raw, str):
                raise AnswerError(f"“{question.text}”: type the answer as text.")
            text = clean_text(raw, max_len=max(1, 4 * len(raw)))
            if len(text) > question.max_length:
                raise AnswerError(f"“{question.text}”: at most {question.max_length} "
                                  f"characters (this has {len(text)}).")
            if not text:
                if question.required:
                    raise AnswerError(f"“{question.text}” needs an answer.")
                return None
            return text


def _number(question: Question, raw: object) -> int | float:
    value: int | float | None = None
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        value = raw
    elif isinstance(raw, str):
        try:
            value = float(raw.strip().replace(",", "."))
        except ValueError:
            value = None
    kind = "a whole number" if question.whole else "a number"
    bounds = ""
    if question.min is not None and question.max is not None:
        bounds = f" from {_fmt_number(question.min)} to {_fmt_number(question.max)}"
    elif question.min is not None:
        bounds = f" of at least {_fmt_number(question.min)}"
    elif question.max is not None:
        bounds = f" of at most {_fmt_number(question.max)}"
    refusal = AnswerError(f"“{question.text}”: enter {kind}{bounds}.")
    if value is None or not math.isfinite(value):
        raise refusal
    if question.whole:
        if not float(value).is_integer():
            raise refusal
        value = int(value)
    if (question.min is not None and value < question.min) or (
            question.max is not None and value > question.max):
        raise refusal
    return value


def _fmt_number(value: int | float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def format_answer(value: AnswerValue) -> str:
    if value is None:
        return "skipped"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return _fmt_number(value)
    return value


# ---------------------------------------------------------------------------- outcome


@dataclass(frozen=True)
class Answer:
    question_id: str
    value: AnswerValue


@dataclass(frozen=True)
class GradeCause:
    """One thing that lowered the grade: an answer's cap or suggestion, or a flag's cap."""

    grade: Grade
    binding: bool  # True: a cap (the grade can be no better); False: a suggestion
    text: str
    question_id: str | None = None
    flag: Flag | None = None


@dataclass(frozen=True)
class Outcome:
    """What the answers so far mean for the unit."""

    grade: Grade  # proposed: the worst of the ceiling and every suggestion
    ceiling: Grade  # the best grade allowed: the worst cap (A when nothing caps)
    flags: frozenset[Flag]
    causes: tuple[GradeCause, ...]
    notes: tuple[str, ...]
    lifted: frozenset[Flag]

    def allows(self, grade: Grade) -> bool:
        """Whether the grader may give `grade` (anything no better than the ceiling)."""
        return not is_below(self.ceiling, grade)

    @property
    def reason(self) -> str:
        """"C (used, good): <what set it>[. Also: <what else lowered it>]"."""
        head = f"{self.grade.value} ({self.grade.meaning})"
        deciding = [cause.text for cause in self.causes if cause.grade == self.grade]
        others = [cause.text for cause in self.causes if cause.grade != self.grade]
        if not deciding:
            return f"{head}: no answer or flag lowers the grade"
        text = f"{head}: {'; '.join(deciding)}"
        return f"{text}. Also: {'; '.join(others)}" if others else text


@dataclass(frozen=True)
class PhotoNeed:
    """A photo kind still short: `needed` in all, `taken` so far."""

    kind: PhotoKind
    caption: str
    needed: int
    taken: int

    @property
    def short(self) -> int:
        return self.needed - self.taken


@dataclass(frozen=True)
class Missing:
    """Exactly what stops the inspection from being finished."""

    questions: tuple[Question, ...] = ()
    photos: tuple[PhotoNeed, ...] = ()

    @property
    def complete(self) -> bool:
        return not self.questions and not self.photos

    def lines(self) -> list[str]:
        """One line per blocker, for the screen."""
        out = [f"Answer: {question.text}" for question in self.questions]
        out += [f"Photo: {need.short} × {need.kind.label} ({need.caption}); "
                f"{need.taken} of {need.needed} taken" for need in self.photos]
        return out


def _flag_source(flag: Flag, raised_by: Mapping[Flag, str]) -> str:
    return raised_by.get(flag, "set before the checklist")


def evaluate(
    checklist: Checklist, answers: Iterable[Answer], preset_flags: Iterable[Flag] = (),
) -> Outcome:
    """The outcome of these answers (see the module's Grades section)."""
    causes: list[GradeCause] = []
    notes: list[str] = []
    flags: set[Flag] = set(preset_flags)
    raised_by: dict[Flag, str] = {}
    lifted: dict[Flag, str] = {}
    for answer in answers:
        question = checklist.question(answer.question_id)
        said = f"“{question.text}” {format_answer(answer.value)}"
        for effect in question.effects:
            if not effect.fires(answer.value):
                continue
            detail = f" ({effect.note})" if effect.note else ""
            if effect.cap is not None:
                causes.append(GradeCause(effect.cap, True, f"{said}: caps at "
                                         f"{effect.cap.value}{detail}", question_id=question.id))
            if effect.suggest is not None:
                causes.append(GradeCause(effect.suggest, False, f"{said}: suggests "
                                         f"{effect.suggest.value}{detail}",
                                         question_id=question.id))
            if effect.note:
                notes.append(effect.note)
            for flag in sorted(effect.flags):
                flags.add(flag)
                raised_by.setdefault(flag, f"from {said}")
            for flag in sorted(effect.lifts):
                lifted.setdefault(flag, said)
    for flag in sorted(flags):
        rule = FLAG_RULES[flag]
        if rule.cap is None or (flag in lifted and rule.liftable):
            continue
        causes.append(GradeCause(rule.cap, True, f"flag {flag.value.replace('_', ' ')} caps at "
                                 f"{rule.cap.value}, {rule.why} "
                                 f"({_flag_source(flag, raised_by)})", flag=flag))
    for flag, said in sorted(lifted.items()):
        if flag in flags:
            notes.append(f"{flag.value}: default cap lifted by {said}")
    ceiling = Grade.A
    for cause in causes:
        if cause.binding:
            ceiling = worse(ceiling, cause.grade)
    grade = ceiling
    for cause in causes:
        grade = worse(grade, cause.grade)
    causes.sort(key=lambda cause: (-_RANK[cause.grade], not cause.binding))
    return Outcome(grade=grade, ceiling=ceiling, flags=frozenset(flags), causes=tuple(causes),
                   notes=tuple(notes), lifted=frozenset(lifted) & frozenset(flags))


def required_photos(
    checklist: Checklist, answers: Mapping[str, AnswerValue], grade: Grade,
    evidence: bool = True,
) -> list[tuple[PhotoRequirement, int]]:
    """Each photo requirement that applies for this grade and these answers, with its count;
    `evidence` says whether the unit's photos are evidence (`EvidencePolicy.reasons`)."""
    defects = answers.get(checklist.defect_count) if checklist.defect_count else None
    defect_total = defects if isinstance(defects, int) and not isinstance(defects, bool) else 0
    needed: list[tuple[PhotoRequirement, int]] = []
    for requirement in checklist.photos:
        if not (requirement.always or evidence):
            continue
        if requirement.when_grade_below and not is_below(grade, requirement.when_grade_below):
            continue
        if requirement.when and not requirement.when.holds(answers):
            continue
        count = defect_total if requirement.per_defect else requirement.count
        if count > 0:
            needed.append((requirement, count))
    return needed


def _count_kinds(taken: Iterable[str] | Mapping[str, int]) -> Counter[str]:
    if isinstance(taken, Mapping):
        return Counter({str(kind): int(count) for kind, count in taken.items()})
    return Counter(str(kind) for kind in taken)


# ---------------------------------------------------------------------------- the run


@dataclass
class ChecklistRun:
    """One grader's way through a checklist: answers in order, back, outcome, what's missing.

    Pure: no clock, no database. The answers are an ordered list; `answer` answers the
    current question (the first one not yet answered whose `when` holds), `back` removes
    the last answer so that question is asked again.
    """

    checklist: Checklist
    preset_flags: frozenset[Flag] = frozenset()
    _answers: list[Answer] = field(default_factory=list, init=False, repr=False)

    @classmethod
    def resume(
        cls, checklist: Checklist, answers: Mapping[str, object],
        preset_flags: Iterable[Flag] = (),
    ) -> ChecklistRun:
        """A run with stored answers replayed in checklist order; AnswerError if one no
        longer fits (an answer the branches would not ask for, or one now refused)."""
        run = cls(checklist, frozenset(preset_flags))
        pending = dict(answers)
        while (question := run.current) is not None and question.id in pending:
            run.answer(pending.pop(question.id))
        if pending:
            raise AnswerError(f"Answers that the checklist does not ask for now: "
                              f"{', '.join(sorted(pending))}.")
        return run

    @property
    def answers(self) -> tuple[Answer, ...]:
        return tuple(self._answers)

    def values(self) -> dict[str, AnswerValue]:
        """The answers by question id, in the order given (for `Inspection.answers`)."""
        return {answer.question_id: answer.value for answer in self._answers}

    @property
    def ended(self) -> bool:
        """Whether an answer ended the checklist early (e.g. an empty box)."""
        for answer in self._answers:
            question = self.checklist.question(answer.question_id)
            if any(e.end_checklist and e.fires(answer.value) for e in question.effects):
                return True
        return False

    def _applicable(self, question: Question, values: Mapping[str, AnswerValue]) -> bool:
        return question.when is None or question.when.holds(values)

    def still_to_ask(self) -> list[Question]:
        """Unanswered questions that apply now (none once the checklist has ended)."""
        if self.ended:
            return []
        values = self.values()
        return [q for q in self.checklist.questions
                if q.id not in values and self._applicable(q, values)]

    @property
    def current(self) -> Question | None:
        """The next question to ask; None when every applicable question is answered."""
        return next(iter(self.still_to_ask()), None)

    def answer(self, raw: object, *, question_id: str | None = None) -> Answer:
        """Answer the current question; `question_id` guards against a stale screen."""
        question = self.current
        if question is None:
            raise AnswerError("Every question is answered; nothing is waiting for an answer.")
        if question_id is not None and question_id != question.id:
            raise AnswerError(f"The question now is “{question.text}”, not '{question_id}'.")
        answer = Answer(question.id, validate_answer(question, raw))
        self._answers.append(answer)
        return answer

    def back(self) -> Answer | None:
        """Remove the last answer (its question is asked again); None if there is none."""
        return self._answers.pop() if self._answers else None

    def outcome(self) -> Outcome:
        return evaluate(self.checklist, self._answers, self.preset_flags)

    def photos_needed(self, grade: Grade | None = None,
                      evidence: bool = True) -> list[tuple[PhotoRequirement, int]]:
        """Required photos for `grade` (default: the proposed grade) and the answers."""
        return required_photos(self.checklist, self.values(), grade or self.outcome().grade,
                               evidence)

    def missing_photos(
        self, taken: Iterable[str] | Mapping[str, int], grade: Grade | None = None,
        evidence: bool = True,
    ) -> tuple[PhotoNeed, ...]:
        """Photo kinds still short, given the kinds taken (a list of kinds or kind → count)."""
        have = _count_kinds(taken)
        return tuple(
            PhotoNeed(req.kind, req.caption, count, have[req.kind.value])
            for req, count in self.photos_needed(grade, evidence) if have[req.kind.value] < count
        )

    def missing(
        self, taken: Iterable[str] | Mapping[str, int] = (), grade: Grade | None = None,
        evidence: bool = True,
    ) -> Missing:
        """Exactly what blocks finishing: required questions that apply now and are not
        answered (a question whose `when` waits on an unanswered one is not listed yet),
        and photos short for `grade` (default: the proposed grade)."""
        questions = tuple(q for q in self.still_to_ask() if q.required)
        return Missing(questions, self.missing_photos(taken, grade, evidence))

    def fast_path_answer(
        self, checks: Mapping[str, bool | None],
    ) -> tuple[Question, AnswerValue] | FastPathStop | None:
        """The fast path's answer to the current question, where it stops instead, or None
        when nothing is left to ask. `checks` holds each item check's result by kind: True
        matched, False did not, None nothing on file; a kind not yet scanned is absent."""
        question = self.current
        path = self.checklist.fast_path
        if question is None:
            return None
        if path is None:
            return FastPathStop(question)
        if question.id in path.answers:
            return question, path.answers[question.id]
        from_check = path.from_checks.get(question.id)
        if from_check is not None:
            result = checks.get(from_check.check, False)
            if result is None:
                return question, from_check.none_on_file
            if result:
                return question, from_check.ok
            return FastPathStop(question, from_check.check)
        if not question.required:
            return question, None
        return FastPathStop(question)
