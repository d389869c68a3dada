"""Licence-plate numbers: the station's own unit ids, printed as Code 128 on every label.

Format: the station's 2-4 character prefix (starting with a letter, so an LPN is never
mistaken for a GTIN), 8 digits of a station-local sequence, and an
ISO 7064 MOD 37,36 check character, e.g. `BN0100000042N`. Stations with distinct
prefixes can never print the same LPN, and a mistyped LPN is caught before it is looked up.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from station.check_digits import iso7064_mod37_36
from station.models import Counter

LPN_PATTERN = re.compile(r"([A-Z][A-Z0-9]{1,3})([0-9]{8})([0-9A-Z])")
_COUNTER = "lpn"


def format_lpn(prefix: str, number: int) -> str:
    payload = f"{prefix}{number:08d}"
    return payload + iso7064_mod37_36(payload)


def is_valid_lpn(text: str) -> bool:
    match = LPN_PATTERN.fullmatch(text)
    return bool(match) and iso7064_mod37_36(text[:-1]) == text[-1]


def next_lpn(session: Session, prefix: str) -> str:
    """Reserve the next LPN in the caller's transaction (a gap after a crash is harmless)."""
    counter = session.scalar(select(Counter).where(Counter.name == _COUNTER))
    if counter is None:
        counter = Counter(name=_COUNTER, value=0)
        session.add(counter)
    counter.value += 1
    return format_lpn(prefix, counter.value)
