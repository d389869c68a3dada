"""Checklist files: one TOML file per category, read and validated into the `Checklist`
the engine (station.grading.checklists) walks a grader through.

`resources/checklists/<category>.toml` for each `Category` value that needs its own
questions, plus `default.toml`, used for every category without a file (e.g. `other`).
`load_checklists(folder)` reads and validates them all at start-up; any problem raises
`ChecklistError` naming the file, the line and the key, e.g.

    .../electronics.toml:41: questions[5].when.question: refers to 'defect_count', which
    comes later (questions[7]); a question can only depend on an earlier answer

Key paths count from 0 in file order (`questions[5]` is the sixth `[[questions]]`).
The format, every key but `category`, `version` and each question's `id`, `text` and
`type` being optional:

    category = "electronics"          # the file's name; "default" in default.toml
    version = "2026.11-1"             # recorded with the answers of every inspection
    defect_count = "defect_count"     # the number question that counts the defects

    [[questions]]
    id = "powers_on"                  # a-z 0-9 _, unique in the file, stored with answers
    text = "Does it power on?"
    type = "yes_no"                   # yes_no | choice | number | text
    hint = "Hold the power button 5 s; charge 10 min if it stays dark."
    required = true                   # false: the grader may skip it
    choices = ["light", "heavy"]      # choice: the answers offered (and stored)
    min = 0                           # number: the range (whole numbers unless
    max = 20                          #   whole = false)
    max_length = 200                  # text: longest answer (default 200)
    when = { question = "battery_swollen", equals = false }   # asked only if this holds

    [[questions.effects]]             # what an answer to *this* question does
    equals = false                    # the test on it: equals | in = [...] | lt and/or gt
    flags = ["hazardous"]             # flags to raise
    cap = "B"                         # the grade can be no better than this
    suggest = "D"                     # the answers point to this grade
    lifts = ["damaged_in_transit"]    # cancels that flag's default grade effect
    end_checklist = true              # nothing more to ask (wrong item, empty box)
    note = "Does not power on."       # shown with the outcome

    [[photos]]
    kind = "defect"                   # a station.common.vocabulary.PhotoKind
    caption = "Close-up of each defect"
    per_defect = true                 # one per defect counted (else count = 1..10)
    when_grade_below = "B"            # only for grades worse than this
    when = { question = "box_present", equals = true }     # only if this holds
    always = false                    # true: required even where photos are not evidence

    [evidence]                        # when photos are evidence, and so required
    grade_below = "B"                 # a grade below this (default B)
    any_flag = true                   # any flag raised (default true)
    held_or_partial_refund = true     # the decision holds or cuts the refund (default true)
    value_at_least = 250              # the line's price, in major units of its currency
                                      #   (default 250; 0: every unit's photos are evidence)

    [fast_path]                       # one key (S) or the bench card's AS NEW barcode
    label = "Sealed, as new"          # what the key says
    answers = { right_item = "yes", sealed = true }   # valid answers, in any order
    from_checks = { serial_matches = { check = "serial", ok = "matches",
                                       none_on_file = "not recorded" } }

The fast path answers the current question and the ones after it from `answers`, each
recorded like a key press with the grader and the time; a question in `from_checks` is
answered from the item check once its scan matches (`none_on_file` when the line has
nothing to compare with); optional questions it does not name are skipped; it stops at a
required question it cannot answer, which the grader answers by hand.

A `when` may only name an earlier question, so a checklist can never depend on itself
(no cycles); a question whose `when` names a question that was not asked is not asked
either, so branches nest.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Final

from station.common.bounded_files import MAX_TEXT_FILE_BYTES, FileReadError, read_bounded
from station.common.text_hygiene import clean_text
from station.common.vocabulary import Category, Grade, PhotoKind
from station.grading.checklists import (
    DEFAULT_NAME,
    DEFAULT_TEXT_LENGTH,
    LIFTABLE_FLAGS,
    AnswerError,
    AnswerValue,
    CheckAnswer,
    Checklist,
    Condition,
    Effect,
    EvidencePolicy,
    FastPath,
    Op,
    PhotoRequirement,
    Question,
    QuestionType,
    Test,
    validate_answer,
)
from station.settings.resource_dirs import RESOURCES_DIR
from station.settings.toml_data import TOML_POSITION, DataFileError, KeyLines, Source, Table, one_of
from station.settings.toml_text import parse_toml

CHECKLIST_DIR: Final = RESOURCES_DIR / "checklists"
MAX_QUESTIONS: Final = 40
MAX_CHOICES: Final = 12
MAX_TEXT_LENGTH: Final = 1000


# ---------------------------------------------------------------------------- errors


class ChecklistError(DataFileError):
    """A problem in a checklist file: `file:line: key: problem` (line when known).

    A ConfigError, so start-up reports it like any other configuration problem."""

    what = "checklist"


# ---------------------------------------------------------------------------- reading


_ID = re.compile(r"[a-z][a-z0-9_]{0,39}")
_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")

_TOP_KEYS = ("category", "version", "defect_count", "questions", "photos", "evidence",
             "fast_path")
_EVIDENCE_KEYS = ("grade_below", "any_flag", "held_or_partial_refund", "value_at_least")
_FAST_PATH_KEYS = ("label", "answers", "from_checks")
_FROM_CHECK_KEYS = ("check", "ok", "none_on_file")
_CHECKS = ("serial", "gtin")
MAX_VALUE: Final = 10**9
_QUESTION_KEYS = ("id", "text", "type", "hint", "required", "choices", "min", "max", "whole",
                  "max_length", "when", "effects")
_TEST_KEYS: tuple[Op, ...] = ("equals", "in", "lt", "gt")
_WHEN_KEYS = ("question", *_TEST_KEYS)
_EFFECT_KEYS = (*_TEST_KEYS, "flags", "cap", "suggest", "lifts", "end_checklist", "note")
_PHOTO_KEYS = ("kind", "caption", "count", "per_defect", "when_grade_below", "when", "always")
_TYPE_KEYS = {"choices": QuestionType.CHOICE, "min": QuestionType.NUMBER,
              "max": QuestionType.NUMBER, "whole": QuestionType.NUMBER,
              "max_length": QuestionType.TEXT}


class _Source(Source):
    error_type = ChecklistError


def _tests(table: Table, subject: Question, what: str) -> tuple[Test, ...]:
    """The equals / in / lt / gt tests of a `when` or an effect, checked against `subject`."""
    present = [op for op in _TEST_KEYS if table.has(op)]
    if not present:
        raise table.source.error(table.key, f"needs a test on {what}: equals, in, lt or gt")
    if len(present) > 1 and not set(present) <= {"lt", "gt"}:
        raise table.error(present[1], "use one test: equals, or in, or lt and/or gt")
    kind = subject.type
    if kind == QuestionType.TEXT:
        raise table.error(present[0], f"{what} is a free-text question, whose answers cannot "
                                      "be tested; make it a choice question")
    tests: list[Test] = []
    for op in present:
        raw = table.raw[op]
        if kind == QuestionType.YES_NO:
            if op != "equals" or not isinstance(raw, bool):
                raise table.error(op, f"{what} is a yes/no question: test it with "
                                      "equals = true or equals = false")
            tests.append(Test("equals", raw))
        elif kind == QuestionType.CHOICE:
            if op in ("lt", "gt"):
                raise table.error(op, f"{what} is a choice question: use equals or in")
            values = raw if op == "in" else [raw]
            if op == "in" and (not isinstance(raw, list) or not raw):
                raise table.error(op, 'must be a list of choices, e.g. in = ["a", "b"]')
            for item in values:
                if item not in subject.choices:
                    raise table.error(op, f"{item!r} is not one of the choices of {what}: "
                                          f"{one_of(repr(c) for c in subject.choices)}")
            tests.append(Test(op, tuple(values) if op == "in" else raw))
        else:
            values = raw if op == "in" else [raw]
            if op == "in" and (not isinstance(raw, list) or not raw):
                raise table.error(op, "must be a list of numbers, e.g. in = [1, 2]")
            for item in values:
                if isinstance(item, bool) or not isinstance(item, int | float):
                    raise table.error(op, f"{what} is a number question: compare it with a "
                                          f"number (got {item!r})")
            tests.append(Test(op, tuple(values) if op == "in" else raw))
    return tuple(tests)


def _condition(
    table: Table, earlier: Mapping[str, tuple[int, Question]], position: int | None,
    everything: Mapping[str, int],
) -> Condition:
    """A `when`: `earlier` are the questions it may name; `position` is the asker's index."""
    name = table.identifier("question")
    if name not in earlier:
        if name in everything:
            index = everything[name]
            if index == position:
                raise table.error("question", "a question cannot depend on its own answer")
            raise table.error("question", f"refers to '{name}', which comes later "
                                          f"(questions[{index}]); a question can only depend "
                                          "on an earlier answer: move it above")
        raise table.error("question", f"no question has the id '{name}'")
    subject = earlier[name][1]
    return Condition(name, _tests(table, subject, f"'{name}'"))


