"""`returns-station rules check FILE...` and `returns-station route [--rules FILE] CASE.json`:
the routing and refund rules for the supervisor who edits them, with no station opened.

`rules check` validates rule-set files exactly as the station does at start-up and prints
the first problem of each as `file:line: key: problem`. `route` is the what-if: it decides
one case (a JSON object) or several (a JSON list) with a rule set and prints the decision
as JSON. A case file is validated strictly: an unknown field or a bad value is refused
with a message naming the field, and nothing is decided.

Exit status: 0 done; 1 the file given is invalid (a rule set, a case file); 2 the station's
own configuration (or the rule set it names) is invalid.
"""

from __future__ import annotations

import argparse
import difflib
import io
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Final, TypeVar

from station.common.bounded_files import FileReadError, read_bounded, read_stream_bounded
from station.common.errors import UserFacingError
from station.common.money import CURRENCY_EXPONENTS, format_minor
from station.common.strict_json import JsonInputError, parse_json
from station.common.vocabulary import Category, Flag, Grade, Reason, RequestedOutcome
from station.routing.rules import (
    Decision,
    RoutingCase,
    RulesError,
    configured_rule_set,
    decide,
    load_rule_set,
)
from station.settings.config import StationConfig

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1

MAX_PRICE_MINOR: Final = 10**15
MAX_DAYS: Final = 36_500
MAX_THRESHOLD_MAJOR: Final = 10_000_000  # as `policy.high_value_threshold` in the config
MAX_CASES: Final = 10_000
MAX_CASE_FILE_BYTES: Final = 8 * 1024 * 1024
MAX_PROBLEMS: Final = 20
STDIN: Final = "-"

E = TypeVar("E", bound=StrEnum)


@dataclass(frozen=True)
class CaseField:
    name: str
    required: bool
    meaning: str


#: Every field of a case, in the order docs/routing.md documents them.
CASE_FIELDS: Final = (
    CaseField("category", True, "the product category: " + ", ".join(Category)),
    CaseField("grade", True, "the grade: " + ", ".join(Grade)),
    CaseField("reason", True, "the customer's reason: " + ", ".join(Reason)),
    CaseField("price", True, "the price paid for the unit, a whole number of minor units "
                             "(1999 for 19.99 EUR, 1999 for JPY 1999)"),
    CaseField("currency", True, "ISO 4217 code of price, e.g. EUR, GBP, USD, SEK, JPY"),
    CaseField("days_since_purchase", True, f"whole days from the order to now, 0 to {MAX_DAYS}"),
    CaseField("flags", False, "the inspection's flags, a list (default none): "
                              + ", ".join(Flag)),
    CaseField("requested", False, "what the customer asked for: refund (default), "
                                  "store_credit or exchange"),
    CaseField("within_vendor_warranty", False, "true or false; absent or null: from the rule "
                                               "set's vendor_warranty_days"),
    CaseField("high_value_threshold", False, "in major units of currency; default the "
                                             "station's policy.high_value_threshold"),
    CaseField("name", False, "a label for the case, echoed in the output"),
)
_FIELD_NAMES: Final = tuple(f.name for f in CASE_FIELDS)


class CaseFileError(UserFacingError):
    """A case file that cannot be decided: every problem, one per line."""

    def __init__(self, problems: Sequence[str]) -> None:
        shown = list(problems[:MAX_PROBLEMS])
        if len(problems) > MAX_PROBLEMS:
            shown.append(f"… and {len(problems) - MAX_PROBLEMS} more problems not listed")
        super().__init__("\n".join(shown))
        self.problems = tuple(problems)


@dataclass(frozen=True)
class NamedCase:
    name: str | None
    case: RoutingCase


