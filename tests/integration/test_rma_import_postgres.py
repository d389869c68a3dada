"""An RMA import into a real PostgreSQL central database: staged, committed, applied and
pulled into a station; two processes finishing the same committed import apply each RMA
once."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from station.demo.rmas import demo_rmas
from station.receiving import rma_import
from station.store import schema
from station.store.database import make_engine, session_factory, sqlite_url
from station.store.models import AuditEvent, Rma, RmaImport, RmaImportRow
from station.sync.pull import pull_rmas

pytestmark = pytest.mark.postgres

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
TODAY = date(2026, 11, 20)


def test_an_import_into_postgresql_is_recorded_applied_pulled_and_audited(
        fresh_postgres_url: str, tmp_path: Path) -> None:
    central_engine = make_engine(fresh_postgres_url)
    local_engine = make_engine(sqlite_url(tmp_path / "station.db"))
    schema.upgrade(central_engine, label="central")
    schema.upgrade(local_engine, label="local")
    central, local = session_factory(central_engine), session_factory(local_engine)
    records = demo_rmas(1200, today=TODAY)

    done = rma_import.import_rmas(central, local, records, station_code="ST-01", actor=None,
                                  actor_name="setup (no users yet)", source="rmas.csv",
                                  now=NOW)
    assert (done.rmas, done.created, done.updated, done.unchanged) == (1200, 1200, 0, 0)
    assert pull_rmas(central, local) == 1200
    with central() as session:
        found = session.scalars(select(RmaImport)).one()
        assert (found.state, found.actor_name, found.audited_at is not None) == (
            "applied", "setup (no users yet)", True)
        assert session.scalar(select(func.count()).select_from(RmaImportRow)) == 0
    with local() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "rmas.imported")) == 1

    again = rma_import.import_rmas(central, local, records, station_code="ST-01", actor=None,
                                   actor_name="setup (no users yet)", source="rmas.csv",
                                   now=NOW)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1200)
    central_engine.dispose()
    local_engine.dispose()


def test_two_processes_finishing_one_committed_import_apply_each_rma_once(
        fresh_postgres_url: str, tmp_path: Path) -> None:
    engine = make_engine(fresh_postgres_url)
    schema.upgrade(engine, label="central")
    central = session_factory(engine)
    import_id = rma_import.begin(central, station_code="ST-01", source="rmas.csv", now=NOW)
    staged = rma_import.stage(central, import_id, demo_rmas(3000, today=TODAY))
    rma_import.commit(central, import_id, staged, actor=None, actor_name="setup", now=NOW)

    failures: list[BaseException] = []

    def finish() -> None:
        try:
            rma_import.apply(central, import_id, NOW)
        except BaseException as error:  # reported by the assertion below
            failures.append(error)

    workers = [threading.Thread(target=finish) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert failures == []
    done = rma_import.outcome(central, import_id)
    assert (done.created, done.updated, done.unchanged) == (3000, 0, 0)
    with central() as session:
        assert session.scalar(select(func.count()).select_from(Rma)) == 3000
        assert session.scalar(select(func.count(func.distinct(Rma.change_seq)))) == 3000
    engine.dispose()
