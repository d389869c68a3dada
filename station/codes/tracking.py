"""Carrier tracking numbers: which carrier's scheme a scanned number fits, and whether its
check digit is right.

`find_tracking` takes the *compact* form (spaces removed, ASCII upper-cased) and answers
with a `TrackingNumber` or None. Schemes whose shape alone identifies them ("distinctive":
UPS 1Z…, UPU S10, 22/26-digit IMpb starting with 9, FedEx 96…, the 30/34-digit barcodes
with a routing prefix) are reported even when the check digit is wrong, so the bench can
say "check digit wrong — rescan". Bare numbers of a common length (10, 12, 15, 20 digits)
match a scheme only when its check digit is right: six in seven ten-digit numbers fail the
DHL check, and a phone's 15-digit IMEI is not a FedEx number because it fails FedEx's.

Schemes, as implemented (sources in station.codes.check_digits; each has published example
numbers in tests/station/codes/test_scans.py):

- ups_1z: 1Z + 15 letters/digits + check; UPS mod 10 (odd positions ×1, even ×2).
- upu_s10: 2 letters, 8 digits, check, 2 letters (country, not checked); S10 mod 11.
- dhl_express: 10 digits; the first 9 read as one number, mod 7.
- fedex_express: 12 digits; weights 1, 3, 7 from the right, mod 11, 10 → 0.
- fedex_express_34: the 34-digit FedEx Express barcode (starts 100); the same check over
  digits 21-33 against digit 34; the value is the 12-digit tracking number at the end.
- fedex_ground: 15 digits; GS1 mod 10 (weights 3, 1 from the right).
- fedex_ground_96: 22 digits starting 96; GS1 mod 10 over digits 8-21 only, against
  digit 22; the value is the 15-digit tracking number at the end.
- fedex_smartpost: 20 digits; GS1 mod 10 over an implied "92" + the first 19.
- usps_20: 20 digits; GS1 mod 10.
- usps_impb: 20 digits with an implied "91", or 22/26 digits starting with 9 (Intelligent
  Mail package barcode); GS1 mod 10. Read with its routing prefix and no FNC1 (420 + ZIP
  + number: 30 or 34 digits) the value is the number and fields["zip"] the ZIP code.

Not verified against a carrier's own specification (only against the shared definitions
above and their example numbers): FedEx 15, 20 and 22-digit ("96") schemes and USPS 20.
A 21-digit IMpb has no published example and is not accepted. UPS's own API sandbox
numbers such as 1Z12345E0205271688 fail the published check digit (they are test data;
1Z12345E6605272234 passes by chance).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from station.codes.check_digits import (
    fedex_express_check_digit,
    has_gs1_check_digit,
    mod7_check_digit,
    ups_check_digit,
    upu_s10_check_digit,
)

CARRIER_NAMES = {
    "ups": "UPS",
    "fedex": "FedEx",
    "usps": "USPS",
    "dhl": "DHL Express",
    "postal": "Postal (UPU S10)",
}

_UPS = re.compile(r"1Z([0-9A-Z]{6})([0-9A-Z]{2})([0-9A-Z]{7})([0-9A-Z])")
_S10 = re.compile(r"([A-Z]{2})([0-9]{8})([0-9])([A-Z]{2})")
_DIGITS = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class TrackingNumber:
    carrier: str
    scheme: str
    number: str
    valid: bool
    details: dict[str, str] = field(default_factory=dict, hash=False)

    @property
    def carrier_name(self) -> str:
        return CARRIER_NAMES.get(self.carrier, self.carrier)


def _gs1(code: str) -> bool:
    return has_gs1_check_digit(code)


def _ups(compact: str) -> TrackingNumber | None:
    match = _UPS.fullmatch(compact)
    if match is None:
        return None
    check = match.group(4)
    valid = check.isdigit() and ups_check_digit(compact[2:17]) == int(check)
    return TrackingNumber("ups", "ups_1z", compact, valid,
                          {"shipper": match.group(1), "service": match.group(2)})


def _s10(compact: str) -> TrackingNumber | None:
    match = _S10.fullmatch(compact)
    if match is None:
        return None
    valid = upu_s10_check_digit(match.group(2)) == int(match.group(3))
    return TrackingNumber("postal", "upu_s10", compact, valid,
                          {"service": match.group(1), "country": match.group(4)})


def _fedex_express(digits: str) -> bool:
    return fedex_express_check_digit(digits[:-1]) == int(digits[-1])


def _impb(digits: str, routing: dict[str, str] | None = None) -> TrackingNumber:
    details = dict(routing or {})
    return TrackingNumber("usps", "usps_impb", digits, _gs1(digits), details)


def _routed_usps(digits: str) -> TrackingNumber:
    """420 + ZIP + IMpb, as a GS1-128 IMpb barcode reads without its FNC1 separator."""
    candidates: list[tuple[str, str]] = []
    if len(digits) == 30:
        candidates.append((digits[3:8], digits[8:]))
    else:  # 34 digits: ZIP+4 and a 22-digit number, or ZIP and a 26-digit number
        candidates.append((digits[3:12], digits[12:]))
        candidates.append((digits[3:8], digits[8:]))
    for zip_code, number in candidates:
        if number.startswith("9") and _gs1(number):
            return _impb(number, {"zip": zip_code, "barcode": digits})
    zip_code, number = candidates[0]
    return TrackingNumber("usps", "usps_impb", number, False, {"zip": zip_code,
                                                                "barcode": digits})


def _numeric(digits: str) -> TrackingNumber | None:
    length = len(digits)
    if length == 10:
        if mod7_check_digit(digits[:-1]) == int(digits[-1]):
            return TrackingNumber("dhl", "dhl_express", digits, True)
        return None
    if length == 12:
        if _fedex_express(digits):
            return TrackingNumber("fedex", "fedex_express", digits, True)
        return None
    if length == 15:
        if _gs1(digits):
            return TrackingNumber("fedex", "fedex_ground", digits, True)
        return None
    if length == 20:
        if _gs1(digits):
            return TrackingNumber("usps", "usps_20", digits, True)
        if _gs1("91" + digits):
            return TrackingNumber("usps", "usps_impb", digits, True)
        if _gs1("92" + digits):
            return TrackingNumber("fedex", "fedex_smartpost", digits, True)
        return None
    if length == 22 and digits.startswith("96"):
        number = digits[7:]
        return TrackingNumber("fedex", "fedex_ground_96", number, _gs1(number),
                              {"barcode": digits})
    if length in (22, 26) and digits.startswith("9"):
        return _impb(digits)
    if length in (30, 34) and digits.startswith("420"):
        return _routed_usps(digits)
    if length == 34 and digits.startswith("100"):
        serial = digits[20:]
        return TrackingNumber("fedex", "fedex_express_34", digits[-12:],
                              _fedex_express(serial), {"barcode": digits})
    return None


def find_tracking(compact: str) -> TrackingNumber | None:
    """The tracking scheme `compact` fits (see the module docstring), or None.

    `compact` is the scan without spaces and upper-cased; anything else simply fits nothing.
    """
    if not compact.isascii():
        return None
    if compact.startswith("1Z"):
        return _ups(compact)
    if _DIGITS.fullmatch(compact):
        return _numeric(compact)
    return _s10(compact)
