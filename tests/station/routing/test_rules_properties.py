"""What every routing decision must satisfy, for any case and (further down) any valid rule
set: one decision, always the same, the best allowed disposition, a refund never above the
price, and no automatic refund when something is suspicious."""

from __future__ import annotations

import tomllib
from fractions import Fraction
from math import floor
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from station.common.money import CURRENCY_EXPONENTS
from station.common.vocabulary import (
    Category,
    Disposition,
    Flag,
    Grade,
    Reason,
    RefundAction,
    RequestedOutcome,
)
from station.routing.rules import (
    RULES_DIR,
    Condition,
    Decision,
    RoutingCase,
    Rule,
    RuleRefund,
    RuleSet,
    decide,
    parse_rule_set,
    shipped_rule_set,
)
from station.settings.config import DEFAULT_DESTINATIONS

SHIPPED = shipped_rule_set()
SHIPPED_VERSION = tomllib.loads((RULES_DIR / "default.toml").read_text("utf-8"))["version"]
MONEY_ACTIONS = {RefundAction.FULL, RefundAction.PARTIAL, RefundAction.STORE_CREDIT}

flag_sets = st.frozensets(st.sampled_from(Flag), max_size=4)
prices = st.one_of(st.integers(0, 10**9), st.integers(0, 200_000), st.sampled_from([0, 1, 5]))
thresholds = st.one_of(st.just(500), st.integers(0, 1_000_000))

cases = st.builds(
    RoutingCase,
    category=st.sampled_from(Category), grade=st.sampled_from(Grade),
    reason=st.sampled_from(Reason), requested=st.sampled_from(RequestedOutcome),
    price_minor=prices, currency=st.sampled_from(sorted(CURRENCY_EXPONENTS)),
    days_since_purchase=st.integers(0, 2000), high_value_threshold_major=thresholds,
    flags=flag_sets, within_vendor_warranty=st.one_of(st.none(), st.booleans()),
)


def route(case: RoutingCase, rules: RuleSet = SHIPPED) -> Decision:
    return decide(case, rules, DEFAULT_DESTINATIONS)


# ---------------------------------------------------------------- an independent reading


def half_up(price: int, pct: float) -> int:
    value = Fraction(price) * Fraction(str(pct)) / 100
    magnitude = floor(abs(value) + Fraction(1, 2))
    return magnitude if value >= 0 else -magnitude


def holds(when: Condition, case: RoutingCase, facts: dict[str, Any]) -> bool:
    """A rule's `when`, read from its fields and the facts the decision reports."""
    major = 10 ** CURRENCY_EXPONENTS[case.currency]
    return all((
        when.categories is None or case.category in when.categories,
        when.grades is None or case.grade in when.grades,
        when.reasons is None or case.reason in when.reasons,
        when.requested is None or case.requested in when.requested,
        when.flags_any is None or bool(case.flags & when.flags_any),
        when.flags_none is None or not case.flags & when.flags_none,
        when.merchant_fault is None or facts["merchant_fault"] is when.merchant_fault,
        when.outside_return_window is None
        or facts["outside_return_window"] is when.outside_return_window,
        when.within_vendor_warranty is None
        or facts["within_vendor_warranty"] is when.within_vendor_warranty,
        when.price_above_major is None or case.price_minor > when.price_above_major * major,
    ))


def fired_rule(case: RoutingCase, rules: RuleSet, decision: Decision) -> Rule:
    facts = decision.explanation["case"]
    matching = [rule for rule in rules.rules if holds(rule.when, case, facts)]
    assert matching, "the last rule always holds"
    return matching[0]


def expected_options(rule: Rule, case: RoutingCase, rules: RuleSet,
                     in_warranty: bool) -> list[tuple[str, int]]:
    """(disposition, estimate) for every allowed disposition possible for this unit."""
    out = []
    for disposition in rule.allow:
        estimate = rules.estimate(case.category, disposition)
        pct = estimate.pct(case.grade) if estimate else None
        if pct is None or (disposition is Disposition.RTV and not in_warranty):
            continue
        out.append((disposition.value, half_up(case.price_minor, pct)))
    return out


