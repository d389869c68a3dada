"""First look at a scanned or typed code: reject what cannot be a code, say what it is.

Runs before anything touches the database, so a hostile or garbled scan can only ever
produce a message.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from station.errors import UserFacingError
from station.lpn import is_valid_lpn

MAX_SCAN_LENGTH = 512
GS = "\x1d"


class PayloadKind(StrEnum):
    RMA = "rma"
    LPN = "lpn"
    FREE_TEXT = "free_text"


class ScanError(UserFacingError, ValueError):
    """A scan that cannot be used; the message says what is wrong and what to do."""


@dataclass(frozen=True)
class Payload:
    text: str
    kind: PayloadKind


def clean_scan(raw: str) -> str:
    """Strip surrounding whitespace; refuse control characters, overlong or empty input."""
    text = raw.strip(" \t\r\n")
    if not text:
        raise ScanError("Nothing was scanned. Scan the label again or type the code.")
    if len(text) > MAX_SCAN_LENGTH:
        raise ScanError(
            f"That scan is {len(text)} characters long; codes have at most {MAX_SCAN_LENGTH}. "
            "Check the scanner is not repeating and scan again."
        )
    for char in text:
        if char != GS and unicodedata.category(char) in {"Cc", "Cf", "Cs", "Co", "Cn"}:
            raise ScanError(
                f"The scan contains a control character (U+{ord(char):04X}). Scan again; if it "
                "repeats, check the scanner's configuration."
            )
    return text


def classify(raw: str, rma_pattern: re.Pattern[str]) -> Payload:
    text = clean_scan(raw)
    if rma_pattern.fullmatch(text):
        return Payload(text, PayloadKind.RMA)
    if is_valid_lpn(text):
        return Payload(text, PayloadKind.LPN)
    return Payload(text, PayloadKind.FREE_TEXT)