# ---------------------------------------------------------------------------- the parser


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The `rules` and `route` commands, added to the main parser's subcommands."""
    rules = commands.add_parser(
        "rules", help="routing and refund rule sets (for the supervisor who edits them)")
    rules_commands = rules.add_subparsers(dest="rules_command", metavar="ACTION", required=True)
    check = rules_commands.add_parser(
        "check", help="validate rule-set files; exit 1 and file:line: key: problem if invalid",
        description="Validate rule-set files (TOML) exactly as the station does at start-up. "
                    "Prints 'FILE: rule set VERSION, N rules, valid' per valid file and the "
                    "first problem of an invalid one as FILE:LINE: KEY: PROBLEM on standard "
                    "error. Exit 1 if any file is invalid.")
    check.add_argument("files", nargs="+", type=Path, metavar="FILE")
    publish = rules_commands.add_parser(
        "publish", help="validate a rule set and publish it centrally; every station pulls it "
                        "and decides with it (unless its [rules] file overrides)")
    publish.add_argument("file", type=Path, metavar="FILE")
    publish.add_argument("--as", dest="as_user", metavar="USER",
                         help="a supervisor or admin (the PIN is asked)")

    route = commands.add_parser(
        "route", help="what-if: the disposition and refund a rule set gives a case (JSON)",
        description="Decide a case, or a list of cases, with a rule set and print each "
                    "decision as JSON: disposition, destination, refund {action, amount, "
                    "amount_text, currency, if_approved}, rule_id, rules_version, "
                    "rules_file and explanation. Exit 1 if the case file or the --rules "
                    "file is invalid (nothing is decided).",
        epilog=_case_help(), formatter_class=argparse.RawDescriptionHelpFormatter)
    route.add_argument("case_file", metavar="CASE.json",
                       help="a JSON object (one case) or a list of them; - reads standard input")
    route.add_argument("--rules", type=Path, metavar="FILE",
                       help="the rule set to use (default: the station's, as configured by "
                            "[rules] file, else the shipped default)")


def _case_help() -> str:
    rows = [f"  {f.name:<23} {'required' if f.required else 'optional':<9} {f.meaning}"
            for f in CASE_FIELDS]
    return "CASE.json fields (unknown fields are refused):\n" + "\n".join(rows)


# ---------------------------------------------------------------------------- rules check


def cmd_rules_check(files: Sequence[Path]) -> int:
    status = EXIT_OK
    for path in files:
        try:
            rules = load_rule_set(path)
        except RulesError as error:
            print(str(error), file=sys.stderr)
            status = EXIT_FAILED
            continue
        count = len(rules.rules)
        print(f"{path}: rule set {rules.version}, {count} rule{'s' if count != 1 else ''}, valid")
    return status


# ---------------------------------------------------------------------------- route


def cmd_route(case_file: str, rules_file: Path | None, config: StationConfig) -> int:
    """Needs no station: deciding is pure. The configured rule set's errors propagate (a
    configuration problem); those of a file given with --rules are this command's own."""
    if rules_file is not None:
        try:
            rules = load_rule_set(rules_file)
        except RulesError as error:
            print(str(error), file=sys.stderr)
            return EXIT_FAILED
        shown_file = str(rules_file)
    else:
        rules = configured_rule_set(config)
        shown_file = str(rules.source) if rules.source else "(shipped default)"
    label = "standard input" if case_file == STDIN else case_file
    try:
        data = _read(case_file)
    except FileReadError as error:
        print(str(error), file=sys.stderr)
        return EXIT_FAILED
    try:
        cases, is_list = parse_cases(data, label, config.high_value_threshold_major)
    except CaseFileError as error:
        print(str(error), file=sys.stderr)
        return EXIT_FAILED
    results = [decision_json(decide(named.case, rules, config.destinations), named.name,
                             shown_file) for named in cases]
    print(json.dumps(results if is_list else results[0], indent=2, ensure_ascii=False))
    return EXIT_OK