def _question(
    table: Table, position: int, earlier: dict[str, tuple[int, Question]],
    everything: Mapping[str, int],
) -> Question:
    question_id = table.identifier("id")
    if question_id in earlier:
        raise table.error("id", f"duplicate id '{question_id}': questions"
                                f"[{earlier[question_id][0]}] already uses it")
    text = table.text("text", required=True, max_len=200)
    raw_type = table.raw.get("type")
    if raw_type not in {t.value for t in QuestionType}:
        if "type" not in table.raw:
            raise table.error("type", f"is required: {one_of(QuestionType)}")
        raise table.error("type", f"must be one of {one_of(QuestionType)} (got {raw_type!r})")
    kind = QuestionType(raw_type)
    for key, owner in _TYPE_KEYS.items():
        if table.has(key) and kind != owner:
            raise table.error(key, f'is only for type = "{owner.value}" questions')
    choices: tuple[str, ...] = ()
    if kind == QuestionType.CHOICE:
        raw_choices = table.strings("choices")
        if not 2 <= len(raw_choices) <= MAX_CHOICES:
            raise table.error("choices", f"a choice question needs 2 to {MAX_CHOICES} choices")
        cleaned = [clean_text(choice, max_len=60) for choice in raw_choices]
        if any(not choice for choice in cleaned):
            raise table.error("choices", "a choice must not be empty")
        if len(set(cleaned)) != len(cleaned):
            raise table.error("choices", "every choice must be different")
        choices = tuple(cleaned)
    low, high = table.number("min"), table.number("max")
    whole = table.boolean("whole", True)
    if kind == QuestionType.NUMBER:
        for key, bound in (("min", low), ("max", high)):
            if whole and bound is not None and not float(bound).is_integer():
                raise table.error(key, "must be a whole number, or set whole = false")
        if low is not None and high is not None and low > high:
            raise table.error("max", f"must not be less than min ({low})")
    max_length = table.integer("max_length", DEFAULT_TEXT_LENGTH, 1, MAX_TEXT_LENGTH)
    partial = Question(
        id=question_id, text=text, type=kind, hint=table.text("hint", max_len=300),
        required=table.boolean("required", True), choices=choices, min=low, max=high,
        whole=whole, max_length=max_length,
    )
    when_table = table.table("when", _WHEN_KEYS)
    when = _condition(when_table, earlier, position, everything) if when_table else None
    effects = tuple(_effect(effect, partial) for effect in table.tables("effects", _EFFECT_KEYS))
    return replace(partial, when=when, effects=effects)


