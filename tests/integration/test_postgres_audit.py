"""`audit verify --central URL` finds hand-made edits, deletions and insertions in PostgreSQL
(even those made with the database's own checks switched off by a superuser)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from station.audit import chain as audit
from station.cli import main as cli
from station.store import schema
from station.store.database import make_engine, session_factory

pytestmark = pytest.mark.postgres


@pytest.fixture
def central(fresh_postgres_url: str) -> Iterator[Engine]:
    engine = make_engine(fresh_postgres_url)
    schema.upgrade(engine, label="central")
    sessions = session_factory(engine)
    start = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    for station in ("BENCH-01", "BENCH-02"):
        with sessions.begin() as session:
            for n in range(6):
                audit.record(session, station_code=station, actor=None, actor_name="clerk",
                             action="receipt.recorded", subject=f"RMA-10000{n}",
                             data={"n": n}, now=start + timedelta(minutes=n))
    yield engine
    engine.dispose()


def verify(url: str, folder: Path) -> int:
    return cli.main(["--data-dir", str(folder), "audit", "verify", "--central", url])


@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        ("UPDATE audit_events SET data = '{\"n\": 99}' WHERE station_code = 'BENCH-02' "
         "AND seq = 3", "BENCH-02: 6 entries, BROKEN at entry 3"),
        ("DELETE FROM audit_events WHERE station_code = 'BENCH-01' AND seq = 4",
         "BENCH-01: 5 entries, BROKEN at entry 4"),
        ("INSERT INTO audit_events SELECT gen_random_uuid(), station_code, 7, actor_id, "
         "actor_name, action, 'FORGED', data, occurred_at, prev_hash, hash FROM audit_events "
         "WHERE station_code = 'BENCH-01' AND seq = 6", "BENCH-01: 7 entries, BROKEN at entry 7"),
    ],
)
def test_tampering_in_postgresql_is_named_and_fails_the_command(
    central: Engine, fresh_postgres_url: str, tmp_path: Path, tamper: str, expected: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert verify(fresh_postgres_url, tmp_path) == 0
    assert capsys.readouterr().out.count("chain intact") == 2
    with central.begin() as connection:
        if tamper.startswith("INSERT"):  # the database refuses it (a broken chain) unless a
            # superuser switches its triggers off, as a determined insider would
            connection.execute(text("SET LOCAL session_replication_role = replica"))
        connection.execute(text(tamper))
    assert verify(fresh_postgres_url, tmp_path) == 1
    assert expected in capsys.readouterr().out