def _read(case_file: str) -> bytes:
    """The case file's bytes, at most MAX_CASE_FILE_BYTES (raises FileReadError)."""
    if case_file != STDIN:
        return read_bounded(Path(case_file), MAX_CASE_FILE_BYTES)
    if isinstance(sys.stdin, io.TextIOWrapper):
        return read_stream_bounded(sys.stdin.buffer, MAX_CASE_FILE_BYTES, "standard input")
    text = sys.stdin.read(MAX_CASE_FILE_BYTES + 1)
    return read_stream_bounded(io.BytesIO(text.encode("utf-8", "surrogateescape")),
                               MAX_CASE_FILE_BYTES, "standard input")


def decision_json(decision: Decision, name: str | None = None,
                  rules_file: str | None = None) -> dict[str, Any]:
    """A decision as `route` prints it; every field is documented in docs/routing.md."""
    currency = decision.currency
    approved = decision.if_approved
    out: dict[str, Any] = {}
    if name is not None:
        out["name"] = name
    out.update({
        "disposition": decision.disposition.value,
        "destination": decision.destination,
        "refund": {
            "action": decision.refund_action.value,
            "amount": decision.refund_minor,
            "amount_text": format_minor(decision.refund_minor, currency),
            "currency": currency,
            "if_approved": None if approved is None else {
                "action": approved[0].value, "amount": approved[1],
                "amount_text": format_minor(approved[1], currency)},
        },
        "rule_id": decision.rule_id,
        "rules_version": decision.rules_version,
    })
    if rules_file is not None:
        out["rules_file"] = rules_file
    out["explanation"] = decision.explanation
    return out


# ---------------------------------------------------------------------------- case files