def _effect(table: Table, question: Question) -> Effect:
    tests = _tests(table, question, "this question")
    lifts = table.flags("lifts")
    if unliftable := sorted(lifts - LIFTABLE_FLAGS):
        raise table.error("lifts", f"the default of '{unliftable[0].value}' cannot be lifted; "
                                   f"only that of {one_of(sorted(LIFTABLE_FLAGS))} can")
    effect = Effect(
        tests=tests, flags=table.flags("flags"), cap=table.grade("cap"),
        suggest=table.grade("suggest"), lifts=lifts,
        end_checklist=table.boolean("end_checklist", False), note=table.text("note"),
    )
    if not (effect.flags or effect.cap or effect.suggest or effect.lifts
            or effect.end_checklist or effect.note):
        raise table.source.error(table.key, "does nothing: give flags, cap, suggest, lifts, "
                                            "end_checklist or note")
    return effect


def _photo(
    table: Table, questions: Mapping[str, tuple[int, Question]], defect_count: str | None,
    kinds: dict[PhotoKind, int], index: int,
) -> PhotoRequirement:
    raw_kind = table.text("kind", required=True, max_len=32)
    if raw_kind not in {kind.value for kind in PhotoKind}:
        raise table.error("kind", f"unknown photo kind '{raw_kind}'; kinds are: "
                                  f"{one_of(PhotoKind)}")
    kind = PhotoKind(raw_kind)
    if kind in kinds:
        raise table.error("kind", f"'{kind.value}' is already required by photos"
                                  f"[{kinds[kind]}]; use count for more than one")
    kinds[kind] = index
    per_defect = table.boolean("per_defect", False)
    if per_defect and table.has("count"):
        raise table.error("count", "use either count or per_defect = true")
    if per_defect and defect_count is None:
        raise table.error("per_defect", "needs defect_count = \"<question id>\" at the top "
                                        "of the file, naming the question that counts defects")
    below = table.grade("when_grade_below")
    if below == Grade.X:
        raise table.error("when_grade_below", "no grade is below X")
    when_table = table.table("when", _WHEN_KEYS)
    return PhotoRequirement(
        kind=kind, caption=table.text("caption", required=True, max_len=120),
        count=table.integer("count", 1, 1, 10), per_defect=per_defect,
        when_grade_below=below,
        when=_condition(when_table, questions, None, {}) if when_table else None,
        always=table.boolean("always", False),
    )


