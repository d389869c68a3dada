"""Scanning the item on the bench against what the RMA line says it is."""

from __future__ import annotations

import re

from station.codes.scans import classify
from station.common.vocabulary import Flag
from station.grading.verification import CheckKind, ExpectedItem, OtherLine, check_scan

RMA = re.compile(r"RMA-[0-9]{6}")
PHONE = ExpectedItem("ELE-SPK-0330", "4901234036741", "SN-KFATP8KHV",
                     (OtherLine(2, "ELE-CBL-0100", "4901234010215"),))


def checks(code: str, expected: ExpectedItem = PHONE) -> list:
    return check_scan(expected, classify(code, RMA))


def test_the_right_product_barcode_matches_whatever_its_length() -> None:
    [check] = checks("04901234036741")  # GTIN-14 form of the same EAN-13
    assert (check.kind, check.ok, check.flag) == (CheckKind.GTIN, True, None)


def test_another_product_is_a_wrong_item_with_both_codes_in_the_message() -> None:
    [check] = checks("5012345036748")
    assert check.ok is False and check.flag is Flag.WRONG_ITEM
    assert "5012345036748" in check.message and "4901234036741" in check.message


def test_the_item_of_another_line_says_which_line_to_inspect_it_under() -> None:
    [check] = checks("4901234010215")
    assert check.flag is Flag.WRONG_ITEM and "line 2 (ELE-CBL-0100)" in check.message


def test_a_serial_matches_without_regard_to_case_spaces_or_dashes() -> None:
    [check] = checks("sn kfatp8khv")
    assert (check.kind, check.ok) == (CheckKind.SERIAL, True)


def test_another_serial_is_a_serial_mismatch_showing_scanned_and_sold() -> None:
    [check] = checks("SN-ZZZ999")
    assert check.flag is Flag.SERIAL_MISMATCH
    assert check.message == "Serial mismatch: scanned SN-ZZZ999, sold SN-KFATP8KHV."


def test_a_gs1_code_checks_product_and_serial_at_once() -> None:
    found = checks("(01)04901234036741(21)SNOTHER")
    assert [(c.kind, c.ok) for c in found] == [(CheckKind.GTIN, True),
                                               (CheckKind.SERIAL, False)]


def test_a_numeric_serial_that_looks_like_a_gtin_is_taken_as_the_serial() -> None:
    expected = ExpectedItem("X", "4901234036741", "5012345036748")
    [check] = checks("5012345036748", expected)
    assert (check.kind, check.ok) == (CheckKind.SERIAL, True)


def test_with_nothing_on_file_a_scan_is_recorded_but_neither_passes_nor_fails() -> None:
    bare = ExpectedItem("OTH-1", None, None)
    found = checks("(01)04901234036741(21)ABC", bare)
    assert [c.ok for c in found] == [None, None] and all(c.flag is None for c in found)


def test_an_rma_number_or_a_command_is_not_an_item_check() -> None:
    assert checks("RMA-100002") == []
    assert checks("CMD:NEXT") == []
