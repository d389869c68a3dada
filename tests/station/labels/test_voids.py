"""Voiding a label: a supervisor's fact with a reason, once per print job, refused for a
grader in the core; the queue never prints a voided job, and the void syncs like any fact."""

from __future__ import annotations

import uuid

import pytest
from scripted_printer import ScriptedPrinter, blank
from sqlalchemy import func, select
from station_bench import START, StationUnderTest, inspect_unit

from station.audit import chain as audit
from station.common.permissions import PermissionDenied
from station.common.vocabulary import Grade, Role
from station.inspection.finalize import FinalizedUnit
from station.labels import print_queue
from station.labels.print_queue import PrintQueue, PrintQueueError
from station.labels.printers import JobState
from station.labels.voids import VOIDED_ACTION, VoidError, void_label
from station.receiving import parcels as receiving
from station.store.database import make_engine, session_factory, sqlite_url
from station.store.models import AuditEvent, LabelVoid, OutboxEntry
from station.sync import exchange as sync

URI = "zpl+tcp://192.0.2.10:9100"
BOOK = "RMA-100006"


def finished_unit(bench: StationUnderTest) -> FinalizedUnit:
    grader = bench.actors[Role.GRADER]
    view = receiving.receive(bench.ctx, grader, BOOK)
    assert view.receipt_id is not None
    return inspect_unit(bench, grader, view.receipt_id, view.lines[0].id, Grade.B)


def labelled(bench: StationUnderTest) -> tuple[FinalizedUnit, uuid.UUID]:
    """A finished unit whose label was asked for (not printed yet)."""
    unit = finished_unit(bench)
    return unit, print_queue.request_label(bench.ctx, bench.actors[Role.GRADER], unit, URI)


def voids(bench: StationUnderTest) -> list[LabelVoid]:
    with bench.ctx.sessions() as session:
        return list(session.scalars(select(LabelVoid)))


def test_a_supervisor_voids_a_units_latest_label_by_its_lpn_with_a_reason(
    bench: StationUnderTest,
) -> None:
    unit, first = labelled(bench)
    bench.clock.advance(minutes=1)
    reprint = print_queue.request_reprint(bench.ctx, bench.actors[Role.GRADER], unit.lpn,
                                          "label torn")
    bench.clock.advance(minutes=1)
    supervisor = bench.actors[Role.SUPERVISOR]

    void_id = void_label(bench.ctx, supervisor, f" {unit.lpn.lower()} ",
                         "  wrong\tdisposition printed ")

    [void] = voids(bench)
    assert void.id == void_id and void.job_id == reprint != first
    assert (void.unit_id, void.reason) == (unit.unit_id, "wrong disposition printed")
    assert (void.voided_by, void.voided_at) == (supervisor.user_id, bench.clock.now)
    assert void.station_code == "BENCH-01"
    with bench.ctx.sessions() as session:
        event = session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
        assert event is not None and event.action == VOIDED_ACTION == "label.voided"
        assert (event.actor_name, event.subject) == ("supervisor", unit.lpn)
        assert event.data["job_id"] == str(reprint)
        assert event.data["reason"] == "wrong disposition printed"
        assert audit.verify_chain(session, "BENCH-01") is None
        assert session.scalar(select(OutboxEntry).where(
            OutboxEntry.entity == "label_voids", OutboxEntry.entity_id == void_id)) is not None


def test_a_supervisor_voids_the_job_named_by_its_id(bench: StationUnderTest) -> None:
    unit, first = labelled(bench)
    print_queue.request_reprint(bench.ctx, bench.actors[Role.GRADER], unit.lpn, "smudged")
    supervisor = bench.actors[Role.SUPERVISOR]

    void_label(bench.ctx, supervisor, str(first), "first copy was smudged")
    assert [void.job_id for void in voids(bench)] == [first]

    with pytest.raises(PrintQueueError, match="There is no print job"):
        void_label(bench.ctx, supervisor, uuid.uuid4(), "no such label")


def test_a_grader_may_not_void_a_label_whatever_asks(bench: StationUnderTest) -> None:
    _unit, job = labelled(bench)
    with pytest.raises(PermissionDenied):
        void_label(bench.ctx, bench.actors[Role.GRADER], job, "I printed the wrong one")
    assert voids(bench) == []
    with bench.ctx.sessions() as session:
        refused = session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
        assert refused is not None and refused.action == "permission.refused"
        assert refused.subject == "void"


