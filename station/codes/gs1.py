"""GS1 element strings: the (AI)value data in GS1-128, GS1 DataMatrix, GS1 QR, GS1 DataBar
and GS1 DotCode symbols.

Two spellings of the same data are read:

- the raw form a scanner transmits, AI and value run together, each variable-length value
  ended by FNC1, which arrives as GS (U+001D), often after a symbology identifier:
  ``]d201095011015300031725123110ABC123`` (no GS needed after the predefined-length (01)
  and (17), so the one before (10) is optional too);
- the human-readable bracketed form printed under a barcode, which people type:
  ``(01)09501101530003(17)251231(10)ABC123`` (spaces ignored; values may not contain
  parentheses in this form, though GS1 allows them).

Formats, lengths, check digits and the "predefined length" flag (no FNC1 needed after the
element) follow the GS1 Barcode Syntax Dictionary (github.com/gs1/gs1-syntax-dictionary),
which mirrors the GS1 General Specifications. Only the AIs in `AIS` are read; an element
string with any other AI is refused as a whole, because in the raw form the length of an
unknown AI's value cannot be known. Dates (YYMMDD) allow DD = 00, meaning the last day of
the month; the century follows General Specifications §7.12 (within 49 years ahead or 50
behind the current year).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from station.codes.check_digits import gs1_check_digit

GS = "\x1d"

# ISO/IEC 15424 symbology identifiers for symbols that carry GS1 element strings:
# GS1-128, GS1 DataMatrix, GS1 QR Code, GS1 DataBar, GS1 DotCode.
GS1_SYMBOLOGY_IDENTIFIERS = ("]C1", "]d2", "]Q3", "]e0", "]J1")
_SYMBOLOGY_IDENTIFIER = re.compile(r"\][A-Za-z][0-9]")

# GS1 AI encodable character set 82 (General Specifications figure 7.11-1).
CSET82 = frozenset(
    "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
)
_NUMERIC = re.compile(r"[0-9]+")
_BRACKETED = re.compile(r"(?:\([0-9]{2,4}\)[^()]*)+")
_BRACKETED_ELEMENT = re.compile(r"\(([0-9]{2,4})\)([^()]*)")

Element = tuple[str, str]


class Gs1Error(ValueError):
    """GS1 data that cannot be read; the message says what is wrong, in bench language."""


@dataclass(frozen=True)
class AiSpec:
    ai: str
    title: str
    numeric: bool
    min_length: int
    max_length: int
    predefined: bool = False  # "*" in the Syntax Dictionary: no FNC1 after the value
    check_digit: bool = False
    is_date: bool = False
    numeric_prefix: int = 0  # leading characters that must be digits (AI 421)

    @property
    def fixed(self) -> bool:
        return self.min_length == self.max_length


def _n(ai: str, title: str, length: int, **kwargs: bool) -> AiSpec:
    return AiSpec(ai, title, True, length, length, **kwargs)


def _x(ai: str, title: str, max_length: int) -> AiSpec:
    return AiSpec(ai, title, False, 1, max_length)


def _build_table() -> dict[str, AiSpec]:
    specs = [
        _n("00", "SSCC", 18, predefined=True, check_digit=True),
        _n("01", "GTIN", 14, predefined=True, check_digit=True),
        _n("02", "CONTENT", 14, predefined=True, check_digit=True),
        _x("10", "BATCH/LOT", 20),
        _n("11", "PROD DATE", 6, predefined=True, is_date=True),
        _n("12", "DUE DATE", 6, predefined=True, is_date=True),
        _n("13", "PACK DATE", 6, predefined=True, is_date=True),
        _n("15", "BEST BEFORE", 6, predefined=True, is_date=True),
        _n("16", "SELL BY", 6, predefined=True, is_date=True),
        _n("17", "USE BY or EXPIRY", 6, predefined=True, is_date=True),
        _n("20", "VARIANT", 2, predefined=True),
        _x("21", "SERIAL", 20),
        _x("22", "CPV", 20),
        _x("240", "ADDITIONAL ID", 30),
        _x("241", "CUST. PART No.", 30),
        _x("250", "SECONDARY SERIAL", 30),
        _x("251", "REF. TO SOURCE", 30),
        AiSpec("30", "VAR. COUNT", True, 1, 8),
        AiSpec("37", "COUNT", True, 1, 8),
        _x("400", "ORDER NUMBER", 30),
        _x("401", "GINC", 30),
        _n("402", "GSIN", 17, check_digit=True),
        _x("403", "ROUTE", 30),
        _x("420", "SHIP TO POST", 20),
        AiSpec("421", "SHIP TO POST", False, 4, 12, numeric_prefix=3),
        _n("422", "ORIGIN", 3),
        _x("90", "INTERNAL", 30),
    ]
    specs += [_n(f"41{i}", "GLN", 13, predefined=True, check_digit=True) for i in range(8)]
    specs += [_x(f"9{i}", "INTERNAL", 90) for i in range(1, 10)]
    # Trade and logistic measures 310n-369n: six digits, n = decimal places (0-5).
    stems = [*range(310, 317), *range(320, 330), *range(330, 338), *range(340, 350),
             *range(350, 358), *range(360, 370)]
    specs += [_n(f"{stem}{n}", "MEASURE", 6, predefined=True) for stem in stems
              for n in range(6)]
    return {spec.ai: spec for spec in specs}


AIS: dict[str, AiSpec] = _build_table()
DATE_NAMES = {"11": "production_date", "12": "due_date", "13": "packaging_date",
              "15": "best_before", "16": "sell_by", "17": "expiry"}


def split_symbology_identifier(text: str) -> tuple[str | None, str]:
    """("]C1", rest) when `text` starts with a symbology identifier (`]` letter digit)."""
    if _SYMBOLOGY_IDENTIFIER.match(text):
        return text[:3], text[3:]
    return None, text


def looks_bracketed(text: str) -> bool:
    """True if `text` (spaces removed) is written as (AI)value(AI)value… with AIs from
    `AIS` only, so "(555)123-4567" is not taken for GS1 data."""
    compact = text.replace(" ", "")
    if _BRACKETED.fullmatch(compact) is None:
        return False
    return all(m.group(1) in AIS for m in _BRACKETED_ELEMENT.finditer(compact))


def _describe(ai: str) -> str:
    spec = AIS.get(ai)
    return f"({ai}) {spec.title}" if spec else f"({ai})"


def gs1_date(value: str, today: date) -> date:
    """A YYMMDD value as a date; DD = 00 is the last day of the month. Raises ValueError."""
    if len(value) != 6 or not _NUMERIC.fullmatch(value):
        raise ValueError("not YYMMDD")
    yy, month, day = int(value[:2]), int(value[2:4]), int(value[4:])
    year = _century(yy, today.year)
    if not 1 <= month <= 12:
        raise ValueError("no such month")
    last = calendar.monthrange(year, month)[1]
    return date(year, month, day or last)


def _century(yy: int, current_year: int) -> int:
    """GS1 General Specifications §7.12: the year within 49 ahead or 50 behind."""
    century = current_year - current_year % 100
    difference = yy - current_year % 100
    if 51 <= difference <= 99:
        century -= 100
    elif -99 <= difference <= -50:
        century += 100
    return century + yy


def validate_element(ai: str, value: str, today: date | None = None) -> None:
    """Raise Gs1Error if `value` is not a valid value for `ai`."""
    spec = AIS.get(ai)
    if spec is None:
        raise Gs1Error(f"({ai}) is not an application identifier this station reads")
    name = _describe(ai)
    if not value:
        raise Gs1Error(f"{name} is empty")
    if not spec.min_length <= len(value) <= spec.max_length:
        if spec.fixed:
            raise Gs1Error(f"{name} must be {spec.max_length} characters, not {len(value)}")
        raise Gs1Error(f"{name} must be {spec.min_length} to {spec.max_length} characters, "
                       f"not {len(value)}")
    digits_needed = len(value) if spec.numeric else spec.numeric_prefix
    if digits_needed and not _NUMERIC.fullmatch(value[:digits_needed]):
        raise Gs1Error(f"{name} may contain only digits")
    if not spec.numeric and not set(value) <= CSET82:
        raise Gs1Error(f"{name} contains characters GS1 does not allow")
    if spec.check_digit and gs1_check_digit(value[:-1]) != int(value[-1]):
        raise Gs1Error(f"the check digit of {name} {value} is wrong")
    if spec.is_date:
        try:
            gs1_date(value, today or date.today())
        except ValueError:
            raise Gs1Error(f"{name} {value} is not a valid date (YYMMDD)") from None


def _check_duplicates(elements: Sequence[Element]) -> None:
    seen: set[str] = set()
    for ai, _value in elements:
        if ai in seen:
            raise Gs1Error(f"{_describe(ai)} appears twice")
        seen.add(ai)


def _ai_at(data: str, position: int) -> AiSpec:
    for length in (2, 3, 4):
        spec = AIS.get(data[position:position + length])
        if spec is not None:
            return spec
    found = data[position:position + 4]
    if not _NUMERIC.fullmatch(found[:2]):
        raise Gs1Error(f"an application identifier was expected at character {position + 1}")
    raise Gs1Error(f"the application identifier at character {position + 1} ({found}…) is "
                   "not one this station reads")


def parse_raw(data: str, today: date | None = None) -> list[Element]:
    """Elements of a raw GS1 element string (GS as FNC1; no symbology identifier)."""
    data = data.strip(GS)
    if not data:
        raise Gs1Error("the barcode holds no data")
    elements: list[Element] = []
    position = 0
    while position < len(data):
        if data[position] == GS:  # tolerate doubled separators
            position += 1
            continue
        spec = _ai_at(data, position)
        position += len(spec.ai)
        if spec.predefined:
            value = data[position:position + spec.max_length]
            if len(value) < spec.max_length or GS in value:
                raise Gs1Error(f"{_describe(spec.ai)} is cut short")
            position += spec.max_length
        else:
            end = data.find(GS, position)
            end = len(data) if end < 0 else end
            value = data[position:end]
            position = end
        validate_element(spec.ai, value, today)
        elements.append((spec.ai, value))
    _check_duplicates(elements)
    return elements


def parse_bracketed(text: str, today: date | None = None) -> list[Element]:
    """Elements of the human-readable form "(01)09501101530003(17)251231"."""
    compact = text.replace(" ", "")
    if not _BRACKETED.fullmatch(compact):
        raise Gs1Error("it is not written as (AI)value(AI)value")
    elements = [(m.group(1), m.group(2)) for m in _BRACKETED_ELEMENT.finditer(compact)]
    for ai, value in elements:
        validate_element(ai, value, today)
    _check_duplicates(elements)
    return elements


def format_bracketed(elements: Iterable[Element]) -> str:
    return "".join(f"({ai}){value}" for ai, value in elements)


def format_raw(elements: Sequence[Element]) -> str:
    """The raw form: GS after every variable-length element except the last."""
    parts: list[str] = []
    for index, (ai, value) in enumerate(elements):
        parts.append(ai + value)
        spec = AIS.get(ai)
        if index < len(elements) - 1 and (spec is None or not spec.predefined):
            parts.append(GS)
    return "".join(parts)


def extras(elements: Iterable[Element], today: date | None = None) -> dict[str, str]:
    """Named values for the AIs the bench uses: gtin, sscc, batch, serial, ISO dates."""
    named = {"00": "sscc", "01": "gtin", "02": "content_gtin", "10": "batch", "21": "serial"}
    result: dict[str, str] = {}
    for ai, value in elements:
        if ai in named:
            result[named[ai]] = value
        elif ai in DATE_NAMES:
            result[DATE_NAMES[ai]] = gs1_date(value, today or date.today()).isoformat()
    return result
