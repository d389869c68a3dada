"""LPNs, money and the first routing rule."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from station.config import DEFAULT_DESTINATIONS
from station.lpn import format_lpn, is_valid_lpn
from station.money import MoneyError, format_minor, parse_major
from station.routing import RoutingCase, decide
from station.vocabulary import Disposition, Flag, Grade, Reason, RefundAction, RequestedOutcome


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


def case(grade: Grade, reason: Reason = Reason.CHANGED_MIND, price: int = 10_000,
         requested: RequestedOutcome = RequestedOutcome.REFUND,
         flags: frozenset[Flag] = frozenset()) -> RoutingCase:
    return RoutingCase(grade=grade, reason=reason, requested=requested, price_minor=price,
                       currency="EUR", high_value_threshold_major=500, flags=flags)


def test_grade_a_goes_back_to_stock_with_a_full_refund() -> None:
    decision = decide(case(Grade.A), DEFAULT_DESTINATIONS)
    assert decision.disposition == Disposition.RESTOCK
    assert decision.destination == DEFAULT_DESTINATIONS[Disposition.RESTOCK]
    assert (decision.refund_action, decision.refund_minor) == (RefundAction.FULL, 10_000)


def test_a_change_of_mind_on_an_opened_item_keeps_a_restocking_fee() -> None:
    decision = decide(case(Grade.B), DEFAULT_DESTINATIONS)
    assert decision.disposition == Disposition.OPEN_BOX
    assert (decision.refund_action, decision.refund_minor) == (RefundAction.PARTIAL, 9_000)


def test_a_confirmed_defect_goes_to_the_vendor_with_a_full_refund() -> None:
    decision = decide(case(Grade.D, Reason.DEFECTIVE), DEFAULT_DESTINATIONS)
    assert decision.disposition == Disposition.RTV
    assert decision.refund_action == RefundAction.FULL


def test_high_value_lines_and_fraud_flags_are_never_refunded_automatically() -> None:
    assert decide(case(Grade.A, price=50_001), DEFAULT_DESTINATIONS).refund_action == \
        RefundAction.HELD
    flagged = decide(case(Grade.A, flags=frozenset({Flag.EMPTY_BOX})), DEFAULT_DESTINATIONS)
    assert (flagged.disposition, flagged.refund_action) == (Disposition.HOLD, RefundAction.HELD)


@given(st.sampled_from(list(Grade)), st.sampled_from(list(Reason)),
       st.sampled_from(list(RequestedOutcome)), st.integers(min_value=0, max_value=10**9),
       st.frozensets(st.sampled_from(list(Flag))))
def test_the_refund_never_exceeds_what_was_paid(grade: Grade, reason: Reason,
                                                requested: RequestedOutcome, price: int,
                                                flags: frozenset[Flag]) -> None:
    decision = decide(case(grade, reason, price, requested, flags), DEFAULT_DESTINATIONS)
    assert 0 <= decision.refund_minor <= price
    assert decision.rule_id and decision.rules_version
    if flags & {Flag.WRONG_ITEM, Flag.EMPTY_BOX, Flag.COUNTERFEIT_SUSPECTED}:
        assert decision.refund_action == RefundAction.HELD
    if Flag.HAZARDOUS in flags:
        assert decision.disposition != Disposition.RESTOCK