def test_a_void_needs_a_reason_of_at_least_three_characters(bench: StationUnderTest) -> None:
    unit, _job = labelled(bench)
    with pytest.raises(VoidError, match=r"Say why the label is voided \(at least 3"):
        void_label(bench.ctx, bench.actors[Role.SUPERVISOR], unit.lpn, " \t x\n ")
    assert voids(bench) == []


def test_a_unit_without_a_label_or_an_unknown_lpn_says_what_to_do(
    bench: StationUnderTest,
) -> None:
    unit = finished_unit(bench)
    supervisor = bench.actors[Role.SUPERVISOR]
    with pytest.raises(PrintQueueError, match=f"No label was ever asked for unit {unit.lpn}; "
                                              "there is nothing to void"):
        void_label(bench.ctx, supervisor, unit.lpn, "never printed")
    with pytest.raises(PrintQueueError, match=r"There is no unit 'BN00000099Z'\. Scan"):
        void_label(bench.ctx, supervisor, "BN00000099Z", "no such unit")


def test_a_label_is_voided_once_and_the_second_try_says_by_whom_and_when(
    bench: StationUnderTest,
) -> None:
    unit, job = labelled(bench)
    supervisor, admin = bench.actors[Role.SUPERVISOR], bench.actors[Role.ADMIN]
    void_label(bench.ctx, supervisor, unit.lpn, "wrong destination")
    bench.clock.advance(hours=2)

    with pytest.raises(VoidError) as refused:
        void_label(bench.ctx, admin, job, "voiding it again")
    when = START.astimezone().strftime("%d %b %Y at %H:%M")
    assert str(refused.value).startswith(
        f"That label was already voided by Supervisor Person on {when} (wrong destination).")
    assert "ask for a reprint" in str(refused.value)
    assert len(voids(bench)) == 1


def test_the_queue_never_prints_or_retries_a_voided_job(bench: StationUnderTest) -> None:
    unit, waiting = labelled(bench)
    retried = print_queue.request_reprint(bench.ctx, bench.actors[Role.GRADER], unit.lpn,
                                          "label torn")
    queue = PrintQueue()
    offline = ScriptedPrinter([JobState.OFFLINE])
    queue.run_once(bench.ctx, offline, blank)
    assert offline.jobs == [str(waiting), str(retried)]  # both tried, both to be retried

    supervisor = bench.actors[Role.SUPERVISOR]
    void_label(bench.ctx, supervisor, waiting, "duplicate of the reprint")
    void_label(bench.ctx, supervisor, retried, "unit is going to scrap instead")
    bench.clock.advance(minutes=5)

    printer = ScriptedPrinter([JobState.PRINTED])
    assert print_queue.pending_jobs(bench.ctx) == []
    assert queue.next_due(bench.ctx) is None
    assert queue.run_once(bench.ctx, printer, blank) == []
    assert printer.jobs == []

    replacement = print_queue.request_reprint(bench.ctx, bench.actors[Role.GRADER], unit.lpn,
                                              "new label after the void")
    [(printed, outcome)] = queue.run_once(bench.ctx, printer, blank)
    assert (printed, outcome.state) == (replacement, JobState.PRINTED)


def test_the_void_reaches_the_central_database_once(bench: StationUnderTest) -> None:
    unit, _job = labelled(bench)
    void_id = void_label(bench.ctx, bench.actors[Role.SUPERVISOR], unit.lpn,
                         "wrong disposition printed")
    engine = make_engine(sqlite_url(bench.locations.embedded_central_db))
    central = session_factory(engine)
    identity = sync.StationIdentity.of(bench.ctx.config)
    try:
        first = sync.push(bench.ctx.sessions, central, engine, identity, clock=bench.clock)
        bench.clock.advance(minutes=1)
        again = sync.push(bench.ctx.sessions, central, engine, identity, clock=bench.clock)
        with central() as session:
            row = session.get(LabelVoid, void_id)
            assert row is not None and row.reason == "wrong disposition printed"
            assert row.unit_id == unit.unit_id
            assert session.scalar(select(func.count()).select_from(LabelVoid)) == 1
    finally:
        engine.dispose()
    assert (first.parked, first.conflicts, again.sent) == (0, 0, 0)
    assert sync.waiting(bench.ctx.sessions) == (0, 0)
