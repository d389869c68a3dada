"""Pull: copy RMAs changed centrally since this station's watermark into its local database.

Rows keep their central ids, so pulling the same page twice changes nothing, and the
watermark only moves after the page is committed locally.

A page is read from the central database first and written locally afterwards in one
short transaction (bulk upserts, no ORM objects): the station's write lock is held for a
page's writes only (a few ms for 500 RMAs), never while the central database answers, so
a pull of a million RMAs never keeps a bench waiting. Two pulls at once are harmless: a
page whose watermark moved meanwhile is dropped and read again.

When both databases are SQLite files (a single bench with its embedded central database)
a page is copied as the rows' stored values (`_pull_page_raw`): both files store a column
alike, so the values read centrally are written locally as they are, with no conversion to
Python types and back; the transactions and what they write are the same.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Engine, Table, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from station.store import sequences, unit_summaries
from station.store.models import Rma, RmaLine, Unit
from station.store.write_pacing import ChunkPacer

_WATERMARK = "pull.rmas"
_RMAS: Table = Rma.__table__  # type: ignore[assignment]
_LINES: Table = RmaLine.__table__  # type: ignore[assignment]


def _upsert(connection: Connection, table: Any, rows: Sequence[dict[str, Any]]) -> None:
    """Insert `rows`, or update every column of the row with the same id."""
    module = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = module.insert(table)
    connection.execute(statement.on_conflict_do_update(
        index_elements=[table.c.id],
        set_={column.key: statement.excluded[column.key] for column in table.columns
              if column.key != "id"}), list(rows))


def _write_page(session: Session, rmas: Sequence[dict[str, Any]],
                lines: Sequence[dict[str, Any]]) -> None:
    connection = session.connection()
    rma_ids = [rma["id"] for rma in rmas]
    before = set(connection.scalars(select(_LINES.c.id).where(_LINES.c.rma_id.in_(rma_ids))))
    _upsert(connection, _RMAS, rmas)
    if lines:
        _upsert(connection, _LINES, lines)
    gone = before - {line["id"] for line in lines}
    if gone:
        connection.execute(delete(_LINES).where(_LINES.c.id.in_(sorted(gone))))
    if before:  # lines this station had: their units' rows may count by them
        changed: list[uuid.UUID] = sorted(before)
        units = list(connection.scalars(select(Unit.id).where(Unit.rma_line_id.in_(changed))))
        if units:
            unit_summaries.refresh(connection, units)


def _rows(connection: Connection, query: Any) -> list[dict[str, Any]]:
    result = connection.execute(query)
    keys = list(result.keys())
    return [dict(zip(keys, row, strict=True)) for row in result]


def _columns(table: Table) -> str:
    return ", ".join(column.name for column in table.columns)


def _raw_upsert_sql(table: Table) -> str:
    names = [column.name for column in table.columns]
    updates = ", ".join(f"{name} = excluded.{name}" for name in names if name != "id")
    return (f"INSERT INTO {table.name} ({', '.join(names)}) VALUES "  # noqa: S608 - model names
            f"({', '.join('?' for _ in names)}) ON CONFLICT (id) DO UPDATE SET {updates}")


_RAW_RMAS = (f"SELECT {_columns(_RMAS)} FROM {_RMAS.name} WHERE change_seq > ? "  # noqa: S608
             "ORDER BY change_seq LIMIT ?")
_RAW_LINES = (f"SELECT {_columns(_LINES)} FROM {_LINES.name} WHERE rma_id IN "  # noqa: S608
              f"(SELECT id FROM {_RMAS.name} WHERE change_seq > ? AND change_seq <= ?)")
_RAW_UPSERT_RMAS = _raw_upsert_sql(_RMAS)
_RAW_UPSERT_LINES = _raw_upsert_sql(_LINES)
_ID = [column.name for column in _RMAS.columns].index("id")
_SEQ = [column.name for column in _RMAS.columns].index("change_seq")
_LINE_ID = [column.name for column in _LINES.columns].index("id")


def _both_sqlite(central: sessionmaker[Session], local: sessionmaker[Session]) -> bool:
    """Both factories bound to an SQLite engine (else the portable path is taken)."""
    binds = [factory.kw.get("bind") for factory in (central, local)]
    return all(isinstance(bind, Engine) and bind.dialect.name == "sqlite" for bind in binds)


def _pull_page_raw(central: sessionmaker[Session], local: sessionmaker[Session],
                   watermark: int, page_size: int) -> int | None:
    """`pull_page` between two SQLite files: the stored values copied as they are. The
    central page is read in a deferred (read-only) transaction: in WAL mode it sees one
    snapshot and takes no write lock, so the central database's writers (an import's next
    chunk, a bench) are not held up while it is read."""
    bind = central.kw["bind"]
    assert isinstance(bind, Engine)
    raw = bind.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("BEGIN DEFERRED")
        try:
            cursor.execute(_RAW_RMAS, (watermark, page_size))
            rmas = [tuple(row) for row in cursor.fetchall()]
            if rmas:
                cursor.execute(_RAW_LINES, (watermark, rmas[-1][_SEQ]))
            lines = [tuple(row) for row in cursor.fetchall()] if rmas else []
        finally:
            cursor.execute("COMMIT")
            cursor.close()
    finally:
        raw.close()
    if not rmas:
        return None
    with local.begin() as local_session:
        if sequences.current(local_session, _WATERMARK) != watermark:
            return 0  # another pull moved on meanwhile: the next page starts from its mark
        connection = local_session.connection()
        before: set[str] = set()
        ids = [rma[_ID] for rma in rmas]
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            before.update(row[0] for row in connection.exec_driver_sql(
                f"SELECT id FROM {_LINES.name} WHERE rma_id IN "  # noqa: S608 - ids bound
                f"({', '.join('?' for _ in chunk)})", tuple(chunk)))
        connection.exec_driver_sql(_RAW_UPSERT_RMAS, rmas)
        if lines:
            connection.exec_driver_sql(_RAW_UPSERT_LINES, lines)
        gone = before - {line[_LINE_ID] for line in lines}
        if gone:
            connection.execute(delete(_LINES).where(
                _LINES.c.id.in_(sorted(uuid.UUID(hex=line_id) for line_id in gone))))
        if before:  # lines this station had: their units' rows may count by them
            changed = sorted(uuid.UUID(hex=line_id) for line_id in before)
            units = list(connection.scalars(select(Unit.id).where(
                Unit.rma_line_id.in_(changed))))
            if units:
                unit_summaries.refresh(connection, units)
        sequences.set_to(local_session, _WATERMARK, rmas[-1][_SEQ])
    return len(rmas)


def pull_page(central: sessionmaker[Session], local: sessionmaker[Session],
              page_size: int = 500) -> int | None:
    """Copy the next page of at most `page_size` RMAs changed since the watermark, in one
    local transaction; returns how many (0), or None when nothing is left to pull."""
    with local() as local_session:
        watermark = sequences.current(local_session, _WATERMARK)
    if _both_sqlite(central, local):
        return _pull_page_raw(central, local, watermark, page_size)
    with central() as central_session:
        connection = central_session.connection()
        rmas = _rows(connection, select(_RMAS).where(_RMAS.c.change_seq > watermark)
                     .order_by(_RMAS.c.change_seq).limit(page_size))
        lines = _rows(connection, select(_LINES).where(
            _LINES.c.rma_id.in_([rma["id"] for rma in rmas]))) if rmas else []
    if not rmas:
        return None
    with local.begin() as local_session:
        if sequences.current(local_session, _WATERMARK) != watermark:
            return 0  # another pull moved on meanwhile: the next page starts from its mark
        _write_page(local_session, rmas, lines)
        sequences.set_to(local_session, _WATERMARK, rmas[-1]["change_seq"])
    return len(rmas)


def pull_rmas(
    central: sessionmaker[Session], local: sessionmaker[Session], *,
    page_size: int | None = None,
) -> int:
    """Copy every RMA changed since the watermark, a page per local transaction (of
    `page_size` RMAs, or as many as keep it short: station.store.write_pacing)."""
    pulled = 0
    pacer = ChunkPacer(first=page_size or 200, least=page_size or 50,
                       most=page_size or 2000)
    while True:
        with pacer.timed():
            count = pull_page(central, local, pacer.size)
        if count is None:
            return pulled
        pulled += count
