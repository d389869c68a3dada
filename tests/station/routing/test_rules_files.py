"""Rule-set files are validated before use: every error reads `file:line: key: problem`,
and an edited rule set (with its new version) decides from the moment it is loaded."""

from __future__ import annotations

from pathlib import Path

import pytest

from station.common.vocabulary import (
    Category,
    Disposition,
    Grade,
    Reason,
    RefundAction,
    RequestedOutcome,
)
from station.routing.rules import (
    RULES_DIR,
    Condition,
    RoutingCase,
    RulesError,
    decide,
    load_rule_set,
    parse_rule_set,
    shipped_rule_set,
)
from station.settings.config import DEFAULT_DESTINATIONS, ConfigError

DEFAULT = (RULES_DIR / "default.toml").read_text("utf-8")


def write(tmp_path: Path, text: str, name: str = "rules.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def edited(old: str, new: str) -> str:
    assert DEFAULT.count(old) == 1, f"{old!r} must occur once in default.toml"
    return DEFAULT.replace(old, new)


def line_of(text: str, fragment: str, occurrence: int = 1) -> int:
    """The 1-based number of the n-th line containing `fragment`."""
    hits = [n for n, line in enumerate(text.splitlines(), start=1) if fragment in line]
    return hits[occurrence - 1]


def error_for(tmp_path: Path, text: str) -> RulesError:
    path = write(tmp_path, text)
    with pytest.raises(RulesError) as caught:
        load_rule_set(path)
    return caught.value


def test_the_shipped_rule_set_is_valid_and_ends_with_a_catch_all() -> None:
    rules = shipped_rule_set()
    assert rules.version == "2026.11-1"
    assert rules.source == RULES_DIR / "default.toml"
    assert len(rules.rules) == 13
    assert rules.rules[-1].id == "anything-else" and rules.rules[-1].when == Condition()
    assert all(rule.when != Condition() for rule in rules.rules[:-1])
    assert set(rules.recovery["default"]) == set(Disposition)


# (old text in default.toml, new text, the key named, a fragment of the line named (its
#  first occurrence in the edited file, or (fragment, n) for the n-th), part of the problem)
BROKEN = [
    pytest.param('description = "Default policy', 'colour = "red"\ndescription = "Default policy',
                 "colour", 'colour = "red"', "unknown key; allowed here: version, description",
                 id="an unknown top-level key"),
    pytest.param('version = "2026.11-1"\n', "", "version", None, "is required",
                 id="no version"),
    pytest.param('version = "2026.11-1"', 'version = "2026 November"', "version",
                 'version = "2026 November"', "must be letters, digits",
                 id="a version with a space"),
    pytest.param('allow = ["RECYCLE", "DESTROY"]', 'allow = ["RECYCLE", "BURN"]',
                 "rules[11].allow", '"BURN"', "unknown disposition 'BURN'; use one of RESTOCK",
                 id="an unknown disposition in allow, on the line of allow"),
    pytest.param('allow = ["RECYCLE", "DESTROY"]', 'allow = ["RECYCLE", "RECYCLE"]',
                 "rules[11].allow", 'allow = ["RECYCLE", "RECYCLE"]',
                 "lists a disposition twice", id="a disposition allowed twice"),
    pytest.param('allow = ["RECYCLE", "DESTROY"]', "allow = []", "rules[11].allow",
                 "allow = []", "must list at least one disposition", id="an empty allow"),
    pytest.param('description = "no rule above applies: a supervisor decides"\n',
                 'description = "no rule above applies: a supervisor decides"\n'
                 'when = { grade = ["A"] }\n', "rules[12].when", ('grade = ["A"]', 2),
                 "the last rule must have no `when`", id="no catch-all at the end"),
    pytest.param('when = { grade = ["X"] }\n', "", "rules[11].when", ("[[rules]]", 12),
                 "rule 'unsellable-x' always holds, so the rules after it could never fire",
                 id="a catch-all before the last rule, named at its [[rules]] header"),
    pytest.param('id = "unsellable-x"', 'id = "grade-a-restock"', "rules[11].id",
                 ('id = "grade-a-restock"', 2), "'grade-a-restock' is already the id of rules[6]",
                 id="a duplicate rule id (the second one is named)"),
    pytest.param('id = "unsellable-x"', 'id = "Unsellable X"', "rules[11].id",
                 'id = "Unsellable X"', "must be lower-case letters, digits and -",
                 id="a rule id that is not an identifier"),
    pytest.param('flags_any = ["counterfeit_suspected", "serial_mismatch"]',
                 'flags_any = ["counterfeit", "serial_mismatch"]', "rules[4].when.flags_any",
                 '"counterfeit"', "unknown value 'counterfeit'; use one of wrong_item",
                 id="an unknown flag in when"),
    pytest.param('when = { grade = ["X"] }', 'when = { grade = ["X"], colour = "red" }',
                 "rules[11].when.colour", 'colour = "red"', "unknown key",
                 id="an unknown key in when"),
    pytest.param('when = { grade = ["X"] }', 'when = { grade = ["E"] }',
                 "rules[11].when.grade", 'grade = ["E"]', "unknown value 'E'",
                 id="an unknown grade in when"),
    pytest.param('refund = "PARTIAL"', 'refund = "HALF"', "rules[8].refund",
                 'refund = "HALF"', "must be one of FULL, PARTIAL, BY_REASON, HELD, DENY",
                 id="an unknown refund"),
    pytest.param('OPEN_BOX = { A = 85, B = 80, C = 60 }', 'OPEN_BOX = { A = 85, B = 80, E = 60 }',
                 "recovery.default.OPEN_BOX.E", "E = 60", "unknown key; allowed here: A, B",
                 id="a bad grade key in a recovery table"),
    pytest.param("RTV = 90", "RTV = 190", "recovery.default.RTV", "RTV = 190",
                 "must be a percentage from -100 to 100 (got 190)",
                 id="a recovery estimate out of range"),
    pytest.param("REFURBISH = { resale = { B = 75, C = 65, D = 55 }, repair_cost = { B = 10, "
                 "C = 20, D = 35 } }", "REFURBISH = { resale = { B = 75, C = 65, D = 55 } }",
                 "recovery.default.REFURBISH.resale", "REFURBISH = { resale",
                 "needs both resale and repair_cost", id="REFURBISH resale without repair"),
    pytest.param("HOLD = 0\n", "", "recovery.default", "[recovery.default]",
                 "needs an estimate for HOLD",
                 id="[recovery.default] missing a disposition"),
    pytest.param("[recovery.apparel]", "[recovery.garden]", "recovery.garden",
                 "[recovery.garden]", "unknown key", id="recovery for an unknown category"),
    pytest.param("B = 10\n", "B = 110\n", "policy.restocking_fee_pct.B", "B = 110",
                 "must be a whole number from 0 to 100 (got 110)",
                 id="a restocking fee percentage out of range"),
    pytest.param("store_credit_bonus_pct = 10", "store_credit_bonus_pct = -5",
                 "policy.store_credit_bonus_pct", "store_credit_bonus_pct = -5",
                 "must be a whole number from 0 to 100", id="a negative store-credit bonus"),
    pytest.param("return_window_days = 30", 'return_window_days = "30"',
                 "policy.return_window_days", "return_window_days", "(got '30')",
                 id="a number written as text"),
    pytest.param('"late_delivery"]', '"late"]', "policy.merchant_fault_reasons",
                 "merchant_fault_reasons", "unknown value 'late'",
                 id="an unknown reason in the policy"),
    pytest.param("electronics = 730", "electronic = 730", "policy.vendor_warranty_days."
                 "electronic", "electronic = 730", "did you mean 'electronics'?",
                 id="a misspelt category gets a suggestion"),
]


@pytest.mark.parametrize(("old", "new", "key", "line_fragment", "problem"), BROKEN)
def test_an_invalid_rule_set_names_file_line_and_key(
    tmp_path: Path, old: str, new: str, key: str, line_fragment: str | tuple[str, int] | None,
    problem: str,
) -> None:
    text = edited(old, new)
    error = error_for(tmp_path, text)
    path = tmp_path / "rules.toml"
    assert error.key == key
    assert problem in str(error)
    if line_fragment is None:
        assert str(error).startswith(f"{path}: {key}: ")
    else:
        fragment, occurrence = (line_fragment if isinstance(line_fragment, tuple)
                                else (line_fragment, 1))
        line = line_of(text, fragment, occurrence)
        assert error.line == line
        assert str(error).startswith(f"{path}:{line}: {key}: ")


def test_a_toml_syntax_error_names_its_line(tmp_path: Path) -> None:
    text = edited("[policy]\n", "[policy\n")
    error = error_for(tmp_path, text)
    assert error.line == line_of(text, "[policy")
    assert str(error).startswith(f"{tmp_path / 'rules.toml'}:{error.line}: (syntax): "
                                 "not valid TOML: ")


def test_a_file_that_is_not_utf8_is_refused_as_such(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_bytes(DEFAULT.replace("e-waste", "e-w\xe4ste").encode("latin-1"))
    with pytest.raises(RulesError) as caught:
        load_rule_set(path)
    assert str(caught.value) == f"{path}: (file): is not UTF-8 text; save it as UTF-8"


def test_a_missing_file_is_reported_not_raised_as_os_error(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match=r"nope\.toml: \(file\): cannot be read: "):
        load_rule_set(tmp_path / "nope.toml")


def test_a_rules_error_is_a_configuration_error_and_text_without_a_file_says_rule_set() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_rule_set(edited("RTV = 90", "RTV = 190"))
    assert str(caught.value).startswith(f"rule set:{line_of(DEFAULT, 'RTV = 90')}: ")


def test_rule_sets_without_rules_or_policy_are_refused(tmp_path: Path) -> None:
    only_policy = DEFAULT[: DEFAULT.index("[[rules]]")]
    error = error_for(tmp_path, only_policy)
    assert error.key == "rules" and "needs 1 to 100 [[rules]]" in str(error)
    no_policy = DEFAULT.replace("[policy]", "[policy_]", 1)
    assert error_for(tmp_path, no_policy).key == "policy_"


# ---------------------------------------------------------------- an edited rule set

GRADE_B_SHIRT = RoutingCase(
    category=Category.APPAREL, grade=Grade.B, reason=Reason.CHANGED_MIND,
    requested=RequestedOutcome.STORE_CREDIT, price_minor=10_000, currency="EUR",
    days_since_purchase=10, high_value_threshold_major=500)


def test_an_edited_rule_set_takes_effect_with_its_new_version(tmp_path: Path) -> None:
    before = decide(GRADE_B_SHIRT, shipped_rule_set(), DEFAULT_DESTINATIONS)
    assert (before.disposition, before.refund_action, before.refund_minor,
            before.rules_version) == (Disposition.OPEN_BOX, RefundAction.STORE_CREDIT, 9_900,
                                      "2026.11-1")
    text = (DEFAULT.replace('version = "2026.11-1"', 'version = "2026.12-1"')
            .replace("store_credit_bonus_pct = 10", "store_credit_bonus_pct = 5")
            .replace('id = "change-of-mind-b-c"', 'id = "change-of-mind-b-c-liquidate"')
            .replace('allow = ["OPEN_BOX", "LIQUIDATE"]', 'allow = ["LIQUIDATE"]'))
    edited_rules = load_rule_set(write(tmp_path, text))
    after = decide(GRADE_B_SHIRT, edited_rules, DEFAULT_DESTINATIONS)
    assert (after.disposition, after.destination, after.refund_action, after.refund_minor,
            after.rule_id, after.rules_version) == (
        Disposition.LIQUIDATE, "LIQ-CAGE", RefundAction.STORE_CREDIT, 9_450,
        "change-of-mind-b-c-liquidate", "2026.12-1")
    assert after.explanation["rules_version"] == "2026.12-1"
    # the shipped rule set itself is untouched: the same case decides as before
    assert decide(GRADE_B_SHIRT, shipped_rule_set(), DEFAULT_DESTINATIONS) == before


def test_rules_are_tried_in_file_order(tmp_path: Path) -> None:
    """Moving the grade-A rule before the window rule lets a late grade-A return through."""
    window_rule = DEFAULT[DEFAULT.index('[[rules]]\nid = "outside-return-window"'):
                          DEFAULT.index('[[rules]]\nid = "grade-a-restock"')]
    reordered = DEFAULT.replace(window_rule, "").replace(
        '[[rules]]\nid = "defect-in-warranty-rtv"',
        window_rule + '[[rules]]\nid = "defect-in-warranty-rtv"')
    late = RoutingCase(category=Category.TOYS, grade=Grade.A, reason=Reason.CHANGED_MIND,
                       requested=RequestedOutcome.REFUND, price_minor=2_000, currency="GBP",
                       days_since_purchase=45, high_value_threshold_major=500)
    assert decide(late, shipped_rule_set(), DEFAULT_DESTINATIONS).refund_action is (
        RefundAction.DENY)
    moved = decide(late, load_rule_set(write(tmp_path, reordered)), DEFAULT_DESTINATIONS)
    assert (moved.rule_id, moved.disposition, moved.refund_action) == (
        "grade-a-restock", Disposition.RESTOCK, RefundAction.FULL)
