"""Routing decisions as the bench records them: the rule set's version, overrides with a
reason, held refunds approved on the spot or later, and rule-set changes."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from sqlalchemy import select
from station_bench import StationUnderTest, make_station, ready_unit

from station.common.permissions import PermissionDenied
from station.common.vocabulary import Disposition, Grade, RefundAction, Role
from station.inspection import approvals
from station.inspection import finalize as inspection
from station.inspection.approvals import ApprovalError
from station.inspection.finalize import BenchApproval, InspectionError, Override
from station.receiving import parcels as receiving
from station.routing.rules import RULES_DIR, parse_rule_set
from station.store.models import AuditEvent, DispositionDecision, RefundTrigger

BOOK_CHANGED_MIND = "RMA-100006"  # line 1: a paperback, changed_mind, 29.99 USD


@pytest.fixture
def low_threshold(tmp_path: Path) -> StationUnderTest:
    """Every refund above 10 (major units) is held for a supervisor."""
    return make_station(tmp_path / "station", high_value_threshold_major=10)


def ready(bench: StationUnderTest, number: str, grade: Grade) -> inspection.UnitInspection:
    grader = bench.actors[Role.GRADER]
    view = receiving.receive(bench.ctx, grader, number)
    assert view.receipt_id is not None
    return ready_unit(bench, grader, view.receipt_id, view.lines[0].id, grade)


def test_a_decision_records_the_rule_and_the_rule_set_version_and_its_options(
    bench: StationUnderTest,
) -> None:
    work = ready(bench, BOOK_CHANGED_MIND, Grade.B)
    unit = inspection.finalize(bench.ctx, bench.actors[Role.GRADER], work)
    assert unit.decision.disposition is Disposition.OPEN_BOX
    assert unit.decision.refund_action is RefundAction.PARTIAL
    with bench.ctx.sessions() as session:
        row = session.scalar(select(DispositionDecision))
        assert row is not None
        assert (row.rule_id, row.rules_version) == ("change-of-mind-b-c", "2026.11-1")
        assert [o["disposition"] for o in row.explanation["options"]] == ["OPEN_BOX",
                                                                          "LIQUIDATE"]
        assert row.override_reason is None


def test_a_grader_may_choose_another_allowed_disposition_with_a_reason(
    bench: StationUnderTest,
) -> None:
    grader = bench.actors[Role.GRADER]
    work = ready(bench, BOOK_CHANGED_MIND, Grade.B)
    with pytest.raises(InspectionError, match="a reason is required"):
        inspection.finalize(bench.ctx, grader, work,
                            override=Override(Disposition.LIQUIDATE, " "))
    with pytest.raises(InspectionError, match="RESTOCK is not allowed for this unit: not "
                                              "allowed by rule 'change-of-mind-b-c'"):
        inspection.finalize(bench.ctx, grader, work,
                            override=Override(Disposition.RESTOCK, "looks new"))

    unit = inspection.finalize(bench.ctx, grader, work, override=Override(
        Disposition.LIQUIDATE, "open-box shelf is full this week"))

    assert unit.decision.disposition is Disposition.LIQUIDATE
    assert unit.decision.destination == "LIQ-CAGE"
    with bench.ctx.sessions() as session:
        row = session.scalar(select(DispositionDecision))
        assert row is not None and row.override_reason == "open-box shelf is full this week"
        assert row.explanation["override"]["proposed"] == "OPEN_BOX"
        event = session.scalar(select(AuditEvent).where(
            AuditEvent.action == "disposition.overridden"))
        assert event is not None and event.actor_name == "grader"
        assert event.data["reason"] == "open-box shelf is full this week"


def test_a_held_refund_approved_at_the_bench_is_a_second_settling_trigger(
    low_threshold: StationUnderTest,
) -> None:
    bench = low_threshold
    work = ready(bench, BOOK_CHANGED_MIND, Grade.A)
    grader, supervisor = bench.actors[Role.GRADER], bench.actors[Role.SUPERVISOR]
    assert inspection.propose(bench.ctx, work).refund_action is RefundAction.HELD
    with pytest.raises(PermissionDenied):
        inspection.finalize(bench.ctx, grader, work, approval=BenchApproval(grader, "ok"))

    unit = inspection.finalize(bench.ctx, grader, work, approval=BenchApproval(
        supervisor, "regular customer, checked the item myself"))

    assert unit.decision.refund_action is RefundAction.FULL
    with bench.ctx.sessions() as session:
        held, approved = session.scalars(
            select(RefundTrigger).order_by(RefundTrigger.created_at, RefundTrigger.id)).all()
        assert (held.action, held.settling) == ("HELD", False)
        assert (approved.action, approved.settling, approved.supersedes_id) == (
            "FULL", True, held.id)
        assert approved.amount_minor == held.amount_minor
        assert approved.decided_by == supervisor.user_id
        assert approved.note == "regular customer, checked the item myself"
        event = session.scalar(select(AuditEvent).where(
            AuditEvent.action == "refund.approved"))
        assert event is not None and event.actor_name == "supervisor"


def test_a_held_refund_waits_for_the_queue_and_is_resolved_once(
    low_threshold: StationUnderTest,
) -> None:
    bench = low_threshold
    work = ready(bench, BOOK_CHANGED_MIND, Grade.A)
    unit = inspection.finalize(bench.ctx, bench.actors[Role.GRADER], work)
    assert unit.decision.refund_action is RefundAction.HELD
    with pytest.raises(PermissionDenied):
        approvals.resolve_held_refund(bench.ctx, bench.actors[Role.GRADER],
                                      unit.refund_trigger_id, approve=True, reason="ok")
    supervisor = bench.actors[Role.SUPERVISOR]
    denied = approvals.resolve_held_refund(bench.ctx, supervisor, unit.refund_trigger_id,
                                           approve=False, reason="item was used")
    assert (denied.action, denied.amount_minor) == (RefundAction.DENY, 0)
    with pytest.raises(ApprovalError, match="already"):
        approvals.resolve_held_refund(bench.ctx, supervisor, unit.refund_trigger_id,
                                      approve=True, reason="changed my mind")


def test_a_new_rule_set_takes_effect_and_old_decisions_keep_their_version(
    bench: StationUnderTest,
) -> None:
    grader = bench.actors[Role.GRADER]
    first = inspection.finalize(bench.ctx, grader, ready(bench, BOOK_CHANGED_MIND, Grade.B))
    text = (RULES_DIR / "default.toml").read_text("utf-8")
    stricter = text.replace('version = "2026.11-1"', 'version = "2026.12-1"').replace(
        'allow = ["OPEN_BOX", "LIQUIDATE"]', 'allow = ["LIQUIDATE"]')
    bench.opened = dataclasses.replace(
        bench.opened, ctx=dataclasses.replace(bench.ctx, rules=parse_rule_set(stricter)))

    second = inspection.finalize(bench.ctx, grader, ready(bench, "RMA-100010", Grade.B))

    assert (first.decision.rules_version, first.decision.disposition) == (
        "2026.11-1", Disposition.OPEN_BOX)
    assert (second.decision.rules_version, second.decision.disposition) == (
        "2026.12-1", Disposition.LIQUIDATE)
    with bench.ctx.sessions() as session:
        versions = {row.unit_id: row.rules_version
                    for row in session.scalars(select(DispositionDecision))}
    assert versions == {first.unit_id: "2026.11-1", second.unit_id: "2026.12-1"}
