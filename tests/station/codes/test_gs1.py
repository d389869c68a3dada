"""GS1 element strings: both spellings read the same, and the check-digit helpers for
carrier numbers behave as their published definitions say."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from station.codes import gs1
from station.codes.check_digits import (
    fedex_express_check_digit,
    gs1_check_digit,
    has_gs1_check_digit,
    mod7_check_digit,
    ups_character_value,
    ups_check_digit,
    upu_s10_check_digit,
)
from station.codes.scans import PayloadKind, classify

RMA = re.compile("RMA-[0-9]{6}", re.ASCII)
TODAY = date(2026, 1, 15)


def test_the_ai_table_is_prefix_free_so_raw_data_splits_one_way() -> None:
    ais = sorted(gs1.AIS)
    assert not [(a, b) for a in ais for b in ais if a != b and b.startswith(a)]
    assert {"00", "01", "10", "17", "21"} <= set(ais)


def test_the_plain_ai_set_is_the_table_biip_defines() -> None:
    assert set(gs1.AIS) == gs1.STATION_AIS


def test_common_scans_are_classified_without_importing_biip() -> None:
    # A fresh interpreter: this session has imported biip already. biip costs the app's
    # start about 0.2 s (issue #17), and RMAs, badges and tracking numbers never need it.
    code = (
        "import re, sys\n"
        "from station.codes.scans import classify\n"
        "rma = re.compile('RMA-[0-9]{6}')\n"
        "for text in ('RMA-123456', '(555)123-4567', '1Z999AA10123456784', 'hello'):\n"
        "    classify(text, rma)\n"
        "assert 'biip' not in sys.modules, 'biip imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_raw_and_bracketed_forms() -> None:
    elements = [("01", "09501101530003"), ("17", "251231"), ("10", "ABC123"), ("21", "X(1)")]
    raw = gs1.format_raw(elements)
    assert raw == "010950110153000317251231" + "10ABC123" + gs1.GS + "21X(1)"
    assert gs1.parse_raw(raw, TODAY) == elements
    # a GS after a predefined-length element, a leading FNC1 and a doubled GS are tolerated
    assert gs1.parse_raw(gs1.GS + "0109501101530003" + gs1.GS * 2 + "17251231", TODAY) == [
        ("01", "09501101530003"), ("17", "251231")]
    assert gs1.format_bracketed(elements[:3]) == "(01)09501101530003(17)251231(10)ABC123"
    assert gs1.parse_bracketed("(01) 09501101530003 (17) 251231 (10) ABC123", TODAY) == (
        elements[:3])


def test_symbology_identifiers() -> None:
    assert gs1.split_symbology_identifier("]C1010") == ("]C1", "010")
    assert gs1.split_symbology_identifier("]E05901234123457") == ("]E0", "5901234123457")
    assert gs1.split_symbology_identifier("]xy") == (None, "]xy")
    assert gs1.split_symbology_identifier("RMA-1") == (None, "RMA-1")


@pytest.mark.parametrize(("yymmdd", "iso"), [
    ("251231", "2025-12-31"), ("240200", "2024-02-29"), ("250200", "2025-02-28"),
    ("751231", "2075-12-31"),  # 49 years ahead of 2026: this century
    ("770101", "1977-01-01"),  # 51 ahead: the last century
])
def test_dates_follow_the_gs1_century_window(yymmdd: str, iso: str) -> None:
    assert gs1.gs1_date(yymmdd, TODAY).isoformat() == iso


def test_the_century_window_also_looks_ahead() -> None:
    assert gs1.gs1_date("050101", date(2096, 6, 1)).isoformat() == "2105-01-01"


# --- Round trip ----------------------------------------------------------------------------

CSET82_NO_PARENS = sorted(gs1.CSET82 - {"(", ")"})


def digits(length: int) -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789", min_size=length, max_size=length)


def with_check(length: int) -> st.SearchStrategy[str]:
    return digits(length - 1).map(lambda d: d + str(gs1_check_digit(d)))


def yymmdd() -> st.SearchStrategy[str]:
    return st.builds(lambda y, m, d: f"{y:02d}{m:02d}{d:02d}", st.integers(0, 99),
                     st.integers(1, 12), st.integers(0, 28))


def text82(max_size: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=CSET82_NO_PARENS, min_size=1, max_size=max_size)


VALUES: dict[str, st.SearchStrategy[str]] = {
    "00": with_check(18), "01": with_check(14), "02": with_check(14), "10": text82(20),
    "11": yymmdd(), "13": yymmdd(), "15": yymmdd(), "17": yymmdd(), "20": digits(2),
    "21": text82(20), "22": text82(20), "240": text82(30), "30": digits(8), "37": digits(3),
    "3103": digits(6), "400": text82(30), "402": with_check(17),
    "410": with_check(13), "420": text82(20), "421": st.builds(str.__add__, digits(3), text82(9)),
    "422": digits(3), "90": text82(30), "98": text82(90),
}
ELEMENTS = st.lists(st.sampled_from(sorted(VALUES)), min_size=1, max_size=6, unique=True).flatmap(
    lambda ais: st.tuples(*(st.tuples(st.just(ai), VALUES[ai]) for ai in ais)).map(list))


@given(ELEMENTS)
def test_bracketed_and_raw_forms_round_trip(elements: list[tuple[str, str]]) -> None:
    raw = gs1.format_raw(elements)
    bracketed = gs1.format_bracketed(elements)
    assert gs1.parse_raw(raw, TODAY) == elements
    assert gs1.parse_bracketed(bracketed, TODAY) == elements
    assert gs1.format_bracketed(gs1.parse_raw(raw, TODAY)) == bracketed
    assert gs1.format_raw(gs1.parse_bracketed(bracketed, TODAY)) == raw
    scanned = classify("]d2" + raw, RMA, today=TODAY)
    typed = classify(bracketed, RMA, today=TODAY)
    assert (scanned.kind, scanned.valid, scanned.value) == (PayloadKind.GS1, True, bracketed)
    assert (typed.kind, typed.valid, typed.value, typed.fields) == (
        PayloadKind.GS1, True, bracketed, scanned.fields)
    assert all(scanned.fields[ai] == value for ai, value in elements)


# --- Check digits of carrier numbers --------------------------------------------------------

def test_ups_letters_map_as_ups_documents() -> None:
    assert [ups_character_value(c) for c in "AHIJSZ09"] == [2, 9, 0, 1, 0, 7, 0, 9]
    assert ups_check_digit("999AA1012345678") == 4
    with pytest.raises(ValueError):
        ups_character_value("a")


def test_fedex_dhl_and_s10_check_digits() -> None:
    assert fedex_express_check_digit("12345678901") == 2
    assert fedex_express_check_digit("98657878885") == 5
    assert mod7_check_digit("331881002") == 5
    assert upu_s10_check_digit("12345678") == 5
    sums = {upu_s10_check_digit(f"{n:08d}") for n in range(200)}
    assert sums <= set(range(10))
    for bad in ("", "12a", "１２"):
        with pytest.raises(ValueError):
            fedex_express_check_digit(bad)
    assert not has_gs1_check_digit("٣٣") and not has_gs1_check_digit("7")
    assert has_gs1_check_digit("106141411234567897")
