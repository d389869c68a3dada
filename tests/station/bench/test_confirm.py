"""Confirming a unit at the bench: the unit and its label job are saved together or not at all."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError
from station_bench import StationUnderTest, ready_unit

from station.bench.confirm import confirm
from station.common.vocabulary import Grade, Role
from station.grading.unit_in_progress import UnitInspection
from station.receiving import parcels as receiving
from station.store.models import InspectionDraft, OutboxEntry, PrintJob, Rma, Unit

PRINTER = "zpl://192.0.2.10:9100"


def unit_ready_to_confirm(bench: StationUnderTest) -> UnitInspection:
    grader = bench.actors[Role.GRADER]
    with bench.ctx.sessions() as session:
        number = session.scalars(select(Rma.rma_number).order_by(Rma.rma_number)).first()
    view = receiving.receive(bench.ctx, grader, number)
    work: UnitInspection = ready_unit(bench, grader, view.receipt_id, view.lines[0].id, Grade.B)
    return work


def rows(bench: StationUnderTest, model: type) -> int:
    with bench.ctx.sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


@contextmanager
def disk_refuses_insert_into(bench: StationUnderTest, table: str) -> Iterator[None]:
    """The database refuses the first write to `table`, as a full disk would."""
    engine = bench.opened.local_engine

    def refuse(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith(f"INSERT INTO {table.upper()} "):
            raise OperationalError(statement, None, Exception("database or disk is full"))

    event.listen(engine, "before_cursor_execute", refuse)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", refuse)


def test_confirming_saves_the_unit_and_queues_its_label_together(
    bench: StationUnderTest,
) -> None:
    work = unit_ready_to_confirm(bench)

    confirmed = confirm(bench.ctx, bench.actors[Role.GRADER], work, printer_uri=PRINTER)

    assert confirmed.label_job is not None and confirmed.unit.lpn == work.draft.lpn
    with bench.ctx.sessions() as session:
        job = session.get(PrintJob, confirmed.label_job)
        assert job is not None and job.unit_id == confirmed.unit.unit_id
        assert job.printer_uri == PRINTER
        assert session.scalar(select(Unit.id).where(Unit.lpn == work.draft.lpn)) == job.unit_id
        assert "print_jobs" in set(session.scalars(select(OutboxEntry.entity)))


def test_a_bench_without_a_printer_saves_the_unit_and_queues_no_label(
    bench: StationUnderTest,
) -> None:
    work = unit_ready_to_confirm(bench)

    confirmed = confirm(bench.ctx, bench.actors[Role.GRADER], work, printer_uri=None)

    assert confirmed.label_job is None
    assert rows(bench, Unit) == 1 and rows(bench, PrintJob) == 0


@pytest.mark.parametrize("refused", ["print_jobs", "audit_events", "units"])
def test_a_write_refused_half_way_leaves_neither_the_unit_nor_its_label_job(
    bench: StationUnderTest, refused: str,
) -> None:
    work = unit_ready_to_confirm(bench)
    grader = bench.actors[Role.GRADER]

    with disk_refuses_insert_into(bench, refused), pytest.raises(OperationalError):
        confirm(bench.ctx, grader, work, printer_uri=PRINTER)

    assert rows(bench, Unit) == 0 and rows(bench, PrintJob) == 0
    assert rows(bench, InspectionDraft) == 1, "the grader's work is still there to confirm"
    confirmed = confirm(bench.ctx, grader, work, printer_uri=PRINTER)
    assert confirmed.label_job is not None
    assert rows(bench, Unit) == 1 and rows(bench, PrintJob) == 1