def check_invariants(case: RoutingCase, rules: RuleSet, decision: Decision) -> None:
    """Everything that holds for any rule set."""
    why = decision.explanation
    policy = rules.policy
    price = case.price_minor
    facts = why["case"]
    # the facts the rules tested
    assert facts["merchant_fault"] is (case.reason in policy.merchant_fault_reasons)
    assert facts["outside_return_window"] is (case.days_since_purchase
                                              > policy.return_window_days)
    if case.within_vendor_warranty is not None:
        assert facts["within_vendor_warranty"] is case.within_vendor_warranty
    # exactly one rule fired: the first whose condition holds
    rule = fired_rule(case, rules, decision)
    assert decision.rule_id == rule.id == why["rule"]["id"]
    assert decision.rules_version == rules.version == why["rules_version"]
    # the chosen disposition has the highest estimate of the allowed ones (ties: listed first)
    options = expected_options(rule, case, rules, facts["within_vendor_warranty"])
    shown = [(o["disposition"], o["estimate_minor"]) for o in why["options"]]
    assert sorted(shown) == sorted(options)
    assert [v for _, v in shown] == sorted((v for _, v in shown), reverse=True)
    if options:
        best = max(v for _, v in options)
        first_best = next(d for d, v in options if v == best)
        assert decision.disposition.value == first_best == shown[0][0]
        assert why["expected_recovery_minor"] == best
        assert [o["chosen"] for o in why["options"]] == [True] + [False] * (len(shown) - 1)
    else:
        assert decision.disposition is Disposition.HOLD
    assert sorted([d for d, _ in shown] + [n["disposition"] for n in why["not_allowed"]]) == (
        sorted(d.value for d in Disposition))
    assert decision.destination == DEFAULT_DESTINATIONS[decision.disposition]
    # the refund: in the case's currency, never negative, never above the price
    assert decision.currency == case.currency
    assert 0 <= decision.refund_minor <= price
    assert why["refund"]["action"] == decision.refund_action.value
    assert why["refund"]["amount_minor"] == decision.refund_minor
    action = decision.refund_action
    if action is RefundAction.DENY or action is RefundAction.EXCHANGE:
        assert decision.refund_minor == 0
    if action is RefundAction.FULL:
        assert decision.refund_minor == price
    if action is RefundAction.EXCHANGE:
        assert case.requested is RequestedOutcome.EXCHANGE
    if action is RefundAction.STORE_CREDIT:
        assert case.requested is RequestedOutcome.STORE_CREDIT
    if action in MONEY_ACTIONS or action is RefundAction.EXCHANGE:
        # an automatic refund: nothing suspicious, not above the high-value threshold
        assert not case.flags & policy.fraud_flags
        major = 10 ** CURRENCY_EXPONENTS[case.currency]
        assert price <= case.high_value_threshold_major * major
        assert decision.if_approved is None
    if action is RefundAction.HELD:
        approved = decision.if_approved
        assert approved is not None, "a held refund says what approval would give"
        assert approved[0] in MONEY_ACTIONS | {RefundAction.EXCHANGE, RefundAction.DENY}
        if approved[0] is RefundAction.DENY:  # a denial held because of a fraud flag
            assert case.flags & policy.fraud_flags and approved[1] == 0
        assert 0 <= approved[1] <= price
    if action is RefundAction.DENY:
        assert decision.if_approved is None
        assert not case.flags & policy.fraud_flags
        assert rule.refund == RuleRefund.DENY or (
            rule.refund == RuleRefund.BY_REASON and why["case"]["outside_return_window"]
            and not why["case"]["merchant_fault"])


# ---------------------------------------------------------------- the shipped rule set

@settings(max_examples=400, deadline=None)
@given(cases)
def test_every_case_gets_exactly_one_consistent_decision(case: RoutingCase) -> None:
    decision = route(case)
    check_invariants(case, SHIPPED, decision)
    assert decision.rules_version == SHIPPED_VERSION


@settings(max_examples=300, deadline=None)
@given(cases)
def test_deciding_twice_gives_the_same_decision(case: RoutingCase) -> None:
    assert route(case) == route(case)


@settings(max_examples=300, deadline=None)
@given(cases)
def test_no_automatic_refund_with_a_fraud_flag_or_a_wrong_item(case: RoutingCase) -> None:
    decision = route(case)
    if case.flags & {Flag.WRONG_ITEM, Flag.EMPTY_BOX}:
        assert decision.refund_action is RefundAction.HELD
    if case.flags & SHIPPED.policy.fraud_flags:
        assert decision.refund_action in {RefundAction.HELD, RefundAction.DENY}


