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

The AI definitions (format, length, whether FNC1 must follow) and each element's value
check (character set, length, GTIN/SSCC/GLN check digits) are biip's, which follows the
GS1 Barcode Syntax Dictionary. This module keeps what biip does not do the bench's way:
splitting the raw form (biip would silently cut an over-long value and read the rest as
the next element), the messages that name what is wrong, dates by the caller's `today`
(biip's century window follows the wall clock), and the station's choice of AIs. biip is
imported when GS1 data is first read, not with this module (start-up time, issue #17).

Only the AIs in `STATION_AIS` (`AIS` with biip's definitions) are read: the ones a returns
bench meets on goods, cases and carrier labels. An element string with any other AI, even
one GS1 defines, is refused as a whole. Reading all of GS1's 500-odd AIs would take typed
text such as "(710) 555-1234" for GS1 data, and would accept keys (GDTI, GRAI, GSRN…)
whose check digits biip does not verify. Dates (YYMMDD) allow DD = 00, meaning the last
day of the month; the century follows General Specifications §7.12 (within 49 years
ahead or 50 behind `today`).
"""

from __future__ import annotations

import calendar
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from station.codes.check_digits import has_gs1_check_digit

if TYPE_CHECKING:
    from biip.gs1_application_identifiers import GS1ApplicationIdentifier

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
_FORMAT_PART = re.compile(r"([NX])(\.\.)?([0-9]+)")

# A key with a GS1 check digit that biip reads as plain digits.
_UNCHECKED_KEYS = frozenset({"402"})

Element = tuple[str, str]


class Gs1Error(ValueError):
    """GS1 data that cannot be read; the message says what is wrong, in bench language."""


def _station_ais() -> list[str]:
    ais = ["00", "01", "02", "10", "11", "12", "13", "15", "16", "17", "20", "21", "22",
           "240", "241", "250", "251", "30", "37", "400", "401", "402", "403", "420", "421",
           "422", "90"]
    ais += [f"41{i}" for i in range(8)]
    ais += [f"9{i}" for i in range(1, 10)]
    # Trade and logistic measures 310n-369n: six digits, n = decimal places (0-5).
    stems = [*range(310, 317), *range(320, 330), *range(330, 338), *range(340, 350),
             *range(350, 358), *range(360, 370)]
    ais += [f"{stem}{n}" for stem in stems for n in range(6)]
    return ais


#: The AIs the station reads, as plain text: enough to tell GS1 data from other text
#: (`looks_bracketed`, on every scan) without importing biip.
STATION_AIS = frozenset(_station_ais())


# biip is imported on first use, not with this module: it takes about 0.2 s and 10 MB to
# import (its GS1 prefix table), and most scans (RMAs, badges, tracking numbers) never need it.
@functools.cache
def _definitions() -> dict[str, GS1ApplicationIdentifier]:
    """The AIs the station reads, with biip's definition of each."""
    from biip.gs1_application_identifiers import GS1ApplicationIdentifier

    return {ai: GS1ApplicationIdentifier.extract(ai) for ai in _station_ais()}


def __getattr__(name: str) -> dict[str, GS1ApplicationIdentifier]:
    """`AIS` (the AIs the station reads, with biip's definition of each), built when first
    asked for so that importing this module does not import biip."""
    if name == "AIS":
        return _definitions()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


DATE_NAMES = {"11": "production_date", "12": "due_date", "13": "packaging_date",
              "15": "best_before", "16": "sell_by", "17": "expiry"}


@dataclass(frozen=True)
class _Shape:
    """What an AI's format asks of a value, so a refusal can say which part is wrong."""

    min_length: int
    max_length: int
    numeric: bool
    numeric_prefix: int  # leading characters that must be digits (AI 421)


def _shape(definition: GS1ApplicationIdentifier) -> _Shape:
    """The shape of biip's format of an AI, e.g. "N3+N3+X..9" (AI 421)."""
    fields = [_FORMAT_PART.fullmatch(part) for part in definition.format.split("+")[1:]]
    parts = [(m[1], m[2] is not None, int(m[3])) for m in fields if m is not None]
    numeric_prefix = 0
    for kind, variable, length in parts:
        if kind != "N" or variable:
            break
        numeric_prefix += length
    numeric = all(kind == "N" for kind, _, _ in parts)
    return _Shape(min_length=sum(1 if variable else length for _, variable, length in parts),
                  max_length=sum(length for _, _, length in parts),
                  numeric=numeric, numeric_prefix=0 if numeric else numeric_prefix)


@functools.cache
def _shapes() -> dict[str, _Shape]:
    """Each station AI's shape, from biip's definitions (so built on first use, as they are)."""
    return {ai: _shape(definition) for ai, definition in _definitions().items()}


def split_symbology_identifier(text: str) -> tuple[str | None, str]:
    """("]C1", rest) when `text` starts with a symbology identifier (`]` letter digit)."""
    if _SYMBOLOGY_IDENTIFIER.match(text):
        return text[:3], text[3:]
    return None, text


def looks_bracketed(text: str) -> bool:
    """True if `text` (spaces removed) is written as (AI)value(AI)value… with AIs from
    `STATION_AIS` only, so "(555)123-4567" is not taken for GS1 data. Needs no biip."""
    compact = text.replace(" ", "")
    if _BRACKETED.fullmatch(compact) is None:
        return False
    return all(m.group(1) in STATION_AIS for m in _BRACKETED_ELEMENT.finditer(compact))


def _describe(ai: str) -> str:
    definition = _definitions().get(ai)
    return f"({ai}) {definition.data_title}" if definition else f"({ai})"


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
    """Raise Gs1Error if `value` is not a valid value for `ai`.

    The shape (length, digits, character set) is checked first, so the message can say
    which is wrong and digits mean ASCII digits (biip's patterns take any script's); then
    biip reads the element, check digits included; then the date, by `today`.
    """
    from biip import ParseConfig, ParseError
    from biip.gs1_element_strings import GS1ElementString

    definition = _definitions().get(ai)
    if definition is None:
        raise Gs1Error(f"({ai}) is not an application identifier this station reads")
    name = _describe(ai)
    if not value:
        raise Gs1Error(f"{name} is empty")
    _check_shape(name, _shapes()[ai], value)
    # biip checks the dates itself against the wall clock; `gs1_date` checks them by `today`.
    config = ParseConfig(gs1_element_strings_verify_date=False)
    try:
        element = GS1ElementString.parse(ai + value, config=config)
    except ParseError:
        # Past the shape check, biip refuses a station AI's value only for its month or
        # day; the format is the fallback should a later biip check more.
        if ai in DATE_NAMES:
            raise Gs1Error(_not_a_date(name, value)) from None
        raise Gs1Error(f"{name} {value} is not in the form GS1 sets for it "
                       f"({definition.format})") from None
    if element.gtin_error or element.sscc_error or element.gln_error or (
            ai in _UNCHECKED_KEYS and not has_gs1_check_digit(value)):
        raise Gs1Error(f"the check digit of {name} {value} is wrong")
    if ai in DATE_NAMES:
        try:
            gs1_date(value, today or date.today())
        except ValueError:
            raise Gs1Error(_not_a_date(name, value)) from None


def _check_shape(name: str, shape: _Shape, value: str) -> None:
    if not shape.min_length <= len(value) <= shape.max_length:
        if shape.min_length == shape.max_length:
            raise Gs1Error(f"{name} must be {shape.max_length} characters, not {len(value)}")
        raise Gs1Error(f"{name} must be {shape.min_length} to {shape.max_length} characters, "
                       f"not {len(value)}")
    digits_needed = len(value) if shape.numeric else shape.numeric_prefix
    if digits_needed and not _NUMERIC.fullmatch(value[:digits_needed]):
        raise Gs1Error(f"{name} may contain only digits")
    if not shape.numeric and not set(value) <= CSET82:
        raise Gs1Error(f"{name} contains characters GS1 does not allow")


def _not_a_date(name: str, value: str) -> str:
    return f"{name} {value} is not a valid date (YYMMDD)"


def _check_duplicates(elements: Sequence[Element]) -> None:
    seen: set[str] = set()
    for ai, _value in elements:
        if ai in seen:
            raise Gs1Error(f"{_describe(ai)} appears twice")
        seen.add(ai)


def _ai_at(data: str, position: int) -> GS1ApplicationIdentifier:
    for length in (2, 3, 4):
        definition = _definitions().get(data[position:position + length])
        if definition is not None:
            return definition
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
        definition = _ai_at(data, position)
        ai = definition.ai
        position += len(ai)
        if definition.separator_required:
            end = data.find(GS, position)
            end = len(data) if end < 0 else end
            value = data[position:end]
            position = end
        else:
            length = _shapes()[ai].max_length
            value = data[position:position + length]
            if len(value) < length or GS in value:
                raise Gs1Error(f"{_describe(ai)} is cut short")
            position += length
        validate_element(ai, value, today)
        elements.append((ai, value))
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
        definition = _definitions().get(ai)
        if index < len(elements) - 1 and (definition is None or definition.separator_required):
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
