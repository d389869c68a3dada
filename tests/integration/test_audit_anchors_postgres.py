"""The audit trail in a real PostgreSQL central database: the database itself refuses a
forged or out-of-chain audit entry and any change to entries and anchors by anyone but a
superuser; a superuser's deletion is still reported as a truncation; and a cloned data
folder stops syncing with an alarm instead of sending orphan refunds."""

from __future__ import annotations

import random
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import central_site
import pytest
from integration.sync_harness import Bench, create_bench, open_bench, prepare_central
from sqlalchemy import Engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from station.audit import anchors as audit_anchors
from station.audit import chain as audit
from station.audit import signing as audit_signing
from station.cli import main as cli
from station.store.database import make_engine, session_factory
from station.store.models import AuditEvent, OutboxEntry, StationAlarm
from station.sync import exchange as sync
from station.trust import enrolment

pytestmark = pytest.mark.postgres
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


@pytest.fixture
def central_url(fresh_postgres_url: str) -> str:
    prepare_central(fresh_postgres_url, rma_count=40)
    return fresh_postgres_url


@pytest.fixture
def owner(central_url: str) -> Iterator[Engine]:
    engine = make_engine(central_url)
    yield engine
    engine.dispose()


def signing(engine: Engine, key: audit_signing.SigningKey | None) -> sessionmaker[Session]:
    sessions = session_factory(engine)
    if key is not None:
        audit_signing.attach(sessions, key)
    return sessions


def record(sessions: sessionmaker[Session], station: str, n: int = 1) -> None:
    """Entries of `station` written centrally as its pushes would (enrolled first, as the
    acceptance rules require)."""
    with sessions.begin() as session:
        if enrolment.standing(session, station) is None:
            enrolment.enrol_station(session, code=station, site="Site",
                                    lpn_prefix=f"Q{station[-1]}", now=NOW, by="tests",
                                    db_role=None)
        for index in range(n):
            audit.record(session, station_code=station, actor=None, actor_name="clerk",
                         action="receipt.recorded", subject=f"RMA-{index}", data={"n": index},
                         now=NOW)


def bench_at(folder: Path, code: str, prefix: str, url: str) -> Bench:
    bench = create_bench(folder, code, prefix, url)
    central_site.join(bench.central, bench.ctx)
    return bench


def test_a_station_role_cannot_change_entries_or_anchors_nor_raise_another_stations_alarm(
    owner: Engine, central_url: str, tmp_path: Path,
) -> None:
    bench = bench_at(tmp_path / "a", "PG-01", "P1", central_url)
    bench.finalize(1, random.Random(1))
    bench.push()
    role = f"anchor_tester_{uuid.uuid4().hex[:8]}"
    with owner.begin() as connection:
        connection.execute(text(f"CREATE ROLE {role} LOGIN"))
        for table in ("audit_events", "audit_anchors"):  # more than `central grants` gives
            connection.execute(text(
                f"GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON {table} TO {role}"))
        connection.execute(text(f"GRANT INSERT ON station_alarms TO {role}"))
        connection.execute(text("UPDATE stations SET db_role = :role WHERE code = 'PG-01'"),
                           {"role": role})
    as_station = make_engine(make_url(central_url).set(username=role))
    try:
        for statement in ("UPDATE audit_events SET subject = 'x'",
                          "DELETE FROM audit_events",
                          "TRUNCATE audit_events",
                          "UPDATE audit_anchors SET head_hash = repeat('0', 64)",
                          "DELETE FROM audit_anchors",
                          "TRUNCATE audit_anchors"):
            with pytest.raises(DBAPIError, match="append-only"), as_station.begin() as c:
                c.execute(text(statement))
        with pytest.raises(DBAPIError, match="permission denied"), as_station.begin() as c:
            c.execute(text("SELECT key_hex FROM station_keys"))
        alarm = ("INSERT INTO station_alarms (id, station_code, kind, details, raised_at) "
                 "VALUES (gen_random_uuid(), :code, 'chain_fork', '{}', now())")
        with pytest.raises(DBAPIError, match="only about itself"), as_station.begin() as c:
            c.execute(text(alarm), {"code": "PG-99"})
        with as_station.begin() as c:
            c.execute(text(alarm), {"code": "PG-01"})
    finally:
        as_station.dispose()
        bench.close()