def _evidence(top: Table) -> EvidencePolicy:
    table = top.table("evidence", _EVIDENCE_KEYS)
    if table is None:
        return EvidencePolicy()
    default = EvidencePolicy()
    below = table.grade("grade_below") or default.grade_below
    if below == Grade.A:
        raise table.error("grade_below", "no grade is below A; use B to C for evidence")
    value: int | None = default.value_at_least
    if table.has("value_at_least"):
        value = table.integer("value_at_least", 0, 0, MAX_VALUE)
    return EvidencePolicy(
        grade_below=below, any_flag=table.boolean("any_flag", default.any_flag),
        held_or_partial_refund=table.boolean("held_or_partial_refund",
                                             default.held_or_partial_refund),
        value_at_least=value,
    )


def _fast_path(top: Table, questions: Mapping[str, tuple[int, Question]]) -> FastPath | None:
    table = top.table("fast_path", _FAST_PATH_KEYS)
    if table is None:
        return None
    label = table.text("label", required=True, max_len=40)
    answers_table = table.table("answers", tuple(questions))
    if answers_table is None or not answers_table.raw:
        raise table.error("answers", "is required: the answers of the fast path, e.g. "
                                     "{ right_item = \"yes\", sealed = true }")
    answers: dict[str, AnswerValue] = {}
    for question_id, raw in answers_table.raw.items():
        question = questions[question_id][1]
        if isinstance(raw, list | dict):
            raise answers_table.error(question_id, "must be one answer, not a list or table")
        try:
            answers[question_id] = validate_answer(question, raw)
        except AnswerError as error:
            raise answers_table.error(question_id, str(error)) from None
    from_checks: dict[str, CheckAnswer] = {}
    checks_table = table.table("from_checks", tuple(questions))
    for question_id in checks_table.raw if checks_table else ():
        assert checks_table is not None
        entry = checks_table.table(question_id, _FROM_CHECK_KEYS)
        assert entry is not None
        question = questions[question_id][1]
        if question_id in answers:
            raise entry.error("check", f"'{question_id}' is already in fast_path.answers")
        if question.type != QuestionType.CHOICE:
            raise entry.error("check", f"'{question_id}' must be a choice question")
        check = entry.text("check", required=True, max_len=10)
        if check not in _CHECKS:
            raise entry.error("check", f"must be {one_of(_CHECKS)} (got {check!r})")
        ok, none = (entry.text(key, required=True, max_len=60) for key in ("ok", "none_on_file"))
        for key, value in (("ok", ok), ("none_on_file", none)):
            if value not in question.choices:
                raise entry.error(key, f"{value!r} is not one of the choices of "
                                       f"'{question_id}': {one_of(question.choices)}")
        from_checks[question_id] = CheckAnswer(check, ok, none)
    return FastPath(label, answers, from_checks)


