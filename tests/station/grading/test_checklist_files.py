"""Checklist files are validated at start-up: every error names the file, line and key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import resources
from station.common.vocabulary import Category
from station.grading.checklist_files import ChecklistError, load_checklist_file, load_checklists
from station.settings.config import ConfigError

GOOD = """\
category = "toys"
version = "t-1"
defect_count = "defects"

[[questions]]
id = "sealed"
text = "Is the box sealed?"
type = "yes_no"

[[questions.effects]]
equals = false
cap = "B"

[[questions]]
id = "works"
text = "Does it work?"
type = "choice"
choices = ["works", "does not work"]
when = { question = "sealed", equals = false }

[[questions.effects]]
equals = "does not work"
flags = ["missing_parts"]
suggest = "D"

[[questions]]
id = "defects"
text = "How many defects?"
type = "number"
min = 0
max = 9

[[photos]]
kind = "defect"
caption = "Each defect"
per_defect = true
when_grade_below = "B"
"""


def write(tmp_path: Path, text: str, name: str = "toys.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, fragment: str, occurrence: int = 1) -> int:
    """The 1-based line of the n-th line containing `fragment`."""
    hits = [n for n, line in enumerate(text.splitlines(), start=1) if fragment in line]
    return hits[occurrence - 1]


def broken(tmp_path: Path, old: str, new: str, count: int = 1) -> tuple[Path, str]:
    assert old in GOOD
    text = GOOD.replace(old, new, count)
    return write(tmp_path, text), text


def test_the_reference_file_is_valid(tmp_path: Path) -> None:
    checklist = load_checklist_file(write(tmp_path, GOOD))
    assert checklist.category == Category.TOYS
    assert [q.id for q in checklist.questions] == ["sealed", "works", "defects"]


def test_bad_toml_syntax_names_file_and_line(tmp_path: Path) -> None:
    path, text = broken(tmp_path, 'text = "Does it work?"', 'text = "Does it work?')
    with pytest.raises(ChecklistError) as caught:
        load_checklist_file(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:{line_of(text, 'Does it work?')}: (syntax): not valid TOML")
    assert caught.value.line == line_of(text, "Does it work?")


def test_an_unknown_key_is_refused_with_a_suggestion(tmp_path: Path) -> None:
    path, text = broken(tmp_path, 'text = "Does it work?"', 'txt = "Does it work?"')
    with pytest.raises(ChecklistError) as caught:
        load_checklist_file(path)
    assert str(caught.value).startswith(
        f"{path}:{line_of(text, 'txt =')}: questions[1].txt: unknown key; did you mean 'text'?")


def test_an_unknown_flag_is_refused(tmp_path: Path) -> None:
    path, text = broken(tmp_path, 'flags = ["missing_parts"]', 'flags = ["parts_missing"]')
    with pytest.raises(ChecklistError) as caught:
        load_checklist_file(path)
    assert str(caught.value).startswith(
        f"{path}:{line_of(text, 'parts_missing')}: questions[1].effects[0].flags: "
        "unknown flag 'parts_missing'; flags are: wrong_item,")


def test_a_reference_to_a_later_question_is_refused(tmp_path: Path) -> None:
    path, text = broken(tmp_path, 'when = { question = "sealed", equals = false }',
                        'when = { question = "defects", gt = 0 }')
    with pytest.raises(ChecklistError) as caught:
        load_checklist_file(path)
    assert str(caught.value) == (
        f"{path}:{line_of(text, 'when =')}: questions[1].when.question: refers to "
        "'defects', which comes later (questions[2]); a question can only depend on an "
        "earlier answer: move it above")


def test_a_question_depending_on_itself_is_refused(tmp_path: Path) -> None:
    path, _ = broken(tmp_path, 'when = { question = "sealed", equals = false }',
                     'when = { question = "works", equals = "works" }')
    with pytest.raises(ChecklistError, match="cannot depend on its own answer"):
        load_checklist_file(path)


def test_a_reference_to_no_question_is_refused(tmp_path: Path) -> None:
    path, _ = broken(tmp_path, 'question = "sealed"', 'question = "seal"')
    with pytest.raises(ChecklistError, match=r"questions\[1\]\.when\.question: no question "
                                             "has the id 'seal'"):
        load_checklist_file(path)


def test_a_duplicate_id_is_refused(tmp_path: Path) -> None:
    path, text = broken(tmp_path, 'id = "defects"', 'id = "sealed"')
    with pytest.raises(ChecklistError) as caught:
        load_checklist_file(path)
    assert str(caught.value) == (
        f"{path}:{line_of(text, 'id = ', 3)}: questions[2].id: duplicate id 'sealed': "
        "questions[0] already uses it")


@pytest.mark.parametrize(("old", "new", "key", "problem"), [
    ("max = 9", 'max = "nine"', "questions[2].max", "must be a number (got 'nine')"),
    ('type = "number"', 'type = "integer"', "questions[2].type",
     "must be one of yes_no, choice, number, text (got 'integer')"),
    ('cap = "B"', 'cap = "E"', "questions[0].effects[0].cap", "must be a grade: A, B, C, D, X"),
    ("equals = false\ncap", 'equals = "no"\ncap', "questions[0].effects[0].equals",
     "a yes/no question: test it with equals = true or equals = false"),
    ('equals = "does not work"', 'equals = "broken"', "questions[1].effects[0].equals",
     "'broken' is not one of the choices of this question"),
    ('category = "toys"', 'category = "garden"', "category", "unknown category 'garden'"),
    ('kind = "defect"', 'kind = "closeup"', "photos[0].kind", "unknown photo kind 'closeup'"),
    ("per_defect = true", "per_defect = 1", "photos[0].per_defect", "must be true or false"),
    ('choices = ["works", "does not work"]', "choices = []", "questions[1].choices",
     "needs 2 to 12 choices"),
    ("min = 0\n", "", "defect_count", "must be a number question of whole numbers with min"),
    ('type = "yes_no"', 'type = "yes_no"\nmax = 3', "questions[0].max",
     'is only for type = "number" questions'),
])
def test_bad_values_are_refused_with_line_and_key(
    tmp_path: Path, old: str, new: str, key: str, problem: str,
) -> None:
    path, text = broken(tmp_path, old, new)
    with pytest.raises(ChecklistError) as caught:
        load_checklist_file(path)
    error = caught.value
    assert error.file == path and error.key == key
    assert problem in error.problem
    assert error.line is not None
    assert str(error).startswith(f"{path}:{error.line}: {key}: ")
    first_changed = next(n for n, (a, b) in enumerate(
        zip(text.splitlines(), GOOD.splitlines(), strict=False), start=1) if a != b)
    if key != "defect_count":  # a key that is missing points at what names it
        assert error.line == first_changed


def test_a_checklist_error_is_a_configuration_error(tmp_path: Path) -> None:
    path, _ = broken(tmp_path, 'cap = "B"', 'cap = "E"')
    with pytest.raises(ConfigError):
        load_checklist_file(path)


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "toys.toml"
    path.write_bytes(GOOD.replace("Does it work?", "Funktioniert's?").encode("utf-16"))
    with pytest.raises(ChecklistError, match=r"\(file\): is not UTF-8"):
        load_checklist_file(path)


def shipped_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "checklists"
    shutil.copytree(resources.path("checklists"), folder)
    return folder


def test_a_folder_without_a_default_checklist_is_refused(tmp_path: Path) -> None:
    folder = shipped_copy(tmp_path)
    (folder / "default.toml").unlink()
    with pytest.raises(ChecklistError, match=r"default\.toml: \(file\): is missing"):
        load_checklists(folder)


def test_a_file_not_named_after_a_category_is_refused(tmp_path: Path) -> None:
    folder = shipped_copy(tmp_path)
    write(folder, GOOD, name="garden.toml")
    with pytest.raises(ChecklistError, match="'garden' is not a category"):
        load_checklists(folder)


def test_a_file_must_say_the_category_it_is_named_after(tmp_path: Path) -> None:
    folder = shipped_copy(tmp_path)
    write(folder, GOOD, name="apparel.toml")
    with pytest.raises(ChecklistError, match=r"apparel.toml:1: category: says 'toys'"):
        load_checklists(folder)


def test_a_category_without_a_file_uses_the_default(tmp_path: Path) -> None:
    folder = shipped_copy(tmp_path)
    (folder / "toys.toml").unlink()
    checklists = load_checklists(folder)
    assert checklists[Category.TOYS] is checklists[Category.OTHER]
    assert checklists[Category.TOYS].name == "default"