@settings(max_examples=300, deadline=None)
@given(cases)
def test_a_hazardous_item_is_never_resold(case: RoutingCase) -> None:
    decision = route(case)
    if Flag.HAZARDOUS in case.flags:
        expected = (Disposition.RECYCLE if case.category is Category.ELECTRONICS
                    else Disposition.DESTROY)
        assert decision.disposition is expected


@settings(max_examples=300, deadline=None)
@given(cases)
def test_restock_only_for_grade_a_inside_the_window_and_full_only_when_deserved(
        case: RoutingCase) -> None:
    decision = route(case)
    if decision.disposition is Disposition.RESTOCK:
        assert case.grade is Grade.A and not case.flags & {Flag.HAZARDOUS, Flag.WRONG_ITEM}
    if decision.refund_action is RefundAction.DENY:
        assert case.days_since_purchase > SHIPPED.policy.return_window_days
        assert case.reason not in SHIPPED.policy.merchant_fault_reasons


# ---------------------------------------------------------------- any valid rule set

def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    assert isinstance(value, dict)
    return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"


def _values(enum: Any) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from([m.value for m in enum]), min_size=1, max_size=3,
                    unique=True)


WHEN_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "category": _values(Category), "grade": _values(Grade), "reason": _values(Reason),
    "requested": _values(RequestedOutcome), "flags_any": _values(Flag),
    "flags_none": _values(Flag), "merchant_fault": st.booleans(),
    "outside_return_window": st.booleans(), "within_vendor_warranty": st.booleans(),
    "price_above": st.integers(0, 5_000),
}


@st.composite
def conditions(draw: st.DrawFn) -> dict[str, Any]:
    """One to three keys, so that rules before the last one fire often."""
    keys = draw(st.lists(st.sampled_from(sorted(WHEN_VALUES)), min_size=1, max_size=3,
                         unique=True))
    return {key: draw(WHEN_VALUES[key]) for key in keys}


allows = st.lists(st.sampled_from([d.value for d in Disposition]), min_size=1, max_size=5,
                  unique=True)
refunds = st.sampled_from(RuleRefund.ALL)
by_grade = st.dictionaries(st.sampled_from([g.value for g in Grade]),
                           st.integers(-100, 100), max_size=5)
estimates = st.one_of(st.integers(-100, 100), by_grade)


@st.composite
def rule_set_texts(draw: st.DrawFn) -> str:
    lines = [f'version = "{draw(st.from_regex(r"[a-z0-9][a-z0-9._-]{0,10}", fullmatch=True))}"',
             "[policy]",
             f"return_window_days = {draw(st.integers(0, 400))}",
             f"store_credit_bonus_pct = {draw(st.integers(0, 100))}",
             f"merchant_fault_reasons = {_toml(draw(_values(Reason)))}",
             f"fraud_flags = {_toml(draw(_values(Flag)))}",
             "[policy.restocking_fee_pct]"]
    lines += [f"{g.value} = {draw(st.integers(0, 100))}" for g in Grade]
    lines += ["[policy.vendor_warranty_days]", f"default = {draw(st.integers(0, 1000))}",
              f"electronics = {draw(st.integers(0, 1000))}", "[recovery.default]"]
    lines += [f"{d.value} = {_toml(draw(estimates))}" for d in Disposition]
    for category in draw(st.lists(st.sampled_from(Category), max_size=2, unique=True)):
        lines.append(f"[recovery.{category.value}]")
        for disposition in draw(st.lists(st.sampled_from(Disposition), max_size=3,
                                         unique=True)):
            lines.append(f"{disposition.value} = {_toml(draw(estimates))}")
    rules = [{"when": when} for when in draw(st.lists(conditions(), max_size=6))] + [{}]
    for index, rule in enumerate(rules):
        lines += ["[[rules]]", f'id = "r{index}"']
        if "when" in rule:
            lines.append(f"when = {_toml(rule['when'])}")
        lines += [f"allow = {_toml(draw(allows))}", f'refund = "{draw(refunds)}"']
    return "\n".join(lines) + "\n"


@settings(max_examples=250, deadline=None)
@given(rule_set_texts(), cases)
def test_any_valid_rule_set_decides_every_case_by_its_own_rules(
        text: str, case: RoutingCase) -> None:
    rules = parse_rule_set(text)
    assert rules.version == tomllib.loads(text)["version"]
    decision = route(case, rules)
    check_invariants(case, rules, decision)
    assert decision == route(case, rules)
