"""Migrations create the schema, and a database from a newer app version is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from station.store import schema
from station.store.database import make_engine, sqlite_url


def test_upgrade_creates_every_table_and_is_repeatable(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path / "local.db"))
    assert schema.upgrade(engine, label="local") == (None, schema.head_revision())
    assert schema.upgrade(engine, label="local") == (schema.head_revision(),) * 2
    with engine.connect() as connection:
        tables = set(connection.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type='table'").scalars())
    assert {"receipts", "units", "inspections", "photos", "dispositions", "refund_triggers",
            "print_jobs", "exceptions", "audit_events", "outbox", "users", "rmas",
            "rma_lines", "stations"} <= tables


def test_the_local_database_is_durable_wal_with_full_sync(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path / "local.db"))
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2


def test_a_database_written_by_a_newer_version_is_refused_untouched(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path / "local.db"))
    schema.upgrade(engine, label="local")
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'f00dfeed9999'"))
    with pytest.raises(schema.SchemaError, match="newer than this version"):
        schema.upgrade(engine, label="local")
    assert schema.current_revision(engine) == "f00dfeed9999"


def test_the_head_written_in_schema_is_the_newest_migration() -> None:
    """A new migration must update schema.HEAD, or current databases would look old."""
    from alembic.script import ScriptDirectory

    assert ScriptDirectory.from_config(schema._config()).get_current_head() == schema.HEAD
