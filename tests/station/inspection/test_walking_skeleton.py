"""From a scanned RMA to a decided, labelled unit: every fact lands in the local database."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session
from station_bench import TINY_PNG, StationUnderTest, inspect_unit, ready_unit

from station.audit import chain as audit
from station.codes.scans import ScanError
from station.common.permissions import PermissionDenied
from station.common.vocabulary import Disposition, Flag, Grade, RefundAction, Role
from station.inspection import finalize as inspection
from station.loadgen import simulated_grader
from station.ports.photos import MemoryPhotoStore
from station.receiving import parcels as receiving
from station.store.models import (
    AuditEvent,
    DispositionDecision,
    ExceptionCase,
    Inspection,
    OutboxEntry,
    Receipt,
    RefundTrigger,
    Rma,
    Unit,
)


def first_rma_number(bench: StationUnderTest) -> str:
    with bench.ctx.sessions() as session:
        return session.scalars(select(Rma.rma_number).order_by(Rma.rma_number)).first()


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_grader_takes_a_parcel_from_scan_to_decision_and_every_fact_is_recorded(
    bench: StationUnderTest,
) -> None:
    grader = bench.actors[Role.GRADER]
    number = first_rma_number(bench)

    view = receiving.look_up(bench.ctx, grader, f"  {number}\r\n")
    assert view.rma_number == number and view.receipt_id is None
    view = receiving.receive(bench.ctx, grader, number)
    assert view.receipt_id is not None
    line = view.lines[0]
    work = ready_unit(bench, grader, view.receipt_id, line.id, Grade.A)
    draft = work.draft
    assert draft.lpn.startswith("BN")
    unit = inspection.finalize(bench.ctx, grader, work)

    with bench.ctx.sessions() as session:
        assert count(session, Receipt) == 1
        stored = session.scalar(select(Unit).where(Unit.lpn == draft.lpn))
        assert stored is not None and stored.rma_line_id == line.id
        assert session.scalar(select(Inspection.grade)) == "A"
        decision = session.scalar(select(DispositionDecision))
        assert decision is not None and decision.rules_version == "2026.11-1"
        assert decision.unit_id == stored.id
        trigger = session.scalar(select(RefundTrigger))
        assert trigger is not None
        assert trigger.amount_minor <= line.unit_price_minor
        assert trigger.currency == line.currency
        actions = set(session.scalars(select(AuditEvent.action)))
        assert {"receipt.recorded", "unit.created", "inspection.completed",
                "disposition.decided", "refund.decided"} <= actions
        entities = set(session.scalars(select(OutboxEntry.entity)))
        assert {"receipts", "units", "inspections", "dispositions", "refund_triggers",
                "audit_events"} <= entities
        assert audit.verify_chain(session, bench.ctx.station_code) is None
    assert unit.decision.disposition in set(Disposition)


def test_receiving_the_same_parcel_twice_at_one_station_keeps_one_receipt(
    bench: StationUnderTest,
) -> None:
    clerk = bench.actors[Role.CLERK]
    number = first_rma_number(bench)
    first = receiving.receive(bench.ctx, clerk, number)
    second = receiving.receive(bench.ctx, clerk, number)
    assert first.receipt_id == second.receipt_id
    with bench.ctx.sessions() as session:
        assert count(session, Receipt) == 1


def test_a_code_that_matches_no_rma_can_be_received_as_an_unexpected_parcel(
    bench: StationUnderTest,
) -> None:
    clerk = bench.actors[Role.CLERK]
    with pytest.raises(receiving.NotFound, match="unexpected parcel"):
        receiving.look_up(bench.ctx, clerk, "RMA-999999")
    result = receiving.receive_unexpected(bench.ctx, clerk, "RMA-999999")
    with bench.ctx.sessions() as session:
        receipt = session.get(Receipt, result.receipt_id)
        assert receipt is not None and receipt.expected is False and receipt.rma_id is None
        case = session.get(ExceptionCase, result.exception_id)
        assert case is not None and case.kind == "unexpected_parcel"


@pytest.mark.parametrize("garbage", ["", "   ", "RMA-1\x1b@", "A" * 513, "\u202eRMA-100001"])
def test_a_garbled_scan_gets_a_message_and_changes_nothing(
    bench: StationUnderTest, garbage: str
) -> None:
    clerk = bench.actors[Role.CLERK]
    with bench.ctx.sessions() as session:
        before = count(session, OutboxEntry)
    with pytest.raises(ScanError):
        receiving.receive(bench.ctx, clerk, garbage)
    with bench.ctx.sessions() as session:
        assert count(session, OutboxEntry) == before
        assert count(session, Receipt) == 0


def test_a_clerk_may_receive_but_may_not_grade_and_the_refusal_is_audited(
    bench: StationUnderTest,
) -> None:
    clerk = bench.actors[Role.CLERK]
    view = receiving.receive(bench.ctx, clerk, first_rma_number(bench))
    assert view.receipt_id is not None
    with pytest.raises(PermissionDenied, match="grader or above"):
        inspection.start_unit(bench.ctx, clerk, view.receipt_id, view.lines[0].id)
    with bench.ctx.sessions() as session:
        refused = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "permission.refused")).all()
        assert [e.subject for e in refused] == ["inspect"]
        assert count(session, Unit) == 0


def test_a_line_yields_no_more_units_than_its_quantity(bench: StationUnderTest) -> None:
    grader = bench.actors[Role.GRADER]
    view = receiving.receive(bench.ctx, grader, first_rma_number(bench))
    assert view.receipt_id is not None
    line = view.lines[0]
    for _ in range(line.quantity):
        inspect_unit(bench, grader, view.receipt_id, line.id, Grade.B)
    with pytest.raises(inspection.InspectionError, match="over-return"):
        inspection.start_unit(bench.ctx, grader, view.receipt_id, line.id)


def test_a_failure_while_finalizing_leaves_no_partial_facts(bench: StationUnderTest) -> None:
    grader = bench.actors[Role.GRADER]
    view = receiving.receive(bench.ctx, grader, first_rma_number(bench))
    assert view.receipt_id is not None
    work = ready_unit(bench, grader, view.receipt_id, view.lines[0].id, Grade.A)
    with bench.ctx.sessions() as session:
        outbox_before = count(session, OutboxEntry)

    def fail_on_refund(session: Session, _context: object, _instances: object) -> None:
        if any(isinstance(row, RefundTrigger) for row in session.new):
            raise RuntimeError("power cut")

    event.listen(Session, "before_flush", fail_on_refund)
    try:
        with pytest.raises(RuntimeError, match="power cut"):
            inspection.finalize(bench.ctx, grader, work)
    finally:
        event.remove(Session, "before_flush", fail_on_refund)
    with bench.ctx.sessions() as session:
        assert count(session, Unit) == 0
        assert count(session, Inspection) == 0
        assert count(session, DispositionDecision) == 0
        assert count(session, OutboxEntry) == outbox_before
    inspection.finalize(bench.ctx, grader, work)
    with bench.ctx.sessions() as session:
        assert count(session, Unit) == 1


def test_an_empty_box_holds_the_unit_and_the_refund(bench: StationUnderTest) -> None:
    grader = bench.actors[Role.GRADER]
    view = receiving.receive(bench.ctx, grader, first_rma_number(bench))
    assert view.receipt_id is not None
    work = inspection.start_unit(bench.ctx, grader, view.receipt_id, view.lines[0].id)
    work.toggle_flag(Flag.EMPTY_BOX)
    simulated_grader.finish(work, Grade.X, grader, MemoryPhotoStore(), TINY_PNG, bench.clock())
    unit = inspection.finalize(bench.ctx, grader, work)
    assert unit.decision.disposition == Disposition.HOLD
    assert unit.decision.refund_action == RefundAction.HELD
    with bench.ctx.sessions() as session:
        trigger = session.get(RefundTrigger, unit.refund_trigger_id)
        assert trigger is not None and trigger.settling is False
