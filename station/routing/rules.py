"""Routing rules as data: which dispositions a unit may get, which one recovers the most,
and what the customer is refunded — explained, versioned, reproducible.

A rule set is one TOML file (`resources/rules/default.toml` is shipped; `[rules] file` in
the station's configuration names another). `load_rule_set` validates it, naming file,
line and key in any error. `decide(case, rules, destinations)` is pure and total: the rules
are tried in order and the first whose `when` holds fires (the last rule must have no
`when`, so there is always one); among the dispositions it allows, the one with the highest
expected recovery is chosen (a tie goes to the one listed first); the refund follows from
the rule, the customer's request and the policy. The decision carries the rule id, the
rule-set version and an explanation: every allowed option with its estimate, and why each
other disposition was not allowed.

Refund semantics (in this order):

1. The rule's refund: FULL, PARTIAL (price minus the restocking fee for the grade, by
   category where the file says so), BY_REASON (FULL when the reason is the merchant's
   fault, else PARTIAL; a fee of 100 % makes it HELD), HELD or DENY.
2. FULL or PARTIAL becomes EXCHANGE (no money; the replacement is triggered) when the RMA
   asked for an exchange, or STORE_CREDIT (plus the bonus, never above the price) when it
   asked for store credit.
3. Any refund becomes HELD when a fraud flag is raised (even a denial: a supervisor looks
   at every suspected fraud), and any but a denial when the unit's price is above the
   high-value threshold; a HELD decision keeps what approval would give.

Amounts are integer minor units in the RMA's currency and never exceed the unit's price.

Kept whole: the parsed `RuleSet` (its conditions, policy and estimates) is the engine's
only input, so the file format and `decide` change together, and the station and the
supervisor's `route` command both need exactly this pair.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Final

from station.common.bounded_files import MAX_TEXT_FILE_BYTES, FileReadError, read_bounded
from station.common.money import CURRENCY_EXPONENTS, format_minor
from station.common.vocabulary import (
    Category,
    Disposition,
    Flag,
    Grade,
    Reason,
    RefundAction,
    RequestedOutcome,
)
from station.settings.config import StationConfig
from station.settings.resource_dirs import RESOURCES_DIR
from station.settings.toml_data import TOML_POSITION, DataFileError, Source, Table, one_of
from station.settings.toml_text import parse_toml

RULES_DIR: Final = RESOURCES_DIR / "rules"
MAX_RULES: Final = 100
_RULE_ID = re.compile(r"[a-z][a-z0-9_-]{0,39}")
_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")


class RulesError(DataFileError):
    """A problem in a rule-set file: `file:line: key: problem`."""

    what = "rule set"


class _RulesSource(Source):
    error_type = RulesError


class RuleRefund:
    """The refund a rule names (before request and policy adjust it)."""

    FULL = "FULL"
    PARTIAL = "PARTIAL"
    BY_REASON = "BY_REASON"
    HELD = "HELD"
    DENY = "DENY"
    ALL: Final = (FULL, PARTIAL, BY_REASON, HELD, DENY)


# ---------------------------------------------------------------------------- the case


@dataclass(frozen=True)
class RoutingCase:
    """Everything a decision depends on, and nothing else (so it can be replayed)."""

    category: Category
    grade: Grade
    reason: Reason
    requested: RequestedOutcome
    price_minor: int
    currency: str
    days_since_purchase: int
    high_value_threshold_major: int
    flags: frozenset[Flag] = field(default_factory=frozenset)
    within_vendor_warranty: bool | None = None  # None: from the rule set's warranty days


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
    def refund_summary(self) -> str:
        """For the screen, in words: a held refund also says what approval would give."""
        if self.refund_action is RefundAction.HELD and self.if_approved is not None:
            action, amount = self.if_approved
            return (f"held (if approved: {action.label} "
                    f"{format_minor(amount, self.currency)})")
        if self.refund_action is RefundAction.EXCHANGE:
            return "exchange (replacement sent, no money)"
        return f"{self.refund_action.label} {format_minor(self.refund_minor, self.currency)}"

    @property
    def refund_text(self) -> str:
        """As labels print it (`print_queue` words a reprint the same way)."""
        if self.refund_action in {RefundAction.HELD, RefundAction.DENY}:
            return f"{self.refund_action.value} ({format_minor(self.refund_minor, self.currency)})"
        if self.refund_action is RefundAction.EXCHANGE:
            return "EXCHANGE (replacement sent, no money)"
        action = self.refund_action.value.replace("_", " ")
        return f"{action} {format_minor(self.refund_minor, self.currency)}"

    @property
    def options(self) -> list[dict[str, Any]]:
        """The allowed dispositions with their estimates, best first."""
        return list(self.explanation.get("options", []))

    @property
    def if_approved(self) -> tuple[RefundAction, int] | None:
        """What a HELD refund becomes when a supervisor approves it."""
        held = self.explanation.get("refund", {}).get("if_approved")
        if not held:
            return None
        return RefundAction(str(held["action"])), int(held["amount_minor"])


# ---------------------------------------------------------------------------- the file


@dataclass(frozen=True)
class Condition:
    """Every key given must hold; an empty condition always holds."""

    categories: frozenset[Category] | None = None
    grades: frozenset[Grade] | None = None
    reasons: frozenset[Reason] | None = None
    requested: frozenset[RequestedOutcome] | None = None
    flags_any: frozenset[Flag] | None = None
    flags_none: frozenset[Flag] | None = None
    merchant_fault: bool | None = None
    outside_return_window: bool | None = None
    within_vendor_warranty: bool | None = None
    price_above_major: int | None = None

    def holds(self, facts: _Facts) -> bool:
        case = facts.case
        checks = (
            self.categories is None or case.category in self.categories,
            self.grades is None or case.grade in self.grades,
            self.reasons is None or case.reason in self.reasons,
            self.requested is None or case.requested in self.requested,
            self.flags_any is None or bool(case.flags & self.flags_any),
            self.flags_none is None or not case.flags & self.flags_none,
            self.merchant_fault is None or facts.merchant_fault == self.merchant_fault,
            self.outside_return_window is None
            or facts.outside_window == self.outside_return_window,
            self.within_vendor_warranty is None
            or facts.in_warranty == self.within_vendor_warranty,
            self.price_above_major is None
            or case.price_minor > facts.major_to_minor(self.price_above_major),
        )
        return all(checks)

    def describe(self) -> str:
        parts = []
        for name, value in vars(self).items():
            if value is None:
                continue
            shown = (", ".join(sorted(str(v) for v in value))
                     if isinstance(value, frozenset) else str(value).lower())
            parts.append(f"{name} {shown}")
        return "; ".join(parts) or "always"


@dataclass(frozen=True)
class Rule:
    id: str
    description: str
    when: Condition
    allow: tuple[Disposition, ...]
    refund: str


@dataclass(frozen=True)
class Estimate:
    """Recovery in % of the price: a flat value or one per grade; REFURBISH is resale minus
    repair; None for a grade means "not possible at that grade"."""

    by_grade: Mapping[Grade, float]

    def pct(self, grade: Grade) -> float | None:
        return self.by_grade.get(grade)


@dataclass(frozen=True)
class Policy:
    return_window_days: int
    store_credit_bonus_pct: int
    merchant_fault_reasons: frozenset[Reason]
    fraud_flags: frozenset[Flag]
    restocking_fee_pct: Mapping[Grade, int]
    restocking_fee_pct_by_category: Mapping[Category, Mapping[Grade, int]]
    vendor_warranty_days: Mapping[str, int]

    def fee_pct(self, category: Category, grade: Grade) -> int:
        special = self.restocking_fee_pct_by_category.get(category, {})
        return special.get(grade, self.restocking_fee_pct.get(grade, 0))

    def warranty_days(self, category: Category) -> int:
        return self.vendor_warranty_days.get(category.value,
                                             self.vendor_warranty_days.get("default", 0))


@dataclass(frozen=True)
class RuleSet:
    version: str
    description: str
    policy: Policy
    recovery: Mapping[str, Mapping[Disposition, Estimate]]  # "default" and categories
    rules: tuple[Rule, ...]
    source: Path | None = None

    def estimate(self, category: Category, disposition: Disposition) -> Estimate | None:
        own = self.recovery.get(category.value, {})
        return own.get(disposition) or self.recovery.get("default", {}).get(disposition)


_TOP_KEYS = ("version", "description", "policy", "recovery", "rules")
_POLICY_KEYS = ("return_window_days", "store_credit_bonus_pct",
                "merchant_fault_reasons", "fraud_flags", "restocking_fee_pct",
                "restocking_fee_pct_by_category", "vendor_warranty_days")
_RULE_KEYS = ("id", "description", "when", "allow", "refund")
_WHEN_KEYS = ("category", "grade", "reason", "requested", "flags_any", "flags_none",
              "merchant_fault", "outside_return_window", "within_vendor_warranty",
              "price_above")
_GRADES = tuple(grade.value for grade in Grade)
_DISPOSITIONS = tuple(d.value for d in Disposition)


def _members(table: Table, name: str, enum: Any) -> frozenset[Any] | None:
    if not table.has(name):
        return None
    values = table.strings(name)
    allowed = [member.value for member in enum]
    for value in values:
        if value not in allowed:
            raise table.error(name, f"unknown value '{value}'; use one of {one_of(allowed)}")
    if not values:
        raise table.error(name, "must list at least one value")
    return frozenset(enum(value) for value in values)


def _optional_bool(table: Table, name: str) -> bool | None:
    return table.boolean(name, False) if table.has(name) else None


def _percent(table: Table, name: str, value: Any, low: float = -100, high: float = 100) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise table.error(name, f"must be a percentage from {low:g} to {high:g} (got {value!r})")
    return float(value)


def _by_grade(table: Table, name: str, raw: Any, low: float = -100) -> dict[Grade, float]:
    if isinstance(raw, dict):
        inner = Table(raw, table.path(name), table.source, _GRADES)
        return {Grade(g): _percent(inner, g, v, low) for g, v in raw.items()}
    value = _percent(table, name, raw, low)
    return {grade: value for grade in Grade}


def _estimates(table: Table) -> dict[Disposition, Estimate]:
    out: dict[Disposition, Estimate] = {}
    for name, raw in table.raw.items():
        if name == Disposition.REFURBISH.value and isinstance(raw, dict) and (
                "resale" in raw or "repair_cost" in raw):
            inner = Table(raw, table.path(name), table.source, ("resale", "repair_cost"))
            if not (inner.has("resale") and inner.has("repair_cost")):
                raise inner.error("resale", "REFURBISH needs both resale and repair_cost")
            resale = _by_grade(inner, "resale", raw["resale"], 0)
            repair = _by_grade(inner, "repair_cost", raw["repair_cost"], 0)
            out[Disposition.REFURBISH] = Estimate(
                {g: resale[g] - repair[g] for g in resale if g in repair})
        else:
            out[Disposition(name)] = Estimate(_by_grade(table, name, raw))
    return out


def _condition(table: Table | None) -> Condition:
    if table is None:
        return Condition()
    price_above = table.integer("price_above", 0, 0, 10**9) if table.has("price_above") \
        else None
    return Condition(
        categories=_members(table, "category", Category),
        grades=_members(table, "grade", Grade),
        reasons=_members(table, "reason", Reason),
        requested=_members(table, "requested", RequestedOutcome),
        flags_any=_members(table, "flags_any", Flag),
        flags_none=_members(table, "flags_none", Flag),
        merchant_fault=_optional_bool(table, "merchant_fault"),
        outside_return_window=_optional_bool(table, "outside_return_window"),
        within_vendor_warranty=_optional_bool(table, "within_vendor_warranty"),
        price_above_major=price_above,
    )


def _policy(top: Table) -> Policy:
    table = top.table("policy", _POLICY_KEYS)
    if table is None:
        raise top.error("policy", "is required: [policy] with at least return_window_days")
    fees_table = table.table("restocking_fee_pct", _GRADES)
    fees = {Grade(g): _fee(fees_table, g) for g in (fees_table.raw if fees_table else {})}
    by_category: dict[Category, dict[Grade, int]] = {}
    special = table.table("restocking_fee_pct_by_category", tuple(c.value for c in Category))
    if special is not None:
        for category in special.raw:
            inner = special.table(category, _GRADES)
            assert inner is not None
            by_category[Category(category)] = {Grade(g): _fee(inner, g) for g in inner.raw}
    warranty_table = table.table("vendor_warranty_days",
                                 ("default", *(c.value for c in Category)))
    warranty: dict[str, int] = {}
    if warranty_table is not None:
        warranty = {name: warranty_table.integer(name, 0, 0, 3650) for name in warranty_table.raw}
    return Policy(
        return_window_days=table.integer("return_window_days", 30, 0, 3650),
        store_credit_bonus_pct=table.integer("store_credit_bonus_pct", 0, 0, 100),
        merchant_fault_reasons=_members(table, "merchant_fault_reasons", Reason) or frozenset(),
        fraud_flags=_members(table, "fraud_flags", Flag) or frozenset(),
        restocking_fee_pct=fees, restocking_fee_pct_by_category=by_category,
        vendor_warranty_days=warranty,
    )


def _fee(table: Table | None, grade: str) -> int:
    assert table is not None
    return table.integer(grade, 0, 0, 100)


def _rule(table: Table, seen: dict[str, int], index: int) -> Rule:
    rule_id = table.identifier("id", _RULE_ID, "grade-a-restock")
    if rule_id in seen:
        raise table.error("id", f"'{rule_id}' is already the id of rules[{seen[rule_id]}]")
    seen[rule_id] = index
    allow = table.strings("allow")
    if not allow:
        raise table.error("allow", "must list at least one disposition")
    for value in allow:
        if value not in _DISPOSITIONS:
            raise table.error("allow", f"unknown disposition '{value}'; use one of "
                                       f"{one_of(_DISPOSITIONS)}")
    if len(set(allow)) != len(allow):
        raise table.error("allow", "lists a disposition twice")
    refund = table.text("refund", required=True, max_len=20)
    if refund not in RuleRefund.ALL:
        raise table.error("refund", f"must be one of {one_of(RuleRefund.ALL)} (got "
                                    f"{refund!r})")
    return Rule(rule_id, table.text("description", max_len=200) or rule_id,
                _condition(table.table("when", _WHEN_KEYS)),
                tuple(Disposition(value) for value in allow), refund)


def parse_rule_set(text: str, path: Path | None = None) -> RuleSet:
    """Validate the text of a rule-set file (raises RulesError naming file, line, key)."""
    source = _RulesSource(path, text)
    try:
        raw = parse_toml(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        found = TOML_POSITION.search(message)
        raise RulesError(path, int(found.group(1)) if found else None, "(syntax)",
                         f"not valid TOML: {message}") from None
    top = Table(raw, "", source, _TOP_KEYS)
    version = top.text("version", required=True, max_len=32)
    if not _VERSION.fullmatch(version):
        raise top.error("version", "must be letters, digits, '.', '-' or '_', e.g. 2026.11-1")
    policy = _policy(top)
    recovery_table = top.table("recovery", ("default", *(c.value for c in Category)))
    if recovery_table is None or not recovery_table.has("default"):
        raise top.error("recovery", "is required, with [recovery.default] giving an estimate "
                                    "for every disposition")
    recovery: dict[str, dict[Disposition, Estimate]] = {}
    for name in recovery_table.raw:
        inner = recovery_table.table(name, _DISPOSITIONS)
        assert inner is not None
        recovery[name] = _estimates(inner)
    missing = [d.value for d in Disposition if d not in recovery["default"]]
    if missing:
        raise recovery_table.error("default", f"needs an estimate for {one_of(missing)}")
    rule_tables = top.tables("rules", _RULE_KEYS)
    if not 1 <= len(rule_tables) <= MAX_RULES:
        raise top.error("rules", f"a rule set needs 1 to {MAX_RULES} [[rules]]")
    seen: dict[str, int] = {}
    rules = tuple(_rule(table, seen, index) for index, table in enumerate(rule_tables))
    if rules[-1].when != Condition():
        raise rule_tables[-1].error("when", "the last rule must have no `when`, so that every "
                                            "unit gets a decision")
    for index, rule in enumerate(rules[:-1]):
        if rule.when == Condition():
            raise rule_tables[index].error("when", f"rule '{rule.id}' always holds, so the "
                                                   "rules after it could never fire; only the "
                                                   "last rule may have no `when`")
    return RuleSet(version, top.text("description", max_len=200), policy, recovery, rules,
                   path)


def read_rule_set_text(path: Path) -> str:
    """The text of a rule-set file, read once and bounded (raises RulesError)."""
    try:
        return read_bounded(path, MAX_TEXT_FILE_BYTES).decode("utf-8")
    except UnicodeDecodeError:
        raise RulesError(path, None, "(file)", "is not UTF-8 text; save it as UTF-8") from None
    except FileReadError as error:
        raise RulesError(path, None, "(file)", error.problem) from None


def load_rule_set(path: Path) -> RuleSet:
    """Read and validate a rule-set file (raises RulesError)."""
    return parse_rule_set(read_rule_set_text(path), path)


@functools.cache
def shipped_rule_set() -> RuleSet:
    """`resources/rules/default.toml`, validated once per process."""
    return load_rule_set(RULES_DIR / "default.toml")


def configured_rule_set(config: StationConfig) -> RuleSet:
    """The rule set a station decides with: `[rules] file` (relative to the configuration
    file's folder) or the shipped default. Raises RulesError, a configuration problem."""
    if not config.rules_file:
        return shipped_rule_set()
    path = Path(config.rules_file).expanduser()
    if not path.is_absolute() and config.source is not None:
        path = config.source.parent / path
    return load_rule_set(path)


# ---------------------------------------------------------------------------- deciding


@dataclass(frozen=True)
class _Facts:
    """What the rules test, derived once from the case and the policy."""

    case: RoutingCase
    merchant_fault: bool
    outside_window: bool
    in_warranty: bool

    def major_to_minor(self, major: int) -> int:
        exponent: int = CURRENCY_EXPONENTS.get(self.case.currency, 2)
        return major * int(10**exponent)


def _facts(case: RoutingCase, rules: RuleSet) -> _Facts:
    policy = rules.policy
    warranty = case.within_vendor_warranty
    if warranty is None:
        days = policy.warranty_days(case.category)
        warranty = days > 0 and case.days_since_purchase <= days
    return _Facts(case, case.reason in policy.merchant_fault_reasons,
                  case.days_since_purchase > policy.return_window_days, warranty)


def _percent_of(price_minor: int, pct: float) -> int:
    value = Decimal(price_minor) * Decimal(str(pct)) / Decimal(100)
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _options(rule: Rule, facts: _Facts, rules: RuleSet
             ) -> tuple[list[tuple[Disposition, int]], list[dict[str, str]]]:
    case = facts.case
    options: list[tuple[Disposition, int]] = []
    not_allowed: list[dict[str, str]] = []
    for disposition in rule.allow:
        estimate = rules.estimate(case.category, disposition)
        pct = estimate.pct(case.grade) if estimate else None
        if disposition is Disposition.RTV and not facts.in_warranty:
            not_allowed.append({"disposition": disposition.value,
                                "why": "outside the vendor's warranty"})
        elif pct is None:
            not_allowed.append({"disposition": disposition.value,
                                "why": f"no recovery estimate for grade {case.grade.value} "
                                       f"({case.category.label})"})
        else:
            options.append((disposition, _percent_of(case.price_minor, pct)))
    for disposition in Disposition:
        if disposition not in rule.allow:
            not_allowed.append({"disposition": disposition.value,
                                "why": f"not allowed by rule '{rule.id}' ({rule.description})"})
    return options, not_allowed


def _refund(rule: Rule, facts: _Facts, rules: RuleSet) -> tuple[RefundAction, int, str]:
    """Step 1 of the refund: what the rule names, in money."""
    case, policy = facts.case, rules.policy
    price = case.price_minor
    fee = policy.fee_pct(case.category, case.grade)
    kind = rule.refund
    if kind == RuleRefund.BY_REASON:
        if facts.merchant_fault:
            return RefundAction.FULL, price, f"full refund: {case.reason.label} is our fault"
        if facts.outside_window:
            kind = RuleRefund.DENY
        elif fee >= 100:
            return (RefundAction.HELD, price, f"held: {case.reason.label} with grade "
                    f"{case.grade.value} leaves nothing to refund automatically")
        else:
            kind = RuleRefund.PARTIAL
    if kind == RuleRefund.DENY:
        why = (f"denied: {case.days_since_purchase} days since purchase, the return window "
               f"is {policy.return_window_days} days" if facts.outside_window
               else "denied by the rule")
        return RefundAction.DENY, 0, why
    if kind == RuleRefund.HELD:
        return RefundAction.HELD, price, "held for a supervisor by the rule"
    if kind == RuleRefund.FULL or fee == 0:
        return RefundAction.FULL, price, "full refund"
    return (RefundAction.PARTIAL, price - _percent_of(price, fee),
            f"{fee} % restocking fee for grade {case.grade.value} ({case.reason.label})")


def _as_requested(action: RefundAction, amount: int, why: str, case: RoutingCase,
                  rules: RuleSet) -> tuple[RefundAction, int, str]:
    """Step 2 of the refund: money becomes an exchange or store credit when asked for."""
    if action not in (RefundAction.FULL, RefundAction.PARTIAL):
        return action, amount, why
    if case.requested is RequestedOutcome.EXCHANGE:
        return (RefundAction.EXCHANGE, 0, f"exchange requested ({why}); the replacement is "
                "triggered instead of money")
    if case.requested is RequestedOutcome.STORE_CREDIT:
        bonus = rules.policy.store_credit_bonus_pct
        credit = min(case.price_minor, amount + _percent_of(amount, bonus))
        return (RefundAction.STORE_CREDIT, credit, f"store credit requested ({why}; {bonus} % "
                "bonus, never above the price)")
    return action, amount, why


def decide(case: RoutingCase, rules: RuleSet, destinations: Mapping[str, str]) -> Decision:
    """Exactly one decision per case; see the module documentation for the semantics."""
    if case.price_minor < 0:
        raise ValueError("a price cannot be negative")
    facts = _facts(case, rules)
    rule = next(r for r in rules.rules if r.when.holds(facts))
    options, not_allowed = _options(rule, facts, rules)
    if options:
        order = {d: i for i, d in enumerate(rule.allow)}
        disposition, value = max(options, key=lambda o: (o[1], -order[o[0]]))
        disposition_why = (f"rule '{rule.id}': {rule.description}; " + (
            f"{disposition.label} is the only disposition the rules allow for this case"
            if len(options) == 1 else
            f"{disposition.label} has the highest expected recovery of the {len(options)} "
            "dispositions allowed"))
    else:
        disposition, value = Disposition.HOLD, 0
        disposition_why = (f"rule '{rule.id}' allows none of its dispositions for this unit; "
                           "a supervisor decides")
    action, amount, refund_why = _as_requested(*_refund(rule, facts, rules), case, rules)
    if_approved: dict[str, Any] | None = None
    if action is not RefundAction.HELD:
        fraud = sorted(f.value for f in case.flags & rules.policy.fraud_flags)
        threshold = facts.major_to_minor(case.high_value_threshold_major)
        held_why = (f"fraud flag(s) {', '.join(fraud)}" if fraud else
                    f"the unit is worth more than the high-value threshold "
                    f"({case.high_value_threshold_major} {case.currency})"
                    if case.price_minor > threshold and action is not RefundAction.DENY
                    else None)
        if held_why is not None:
            if_approved = {"action": action.value, "amount_minor": amount, "why": refund_why}
            action, refund_why = RefundAction.HELD, f"held for a supervisor: {held_why}"
    elif action is RefundAction.HELD:
        approved, approved_minor, approved_why = _as_requested(
            RefundAction.FULL, case.price_minor, "approved in full by a supervisor", case, rules)
        if_approved = {"action": approved.value, "amount_minor": approved_minor,
                       "why": approved_why}
    amount = max(0, min(amount, case.price_minor))
    ranked = sorted(options, key=lambda o: (-o[1], rule.allow.index(o[0])))
    explanation: dict[str, Any] = {
        "disposition": disposition_why,
        "refund": {"action": action.value, "amount_minor": amount, "why": refund_why,
                   "if_approved": if_approved},
        "rule": {"id": rule.id, "description": rule.description,
                 "when": rule.when.describe()},
        "rules_version": rules.version,
        "options": [{"disposition": d.value, "estimate_minor": v,
                     "estimate": format_minor(v, case.currency), "chosen": d is disposition}
                    for d, v in ranked],
        "not_allowed": not_allowed,
        "case": {"category": case.category.value, "grade": case.grade.value,
                 "flags": sorted(f.value for f in case.flags), "reason": case.reason.value,
                 "requested": case.requested.value, "price_minor": case.price_minor,
                 "currency": case.currency, "days_since_purchase": case.days_since_purchase,
                 "within_vendor_warranty": facts.in_warranty,
                 "merchant_fault": facts.merchant_fault,
                 "outside_return_window": facts.outside_window},
        "expected_recovery_minor": value,
    }
    return Decision(disposition=disposition,
                    destination=destinations.get(disposition, disposition.value),
                    refund_action=action, refund_minor=amount, currency=case.currency,
                    rule_id=rule.id, rules_version=rules.version, explanation=explanation)
