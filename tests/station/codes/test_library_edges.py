"""Where the libraries behind station.codes would answer differently from the station's
contract, and what the station decided: biip reading GS1 elements (station.codes.gs1),
python-stdnum computing check digits (station.codes.check_digits)."""

from __future__ import annotations

import re
from datetime import date

import pytest
from biip.gs1_element_strings import GS1ElementString
from biip.gs1_messages import GS1Message
from stdnum import ean

from station.codes import gs1
from station.codes.check_digits import gs1_check_digit, is_valid_gtin
from station.codes.scans import PayloadKind, classify

RMA = re.compile("RMA-[0-9]{6}", re.ASCII)
TODAY = date(2026, 1, 15)
ARABIC_INDIC_GTIN = "".join(chr(0x0660 + int(d)) for d in "09501101530003")


def test_an_ai_gs1_defines_but_the_station_does_not_read_is_still_refused() -> None:
    # (7003) expiry date and time, as on a medical device's UDI: biip reads it.
    scan = "]C1" + "0109501101530003" + "70032512311200"
    assert GS1ElementString.parse("70032512311200").value == "2512311200"
    payload = classify(scan, RMA, today=TODAY)
    assert (payload.kind, payload.valid) == (PayloadKind.GS1, False)
    assert payload.error is not None and "(7003…) is not one this station reads" in payload.error


def test_typed_text_in_brackets_with_an_ai_outside_the_station_list_stays_text() -> None:
    # (710) is a GS1 AI (German PZN) and "555-1234" a valid value for it.
    assert GS1ElementString.parse("710555-1234").value == "555-1234"
    payload = classify("(710) 555-1234", RMA, today=TODAY)
    assert (payload.kind, payload.valid) == (PayloadKind.FREE_TEXT, True)


def test_digits_are_ascii_digits_though_biip_takes_any_scripts() -> None:
    assert GS1ElementString.parse("01" + ARABIC_INDIC_GTIN).gtin_error is None
    payload = classify("(01)" + ARABIC_INDIC_GTIN, RMA, today=TODAY)
    assert (payload.kind, payload.valid) == (PayloadKind.GS1, False)
    assert payload.error is not None and "(01) GTIN may contain only digits" in payload.error


def test_the_gsin_check_digit_is_checked_though_biip_does_not() -> None:
    assert GS1ElementString.parse("40212345678901234561").value == "12345678901234561"
    gs1.validate_element("402", "12345678901234560")
    with pytest.raises(gs1.Gs1Error, match=r"check digit of \(402\) GSIN"):
        gs1.validate_element("402", "12345678901234561")


@pytest.mark.parametrize(("today", "valid"), [(date(2026, 1, 15), True),
                                              (date(2096, 6, 1), False)])
def test_dates_are_checked_by_the_callers_today_not_the_wall_clock(today: date,
                                                                   valid: bool) -> None:
    # 29 February of "00": 2000 was a leap year, 2100 will not be.
    payload = classify("(01)09501101530003(17)000229", RMA, today=today)
    assert (payload.kind, payload.valid) == (PayloadKind.GS1, valid)
    if not valid:
        assert payload.error is not None and "000229 is not a valid date" in payload.error


def test_an_over_long_value_is_refused_where_biip_would_split_it() -> None:
    raw = "10" + "X" * 20 + "2112"
    assert [e.ai.ai for e in GS1Message.parse(raw).element_strings] == ["10", "21"]
    with pytest.raises(gs1.Gs1Error, match=r"\(10\) BATCH/LOT must be 1 to 20 characters"):
        gs1.parse_raw(raw, TODAY)


@pytest.mark.parametrize("code", ["950110-1530003", " 9501101530003", "9501101530003 ",
                                  "9 501101 530003"])
def test_a_gtin_is_digits_only_though_stdnum_drops_spaces_and_dashes(code: str) -> None:
    assert ean.is_valid(code)
    assert not is_valid_gtin(code)


def test_check_digits_are_computed_over_ascii_digits_only() -> None:
    assert ean.calc_check_digit("\u0663\u0663") == "8"  # Arabic-Indic 33
    with pytest.raises(ValueError, match="digits only"):
        gs1_check_digit("\u0663\u0663")
    assert gs1_check_digit("33") == 8