def test_a_forged_signature_or_a_broken_chain_is_refused_by_the_database(
    owner: Engine,
) -> None:
    key = audit_signing.SigningKey(bytes(range(32)))
    with session_factory(owner).begin() as session:
        assert audit_anchors.register_station_key(session, "PG-02", key, now=NOW) is True
    record(signing(owner, key), "PG-02", 3)
    forger = audit_signing.SigningKey(bytes(range(1, 33)))
    with pytest.raises(DBAPIError, match="not signed with the station's registered key"):
        record(signing(owner, forger), "PG-02")
    with pytest.raises(DBAPIError, match="not signed with the station's registered key"):
        record(signing(owner, None), "PG-02")
    with pytest.raises(DBAPIError, match="does not follow"), \
            session_factory(owner).begin() as session:
        event = AuditEvent(id=uuid.uuid4(), station_code="PG-02", seq=4, actor_id=None,
                           actor_name="clerk", action="refund.approved", subject="RMA-1",
                           data={}, occurred_at=NOW, prev_hash="f" * 64, hash="")
        event.hash = audit.event_hash(event)  # well signed, but a chain of its own
        event.signature = key.sign(event.hash)
        session.add(event)
    with session_factory(owner)() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.station_code == "PG-02")) == 3
        with pytest.raises(audit_anchors.StationKeyConflict):
            audit_anchors.register_station_key(session, "PG-02", forger, now=NOW)


