"""The supervisor's queues in the core: held refunds waiting, exceptions closed with an
outcome and a reason — by a supervisor, refused for a grader whatever asks."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from station_bench import StationUnderTest, inspect_unit, make_station

from station.common.permissions import PermissionDenied
from station.common.vocabulary import ExceptionOutcome, Grade, Role
from station.inspection import approvals
from station.receiving import parcels as receiving
from station.store.models import AuditEvent, ExceptionResolution, OutboxEntry
from station.supervision import queues
from station.supervision.queues import QueueError


@pytest.fixture
def held(tmp_path: Path) -> StationUnderTest:
    """Refunds above 10 (major units) are held: the paperback's (29.99 USD) is."""
    bench = make_station(tmp_path / "station", high_value_threshold_major=10)
    grader = bench.actors[Role.GRADER]
    view = receiving.receive(bench.ctx, grader, "RMA-100006")
    assert view.receipt_id is not None
    inspect_unit(bench, grader, view.receipt_id, view.lines[0].id, Grade.A)
    return bench


def test_held_refunds_wait_until_a_supervisor_decides(held: StationUnderTest) -> None:
    supervisor = held.actors[Role.SUPERVISOR]
    with held.ctx.sessions() as session:
        [waiting] = queues.held_refunds(held.ctx, supervisor, session)
    assert (waiting.rma_number, waiting.currency, waiting.amount_minor) == ("RMA-100006",
                                                                           "USD", 2999)
    assert waiting.lpn.startswith("BN")
    approvals.resolve_held_refund(held.ctx, supervisor, waiting.trigger_id, approve=True,
                                  reason="receipt checked")
    with held.ctx.sessions() as session:
        assert queues.held_refunds(held.ctx, supervisor, session) == []


def test_a_held_refund_says_why_it_is_held_and_what_the_unit_is(
    held: StationUnderTest,
) -> None:
    """The supervisor decides knowing why the rules held the refund, the unit's grade and
    where it is going, without opening the unit."""
    with held.ctx.sessions() as session:
        [waiting] = queues.held_refunds(held.ctx, held.actors[Role.SUPERVISOR], session)
    assert waiting.grade == "A"
    assert waiting.disposition == "RESTOCK"
    assert waiting.held_why == ("the unit is worth more than the high-value threshold "
                                "(10 USD)")


def test_a_refund_held_by_its_reason_and_grade_says_so_in_words(tmp_path: Path) -> None:
    """A refund the rules hold because the grade leaves nothing to refund automatically
    says that, without the rules' "held:"."""
    bench = make_station(tmp_path / "station")
    grader = bench.actors[Role.GRADER]
    view = receiving.receive(bench.ctx, grader, "RMA-100006")
    assert view.receipt_id is not None
    inspect_unit(bench, grader, view.receipt_id, view.lines[0].id, Grade.X)
    with bench.ctx.sessions() as session:
        waiting = queues.held_refunds(bench.ctx, bench.actors[Role.SUPERVISOR], session)
    assert [(held.grade, held.held_why) for held in waiting] == [
        ("X", "changed mind with grade X leaves nothing to refund automatically")]


def test_a_supervisor_closes_an_exception_once_with_an_outcome_and_a_reason(
    bench: StationUnderTest,
) -> None:
    clerk, supervisor = bench.actors[Role.CLERK], bench.actors[Role.SUPERVISOR]
    case = receiving.receive_unexpected(bench.ctx, clerk, "PARCEL-WITHOUT-RMA")
    with bench.ctx.sessions() as session:
        [open_case] = queues.open_exceptions(bench.ctx, supervisor, session)
    assert (open_case.exception_id, open_case.kind) == (case.exception_id, "unexpected_parcel")

    with pytest.raises(PermissionDenied):
        queues.resolve_exception(bench.ctx, bench.actors[Role.GRADER], case.exception_id,
                                 ExceptionOutcome.NO_ACTION, "looks fine")
    with pytest.raises(QueueError, match="reason is required"):
        queues.resolve_exception(bench.ctx, supervisor, case.exception_id,
                                 ExceptionOutcome.NO_ACTION, "  ")
    resolution = queues.resolve_exception(bench.ctx, supervisor, case.exception_id,
                                          ExceptionOutcome.RETURNED_TO_CARRIER,
                                          "no RMA, refused at the dock")
    with pytest.raises(QueueError, match="already closed"):
        queues.resolve_exception(bench.ctx, supervisor, case.exception_id,
                                 ExceptionOutcome.ACCEPTED, "changed my mind")

    with bench.ctx.sessions() as session:
        assert queues.open_exceptions(bench.ctx, supervisor, session) == []
        row = session.get(ExceptionResolution, resolution)
        assert row is not None and (row.outcome, row.reason) == (
            "returned_to_carrier", "no RMA, refused at the dock")
        assert session.scalar(select(OutboxEntry).where(
            OutboxEntry.entity_id == resolution)) is not None
        event = session.scalar(select(AuditEvent).where(
            AuditEvent.action == "exception.resolved"))
        assert event is not None and event.actor_name == "supervisor"