def parse_cases(data: bytes, label: str, default_threshold_major: int
                ) -> tuple[list[NamedCase], bool]:
    """The cases of a case file and whether it was a list (raises CaseFileError)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CaseFileError([f"{label}: is not UTF-8 text; save it as UTF-8"]) from None
    try:
        raw = parse_json(text)
    except JsonInputError as error:
        where = "".join(f":{n}" for n in (error.line, error.column) if n is not None)
        raise CaseFileError([f"{label}{where}: {error.message}"]) from None
    if isinstance(raw, dict):
        items, prefixes, is_list = [raw], [""], False
    elif isinstance(raw, list):
        if not raw:
            raise CaseFileError([f"{label}: the list holds no cases"])
        if len(raw) > MAX_CASES:
            raise CaseFileError([f"{label}: at most {MAX_CASES} cases (has {len(raw)})"])
        items, prefixes, is_list = raw, [f"[{i}]." for i in range(len(raw))], True
    else:
        raise CaseFileError([f"{label}: must be a JSON object (one case) or a list of "
                             f"objects (got {_json_type(raw)})"])
    problems: list[str] = []
    cases: list[NamedCase] = []
    for item, prefix in zip(items, prefixes, strict=True):
        reader = _CaseReader(item, label, prefix, problems)
        case = reader.case(default_threshold_major)
        if case is not None:
            cases.append(case)
    if problems:
        raise CaseFileError(problems)
    return cases, is_list


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return {dict: "an object", list: "a list", str: "text", int: "a number",
            float: "a number"}.get(type(value), type(value).__name__)


class _Missing:
    pass


_MISSING: Final = _Missing()


class _CaseReader:
    """One case object; every problem is appended as `FILE: [i.]field: problem`."""

    def __init__(self, raw: object, label: str, prefix: str, problems: list[str]) -> None:
        self.label = label
        self.prefix = prefix
        self.problems = problems
        self.ok = True
        self.is_object = isinstance(raw, dict)
        self.raw: dict[str, Any] = {}
        if not isinstance(raw, dict):
            where = prefix.rstrip(".") or "case"
            problems.append(f"{label}: {where}: must be a JSON object with the case's fields "
                            f"(got {_json_type(raw)})")
            self.ok = False
            return
        self.raw = raw
        for key in raw:
            if key not in _FIELD_NAMES:
                close = difflib.get_close_matches(key, _FIELD_NAMES, n=1)
                hint = f"did you mean '{close[0]}'? " if close else ""
                self.problem(key, f"unknown field; {hint}fields are: {', '.join(_FIELD_NAMES)}")

    def problem(self, key: str, text: str) -> None:
        self.problems.append(f"{self.label}: {self.prefix}{key}: {text}")
        self.ok = False

    def get(self, key: str, required: bool) -> object:
        if key in self.raw:
            return self.raw[key]
        if required:
            self.problem(key, "is required")
        return _MISSING

    def member(self, key: str, enum: type[E], default: E | None = None) -> E | None:
        value = self.get(key, default is None)
        if value is _MISSING:
            return default
        allowed = [m.value for m in enum]
        if not isinstance(value, str) or value not in allowed:
            self.problem(key, f"must be one of {', '.join(allowed)} (got {value!r})")
            return None
        return enum(value)

    def whole(self, key: str, low: int, high: int, unit: str, default: int | None = None
              ) -> int | None:
        value = self.get(key, default is None)
        if value is _MISSING:
            return default
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.problem(key, f"must be a whole number {unit} from {low} to {high} "
                              f"(got {value!r})")
            return None
        return value

    def currency(self) -> str | None:
        value = self.get("currency", True)
        if value is _MISSING:
            return None
        code = value.strip().upper() if isinstance(value, str) else None
        if code not in CURRENCY_EXPONENTS:
            self.problem("currency", f"must be an ISO 4217 code this station knows: "
                                     f"{', '.join(sorted(CURRENCY_EXPONENTS))} (got {value!r})")
            return None
        return code

    def flags(self) -> frozenset[Flag] | None:
        value = self.get("flags", False)
        if value is _MISSING:
            return frozenset()
        allowed = [f.value for f in Flag]
        if not isinstance(value, list):
            self.problem("flags", f'must be a list of flags, e.g. ["hazardous"] (got '
                                  f"{value!r}); flags are: {', '.join(allowed)}")
            return None
        unknown = [item for item in value if not isinstance(item, str) or item not in allowed]
        if unknown:
            self.problem("flags", f"unknown flag {unknown[0]!r}; flags are: "
                                  f"{', '.join(allowed)}")
            return None
        return frozenset(Flag(item) for item in value)

    def warranty(self) -> bool | None:
        value = self.get("within_vendor_warranty", False)
        if value is _MISSING or value is None:
            return None
        if not isinstance(value, bool):
            self.problem("within_vendor_warranty", f"must be true, false or null (got "
                                                   f"{value!r})")
            return None
        return value

    def name(self) -> str | None:
        value = self.get("name", False)
        if value is _MISSING:
            return None
        if not isinstance(value, str) or not 1 <= len(value) <= 200:
            self.problem("name", f"must be text of 1 to 200 characters (got {value!r})")
            return None
        return value

    def case(self, default_threshold_major: int) -> NamedCase | None:
        """The case, or None when a problem was appended (every field is checked)."""
        if not self.is_object:
            return None
        category = self.member("category", Category)
        grade = self.member("grade", Grade)
        reason = self.member("reason", Reason)
        requested = self.member("requested", RequestedOutcome, RequestedOutcome.REFUND)
        price = self.whole("price", 0, MAX_PRICE_MINOR, "of minor units")
        currency = self.currency()
        days = self.whole("days_since_purchase", 0, MAX_DAYS, "of days")
        flags = self.flags()
        warranty = self.warranty()
        threshold = self.whole("high_value_threshold", 0, MAX_THRESHOLD_MAJOR,
                               "of major units", default_threshold_major)
        name = self.name()
        if (not self.ok or category is None or grade is None or reason is None
                or requested is None or price is None or currency is None or days is None
                or flags is None or threshold is None):
            return None
        return NamedCase(name, RoutingCase(
            category=category, grade=grade, reason=reason, requested=requested,
            price_minor=price, currency=currency, days_since_purchase=days,
            high_value_threshold_major=threshold, flags=flags,
            within_vendor_warranty=warranty))