def test_rows_deleted_in_postgresql_by_the_owner_are_reported_as_a_truncation(
    owner: Engine, central_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    bench = bench_at(tmp_path / "a", "PG-03", "P3", central_url)
    try:
        bench.finalize(2, random.Random(3))
        bench.push()
        folder = str(tmp_path / "admin")  # an admin's own folder, not the bench's
        assert cli.main(["--data-dir", folder, "audit", "verify", "--central",
                         central_url]) == 0
        with owner.begin() as connection:  # the owner is a superuser here
            head = connection.scalar(text(
                "SELECT max(seq) FROM audit_events WHERE station_code = 'PG-03'"))
            connection.execute(text("DELETE FROM audit_events WHERE station_code = 'PG-03' "
                                    "AND seq > :keep"), {"keep": head - 2})
        capsys.readouterr()
        assert cli.main(["--data-dir", folder, "audit", "verify", "--central",
                         central_url]) == 1
        out = capsys.readouterr().out
        assert f"PG-03: {head - 2} entries, TRUNCATION at entry {head - 1}" in out
        assert "deleted from the central database" in out
        bench.finalize(1, random.Random(4))
        with pytest.raises(sync.SyncHalted, match="entries were deleted there"):
            bench.push()  # not parked one by one: the station stops with an alarm
    finally:
        bench.close()


def test_a_cloned_data_folder_stops_syncing_with_an_alarm_and_sends_no_orphan_refund(
    owner: Engine, central_url: str, tmp_path: Path,
) -> None:
    rng = random.Random(5)
    original = bench_at(tmp_path / "original", "PG-04", "P4", central_url)
    original.finalize(2, rng)
    original.push()
    original.close()
    shutil.copytree(tmp_path / "original", tmp_path / "clone")
    original = open_bench(tmp_path / "original", "PG-04", "P4", central_url)
    clone = open_bench(tmp_path / "clone", "PG-04", "P4", central_url)
    try:
        clone.finalize(3, rng)
        assert clone.push().parked == 0
        original.finalize(2, rng)
        with original.local() as session:
            unsent = {(entry.entity, entry.entity_id) for entry in session.scalars(
                select(OutboxEntry).where(OutboxEntry.sent_at.is_(None)))}
        assert any(entity == "refund_triggers" for entity, _id in unsent)

        with pytest.raises(sync.SyncHalted, match="Sync halted") as halted:
            original.push()
        assert "re-enrol this data folder as a new station" in str(halted.value)
        with session_factory(owner)() as session:
            alarms = list(session.scalars(select(StationAlarm)))
            assert [(a.station_code, a.resolved_at) for a in alarms] == [("PG-04", None)]
            assert alarms[0].kind in {"chain_behind", "chain_fork", "sequence_backwards",
                                      "lpn_reused"}
            for entity, entity_id in unsent:  # nothing of the original's new facts
                assert session.execute(text(f"SELECT 1 FROM {entity} WHERE id = :id"),
                                       {"id": entity_id}).first() is None
            orphans = session.scalar(text(
                "SELECT count(*) FROM refund_triggers_pending WHERE lpn IS NULL OR lpn = ''"))
            assert orphans == 0
        with pytest.raises(sync.SyncHalted, match="Sync halted since"):
            original.push()  # still halted: the alarm is open
        with original.local() as session:
            assert session.scalar(select(func.count()).select_from(StationAlarm).where(
                StationAlarm.resolved_at.is_(None))) == 1
        assert original.waiting()[1] == 0  # nothing parked: it all waits for the admin
    finally:
        original.close()
        clone.close()


def test_migration_0014_goes_down_and_up_again_on_postgresql(owner: Engine) -> None:
    from alembic import command

    from station.store import schema

    record(session_factory(owner), "PG-05", 2)

    def triggers() -> set[str]:
        with owner.connect() as connection:
            return set(connection.scalars(text(
                "SELECT tgname FROM pg_trigger WHERE tgname LIKE 'rs\\_%' "
                "AND tgname <> 'rs_accept_audit_events' "  # station.trust.central_rules' own
                "AND tgrelid::regclass::text IN ('audit_events', 'audit_anchors', "
                "'station_alarms')")))

    assert len(triggers()) == 7
    with owner.begin() as connection:
        config = schema._config(owner)
        config.attributes["connection"] = connection
        command.downgrade(config, "0013")
    assert triggers() == set()
    schema.upgrade(owner, label="central")
    assert len(triggers()) == 7
    with session_factory(owner)() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 2


def test_a_station_role_cannot_resolve_its_own_alarm(owner: Engine, central_url: str,
                                                      tmp_path: Path) -> None:
    from station.sync import halts as sync_halts

    alarm_id = uuid.uuid4()
    with session_factory(owner).begin() as session:
        session.add(StationAlarm(id=alarm_id, station_code="PG-06", kind="chain_fork",
                                 details={"message": "two copies"}, raised_at=NOW))
    role = f"alarm_tester_{uuid.uuid4().hex[:8]}"
    with owner.begin() as connection:
        connection.execute(text(f"CREATE ROLE {role} LOGIN"))
        connection.execute(text(f"GRANT SELECT, INSERT ON station_alarms, central_audit "
                                f"TO {role}"))
    as_station = make_engine(make_url(central_url).set(username=role))
    bench = bench_at(tmp_path / "a", "PG-06", "P6", central_url)
    try:
        with pytest.raises(sync_halts.AlarmError, match="owner's credentials"):
            sync_halts.resolve(session_factory(as_station), bench.local, alarm_id, by="admin",
                               reason="re-enrolled", now=NOW)
        resolved = sync_halts.resolve(session_factory(owner), bench.local, alarm_id,
                                      by="admin", reason="re-enrolled", now=NOW)
        assert resolved.resolved_by == "admin" and resolved.resolution == "re-enrolled"
    finally:
        as_station.dispose()
        bench.close()
