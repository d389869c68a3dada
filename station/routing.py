"""The first routing rule set: grade and reason decide the disposition and the refund.

Deliberately small and built in (rule set `builtin-1`); the data-driven, value-based rule
engine replaces `decide` later and every decision already records the rule and version
that made it, so old decisions stay explainable after the rules change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from station.money import CURRENCY_EXPONENTS, format_minor
from station.vocabulary import Disposition, Flag, Grade, Reason, RefundAction, RequestedOutcome

RULES_VERSION = "builtin-1"

#: Reasons where the return is the merchant's fault, so no fee is kept.
MERCHANT_FAULT = frozenset({
    Reason.DEFECTIVE, Reason.NOT_AS_DESCRIBED, Reason.DAMAGED_IN_TRANSIT,
    Reason.WRONG_ITEM_SENT, Reason.LATE_DELIVERY,
})
FRAUD_FLAGS = frozenset({Flag.WRONG_ITEM, Flag.EMPTY_BOX, Flag.COUNTERFEIT_SUSPECTED})
#: Restocking fee (percent kept) by grade when the customer simply changed their mind.
RESTOCKING_FEE_PCT = {Grade.A: 0, Grade.B: 10, Grade.C: 20, Grade.D: 50, Grade.X: 100}


@dataclass(frozen=True)
class RoutingCase:
    grade: Grade
    reason: Reason
    requested: RequestedOutcome
    price_minor: int
    currency: str
    high_value_threshold_major: int
    flags: frozenset[Flag] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Decision:
    disposition: Disposition
    destination: str
    refund_action: RefundAction
    refund_minor: int
    currency: str
    rule_id: str
    rules_version: str
    explanation: dict[str, Any]

    @property
    def refund_text(self) -> str:
        if self.refund_action in {RefundAction.HELD, RefundAction.DENY}:
            return f"{self.refund_action.value} ({format_minor(self.refund_minor, self.currency)})"
        return f"{self.refund_action.value} {format_minor(self.refund_minor, self.currency)}"


def _disposition(case: RoutingCase) -> tuple[Disposition, str, str]:
    if case.flags & FRAUD_FLAGS:
        return Disposition.HOLD, "fraud-flag-hold", "a fraud flag needs a supervisor's review"
    if Flag.HAZARDOUS in case.flags:
        return Disposition.DESTROY, "hazardous-destroy", "hazardous items are never resold"
    match case.grade:
        case Grade.A:
            return Disposition.RESTOCK, "grade-a-restock", "grade A (new/sealed) goes back to stock"
        case Grade.B:
            return Disposition.OPEN_BOX, "grade-b-open-box", "grade B (like new) sells as open-box"
        case Grade.C:
            return Disposition.LIQUIDATE, "grade-c-liquidate", "grade C (used) goes to liquidation"
        case Grade.D if case.reason == Reason.DEFECTIVE:
            return Disposition.RTV, "grade-d-defect-rtv", "a reported defect is returned to vendor"
        case Grade.D:
            return Disposition.REFURBISH, "grade-d-refurbish", "grade D (damaged) is refurbished"
        case _:
            return Disposition.HOLD, "grade-x-hold", "grade X (unsellable) needs a supervisor"


def decide(case: RoutingCase, destinations: Mapping[str, str]) -> Decision:
    """Exactly one decision per case; the refund never exceeds what was paid for the unit."""
    disposition, rule_id, why = _disposition(case)
    fee_pct = 0 if case.reason in MERCHANT_FAULT else RESTOCKING_FEE_PCT[case.grade]
    amount = case.price_minor - (case.price_minor * fee_pct) // 100
    threshold_minor = case.high_value_threshold_major * 10 ** CURRENCY_EXPONENTS.get(
        case.currency, 2
    )
    refund_why: str
    if disposition == Disposition.HOLD:
        action, refund_why = RefundAction.HELD, "held until a supervisor reviews the unit"
    elif case.price_minor > threshold_minor:
        action = RefundAction.HELD
        refund_why = (f"held: the line is worth more than the high-value threshold "
                      f"({case.high_value_threshold_major} {case.currency})")
    elif case.requested == RequestedOutcome.EXCHANGE:
        action, amount, refund_why = RefundAction.EXCHANGE, case.price_minor, "exchange requested"
    elif case.requested == RequestedOutcome.STORE_CREDIT:
        action, refund_why = RefundAction.STORE_CREDIT, "store credit requested"
    elif fee_pct == 0:
        action, refund_why = RefundAction.FULL, "full refund"
    else:
        action = RefundAction.PARTIAL
        refund_why = (
            f"{fee_pct} % restocking fee for grade {case.grade.value} ({case.reason.label})"
        )
    amount = max(0, min(amount, case.price_minor))
    return Decision(
        disposition=disposition,
        destination=destinations.get(disposition, disposition.value),
        refund_action=action,
        refund_minor=amount,
        currency=case.currency,
        rule_id=rule_id,
        rules_version=RULES_VERSION,
        explanation={
            "disposition": why,
            "refund": refund_why,
            "grade": case.grade.value,
            "reason": case.reason.value,
            "requested": case.requested.value,
            "flags": sorted(f.value for f in case.flags),
            "restocking_fee_pct": fee_pct,
            "price_minor": case.price_minor,
        },
    )
