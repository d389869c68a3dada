"""Item verification: is the thing on the bench the thing the customer said they returned?

The grader scans the item's product barcode (GTIN/UPC/EAN, or a GS1 code carrying one) and,
where the RMA line expects one, its serial number. Each scan is compared with the RMA line;
a product barcode that is not the line's raises `wrong_item` and a serial that is not the
expected one raises `serial_mismatch`, both values shown. A later scan of the same kind
replaces the earlier result, so a mis-scan can be corrected by scanning the right code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from station.codes.scans import Payload, PayloadKind
from station.common.vocabulary import Flag


class CheckKind(StrEnum):
    GTIN = "gtin"
    SERIAL = "serial"


@dataclass(frozen=True)
class OtherLine:
    """Another line of the same RMA, so a product barcode can be recognised as its item."""

    line_no: int
    sku: str
    gtin: str | None


@dataclass(frozen=True)
class ExpectedItem:
    """What the RMA line says the unit is."""

    sku: str
    gtin: str | None
    serial: str | None
    other_lines: tuple[OtherLine, ...] = ()


@dataclass(frozen=True)
class ItemCheck:
    """One comparison: `ok` None when the line has nothing on file to compare with."""

    kind: CheckKind
    scanned: str
    expected: str | None
    ok: bool | None
    message: str

    @property
    def flag(self) -> Flag | None:
        if self.ok is not False:
            return None
        return Flag.WRONG_ITEM if self.kind is CheckKind.GTIN else Flag.SERIAL_MISMATCH

    def as_record(self) -> dict[str, Any]:
        return {"scanned": self.scanned, "expected": self.expected, "ok": self.ok,
                "message": self.message}

    @classmethod
    def from_record(cls, kind: str, record: dict[str, Any]) -> ItemCheck:
        return cls(CheckKind(kind), str(record["scanned"]), record.get("expected"),
                   record.get("ok"), str(record.get("message", "")))


def gtin14(code: str) -> str:
    return code.strip().zfill(14)


def normalise_serial(text: str) -> str:
    """Serials compare without case, spaces or dashes ("sn 12-ab" is "SN12AB")."""
    return re.sub(r"[\s\-]", "", text).upper()


def product_code(payload: Payload) -> str | None:
    """The GTIN in a product barcode or GS1 code, if the scan carries one."""
    if payload.kind is PayloadKind.GTIN and payload.valid:
        return payload.value
    if payload.kind is PayloadKind.GS1 and payload.valid:
        return payload.fields.get("01")
    return None


def serial_code(payload: Payload) -> str | None:
    """The serial in a GS1 code (AI 21), a plain-text scan, or a scan that only looked like
    a tracking number or LPN and failed its check (serials often do)."""
    if payload.kind is PayloadKind.GS1 and payload.valid:
        return payload.fields.get("21")
    if payload.kind is PayloadKind.FREE_TEXT or (
            payload.kind in (PayloadKind.TRACKING, PayloadKind.INVALID, PayloadKind.LPN)
            and not payload.valid):
        return payload.text[:64]
    return None


def check_gtin(expected: ExpectedItem, scanned: str) -> ItemCheck:
    if not expected.gtin:
        return ItemCheck(CheckKind.GTIN, scanned, None, None,
                         f"Product barcode {scanned} recorded; the RMA line has no GTIN to "
                         "compare it with.")
    if gtin14(scanned) == gtin14(expected.gtin):
        return ItemCheck(CheckKind.GTIN, scanned, expected.gtin, True,
                         f"Product barcode {scanned} matches {expected.sku}.")
    other = next((line for line in expected.other_lines
                  if line.gtin and gtin14(line.gtin) == gtin14(scanned)), None)
    hint = (f" It is the item of line {other.line_no} ({other.sku}): put this unit back "
            "(Esc) and inspect it under that line." if other is not None else "")
    return ItemCheck(CheckKind.GTIN, scanned, expected.gtin, False,
                     f"Wrong item: scanned {scanned}, the RMA line expects {expected.gtin} "
                     f"({expected.sku}).{hint}")


def check_serial(expected: ExpectedItem, scanned: str) -> ItemCheck:
    if not expected.serial:
        return ItemCheck(CheckKind.SERIAL, scanned, None, None,
                         f"Serial {scanned} recorded; the RMA line has no serial to compare "
                         "it with.")
    if normalise_serial(scanned) == normalise_serial(expected.serial):
        return ItemCheck(CheckKind.SERIAL, scanned, expected.serial, True,
                         f"Serial {scanned} matches the one sold.")
    return ItemCheck(CheckKind.SERIAL, scanned, expected.serial, False,
                     f"Serial mismatch: scanned {scanned}, sold {expected.serial}.")


def check_scan(expected: ExpectedItem, payload: Payload) -> list[ItemCheck]:
    """Every comparison a scan allows (a GS1 code can carry both GTIN and serial)."""
    checks: list[ItemCheck] = []
    gtin = product_code(payload)
    if gtin is not None and expected.serial and \
            normalise_serial(gtin) == normalise_serial(expected.serial):
        return [check_serial(expected, gtin)]  # a numeric serial that looks like a GTIN
    if gtin is not None:
        checks.append(check_gtin(expected, gtin))
    if (serial := serial_code(payload)) is not None:
        checks.append(check_serial(expected, serial))
    return checks
