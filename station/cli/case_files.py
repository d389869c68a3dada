"""The case files of `returns-station route`: one routing case (a JSON object) or a list of
them, validated strictly before anything is decided.

Why a module of its own: the format is a contract with the supervisors who write case files
(docs/routing.md documents each field, in the order of `CASE_FIELDS`), apart from the
command that decides them. Contract: `parse_cases` returns every case or raises
`CaseFileError` listing each problem as `FILE: [i.]field: problem` (an unknown field, a bad
value); nothing is ever half-read.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final, TypeVar

from station.common.errors import UserFacingError
from station.common.money import CURRENCY_EXPONENTS
from station.common.strict_json import JsonInputError, parse_json
from station.common.vocabulary import Category, Flag, Grade, Reason, RequestedOutcome
from station.routing.rules import RoutingCase

MAX_PRICE_MINOR: Final = 10**15
MAX_DAYS: Final = 36_500
MAX_THRESHOLD_MAJOR: Final = 10_000_000  # as `policy.high_value_threshold` in the config
MAX_CASES: Final = 10_000
MAX_PROBLEMS: Final = 20

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


def case_help() -> str:
    rows = [f"  {f.name:<23} {'required' if f.required else 'optional':<9} {f.meaning}"
            for f in CASE_FIELDS]
    return "CASE.json fields (unknown fields are refused):\n" + "\n".join(rows)



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