def parse_checklist(text: str, path: Path | None = None) -> Checklist:
    """Validate the text of a checklist file (raises ChecklistError)."""
    source = _Source(path, text)
    try:
        raw = parse_toml(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        found = TOML_POSITION.search(message)
        line = int(found.group(1)) if found else None
        raise ChecklistError(path, line, "(syntax)", f"not valid TOML: {message}") from None
    top = Table(raw, "", source, _TOP_KEYS)
    name = top.text("category", required=True, max_len=40)
    categories = [DEFAULT_NAME, *(category.value for category in Category)]
    if name not in categories:
        raise top.error("category", f"unknown category '{name}'; use one of "
                                    f"{one_of(categories)}")
    version = top.text("version", required=True, max_len=32)
    if not _VERSION.fullmatch(version):
        raise top.error("version", "must be letters, digits, '.', '-' or '_', e.g. 2026.11-1")
    question_tables = top.tables("questions", _QUESTION_KEYS)
    if not 1 <= len(question_tables) <= MAX_QUESTIONS:
        raise top.error("questions", f"a checklist needs 1 to {MAX_QUESTIONS} [[questions]]")
    everything: dict[str, int] = {}
    for index, table in enumerate(question_tables):  # ids first, to tell "later" from "none"
        raw_id = table.raw.get("id")
        if isinstance(raw_id, str):
            everything.setdefault(raw_id, index)
    earlier: dict[str, tuple[int, Question]] = {}
    for index, table in enumerate(question_tables):
        question = _question(table, index, earlier, everything)
        earlier[question.id] = (index, question)
    defect_count: str | None = None
    if top.has("defect_count"):
        defect_count = top.identifier("defect_count")
        counted = earlier.get(defect_count)
        if counted is None:
            raise top.error("defect_count", f"no question has the id '{defect_count}'")
        q = counted[1]
        if q.type != QuestionType.NUMBER or not q.whole or q.min is None or q.min < 0:
            raise top.error("defect_count", f"'{defect_count}' must be a number question of "
                                            "whole numbers with min = 0 or more")
    kinds: dict[PhotoKind, int] = {}
    photos = tuple(
        _photo(table, earlier, defect_count, kinds, index)
        for index, table in enumerate(top.tables("photos", _PHOTO_KEYS))
    )
    return Checklist(
        category=None if name == DEFAULT_NAME else Category(name), version=version,
        questions=tuple(question for _, question in earlier.values()), photos=photos,
        defect_count=defect_count, source=path, fast_path=_fast_path(top, earlier),
        evidence=_evidence(top),
    )


def load_checklist_file(path: Path) -> Checklist:
    """Read and validate one checklist file (raises ChecklistError)."""
    try:
        text = read_bounded(path, MAX_TEXT_FILE_BYTES).decode("utf-8")
    except UnicodeDecodeError:
        raise ChecklistError(path, None, "(file)", "is not UTF-8 text; save it as UTF-8") \
            from None
    except FileReadError as error:
        raise ChecklistError(path, None, "(file)", error.problem) from None
    return parse_checklist(text, path)


def _text_of(path: Path) -> str:
    return read_bounded(path, MAX_TEXT_FILE_BYTES).decode("utf-8", "replace")


def load_checklists(folder: Path) -> dict[Category, Checklist]:
    """Every category's checklist: its own file, else default.toml (raises ChecklistError).

    Every *.toml file in the folder must be named after a category or be default.toml,
    and must say the same in its `category` key; other files are ignored.
    """
    if not folder.is_dir():
        raise ChecklistError(folder, None, "(folder)", "the checklist folder does not exist")
    own: dict[Category, Checklist] = {}
    default: Checklist | None = None
    names = [DEFAULT_NAME, *(category.value for category in Category)]
    for path in sorted(folder.glob("*.toml")):
        if path.stem not in names:
            raise ChecklistError(path, None, "(file name)", f"'{path.stem}' is not a category; "
                                 f"name the file after one of {one_of(names)}")
        checklist = load_checklist_file(path)
        if checklist.name != path.stem:
            raise ChecklistError(path, KeyLines(_text_of(path)).line_of("category"),
                                 "category", f"says '{checklist.name}' but the file is "
                                 f"{path.name}; they must agree")
        if checklist.category is None:
            default = checklist
        else:
            own[checklist.category] = checklist
    if default is None:
        raise ChecklistError(folder / f"{DEFAULT_NAME}.toml", None, "(file)",
                             "is missing; it is the checklist of every category without "
                             "a file of its own")
    return {category: own.get(category, default) for category in Category}


@functools.cache
def shipped_checklists() -> dict[Category, Checklist]:
    """The checklists in `resources/checklists`, validated once per process."""
    return load_checklists(CHECKLIST_DIR)
