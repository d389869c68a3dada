"""First look at a scanned or typed code: reject what cannot be a code, say what it is.

Runs before anything touches the database, so a hostile or garbled scan can only ever
produce a message.

Every scan is exactly one `PayloadKind`. The rules are tried in this order; the first
that fits wins:

1.  Unusable input raises `ScanError` (`inspect_scan` returns kind "invalid" instead):
    empty, longer than `MAX_SCAN_LENGTH`, a control/format/private/unassigned character, a
    line separator or a space other than U+0020, a GS (U+001D) outside GS1 data, or only a
    symbology identifier.
2.  A leading ISO/IEC 15424 symbology identifier (``]`` letter digit, e.g. ``]C1``) is
    transport framing and is set aside; the GS1 ones (``]C1 ]d2 ]Q3 ]e0 ]J1``) also mark
    the rest as a GS1 element string.
3.  **rma**: the configured RMA pattern (fullmatch on the scan, or on it without the
    symbology identifier). First, so a site whose RMA numbers look like GTINs or tracking
    numbers still receives them.
4.  **command**: ``CMD:`` (any case). One of `COMMANDS`, else an unknown-command error.
5.  **badge**: `station.codes.badges.looks_like_badge`.
6.  **gs1**, marked: a GS1 symbology identifier, a GS anywhere (with digits first), or the
    bracketed form "(01)…(17)…" with AIs this station reads (so "(555)123-4567" stays
    text). Read in full or reported as a GS1 error; never free text. The value is the
    bracketed form; fields hold every AI's value plus gtin, sscc, batch, serial and the
    dates in ISO form (expiry, best_before, …).
    A carrier barcode read through a GS1 symbology, (9x)number alone or after (420) ZIP
    (USPS IMpb, FedEx Ground 96), is **tracking** instead.
7.  **tracking** with a distinctive shape (UPS 1Z…, UPU S10, FedEx 96…/100… and USPS
    9…/420… of 22-34 digits): an error if the check digit is wrong.
8.  **lpn**: `station.codes.lpn.LPN_PATTERN`; a wrong check character is an LPN error, not free
    text. (A manufacturer serial of exactly that shape, letter + 1-3 letters/digits + 8
    digits + 1 character, is therefore reported as a mistyped LPN 35 times in 36; the
    message says so.)
9.  **gs1**, unmarked: the raw form without symbology identifier is recognised only when
    it starts with (00), (01) or (02) and reads cleanly, check digits and dates included.
    So ``00`` + a valid SSCC (20 digits) is GS1, not a USPS 20-digit number (whose check is
    the same arithmetic).
10. All digits (spaces ignored), by length:
    - 8, 13, 14: **gtin**, or a GTIN error;
    - 12: **gtin** if the GTIN-12 check passes (even if the FedEx Express check passes too;
      then fields["also_matches"] = "tracking:fedex": a 12-digit *barcode* is nearly always
      a UPC, as FedEx Express labels carry a 34-digit barcode); else **tracking** (FedEx) if
      its check passes; else a GTIN error that mentions both;
    - 10 (DHL Express), 15 (FedEx Ground), 20 (USPS / FedEx SmartPost): **tracking** only
      when the check digit is right, else free text (phone numbers, IMEIs, serials).
11. **rma**, normalised: text that would otherwise be free text but whose Unicode NFKC form,
    with dash look-alikes (U+2010-2013, U+2212, U+FF0D) made ASCII '-', fits the RMA
    pattern as it is or upper-cased ("rma‐１０００02" is RMA-100002). Last, so a valid code
    of any other kind never changes meaning; fields["normalised_from"] holds the scan and
    fields["note"] says what it was read as.
12. **free_text**: anything else (printable, at most 512 characters).

Check-digit failures are not exceptions: `classify` and `inspect_scan` both return the
payload with ``valid=False`` and an ``error`` that says what is wrong and what to do.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from station.codes import gs1
from station.codes.badges import looks_like_badge
from station.codes.check_digits import is_valid_gtin
from station.codes.lpn import LPN_PATTERN, is_valid_lpn
from station.codes.tracking import TrackingNumber, find_tracking
from station.common.errors import UserFacingError
from station.common.vocabulary import Grade

MAX_SCAN_LENGTH = 512
GS = gs1.GS

COMMAND_PREFIX = "CMD:"
COMMAND_CAPTIONS: dict[str, str] = {
    "CMD:ASNEW": "As new: the checklist's fast path",
    **{f"CMD:GRADE:{grade.value}": f"Grade {grade.value}: {grade.meaning}" for grade in Grade},
    **{f"CMD:ANSWER:{n}": f"Answer {n}" for n in range(1, 10)},
    "CMD:BACK": "Back: undo the last answer",
    "CMD:PHOTO": "Take a photo",
    "CMD:PRINT": "Print the label",
    "CMD:NEXT": "Next",
    "CMD:CANCEL": "Cancel",
    "CMD:SIGNOUT": "Sign out",
}
# The bench card's barcodes, in the order they are printed.
COMMANDS: tuple[str, ...] = tuple(COMMAND_CAPTIONS)

_GTIN_NAMES = {8: "GTIN-8 (EAN-8)", 12: "GTIN-12 (UPC-A)", 13: "GTIN-13 (EAN-13)",
               14: "GTIN-14"}
_DIGITS = re.compile(r"[0-9]+")
_TWO_DIGITS = re.compile(r"[0-9]{2}")
# Company-internal AIs that carriers' barcodes start with: USPS IMpb channel identifiers
# 91-95 and FedEx Ground's 96.
_CARRIER_AIS = ("91", "92", "93", "94", "95", "96")
_RESCAN = "rescan or type it again"
# Characters a keyboard layout, a word processor or a label font puts where '-' was meant.
_DASHES = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2212\uff0d", "-"))


class PayloadKind(StrEnum):
    RMA = "rma"
    LPN = "lpn"
    BADGE = "badge"
    TRACKING = "tracking"
    GTIN = "gtin"
    GS1 = "gs1"
    COMMAND = "command"
    FREE_TEXT = "free_text"
    INVALID = "invalid"


class ScanError(UserFacingError, ValueError):
    """A scan that cannot be used; the message says what is wrong and what to do."""


@dataclass(frozen=True)
class Payload:
    """What a scan is.

    `text` is the scan with surrounding whitespace removed (what callers look up today);
    `value` the canonical form (tracking number upper-cased without spaces, the GTIN, the
    command name, GS1 data in bracketed form); `input` the raw scan as given.
    """

    text: str
    kind: PayloadKind
    value: str = ""
    valid: bool = True
    fields: dict[str, str] = field(default_factory=dict, hash=False)
    error: str | None = None
    input: str = ""

    def __post_init__(self) -> None:
        if not self.value and self.kind is not PayloadKind.INVALID:
            object.__setattr__(self, "value", self.text)
        if not self.input:
            object.__setattr__(self, "input", self.text)

    @property
    def note(self) -> str | None:
        """What the scan was read as when it had to be normalised to fit ("read as
        RMA-100002 (from 'rma‐100002')"), so a person sees why a look-alike was accepted."""
        return self.fields.get("note")


def payload_json(payload: Payload) -> dict[str, object]:
    """The JSON object `returns-station classify` prints for one code.

    `input` is the raw scan and may hold anything, lone surrogates included: serialise with
    json.dumps' default ensure_ascii=True.
    """
    return {
        "input": payload.input,
        "kind": payload.kind.value,
        "value": payload.value,
        "valid": payload.valid,
        "fields": dict(payload.fields),
        "error": payload.error,
    }


def _refuse_character(char: str) -> None:
    category = unicodedata.category(char)
    if category in {"Cc", "Cf", "Cs", "Co", "Cn"}:
        raise ScanError(
            f"The scan contains a control character (U+{ord(char):04X}). Scan again; if it "
            "repeats, check the scanner's configuration."
        )
    if category in {"Zl", "Zp"} or (category == "Zs" and char != " "):
        raise ScanError(
            f"The scan contains an unusual space or line break (U+{ord(char):04X}). Type it "
            "again with ordinary spaces, or scan it again."
        )


def clean_scan(raw: str) -> str:
    """Strip surrounding whitespace; refuse control characters, overlong or empty input.

    GS (U+001D, FNC1 in GS1 data) is let through here; `classify` refuses it outside GS1
    data.
    """
    if not isinstance(raw, str):
        raise ScanError("The scan did not arrive as text. Scan again or type the code.")
    text = raw.strip(" \t\r\n")
    if not text:
        raise ScanError("Nothing was scanned. Scan the label again or type the code.")
    if len(text) > MAX_SCAN_LENGTH:
        raise ScanError(
            f"That scan is {len(text)} characters long; codes have at most {MAX_SCAN_LENGTH}. "
            "Check the scanner is not repeating and scan again."
        )
    for char in text:
        if char != GS:
            _refuse_character(char)
    return text


def classify(raw: str, rma_pattern: re.Pattern[str], *, today: date | None = None) -> Payload:
    """What `raw` is (see the module docstring for the order of the rules).

    Raises ScanError for unusable input; a wrong check digit is not an exception but a
    payload with valid=False and an error message. `today` dates GS1 YYMMDD values (the
    century window); it defaults to the current date.
    """
    text = clean_scan(raw)
    return _classify(text, raw, rma_pattern, today or date.today())


def inspect_scan(raw: str, rma_pattern: re.Pattern[str], *, today: date | None = None
                 ) -> Payload:
    """Like `classify`, but never raises: unusable input is kind "invalid" with the error."""
    try:
        return classify(raw, rma_pattern, today=today)
    except ScanError as refused:
        given = raw if isinstance(raw, str) else repr(raw)
        return Payload("", PayloadKind.INVALID, "", False, {}, str(refused), given)


@dataclass(frozen=True)
class _Scan:
    """One scan being classified: builds its payloads."""

    text: str
    raw: str

    def payload(self, kind: PayloadKind, value: str, valid: bool = True,
                fields: dict[str, str] | None = None, error: str | None = None) -> Payload:
        return Payload(self.text, kind, value, valid, fields or {}, error, self.raw)


def _classify(text: str, raw: str, rma_pattern: re.Pattern[str], today: date) -> Payload:
    scan = _Scan(text, raw)
    identifier, body = gs1.split_symbology_identifier(text)
    if identifier is not None and not body:
        raise ScanError(
            f"The scan holds only the scanner's symbology identifier {identifier} and no "
            "code. Scan again."
        )

    for candidate in (text, body):
        if rma_pattern.fullmatch(candidate):
            return scan.payload(PayloadKind.RMA, candidate)

    head = body[:len(COMMAND_PREFIX)]
    if head.isascii() and head.upper() == COMMAND_PREFIX:
        return _command(body, scan)
    if looks_like_badge(body):
        return scan.payload(PayloadKind.BADGE, body)

    gs1_marked = identifier in gs1.GS1_SYMBOLOGY_IDENTIFIERS or gs1.looks_bracketed(body)
    if GS in body and not gs1_marked:
        if not _TWO_DIGITS.match(body.lstrip(GS)):
            raise ScanError(
                "The scan contains a group separator (U+001D) but is not GS1 data. Scan "
                "again; if it repeats, check the scanner's configuration."
            )
        gs1_marked = True
    if gs1_marked:
        return _gs1(body, today, scan)

    compact = body.replace(" ", "")
    if compact.isascii():
        compact = compact.upper()
    all_digits = _DIGITS.fullmatch(compact) is not None
    tracking = find_tracking(compact)
    if tracking is not None and (not all_digits or len(compact) >= 22):
        return _tracking(tracking, scan)

    if LPN_PATTERN.fullmatch(compact):
        return _lpn(compact, scan)

    if body[:2] in ("00", "01", "02"):
        try:
            elements = gs1.parse_raw(body, today)
        except gs1.Gs1Error:
            pass
        else:
            return _gs1_payload(elements, today, scan)

    if all_digits and len(compact) in _GTIN_NAMES:
        return _gtin(compact, tracking, scan)
    if tracking is not None:
        return _tracking(tracking, scan)
    for candidate in (text, body):
        normalised = _normalised_rma(candidate, rma_pattern)
        if normalised is not None:
            return scan.payload(PayloadKind.RMA, normalised, fields={
                "normalised_from": candidate,
                "note": f"read as {normalised} (from {candidate!r})",
            })
    return scan.payload(PayloadKind.FREE_TEXT, body)


def _normalised_rma(candidate: str, rma_pattern: re.Pattern[str]) -> str | None:
    """The RMA number `candidate` spells with look-alike characters or in the wrong case, or
    None; upper case is tried only after the normalised form as it is."""
    normalised = unicodedata.normalize("NFKC", candidate).translate(_DASHES)
    for form in (normalised, normalised.upper()):
        if form != candidate and rma_pattern.fullmatch(form):
            return form
    return None


def _lpn(compact: str, scan: _Scan) -> Payload:
    match = LPN_PATTERN.fullmatch(compact)
    if match is not None and is_valid_lpn(compact):
        return scan.payload(PayloadKind.LPN, compact,
                            fields={"prefix": match.group(1), "number": match.group(2)})
    return scan.payload(PayloadKind.LPN, compact, False, error=(
        f"{compact} looks like a station LPN: check character wrong — {_RESCAN}. "
        "(If it is a manufacturer's serial number, enter it in the serial field.)"
    ))


def _command(body: str, scan: _Scan) -> Payload:
    code = body.upper() if body.isascii() else body
    name = code[len(COMMAND_PREFIX):]
    if code in COMMAND_CAPTIONS:
        command, _, argument = name.partition(":")
        fields = {"command": command}
        if argument:
            fields["argument"] = argument
            if command == "GRADE":
                fields["grade"] = argument
        return scan.payload(PayloadKind.COMMAND, name, fields=fields)
    return scan.payload(PayloadKind.COMMAND, name, False, error=(
        f"{body[:40]} is not a bench command this station knows. Use the current bench card "
        "(an administrator can print a new one)."
    ))


def _tracking(tracking: TrackingNumber, scan: _Scan) -> Payload:
    fields = {"carrier": tracking.carrier, "scheme": tracking.scheme, **tracking.details}
    error = None
    if not tracking.valid:
        error = (f"{tracking.carrier_name} tracking number {tracking.number}: check digit "
                 f"wrong — {_RESCAN}.")
    return scan.payload(PayloadKind.TRACKING, tracking.number, tracking.valid, fields, error)


def _gtin(digits: str, tracking: TrackingNumber | None, scan: _Scan) -> Payload:
    if is_valid_gtin(digits):
        fields = {"gtin": digits, "gtin14": digits.zfill(14)}
        if tracking is not None and tracking.valid:
            fields["also_matches"] = f"tracking:{tracking.carrier}"
        return scan.payload(PayloadKind.GTIN, digits, fields=fields)
    if tracking is not None and tracking.valid:
        return _tracking(tracking, scan)
    name = _GTIN_NAMES[len(digits)]
    if len(digits) == 12:
        problem = f"is neither a valid {name} nor a FedEx tracking number"
    else:
        problem = f"has the length of a {name} product barcode but is not a valid one"
    return scan.payload(PayloadKind.GTIN, digits, False, error=(
        f"{digits} {problem}: check digit wrong — {_RESCAN}."
    ))


def _gs1(body: str, today: date, scan: _Scan) -> Payload:
    try:
        if gs1.looks_bracketed(body):
            elements = gs1.parse_bracketed(body, today)
        else:
            elements = gs1.parse_raw(body, today)
    except gs1.Gs1Error as problem:
        return scan.payload(PayloadKind.GS1, body, False, error=(
            f"This GS1 barcode cannot be read: {problem}. Rescan it; if that fails, type the "
            "code printed under the barcode."
        ))
    return _gs1_payload(elements, today, scan)


def _gs1_payload(elements: list[gs1.Element], today: date, scan: _Scan) -> Payload:
    """GS1 data, except a carrier barcode read through a GS1 symbology: (9x)… alone or after
    (420)/(421) ZIP, as on USPS IMpb and FedEx Ground 96 labels, is a tracking number."""
    carrier_part = elements
    routing: dict[str, str] = {}
    if len(elements) == 2 and elements[0][0] in ("420", "421"):
        routing = {"zip": elements[0][1]}
        carrier_part = elements[1:]
    if len(carrier_part) == 1 and carrier_part[0][0] in _CARRIER_AIS:
        ai, value = carrier_part[0]
        tracking = find_tracking(ai + value)
        if tracking is not None:
            details = {**tracking.details, **routing}
            return _tracking(TrackingNumber(tracking.carrier, tracking.scheme, tracking.number,
                                            tracking.valid, details), scan)
    fields = dict(elements)
    fields.update(gs1.extras(elements, today))
    return scan.payload(PayloadKind.GS1, gs1.format_bracketed(elements), fields=fields)
