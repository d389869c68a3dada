"""The shipped default policy (resources/rules/default.toml), case by named case.

Each row is one sentence of the policy: a unit, and the disposition, refund and rule the
station must give it. Prices are minor units; the high-value threshold is 500 in the
RMA's currency unless a row says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pytest

from station.common.vocabulary import (
    Category,
    Disposition,
    Flag,
    Grade,
    Reason,
    RefundAction,
    RequestedOutcome,
)
from station.routing.rules import Decision, RoutingCase, decide, shipped_rule_set
from station.settings.config import DEFAULT_DESTINATIONS

C, G, R, F = Category, Grade, Reason, Flag
D, A = Disposition, RefundAction


def unit(category: Category = C.HOME_KITCHEN, grade: Grade = G.A,
         reason: Reason = R.CHANGED_MIND, *, price: int = 10_000, currency: str = "EUR",
         days: int = 10, flags: tuple[Flag, ...] = (),
         requested: RequestedOutcome = RequestedOutcome.REFUND,
         warranty: bool | None = None, threshold: int = 500) -> RoutingCase:
    return RoutingCase(category=category, grade=grade, reason=reason, requested=requested,
                       price_minor=price, currency=currency, days_since_purchase=days,
                       high_value_threshold_major=threshold, flags=frozenset(flags),
                       within_vendor_warranty=warranty)


def route(case: RoutingCase) -> Decision:
    return decide(case, shipped_rule_set(), DEFAULT_DESTINATIONS)


@dataclass(frozen=True)
class Expect:
    disposition: Disposition
    refund: RefundAction
    amount: int
    rule: str
    if_approved: tuple[RefundAction, int] | None = None


CASES: list[Any] = [
    # -- hazardous items are never handled further; the refund follows the reason
    pytest.param(unit(C.TOYS, G.C, flags=(F.HAZARDOUS,)),
                 Expect(D.DESTROY, A.PARTIAL, 8_000, "hazardous"),
                 id="hazardous toy, change of mind: destroyed, partial refund (20 % fee, C)"),
    pytest.param(unit(C.HOME_KITCHEN, G.D, R.DEFECTIVE, flags=(F.HAZARDOUS,)),
                 Expect(D.DESTROY, A.FULL, 10_000, "hazardous"),
                 id="hazardous and defective: destroyed, full refund (our fault)"),
    pytest.param(unit(C.ELECTRONICS, G.D, R.DEFECTIVE, flags=(F.HAZARDOUS,)),
                 Expect(D.RECYCLE, A.FULL, 10_000, "hazardous-e-waste"),
                 id="hazardous electronics (swollen battery): e-waste, recycled"),
    pytest.param(unit(C.ELECTRONICS, G.A, flags=(F.HAZARDOUS,)),
                 Expect(D.RECYCLE, A.FULL, 10_000, "hazardous-e-waste"),
                 id="hazardous electronics even at grade A: recycled, never restocked"),
    pytest.param(unit(C.BEAUTY_PERSONAL_CARE, G.B, flags=(F.HAZARDOUS,)),
                 Expect(D.DESTROY, A.PARTIAL, 9_000, "hazardous"),
                 id="hazardous beauty item: destroyed by the hazardous rule"),
    pytest.param(unit(C.TOYS, G.C, days=200, flags=(F.HAZARDOUS,)),
                 Expect(D.DESTROY, A.DENY, 0, "hazardous"),
                 id="hazardous toy, change of mind after the window: destroyed, denied"),
    pytest.param(unit(C.TOYS, G.X, requested=RequestedOutcome.EXCHANGE),
                 Expect(D.RECYCLE, A.HELD, 10_000, "unsellable-x", (A.EXCHANGE, 0)),
                 id="grade X, change of mind, exchange asked: held; approval exchanges"),
    # -- hygiene
    pytest.param(unit(C.BEAUTY_PERSONAL_CARE, G.C, flags=(F.HYGIENE_SEAL_BROKEN,)),
                 Expect(D.DESTROY, A.PARTIAL, 8_000, "hygiene-seal-broken"),
                 id="beauty item with a broken hygiene seal: destroyed"),
    pytest.param(unit(C.BEAUTY_PERSONAL_CARE, G.B, R.NOT_AS_DESCRIBED,
                      flags=(F.HYGIENE_SEAL_BROKEN,)),
                 Expect(D.DESTROY, A.FULL, 10_000, "hygiene-seal-broken"),
                 id="broken hygiene seal, not as described: destroyed, full refund"),
    pytest.param(unit(C.APPAREL, G.B, R.WRONG_SIZE, flags=(F.HYGIENE_SEAL_BROKEN,)),
                 Expect(D.OPEN_BOX, A.PARTIAL, 9_000, "change-of-mind-b-c"),
                 id="a hygiene seal outside beauty & personal care is an ordinary B"),
    # -- wrong item, empty box, fraud: held, never an automatic refund
    pytest.param(unit(C.ELECTRONICS, G.A, flags=(F.WRONG_ITEM,)),
                 Expect(D.HOLD, A.HELD, 10_000, "wrong-item-or-empty-box",
                        (A.FULL, 10_000)),
                 id="wrong item: HOLD, refund HELD"),
    pytest.param(unit(C.TOYS, G.X, R.DEFECTIVE, flags=(F.EMPTY_BOX,)),
                 Expect(D.HOLD, A.HELD, 10_000, "wrong-item-or-empty-box",
                        (A.FULL, 10_000)),
                 id="empty box: HOLD, refund HELD"),
    pytest.param(unit(C.APPAREL, G.A, R.WRONG_ITEM_SENT, flags=(F.WRONG_ITEM,),
                      requested=RequestedOutcome.STORE_CREDIT),
                 Expect(D.HOLD, A.HELD, 10_000, "wrong-item-or-empty-box",
                        (A.STORE_CREDIT, 10_000)),
                 id="wrong item even when our fault and store credit asked: HELD, approval "
                    "gives the credit asked for"),
    pytest.param(unit(C.JEWELLERY_WATCHES, G.A, flags=(F.COUNTERFEIT_SUSPECTED,)),
                 Expect(D.HOLD, A.HELD, 10_000, "fraud-suspected", (A.FULL, 10_000)),
                 id="suspected counterfeit: HOLD, refund HELD"),
    pytest.param(unit(C.ELECTRONICS, G.D, R.DEFECTIVE, days=40,
                      flags=(F.HAZARDOUS, F.SERIAL_MISMATCH)),
                 Expect(D.RECYCLE, A.HELD, 10_000, "hazardous-e-waste", (A.FULL, 10_000)),
                 id="hazardous with a swapped serial: recycled, but the refund is HELD"),
    # -- grade A inside the window
    pytest.param(unit(C.HOME_KITCHEN, G.A),
                 Expect(D.RESTOCK, A.FULL, 10_000, "grade-a-restock"),
                 id="grade A inside the window: RESTOCK, FULL"),
    pytest.param(unit(C.BOOKS_MEDIA, G.A, days=30),
                 Expect(D.RESTOCK, A.FULL, 10_000, "grade-a-restock"),
                 id="grade A on the last day of the 30-day window: RESTOCK, FULL"),
    pytest.param(unit(C.TOYS, G.A, requested=RequestedOutcome.EXCHANGE),
                 Expect(D.RESTOCK, A.EXCHANGE, 0, "grade-a-restock"),
                 id="grade A, exchange asked: EXCHANGE, no money"),
    pytest.param(unit(C.TOYS, G.A, requested=RequestedOutcome.STORE_CREDIT),
                 Expect(D.RESTOCK, A.STORE_CREDIT, 10_000, "grade-a-restock"),
                 id="grade A, store credit asked: the 10 % bonus is capped at the price"),
    # -- outside the return window
    pytest.param(unit(C.HOME_KITCHEN, G.A, days=31),
                 Expect(D.HOLD, A.DENY, 0, "outside-return-window"),
                 id="change of mind on day 31: DENY"),
    pytest.param(unit(C.APPAREL, G.B, R.WRONG_SIZE, days=400,
                      requested=RequestedOutcome.STORE_CREDIT),
                 Expect(D.HOLD, A.DENY, 0, "outside-return-window"),
                 id="wrong size after the window, store credit asked: still DENY"),
    pytest.param(unit(C.HOME_KITCHEN, G.B, R.DAMAGED_IN_TRANSIT, days=90),
                 Expect(D.OPEN_BOX, A.FULL, 10_000, "merchant-fault-b-c"),
                 id="our fault after the window: not denied"),
    # -- defects and the vendor's warranty
    pytest.param(unit(C.ELECTRONICS, G.D, R.DEFECTIVE, days=200),
                 Expect(D.RTV, A.FULL, 10_000, "defect-in-warranty-rtv"),
                 id="confirmed defect inside the vendor warranty (730 days): RTV, FULL"),
    pytest.param(unit(C.HOME_KITCHEN, G.D, R.DEFECTIVE, days=365),
                 Expect(D.RTV, A.FULL, 10_000, "defect-in-warranty-rtv"),
                 id="confirmed defect on the last day of the default 365-day warranty: RTV"),
    pytest.param(unit(C.HOME_KITCHEN, G.D, R.DEFECTIVE, days=366),
                 Expect(D.REFURBISH, A.FULL, 10_000, "damaged-d"),
                 id="defect a day after the warranty: refurbished, still FULL"),
    pytest.param(unit(C.ELECTRONICS, G.D, R.DEFECTIVE, days=5, warranty=False),
                 Expect(D.REFURBISH, A.FULL, 10_000, "damaged-d"),
                 id="the case says no vendor warranty: refurbished (80-30 % beats 6 %)"),
    pytest.param(unit(C.TOYS, G.D, R.DEFECTIVE, days=9999, warranty=True),
                 Expect(D.RTV, A.FULL, 10_000, "defect-in-warranty-rtv"),
                 id="the case says inside the vendor warranty: RTV whatever the age"),
    pytest.param(unit(C.HOME_KITCHEN, G.D),
                 Expect(D.REFURBISH, A.PARTIAL, 6_000, "damaged-d"),
                 id="grade D, change of mind: refurbished, 40 % fee"),
    # -- grade B/C: open box or liquidation by value, restocking fee by grade and category
    pytest.param(unit(C.HOME_KITCHEN, G.B),
                 Expect(D.OPEN_BOX, A.PARTIAL, 9_000, "change-of-mind-b-c"),
                 id="grade B change of mind: OPEN_BOX, 10 % restocking fee"),
    pytest.param(unit(C.HOME_KITCHEN, G.C, R.WRONG_SIZE),
                 Expect(D.OPEN_BOX, A.PARTIAL, 8_000, "change-of-mind-b-c"),
                 id="grade C wrong size: OPEN_BOX, 20 % restocking fee"),
    pytest.param(unit(C.ELECTRONICS, G.B, price=19_999),
                 Expect(D.OPEN_BOX, A.PARTIAL, 16_999, "change-of-mind-b-c"),
                 id="electronics grade B: 15 % fee (by category), rounded half up"),
    pytest.param(unit(C.ELECTRONICS, G.C),
                 Expect(D.OPEN_BOX, A.PARTIAL, 7_500, "change-of-mind-b-c"),
                 id="electronics grade C: 25 % fee"),
    pytest.param(unit(C.HOME_KITCHEN, G.B, requested=RequestedOutcome.STORE_CREDIT),
                 Expect(D.OPEN_BOX, A.STORE_CREDIT, 9_900, "change-of-mind-b-c"),
                 id="grade B, store credit asked: 90 % plus a 10 % bonus"),
    pytest.param(unit(C.APPAREL, G.C, requested=RequestedOutcome.EXCHANGE),
                 Expect(D.OPEN_BOX, A.EXCHANGE, 0, "change-of-mind-b-c"),
                 id="grade C, exchange asked: EXCHANGE, no money"),
    pytest.param(unit(C.HOME_KITCHEN, G.B, R.NOT_AS_DESCRIBED),
                 Expect(D.OPEN_BOX, A.FULL, 10_000, "merchant-fault-b-c"),
                 id="grade B, our fault: OPEN_BOX (80 % beats refurbished 65 %), FULL"),
    # -- grade X
    pytest.param(unit(C.TOYS, G.X),
                 Expect(D.RECYCLE, A.HELD, 10_000, "unsellable-x", (A.FULL, 10_000)),
                 id="grade X, change of mind: a 100 % fee leaves nothing: HELD"),
    pytest.param(unit(C.TOYS, G.X, R.DAMAGED_IN_TRANSIT),
                 Expect(D.RECYCLE, A.FULL, 10_000, "unsellable-x"),
                 id="grade X damaged in transit: recycled (0 % beats destroy -3 %), FULL"),
    # -- money: zero-decimal currencies, the high-value threshold
    pytest.param(unit(C.HOME_KITCHEN, G.B, price=12_345, currency="JPY", threshold=50_000),
                 Expect(D.OPEN_BOX, A.PARTIAL, 11_110, "change-of-mind-b-c"),
                 id="JPY 12345 grade B: fee 1234.5 rounds to 1235, refund 11110 yen"),
    pytest.param(unit(C.HOME_KITCHEN, G.A, price=501, currency="JPY"),
                 Expect(D.RESTOCK, A.HELD, 501, "grade-a-restock", (A.FULL, 501)),
                 id="JPY 501 is above a threshold of 500 yen: HELD"),
    pytest.param(unit(C.ELECTRONICS, G.A, price=50_001),
                 Expect(D.RESTOCK, A.HELD, 50_001, "grade-a-restock", (A.FULL, 50_001)),
                 id="500.01 EUR above the 500 EUR threshold: HELD, approval gives FULL"),
    pytest.param(unit(C.ELECTRONICS, G.A, price=50_000),
                 Expect(D.RESTOCK, A.FULL, 50_000, "grade-a-restock"),
                 id="exactly 500.00 EUR is not above the threshold: FULL"),
    pytest.param(unit(C.ELECTRONICS, G.B, price=80_000,
                      requested=RequestedOutcome.STORE_CREDIT),
                 Expect(D.OPEN_BOX, A.HELD, 74_800, "change-of-mind-b-c",
                        (A.STORE_CREDIT, 74_800)),
                 id="800 EUR B with store credit: HELD, approval gives 680 + 10 %"),
    pytest.param(unit(C.ELECTRONICS, G.A, price=80_000, threshold=1_000),
                 Expect(D.RESTOCK, A.FULL, 80_000, "grade-a-restock"),
                 id="a higher configured threshold (1000) lets 800 EUR through"),
    pytest.param(unit(C.HOME_KITCHEN, G.A, price=90_000, days=45),
                 Expect(D.HOLD, A.DENY, 0, "outside-return-window"),
                 id="a denied refund is not held, whatever the value"),
    pytest.param(unit(C.OTHER, G.B, price=0),
                 Expect(D.OPEN_BOX, A.PARTIAL, 0, "change-of-mind-b-c"),
                 id="a free item: a partial refund of nothing"),
]


@pytest.mark.parametrize(("case", "expect"), CASES)
def test_the_default_policy(case: RoutingCase, expect: Expect) -> None:
    decision = route(case)
    assert (decision.disposition, decision.refund_action, decision.refund_minor,
            decision.rule_id) == (expect.disposition, expect.refund, expect.amount, expect.rule)
    assert decision.if_approved == expect.if_approved
    assert decision.destination == DEFAULT_DESTINATIONS[decision.disposition]
    assert decision.currency == case.currency
    assert decision.rules_version == "2026.11-1"


def test_the_decision_explains_itself() -> None:
    decision = route(unit(C.ELECTRONICS, G.B, price=19_999))
    why = decision.explanation
    assert why["rule"]["id"] == "change-of-mind-b-c"
    assert why["rules_version"] == "2026.11-1"
    assert [o["disposition"] for o in why["options"]] == ["OPEN_BOX", "LIQUIDATE"]
    assert [o["estimate_minor"] for o in why["options"]] == [15_599, 3_000]  # 78 %, 15 %
    assert why["options"][0]["chosen"] and why["options"][0]["estimate"] == "155.99 EUR"
    assert {n["disposition"] for n in why["not_allowed"]} == {
        "RESTOCK", "REFURBISH", "RTV", "DONATE", "RECYCLE", "DESTROY", "HOLD"}
    assert "15 % restocking fee" in why["refund"]["why"]
    assert why["case"]["merchant_fault"] is False
    assert decision.refund_text == "PARTIAL 169.99 EUR"


def test_a_held_refund_says_why_and_what_approval_gives() -> None:
    decision = route(unit(C.ELECTRONICS, G.A, price=50_001))
    assert "high-value threshold (500 EUR)" in decision.explanation["refund"]["why"]
    assert decision.refund_text == "HELD (500.01 EUR)"
    assert route(unit(flags=(F.EMPTY_BOX,))).explanation["refund"]["why"] == (
        "held for a supervisor by the rule")


def test_rtv_outside_the_warranty_is_explained_as_not_allowed() -> None:
    decision = route(unit(C.HOME_KITCHEN, G.D, R.DEFECTIVE, days=500))
    assert decision.rule_id == "damaged-d"
    assert {"disposition": "RTV", "why": "not allowed by rule 'damaged-d' (grade D (damaged "
            "or defective): refurbished, liquidated, donated or recycled)"} in (
        decision.explanation["not_allowed"])


def test_a_category_without_vendor_warranty_never_goes_back_to_a_vendor_on_its_own() -> None:
    same_day = route(unit(C.APPAREL, G.D, R.DEFECTIVE, days=0))
    assert same_day.explanation["case"]["within_vendor_warranty"] is False
    assert (same_day.rule_id, same_day.disposition) == ("damaged-d", D.REFURBISH)


def test_the_same_case_twice_gives_the_same_decision() -> None:
    case = unit(C.ELECTRONICS, G.C, R.WRONG_SIZE, flags=(F.USED_WORN,))
    assert route(case) == route(replace(case))
