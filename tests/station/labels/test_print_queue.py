"""The print queue: jobs and attempts are facts, retried with back-off, never blindly twice."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from PIL import Image
from scripted_printer import ScriptedPrinter, blank
from sqlalchemy import select
from station_bench import StationUnderTest, inspect_unit

from station.audit import chain as audit
from station.common.permissions import PermissionDenied
from station.common.vocabulary import Grade, Role
from station.inspection.finalize import FinalizedUnit
from station.labels import print_queue
from station.labels.content import disposition_label
from station.labels.print_queue import PrintQueue, PrintQueueError
from station.labels.printers import JobState
from station.receiving import parcels as receiving
from station.store import schema
from station.store.database import make_engine, sqlite_url
from station.store.models import AuditEvent, Base, OutboxEntry, PrintAttempt, PrintJob, Rma

URI = "zpl+tcp://192.0.2.10:9100"


def finished_unit(bench: StationUnderTest) -> FinalizedUnit:
    grader = bench.actors[Role.GRADER]
    with bench.ctx.sessions() as session:
        number = session.scalars(select(Rma.rma_number).order_by(Rma.rma_number)).first()
    view = receiving.receive(bench.ctx, grader, number)
    assert view.receipt_id is not None
    return inspect_unit(bench, grader, view.receipt_id, view.lines[0].id, Grade.B)


def attempts(bench: StationUnderTest, job_id: uuid.UUID) -> list[PrintAttempt]:
    with bench.ctx.sessions() as session:
        return list(session.scalars(select(PrintAttempt).where(PrintAttempt.job_id == job_id)
                                    .order_by(PrintAttempt.attempted_at, PrintAttempt.id)))


def state(bench: StationUnderTest, job_id: uuid.UUID) -> str:
    with bench.ctx.sessions() as session:
        return print_queue.job_state(session, job_id)


def test_a_label_request_is_a_fact_with_its_outbox_entry_and_audit_event(
    bench: StationUnderTest,
) -> None:
    unit = finished_unit(bench)
    job_id = print_queue.request_label(bench.ctx, bench.actors[Role.GRADER], unit, URI)
    with bench.ctx.sessions() as session:
        job = session.get(PrintJob, job_id)
        assert job is not None and job.unit_id == unit.unit_id
        assert job.label_kind == "disposition" and job.printer_uri == URI
        assert job.reprint_of is None and job.station_code == "BENCH-01"
        assert session.scalar(select(OutboxEntry).where(OutboxEntry.entity == "print_jobs",
                                                        OutboxEntry.entity_id == job_id))
        event = session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
        assert event is not None and event.action == "label.requested"
        assert event.subject == unit.lpn and event.data["job_id"] == str(job_id)
        assert audit.verify_chain(session, "BENCH-01") is None
        assert print_queue.job_state(session, job_id) == print_queue.QUEUED
    assert [job.id for job in print_queue.pending_jobs(bench.ctx)] == [job_id]


def test_an_offline_printer_is_retried_after_the_backoff_and_both_attempts_recorded(
    bench: StationUnderTest,
) -> None:
    unit = finished_unit(bench)
    job_id = print_queue.request_label(bench.ctx, bench.actors[Role.GRADER], unit, URI)
    printer = ScriptedPrinter([JobState.OFFLINE, JobState.PRINTED])
    queue = PrintQueue()

    tried_at = bench.clock.now
    [(first_id, first)] = queue.run_once(bench.ctx, printer, blank)
    assert first_id == job_id and first.state is JobState.OFFLINE
    assert state(bench, job_id) == "offline"
    bench.clock.advance(seconds=1)
    assert queue.run_once(bench.ctx, printer, blank) == []  # back-off: 2 s not yet over
    assert queue.next_due(bench.ctx) == tried_at + timedelta(seconds=2)
    bench.clock.advance(seconds=1)
    [(_, second)] = queue.run_once(bench.ctx, printer, blank)
    assert second.state is JobState.PRINTED
    assert printer.jobs == [str(job_id), str(job_id)]

    tried = attempts(bench, job_id)
    assert [a.state for a in tried] == ["offline", "printed"]
    assert tried[0].detail == "scripted offline" and tried[1].bytes_sent == 100
    assert tried[1].ms == 12.5 and tried[1].station_code == "BENCH-01"
    assert state(bench, job_id) == "printed"
    assert print_queue.pending_jobs(bench.ctx) == []
    with bench.ctx.sessions() as session:
        queued = set(session.scalars(select(OutboxEntry.entity_id)
                                     .where(OutboxEntry.entity == "print_attempts")))
    assert queued == {a.id for a in tried}


def test_the_backoff_doubles_and_is_capped_at_a_minute() -> None:
    queue = PrintQueue()
    assert [queue.backoff(n).total_seconds() for n in range(8)] == [0, 2, 4, 8, 16, 32, 60, 60]
    assert queue.backoff(500).total_seconds() == 60


def test_an_unconfirmed_job_is_never_retried_until_the_grader_confirms_it(
    bench: StationUnderTest,
) -> None:
    unit = finished_unit(bench)
    grader = bench.actors[Role.GRADER]
    job_id = print_queue.request_label(bench.ctx, grader, unit, URI)
    printer = ScriptedPrinter([JobState.SENT_UNCONFIRMED])
    queue = PrintQueue()
    assert queue.run_once(bench.ctx, printer, blank)[0][1].state is JobState.SENT_UNCONFIRMED
    bench.clock.advance(minutes=10)
    assert queue.run_once(bench.ctx, printer, blank) == []
    assert print_queue.pending_jobs(bench.ctx) == [] and queue.next_due(bench.ctx) is None
    assert state(bench, job_id) == "sent_unconfirmed"

    print_queue.confirm_printed(bench.ctx, grader, job_id)
    assert state(bench, job_id) == "printed"
    assert attempts(bench, job_id)[-1].detail == "confirmed by grader"
    with bench.ctx.sessions() as session:
        event = session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
        assert event is not None and event.action == "label.confirmed"
    with pytest.raises(PrintQueueError, match="already"):
        print_queue.confirm_printed(bench.ctx, grader, job_id)


def test_a_reprint_needs_a_reason_is_audited_with_it_and_points_at_the_original(
    bench: StationUnderTest,
) -> None:
    unit = finished_unit(bench)
    grader = bench.actors[Role.GRADER]
    original = print_queue.request_label(bench.ctx, grader, unit, URI)
    for bad in ("", "  ", "ok", "\x1b\x1b"):
        with pytest.raises(PrintQueueError, match="why"):
            print_queue.request_reprint(bench.ctx, grader, unit.lpn, bad)

    by_lpn = print_queue.request_reprint(bench.ctx, grader, f" {unit.lpn.lower()} ",
                                         "label\ttorn\x1b")
    by_job = print_queue.request_reprint(bench.ctx, grader, str(original), "smudged")
    with bench.ctx.sessions() as session:
        first = session.get(PrintJob, by_lpn)
        second = session.get(PrintJob, by_job)
        assert first is not None and second is not None
        assert first.reprint_of == original and first.reason == "label torn"
        assert second.reprint_of == original and first.printer_uri == URI
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "label.reprint")
                                .order_by(AuditEvent.seq)).first()
        assert event is not None and event.subject == unit.lpn
        assert event.data["reason"] == "label torn"
        assert event.data["reprint_of"] == str(original)
    assert {j.id for j in print_queue.pending_jobs(bench.ctx)} == {original, by_lpn, by_job}
    with pytest.raises(PrintQueueError, match="no unit"):
        print_queue.request_reprint(bench.ctx, grader, "BN99999999", "torn")


def test_a_clerk_cannot_reprint_and_the_refusal_is_audited(bench: StationUnderTest) -> None:
    unit = finished_unit(bench)
    print_queue.request_label(bench.ctx, bench.actors[Role.GRADER], unit, URI)
    with pytest.raises(PermissionDenied):
        print_queue.request_reprint(bench.ctx, bench.actors[Role.CLERK], unit.lpn, "torn")
    with bench.ctx.sessions() as session:
        event = session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
        assert event is not None and event.action == "permission.refused"
        assert event.actor_name == "clerk"
        assert session.scalar(select(PrintJob).where(PrintJob.reprint_of.is_not(None))) is None


def test_the_label_rebuilt_from_the_facts_is_the_one_shown_at_finalize(
    bench: StationUnderTest,
) -> None:
    unit = finished_unit(bench)
    job_id = print_queue.request_label(bench.ctx, bench.actors[Role.GRADER], unit, URI)
    assert print_queue.label_for_job(bench.ctx, job_id) == disposition_label(unit)

    printer = ScriptedPrinter([JobState.PRINTED])
    render = print_queue.renderer(bench.ctx, printer.size)
    with bench.ctx.sessions() as session:
        job = session.get(PrintJob, job_id)
    assert job is not None
    image = render(job)
    assert image.mode == "1" and image.size == (812, 1218)
    [(_, outcome)] = PrintQueue().run_once(bench.ctx, printer, render)
    assert outcome.state is JobState.PRINTED


def test_a_label_that_cannot_be_built_is_recorded_refused(bench: StationUnderTest) -> None:
    unit = finished_unit(bench)
    job_id = print_queue.request_label(bench.ctx, bench.actors[Role.GRADER], unit, URI)

    def broken(job: PrintJob) -> Image.Image:
        raise PrintQueueError("no label")

    [(_, outcome)] = PrintQueue().run_once(bench.ctx, ScriptedPrinter([]), broken)
    assert outcome.state is JobState.REFUSED and "no label" in outcome.detail
    assert [a.state for a in attempts(bench, job_id)] == ["refused"]


def test_the_migrations_apply_and_the_models_match_them(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path / "local.db"))
    assert schema.upgrade(engine, label="local") == (None, schema.head_revision())
    with engine.connect() as connection:
        tables = set(connection.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type='table'").scalars())
        indexes = set(connection.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type='index'").scalars())
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    assert "print_attempts" in tables and "ix_print_attempts_job_id" in indexes
