"""How a decision says why, in words a grader reads on the decision screen: dispositions by
their labels, and a single allowed disposition not called the best "of the 1 allowed"."""

from __future__ import annotations

from station.common.vocabulary import (
    Category,
    Disposition,
    Flag,
    Grade,
    Reason,
    RequestedOutcome,
)
from station.routing.rules import Decision, RoutingCase, decide, shipped_rule_set
from station.settings.config import DEFAULT_DESTINATIONS


def route(category: Category = Category.HOME_KITCHEN, grade: Grade = Grade.A, *,
          flags: frozenset[Flag] = frozenset(), price: int = 10_000) -> Decision:
    case = RoutingCase(category=category, grade=grade, reason=Reason.CHANGED_MIND,
                       requested=RequestedOutcome.REFUND, price_minor=price, currency="EUR",
                       days_since_purchase=10, high_value_threshold_major=500, flags=flags,
                       within_vendor_warranty=None)
    return decide(case, shipped_rule_set(), DEFAULT_DESTINATIONS)


def test_the_only_disposition_a_rule_allows_is_not_called_the_best_of_one() -> None:
    decision = route(flags=frozenset({Flag.EMPTY_BOX}))  # the rule allows HOLD alone
    why = decision.explanation["disposition"]
    assert decision.disposition is Disposition.HOLD
    assert why.startswith("rule 'wrong-item-or-empty-box': ")
    assert why.endswith("; hold is the only disposition the rules allow for this case")
    assert "highest expected recovery" not in why


def test_the_best_of_several_is_named_in_words_with_how_many_were_compared() -> None:
    decision = route(Category.ELECTRONICS, Grade.B, price=19_999)
    assert decision.disposition is Disposition.OPEN_BOX
    assert decision.explanation["disposition"].endswith(
        "; open box has the highest expected recovery of the 2 dispositions allowed")


def test_every_disposition_has_a_label_in_words() -> None:
    labels = {disposition: disposition.label for disposition in Disposition}
    assert labels[Disposition.OPEN_BOX] == "open box"
    assert labels[Disposition.RTV] == "return to vendor"
    assert labels[Disposition.HOLD] == "hold"
    assert all(label == label.lower() and "_" not in label for label in labels.values())
