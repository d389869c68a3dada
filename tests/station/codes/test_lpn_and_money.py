"""LPNs and money."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from station.codes.lpn import format_lpn, is_valid_lpn
from station.common.money import MoneyError, format_minor, parse_major


def test_an_lpn_carries_the_station_prefix_and_a_check_character() -> None:
    lpn = format_lpn("BN", 42)
    assert lpn.startswith("BN00000042") and len(lpn) == 11
    assert is_valid_lpn(lpn)


@given(st.integers(min_value=0, max_value=99_999_999), st.integers(min_value=2, max_value=10),
       st.sampled_from("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
def test_any_single_character_typo_in_an_lpn_is_caught(number: int, position: int,
                                                       replacement: str) -> None:
    lpn = format_lpn("BN", number)
    if lpn[position] == replacement:
        return
    typo = lpn[:position] + replacement + lpn[position + 1:]
    assert not is_valid_lpn(typo)


def test_amounts_are_exact_minor_units_per_currency() -> None:
    assert parse_major("19.99", "eur") == 1999
    assert parse_major("6980", "JPY") == 6980
    assert format_minor(1999, "EUR") == "19.99 EUR"
    for bad, currency in (("19.999", "EUR"), ("1.5", "JPY"), ("-1", "EUR"), ("abc", "EUR"),
                          ("10", "XXX"), ("NaN", "EUR")):
        with pytest.raises(MoneyError):
            parse_major(bad, currency)
