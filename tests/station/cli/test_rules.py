"""`returns-station rules check` and `returns-station route`: the supervisor's tools for
editing rules. Neither opens (or creates) a station."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cli_runner import run
from hostile_files import nested_json, nested_toml

from station.routing.rules import RULES_DIR

DEFAULT_FILE = RULES_DIR / "default.toml"
DEFAULT = DEFAULT_FILE.read_text("utf-8")

GRADE_B_KETTLE = {
    "category": "home_kitchen", "grade": "B", "flags": [], "reason": "changed_mind",
    "price": 4_999, "currency": "EUR", "days_since_purchase": 12,
    "within_vendor_warranty": True, "requested": "refund",
}


@pytest.fixture
def nowhere(tmp_path: Path) -> list[str]:
    """Global options pointing at a data folder that must never be created."""
    return ["--data-dir", str(tmp_path / "nowhere")]


def write(tmp_path: Path, name: str, content: Any) -> Path:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content),
                    encoding="utf-8")
    return path


def route(capsys: pytest.CaptureFixture[str], *args: str, stdin: str = ""
          ) -> tuple[int, Any, str]:
    status = run(*args, stdin=stdin)
    out, err = capsys.readouterr()
    return status, (json.loads(out) if out else None), err


# ---------------------------------------------------------------- rules check


def test_rules_check_says_version_and_rule_count_of_a_valid_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, nowhere: list[str]
) -> None:
    assert run(*nowhere, "rules", "check", str(DEFAULT_FILE)) == 0
    out, err = capsys.readouterr()
    assert out == f"{DEFAULT_FILE}: rule set 2026.11-1, 13 rules, valid\n"
    assert err == ""
    assert not (tmp_path / "nowhere").exists()


def test_rules_check_prints_the_precise_error_and_exits_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, nowhere: list[str]
) -> None:
    bad = write(tmp_path, "bad.toml", DEFAULT.replace("RTV = 90", "RTV = 190"))
    line = DEFAULT.splitlines().index("RTV = 90") + 1
    assert run(*nowhere, "rules", "check", str(DEFAULT_FILE), str(bad)) == 1
    out, err = capsys.readouterr()
    assert out == f"{DEFAULT_FILE}: rule set 2026.11-1, 13 rules, valid\n"
    assert err == (f"{bad}:{line}: recovery.default.RTV: must be a percentage from -100 to "
                   "100 (got 190)\n")


def test_rules_check_of_a_missing_file_exits_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, nowhere: list[str]
) -> None:
    assert run(*nowhere, "rules", "check", str(tmp_path / "nope.toml")) == 1
    assert "nope.toml: (file): cannot be read" in capsys.readouterr().err


def test_rules_check_does_not_need_a_valid_station_configuration(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = write(tmp_path, "config.toml", "[station]\ncode = 'not a code'\n")
    assert run("--config", str(config), "rules", "check", str(DEFAULT_FILE)) == 0


# ---------------------------------------------------------------- route


def test_route_prints_the_decision_of_a_case_as_json(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, nowhere: list[str]
) -> None:
    case = write(tmp_path, "case.json", GRADE_B_KETTLE)
    status, result, err = route(capsys, *nowhere, "route", str(case))
    assert (status, err) == (0, "")
    assert result["disposition"] == "OPEN_BOX"
    assert result["destination"] == "OPENBOX-B"
    assert result["refund"] == {"action": "PARTIAL", "amount": 4_499,
                                "amount_text": "44.99 EUR", "currency": "EUR",
                                "if_approved": None}
    assert result["rule_id"] == "change-of-mind-b-c"
    assert result["rules_version"] == "2026.11-1"
    assert result["rules_file"] == str(DEFAULT_FILE)
    why = result["explanation"]
    assert [o["disposition"] for o in why["options"]] == ["OPEN_BOX", "LIQUIDATE"]
    assert why["options"][0]["chosen"] is True
    assert why["rule"]["id"] == "change-of-mind-b-c"
    assert why["case"]["within_vendor_warranty"] is True
    assert {"disposition", "refund", "rule", "rules_version", "options", "not_allowed",
            "case", "expected_recovery_minor"} == set(why)
    assert not (tmp_path / "nowhere").exists()


def test_route_with_an_edited_rule_set_shows_its_version_and_rule(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, nowhere: list[str]
) -> None:
    edited = write(tmp_path, "next.toml", DEFAULT.replace("2026.11-1", "2026.12-1").replace(
        'allow = ["OPEN_BOX", "LIQUIDATE"]', 'allow = ["LIQUIDATE"]'))
    case = write(tmp_path, "case.json", GRADE_B_KETTLE)
    status, result, _ = route(capsys, *nowhere, "route", "--rules", str(edited), str(case))
    assert status == 0
    assert (result["disposition"], result["rules_version"], result["rules_file"]) == (
        "LIQUIDATE", "2026.12-1", str(edited))


def test_a_held_refund_shows_what_approval_would_give(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, nowhere: list[str]
) -> None:
    case = write(tmp_path, "case.json", {**GRADE_B_KETTLE, "grade": "A", "price": 50_001})
    _, result, _ = route(capsys, *nowhere, "route", str(case))
    assert result["refund"] == {"action": "HELD", "amount": 50_001,
                                "amount_text": "500.01 EUR", "currency": "EUR",
                                "if_approved": {"action": "FULL", "amount": 50_001,
                                                "amount_text": "500.01 EUR"}}


def test_a_list_of_cases_gives_a_list_of_decisions_in_order(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, nowhere: list[str]
) -> None:
    cases = [
        {"name": "sealed kettle", **GRADE_B_KETTLE, "grade": "A"},
        {"name": "swollen battery", "category": "electronics", "grade": "D",
         "flags": ["hazardous"], "reason": "defective", "price": 12_900, "currency": "GBP",
         "days_since_purchase": 3},
        {"category": "toys", "grade": "A", "reason": "changed_mind", "price": 1_500,
         "currency": "jpy", "days_since_purchase": 45, "requested": "exchange"},
    ]
    status, results, _ = route(capsys, *nowhere, "route", str(write(tmp_path, "c.json", cases)))
    assert status == 0
    assert [(r.get("name"), r["disposition"], r["refund"]["action"], r["refund"]["currency"])
            for r in results] == [("sealed kettle", "RESTOCK", "FULL", "EUR"),
                                  ("swollen battery", "RECYCLE", "FULL", "GBP"),
                                  (None, "HOLD", "DENY", "JPY")]
    assert results[2]["refund"]["amount_text"] == "0 JPY"


def test_route_reads_a_case_from_standard_input(
    capsys: pytest.CaptureFixture[str], nowhere: list[str]
) -> None:
    status, result, _ = route(capsys, *nowhere, "route", "-", stdin=json.dumps(GRADE_B_KETTLE))
    assert (status, result["rule_id"]) == (0, "change-of-mind-b-c")


def test_the_case_may_override_the_high_value_threshold(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, nowhere: list[str]
) -> None:
    case = {**GRADE_B_KETTLE, "grade": "A", "price": 80_000}
    _, held, _ = route(capsys, *nowhere, "route", str(write(tmp_path, "a.json", case)))
    _, free, _ = route(capsys, *nowhere, "route", str(write(
        tmp_path, "b.json", {**case, "high_value_threshold": 1_000})))
    assert (held["refund"]["action"], free["refund"]["action"]) == ("HELD", "FULL")


def test_route_uses_the_station_configuration(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rules = write(tmp_path, "site.toml", DEFAULT.replace("2026.11-1", "site-7"))
    config = write(tmp_path, "config.toml",
                   f"[policy]\nhigh_value_threshold = 1000\n\n[rules]\nfile = '{rules}'\n\n"
                   "[destinations]\nRESTOCK = 'AISLE 7'\n")
    case = write(tmp_path, "case.json", {**GRADE_B_KETTLE, "grade": "A", "price": 80_000})
    status, result, _ = route(capsys, "--config", str(config), "--data-dir",
                              str(tmp_path / "nowhere"), "route", str(case))
    assert status == 0
    assert (result["destination"], result["refund"]["action"], result["rules_version"],
            result["rules_file"]) == ("AISLE 7", "FULL", "site-7", str(rules))


def test_an_invalid_configured_rule_set_is_a_configuration_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rules = write(tmp_path, "site.toml", DEFAULT.replace("RTV = 90", "RTV = 190"))
    config = write(tmp_path, "config.toml", f"[rules]\nfile = '{rules}'\n")
    case = write(tmp_path, "case.json", GRADE_B_KETTLE)
    status, result, err = route(capsys, "--config", str(config), "--data-dir",
                                str(tmp_path / "nowhere"), "route", str(case))
    assert (status, result) == (2, None)
    assert err.startswith(f"Configuration error: {rules}:")


def test_an_invalid_rules_option_exits_1_with_the_precise_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, nowhere: list[str]
) -> None:
    bad = write(tmp_path, "bad.toml", DEFAULT.replace('refund = "PARTIAL"', 'refund = "HALF"'))
    case = write(tmp_path, "case.json", GRADE_B_KETTLE)
    status, result, err = route(capsys, *nowhere, "route", "--rules", str(bad), str(case))
    assert (status, result) == (1, None)
    assert err.startswith(f"{bad}:") and "rules[8].refund: must be one of" in err


@pytest.mark.parametrize(("change", "message"), [
    pytest.param({"grade": "E"}, "grade: must be one of A, B, C, D, X (got 'E')", id="grade"),
    pytest.param({"category": "garden"}, "category: must be one of apparel, footwear",
                 id="category"),
    pytest.param({"reason": None}, "reason: must be one of changed_mind", id="reason null"),
    pytest.param({"requested": "refund_please"}, "requested: must be one of refund, "
                 "store_credit, exchange", id="requested"),
    pytest.param({"price": 49.99}, "price: must be a whole number of minor units from 0",
                 id="price in major units"),
    pytest.param({"price": -1}, "price: must be a whole number of minor units", id="price<0"),
    pytest.param({"price": "4999"}, "price: must be a whole number", id="price as text"),
    pytest.param({"currency": "EURO"}, "currency: must be an ISO 4217 code this station "
                 "knows", id="currency"),
    pytest.param({"days_since_purchase": -3}, "days_since_purchase: must be a whole number "
                 "of days from 0", id="days<0"),
    pytest.param({"days_since_purchase": True}, "days_since_purchase: must be a whole number",
                 id="days as a boolean"),
    pytest.param({"flags": "hazardous"}, "flags: must be a list of flags", id="flags text"),
    pytest.param({"flags": ["hazardous", "on_fire"]}, "flags: unknown flag 'on_fire'; flags "
                 "are: wrong_item", id="unknown flag"),
    pytest.param({"within_vendor_warranty": "yes"}, "within_vendor_warranty: must be true, "
                 "false or null (got 'yes')", id="warranty"),
    pytest.param({"high_value_threshold": 500.5}, "high_value_threshold: must be a whole "
                 "number of major units", id="threshold"),
    pytest.param({"colour": "red"}, "colour: unknown field; fields are: category", id="key"),
    pytest.param({"categroy": "toys"}, "categroy: unknown field; did you mean 'category'?",
                 id="misspelt key"),
])
def test_an_invalid_case_is_refused_naming_the_field(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, nowhere: list[str],
    change: dict[str, Any], message: str,
) -> None:
    case = write(tmp_path, "case.json", {**GRADE_B_KETTLE, **change})
    status, result, err = route(capsys, *nowhere, "route", str(case))
    assert (status, result) == (1, None)
    assert err.startswith(f"{case}: {message}")


def test_every_problem_of_a_case_list_is_listed_with_its_index(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, nowhere: list[str]
) -> None:
    incomplete = {k: v for k, v in GRADE_B_KETTLE.items() if k not in {"price", "currency"}}
    cases = write(tmp_path, "cases.json", [GRADE_B_KETTLE, incomplete, "kettle",
                                            {**GRADE_B_KETTLE, "grade": "b"}])
    status, result, err = route(capsys, *nowhere, "route", str(cases))
    assert (status, result) == (1, None)
    assert err.splitlines() == [
        f"{cases}: [1].price: is required",
        f"{cases}: [1].currency: is required",
        f"{cases}: [2]: must be a JSON object with the case's fields (got text)",
        f"{cases}: [3].grade: must be one of A, B, C, D, X (got 'b')",
    ]


@pytest.mark.parametrize(("content", "message"), [
    pytest.param('{"grade": "A",\n  "price": }', ":2:12: not valid JSON: Expecting value",
                 id="bad JSON names line and column"),
    pytest.param("42", ": must be a JSON object (one case) or a list of objects (got a "
                 "number)", id="not an object"),
    pytest.param("[]", ": the list holds no cases", id="an empty list"),
])
def test_a_case_file_that_is_not_a_case_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, nowhere: list[str], content: str,
    message: str,
) -> None:
    case = write(tmp_path, "case.json", content)
    status, _, err = route(capsys, *nowhere, "route", str(case))
    assert status == 1
    assert err == f"{case}{message}\n"


def test_a_case_file_that_is_not_utf8_or_missing_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, nowhere: list[str]
) -> None:
    latin = tmp_path / "latin.json"
    latin.write_bytes('{"name": "caf\xe9"}'.encode("latin-1"))
    assert run(*nowhere, "route", str(latin)) == 1
    assert capsys.readouterr().err == f"{latin}: is not UTF-8 text; save it as UTF-8\n"
    assert run(*nowhere, "route", str(tmp_path / "nope.json")) == 1
    assert "nope.json: cannot be read: no such file" in capsys.readouterr().err


def test_the_help_lists_every_case_field(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        run("route", "--help")
    out = capsys.readouterr().out
    for name in ("category", "grade", "reason", "price", "currency", "days_since_purchase",
                 "flags", "requested", "within_vendor_warranty", "high_value_threshold",
                 "name"):
        assert f"  {name} " in out


# ---------------------------------------------------------------- hostile files


def test_a_case_with_a_key_written_twice_is_refused_as_ambiguous(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, nowhere: list[str]
) -> None:
    text = json.dumps(GRADE_B_KETTLE)[:-1] + ', "grade": "D"}'
    status, out, err = route(capsys, *nowhere, "route", str(write(tmp_path, "c.json", text)))
    assert (status, out) == (1, None)
    assert "the JSON is ambiguous: an object has the key 'grade' twice" in err


def test_a_case_name_that_is_half_a_surrogate_pair_is_refused_not_a_traceback(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, nowhere: list[str]
) -> None:
    text = json.dumps(GRADE_B_KETTLE)[:-1] + ', "name": "\\ud800"}'
    status, out, err = route(capsys, *nowhere, "route", str(write(tmp_path, "c.json", text)))
    assert (status, out) == (1, None)
    assert "half of a UTF-16 surrogate pair" in err and "Traceback" not in err


def test_a_case_file_nested_thousands_deep_is_refused_with_its_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, nowhere: list[str]
) -> None:
    path = write(tmp_path, "deep.json", "\n" + nested_json(100_000))
    status, out, err = route(capsys, *nowhere, "route", str(path))
    assert (status, out) == (1, None)
    assert err == f"{path}:2: the JSON is nested more than 64 levels deep\n"


@pytest.mark.parametrize("command", [["route", "/dev/zero"],
                                     ["route", "--rules", "/dev/zero", "-"],
                                     ["rules", "check", "/dev/zero"]],
                         ids=["case-file", "route-rules", "rules-check"])
def test_dev_zero_is_refused_at_once_not_read_until_the_memory_runs_out(
    capsys: pytest.CaptureFixture[str], nowhere: list[str], command: list[str]
) -> None:
    assert run(*nowhere, *command, stdin="{}") == 1
    assert "/dev/zero" in (err := capsys.readouterr().err)
    assert "not a regular file" in err


def test_standard_input_larger_than_any_case_file_is_refused(
    capsys: pytest.CaptureFixture[str], nowhere: list[str]
) -> None:
    assert run(*nowhere, "route", "-", stdin=" " * (9 * 1024 * 1024)) == 1
    assert "standard input: is larger than the 8 MiB" in capsys.readouterr().err


def test_a_configured_rule_set_at_dev_zero_is_a_configuration_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = tmp_path / "station"
    folder.mkdir()
    (folder / "config.toml").write_text('[rules]\nfile = "/dev/zero"\n', encoding="utf-8")
    case = write(tmp_path, "case.json", GRADE_B_KETTLE)
    assert run("--data-dir", str(folder), "route", str(case)) == 2
    assert "/dev/zero: (file): cannot be read: it is not a regular file" in \
        capsys.readouterr().err


@pytest.mark.parametrize("text", [nested_toml(10_000, key="version"),
                                  "version = 1\n" + "x." * 3000 + "y = 1\n"],
                         ids=["arrays", "dotted-keys"])
def test_a_rule_set_nested_thousands_deep_is_a_syntax_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, nowhere: list[str], text: str
) -> None:
    path = write(tmp_path, "deep.toml", text)
    assert run(*nowhere, "rules", "check", str(path)) == 1
    assert run(*nowhere, "route", "--rules", str(path), "-", stdin="{}") == 1
    err = capsys.readouterr().err
    assert err.count(f"{path}: (syntax): not valid TOML: nested more than 32 levels") == 2
