"""Engines for the station's local database and the central one, from one schema.

The local SQLite database is the station's source of truth while the network is down, so
it runs in WAL mode with `synchronous=FULL` (a confirmed decision survives a power cut) and
takes its write lock at BEGIN (`BEGIN IMMEDIATE`), so concurrent writers queue instead of
failing half-way through a use case.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

from station.settings.private_files import create_private_file, make_private_dirs
from station.store import unit_summaries

SQLITE_BUSY_TIMEOUT_S = 15


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def make_engine(url: str | URL, *, connect_args: dict[str, Any] | None = None,
                isolation_level: str = "") -> Engine:
    """An engine for either database; SQLite files get the durability settings above.
    `isolation_level` applies to a server database (SQLite transactions are serial)."""
    parsed = make_url(url)
    args = dict(connect_args or {})
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            make_private_dirs(Path(database).parent)
            with contextlib.suppress(OSError):  # SQLite then says why it cannot open it
                create_private_file(Path(database))  # its -wal and -shm files take its mode
        args.setdefault("check_same_thread", False)
        args.setdefault("timeout", SQLITE_BUSY_TIMEOUT_S)
        engine = create_engine(parsed, connect_args=args)
        _configure_sqlite(engine)
        return engine
    if isolation_level:
        return create_engine(parsed, connect_args=args, pool_pre_ping=True,
                             isolation_level=isolation_level)
    return create_engine(parsed, connect_args=args, pool_pre_ping=True)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from pysqlite so that BEGIN IMMEDIATE below is ours.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions on `engine` that keep each unit's summary row current as facts are written."""
    return unit_summaries.keep_current(sessionmaker(engine, expire_on_commit=False))
