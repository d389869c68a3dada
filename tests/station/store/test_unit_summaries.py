"""Each unit's summary row (what the daily summary counts) follows its facts: as a station
records them, as the central database receives them in any order, and when derived again
from scratch by a rebuild or the migration that introduced the table."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from station_bench import StationUnderTest, inspect_unit, make_station

from station.common.vocabulary import Disposition, Grade, RefundAction, Role
from station.inspection import approvals
from station.receiving import parcels as receiving
from station.store import schema, unit_summaries
from station.store.database import make_engine, session_factory, sqlite_url
from station.store.models import DispositionDecision, OutboxEntry, SyncConflict, UnitSummary
from station.sync import exchange as sync

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


@pytest.fixture
def bench(tmp_path: Path) -> Iterator[StationUnderTest]:
    station = make_station(tmp_path / "station")
    yield station
    station.opened.close()


def _received_and_inspected(bench: StationUnderTest, number: str, grade: Grade,
                            at: datetime) -> Any:
    bench.clock.now = at
    grader = bench.actors[Role.GRADER]
    view = receiving.receive(bench.ctx, grader, number)
    bench.clock.now = at + timedelta(minutes=10)
    return inspect_unit(bench, grader, view.receipt_id, view.lines[0].id, grade)


def _row(sessions: sessionmaker[Session], lpn: str) -> UnitSummary:
    with sessions() as session:
        row = session.scalar(select(UnitSummary).where(UnitSummary.lpn == lpn))
    assert row is not None, f"no summary row for {lpn}"
    return row


def _rows(sessions: sessionmaker[Session]) -> dict[uuid.UUID, tuple[Any, ...]]:
    columns = [column.key for column in UnitSummary.__table__.columns]
    with sessions() as session:
        return {row.unit_id: tuple(getattr(row, c) for c in columns)
                for row in session.scalars(select(UnitSummary))}


def test_a_units_row_follows_its_inspection_decision_and_held_refund(
        bench: StationUnderTest) -> None:
    laptop = _received_and_inspected(bench, "RMA-100011", Grade.A, T0)
    row = _row(bench.ctx.sessions, laptop.lpn)
    assert (row.grade, row.disposition, row.category) == ("A", "RESTOCK", "electronics")
    assert (row.refund_action, row.refund_amount_minor, row.refund_currency) == (
        "HELD", 129900, "EUR")
    assert row.inspected_at == row.decided_at == row.first_decided_at == row.refund_at
    assert row.received_at == T0 and row.currency == "EUR"

    bench.clock.now = T0 + timedelta(hours=3)
    approvals.resolve_held_refund(bench.ctx, bench.actors[Role.SUPERVISOR],
                                  laptop.refund_trigger_id, approve=True,
                                  reason="serial checked")
    row = _row(bench.ctx.sessions, laptop.lpn)
    assert (row.refund_action, row.refund_amount_minor) == (RefundAction.FULL.value, 129900)
    assert row.refund_at == T0 + timedelta(hours=3)


def test_a_superseding_decision_becomes_the_disposition_and_the_first_stays(
        bench: StationUnderTest) -> None:
    unit = _received_and_inspected(bench, "RMA-100001", Grade.A, T0)
    first = _row(bench.ctx.sessions, unit.lpn)
    later = T0 + timedelta(hours=5)
    with bench.ctx.sessions.begin() as session:
        decided = session.scalars(select(DispositionDecision)).one()
        session.add(DispositionDecision(
            unit_id=decided.unit_id, disposition=Disposition.OPEN_BOX.value,
            destination="OPENBOX-1", rule_id="supervisor", rules_version="1",
            explanation={"expected_recovery_minor": 7000}, decided_by=decided.decided_by,
            decided_at=later, supersedes_id=decided.id, station_code="BENCH-01",
            override_reason="box damaged in the aisle"))
    row = _row(bench.ctx.sessions, unit.lpn)
    assert (row.disposition, row.destination, row.decided_at) == ("OPEN_BOX", "OPENBOX-1",
                                                                   later)
    assert (row.recovery_minor, row.disposition_override_reason) == (
        7000, "box damaged in the aisle")
    assert row.first_decided_at == first.decided_at


def test_a_refund_that_lost_a_sync_conflict_leaves_the_row(bench: StationUnderTest) -> None:
    unit = _received_and_inspected(bench, "RMA-100001", Grade.A, T0)
    assert _row(bench.ctx.sessions, unit.lpn).refund_action == "FULL"
    with bench.ctx.sessions.begin() as session:
        session.add(SyncConflict(
            id=unit.refund_trigger_id, kind="refund_conflict", entity="refund_triggers",
            station_code="BENCH-01", winner_id=uuid.uuid4(), winner_station="BENCH-02",
            winner_at=T0, subject="x", payload={}, detected_at=T0 + timedelta(hours=1),
            change_seq=1))
    row = _row(bench.ctx.sessions, unit.lpn)
    assert (row.refund_action, row.refund_at, row.refund_amount_minor) == (None, None, None)
    assert row.disposition == "RESTOCK"  # the rest of the unit is unchanged


def _three_units(bench: StationUnderTest) -> None:
    laptop = _received_and_inspected(bench, "RMA-100011", Grade.A, T0)
    _received_and_inspected(bench, "RMA-100001", Grade.C, T0 + timedelta(hours=1))
    _received_and_inspected(bench, "RMA-100006", Grade.B, T0 + timedelta(hours=2))
    bench.clock.now = T0 + timedelta(hours=4)
    approvals.resolve_held_refund(bench.ctx, bench.actors[Role.SUPERVISOR],
                                  laptop.refund_trigger_id, approve=False,
                                  reason="serial does not match")


def test_the_central_rows_equal_the_stations_once_pushed(bench: StationUnderTest) -> None:
    _three_units(bench)
    sync.sync_once(bench.ctx.sessions, bench.opened.central_sessions(),
                   bench.opened.central_engine(), sync.StationIdentity.of(bench.ctx.config),
                   clock=bench.clock)
    local = _rows(bench.ctx.sessions)
    assert len(local) == 3
    assert _rows(bench.opened.central_sessions()) == local


def test_facts_arriving_in_any_order_give_the_same_rows(bench: StationUnderTest,
                                                        tmp_path: Path) -> None:
    """The derivation alone, on a database without the central acceptance rules (which
    refuse a decision before its unit: station.trust.central_rules)."""
    _three_units(bench)
    engine = make_engine(sqlite_url(tmp_path / "derived.db"))
    schema.upgrade(engine, label="scratch")
    central = session_factory(engine)
    with bench.ctx.sessions() as session:
        entries = list(session.scalars(select(OutboxEntry).order_by(OutboxEntry.seq.desc())))
    for entry in entries:  # newest first, one push each: decisions before their units
        with central.begin() as session:
            sync.apply_entries(session, [entry], T0, sync.PushResult())
    assert _rows(central) == _rows(bench.ctx.sessions)
    engine.dispose()


def test_a_rebuild_derives_the_same_rows(bench: StationUnderTest) -> None:
    _three_units(bench)
    before = _rows(bench.ctx.sessions)
    with bench.ctx.sessions.begin() as session:
        assert unit_summaries.rebuild(session.connection()) == 3
    assert _rows(bench.ctx.sessions) == before


def test_the_migration_fills_the_rows_of_units_already_recorded(
        bench: StationUnderTest) -> None:
    _three_units(bench)
    before = _rows(bench.ctx.sessions)
    engine = bench.ctx.sessions.kw["bind"]
    with engine.begin() as connection:
        config = schema._config(engine)
        config.attributes["connection"] = connection
        command.downgrade(config, "0011")
    schema.upgrade(engine, label="local")
    assert _rows(bench.ctx.sessions) == before
