"""The same schema and migrations on a real PostgreSQL central database."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, select, text

import resources
from station.cli import main as cli
from station.store import schema
from station.store.database import make_engine, session_factory
from station.store.models import Rma, Station

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_engine(fresh_postgres_url: str) -> Iterator[Engine]:
    engine = make_engine(fresh_postgres_url)
    yield engine
    engine.dispose()


def test_migrations_build_the_whole_schema_on_postgresql(pg_engine: Engine) -> None:
    engine = pg_engine
    assert schema.upgrade(engine, label="central") == (None, schema.head_revision())
    assert schema.upgrade(engine, label="central")[0] == schema.head_revision()
    tables = set(inspect(engine).get_table_names())
    assert {"receipts", "units", "inspections", "dispositions", "refund_triggers",
            "audit_events", "outbox", "rmas", "rma_lines"} <= tables
    columns = {c["name"]: c for c in inspect(engine).get_columns("receipts")}
    assert "UUID" in str(columns["id"]["type"]).upper()
    assert "TIMESTAMP" in str(columns["received_at"]["type"]).upper()


def test_times_come_back_from_postgresql_as_the_same_utc_instant(pg_engine: Engine) -> None:
    engine = pg_engine
    schema.upgrade(engine, label="central")
    sessions = session_factory(engine)
    when = datetime(2026, 11, 24, 10, 42, 7, 123000, tzinfo=UTC)
    with sessions.begin() as session:
        session.add(Station(code="BENCH-01", name="BENCH-01", site="Site", lpn_prefix="BN",
                            created_at=when))
    with sessions() as session:
        stored = session.get(Station, "BENCH-01")
        assert stored is not None and stored.created_at == when
        assert stored.created_at.tzinfo is not None


def test_a_postgresql_database_from_a_newer_version_is_refused(pg_engine: Engine) -> None:
    engine = pg_engine
    schema.upgrade(engine, label="central")
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'ffff0000ffff'"))
    with pytest.raises(schema.SchemaError, match="newer than this version"):
        schema.check_schema(engine, label="central")


def test_db_upgrade_and_import_rmas_work_against_a_postgresql_central(
    fresh_postgres_url: str, pg_engine: Engine, tmp_path: Path,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = tmp_path / "config.toml"
    url = fresh_postgres_url.replace("postgresql+psycopg://", "postgresql://")
    config.write_text(f'[station]\ncode = "BENCH-09"\n[central]\nurl = "{url}"\n',
                      encoding="utf-8")
    base = ["--config", str(config), "--data-dir", str(tmp_path)]
    assert cli.main([*base, "db", "upgrade"]) == 0
    assert "central: postgresql" in capsys.readouterr().out
    monkeypatch.setattr(sys, "stdin", io.StringIO("13792468\n"))
    assert cli.main([*base, "users", "add", "boss", "--name", "Bea Boss", "--role",
                     "admin"]) == 1  # a station of a site creates nobody: people are central
    assert "central users" in capsys.readouterr().err
    monkeypatch.setattr(sys, "stdin", io.StringIO("13792468\n13792468\n"))
    assert cli.main([*base, "central", "users", "add", "boss", "--name", "Bea Boss",
                     "--role", "admin"]) == 0
    group = f"stations_{tmp_path.name[-8:].lower().replace('-', '_')}"
    with pg_engine.begin() as connection:
        connection.execute(text(f"CREATE ROLE {group} NOLOGIN"))
    assert cli.main([*base, "central", "enrol-station", "BENCH-09", "--site",
                     "Main warehouse", "--lpn-prefix", "BE09", "--group-role", group]) == 0
    assert cli.main([*base, "sync"]) == 0  # the directory reaches the bench
    sample = resources.path("demo", "sample-rmas.csv")
    monkeypatch.setattr(sys, "stdin", io.StringIO("13792468\n"))
    assert cli.main([*base, "import-rmas", str(sample), "--as", "boss"]) == 0
    central = session_factory(pg_engine)
    with central() as session:
        assert list(session.scalars(select(Rma.rma_number).order_by(Rma.rma_number))) == [
            "RMA-200001", "RMA-200002", "RMA-200003"]
    local_engine = make_engine(f"sqlite:///{tmp_path / 'station.db'}")
    with session_factory(local_engine)() as session:
        assert session.scalar(select(Rma).where(Rma.rma_number == "RMA-200003")) is not None
    local_engine.dispose()
