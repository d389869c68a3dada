"""Licence-plate numbers: the station's own unit ids, printed as Code 128 on every label.

Format: the station's 2-4 character prefix (starting with a letter, so an LPN is never
mistaken for a GTIN), 8 digits of a station-local sequence, and an
ISO 7064 MOD 37,36 check character, e.g. `BN0100000042N`. Stations with distinct
prefixes can never print the same LPN, and a mistyped LPN is caught before it is looked up.
"""

from __future__ import annotations

import re

from station.codes.check_digits import iso7064_mod37_36

LPN_PATTERN = re.compile(r"([A-Z][A-Z0-9]{1,3})([0-9]{8})([0-9A-Z])")
LPN_COUNTER = "lpn"  # the station-local sequence, a counter of station.store.sequences


def format_lpn(prefix: str, number: int) -> str:
    payload = f"{prefix}{number:08d}"
    return payload + iso7064_mod37_36(payload)


def is_valid_lpn(text: str) -> bool:
    match = LPN_PATTERN.fullmatch(text)
    return bool(match) and iso7064_mod37_36(text[:-1]) == text[-1]
