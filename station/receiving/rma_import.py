"""RMA import into the central database: recorded in the commit that makes it count, all or
nothing, in short transactions, and never rewriting what inspected units were decided on.

Why: an import used to write its RMAs centrally in one long transaction (holding an SQLite
database's write lock for a minute at 100,000 RMAs) and only afterwards the station's audit
event, so a kill in between left RMAs that nobody had imported. And a re-import could
rewrite the category, reason, price or currency of a line whose units were already
inspected, rewriting the reports of past days.

Contract, in the order an import goes through it (`import_rmas` does all of it):

1. `begin` writes the import's central record (`rma_imports`, state `staging`: who, from
   which file, at which station).
2. `stage` copies the validated records into `rma_import_rows`, a chunk per transaction.
   Nobody reads staged rows: an import killed here has changed no RMA; an import or sync
   of the station deletes its leftovers once they are STALE_AFTER old (`abandon_stale`).
3. `commit` flips the record to `committed` in one tiny transaction. This is the commit
   point: before it no RMA of the file counts; after it every one will.
4. `apply` moves the staged RMAs into `rmas`/`rma_lines`, a chunk per transaction, each
   chunk recording how far it got (`applied_through`) and deleting its staged rows in the
   same transaction, and marks the record `applied` with its counts. An apply killed
   half-way is finished by the next import or sync of any station (`finish_pending`); a
   chunk applied twice is impossible (the position is read and moved under the record's
   lock).
5. The importing station appends `rmas.imported` to its own audit chain and then marks
   the central record `audited_at`. Killed in between, the next import or sync finds the
   record without `audited_at` and writes the event then (once: it looks for it first).

So "RMAs present ⇔ the import recorded" holds under kill -9: no RMA is applied before the
central record of its import is committed, and the station's chain gets the event from
that record at the latest on its next sync.

A line with inspected units (an inspection or a decision, centrally or at this station)
keeps its category, reason, unit price and currency: an import that would change any of
them is refused for that RMA (kept as it was, listed as a `Refusal`), the rest of the file
is imported. Decisions also carry their own copy of the line (`dispositions.line_*`).

One module (over 500 lines) because the five steps share the staged-row format, the
record's states and the refusal rule, and a change to one step is a change to the contract
above.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import islice
from typing import Any, Final

from sqlalchemy import (
    Connection,
    Engine,
    Table,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from station.audit import chain as audit
from station.common.errors import UserFacingError
from station.common.ids import uuid7
from station.common.permissions import Actor
from station.receiving.rma_records import RmaRecord
from station.store import unit_summaries
from station.store.models import (
    AuditEvent,
    Counter,
    DispositionDecision,
    Inspection,
    Rma,
    RmaImport,
    RmaImportRow,
    RmaLine,
    Unit,
)
from station.store.write_pacing import ChunkPacer, long_job

#: RMAs per transaction: a chunk's transaction stays well under 100 ms on a bench PC.
CHUNK: Final = 500
#: Refusals kept on the import's record (the count is always exact).
MAX_REFUSALS: Final = 200
AUDIT_ACTION: Final = "rmas.imported"
CHANGE_SEQ: Final = "rma_change_seq"
#: An import still staging after this long is taken for killed and cleared.
STALE_AFTER: Final = timedelta(hours=6)
#: Fields of a line that decisions are made on: an inspected line keeps them.
GUARDED: Final = ("category", "reason", "unit_price_minor", "currency")
_RMA_FIELDS: Final = ("order_number", "order_date", "customer_name", "requested",
                      "carrier_tracking")
_LINE_FIELDS: Final = ("sku", "gtin", "description", "category", "expected_serial",
                       "quantity", "unit_price_minor", "currency", "reason")
_STAGING: Final = "staging"
_COMMITTED: Final = "committed"
_APPLIED: Final = "applied"


class ImportLost(UserFacingError):
    pass


@dataclass(frozen=True)
class Refusal:
    """An RMA kept as it was: the import would change a line with inspected units."""

    rma_number: str
    line_no: int
    units: int
    changes: tuple[tuple[str, str, str], ...]  # (field, now, in the file)

    def __str__(self) -> str:
        changed = "; ".join(f"{name} {before} -> {after}" for name, before, after in
                            self.changes)
        noun = "unit" if self.units == 1 else "units"
        return (f"RMA {self.rma_number} line {self.line_no} has {self.units} inspected "
                f"{noun}; the RMA was kept as it was, not changed: {changed}")

    def as_json(self) -> dict[str, Any]:
        return {"rma": self.rma_number, "line": self.line_no, "units": self.units,
                "changes": [list(change) for change in self.changes]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Refusal:
        return cls(str(data["rma"]), int(data["line"]), int(data["units"]),
                   tuple((str(a), str(b), str(c)) for a, b, c in data["changes"]))


@dataclass(frozen=True)
class ImportOutcome:
    import_id: uuid.UUID
    rmas: int
    created: int
    updated: int
    unchanged: int
    refused: int
    refusals: tuple[Refusal, ...]


def record_json(record: RmaRecord) -> dict[str, Any]:
    """A validated record as the staged JSON: column values, dates as ISO text. The enums
    are StrEnums, whose str() is their value (a C call; `.value` is a Python-level
    property, 2 % of a large import)."""
    return {
        "rma_number": record.rma_number, "order_number": record.order_number,
        "order_date": record.order_date.isoformat(), "customer_name": record.customer_name,
        "requested": str(record.requested), "carrier_tracking": record.carrier_tracking,
        "lines": [{"line_no": line.line_no, "sku": line.sku, "gtin": line.gtin,
                   "description": line.description, "category": str(line.category),
                   "expected_serial": line.expected_serial, "quantity": line.quantity,
                   "unit_price_minor": line.unit_price_minor, "currency": line.currency,
                   "reason": str(line.reason)} for line in record.lines],
    }


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


_INSERT_STAGED: Final = ("INSERT INTO rma_import_rows (import_id, seq, rma_number, record) "
                        "VALUES (?, ?, ?, ?)")


def begin(central: sessionmaker[Session], *, station_code: str, source: str,
          now: datetime) -> uuid.UUID:
    """Record a new import (state staging); its id names it from now on. Who imports is
    recorded at its commit."""
    import_id = uuid7()
    with central.begin() as session:
        session.add(RmaImport(
            id=import_id, station_code=station_code, actor_id=None, actor_name="",
            source=source[:200],
            state=_STAGING, rmas=0, applied_through=0, created=0, updated=0, unchanged=0,
            refused=0, started_at=now, refusals=[]))
    return import_id


def stage(central: sessionmaker[Session], import_id: uuid.UUID,
          records: Iterable[RmaRecord]) -> int:
    """Stage the records (a chunk per transaction); returns how many. Nothing reads them
    until `commit`. A staged row is one insert, so a chunk may hold up to 5,000 of them
    (as many as the pacer's time allows): fewer commits, each an fsync."""
    staged = 0
    pacer = ChunkPacer(first=200, most=5000)
    records = iter(records)
    bind = central.kw.get("bind")
    raw = isinstance(bind, Engine) and bind.dialect.name == "sqlite"
    while chunk := list(islice(records, pacer.size)):
        if raw:  # the values as SQLAlchemy's Uuid and JSON types store them on SQLite
            stored = [(import_id.hex, staged + i, record.rma_number,
                       json.dumps(record_json(record)))
                      for i, record in enumerate(chunk, start=1)]
        else:
            rows = [{"import_id": import_id, "seq": staged + i, "rma_number": record.rma_number,
                     "record": record_json(record)} for i, record in enumerate(chunk, start=1)]
        with pacer.timed(), central.begin() as session:
            if raw:
                session.connection().exec_driver_sql(_INSERT_STAGED, stored)
            else:
                session.connection().execute(insert(RmaImportRow), rows)
        staged += len(chunk)
    return staged


def commit(central: sessionmaker[Session], import_id: uuid.UUID, rmas: int, *,
           actor: Actor | None, actor_name: str, now: datetime) -> None:
    """The commit point: from here on every staged RMA of the import will be applied, and
    the record says who imported them."""
    with central.begin() as session:
        flipped = session.connection().execute(update(RmaImport).where(
            RmaImport.id == import_id, RmaImport.state == _STAGING).values(
            state=_COMMITTED, rmas=rmas, committed_at=now,
            actor_id=actor.user_id if actor else None,
            actor_name=actor.username if actor else actor_name[:64]))
        if flipped.rowcount != 1:
            raise ImportLost("This import was cleared while it was being read (it had been "
                             f"staging for more than {STALE_AFTER}); nothing of it was "
                             "imported. Import the file again.")


def abandon(central: sessionmaker[Session], import_id: uuid.UUID) -> None:
    """Forget an import that never reached its commit: its staged rows and its record."""
    while True:
        with central.begin() as session:
            state = session.scalar(select(RmaImport.state).where(RmaImport.id == import_id))
            if state is not None and state != _STAGING:
                return
            seqs = list(session.scalars(select(RmaImportRow.seq).where(
                RmaImportRow.import_id == import_id).order_by(RmaImportRow.seq).limit(
                CHUNK * 10)))
            if not seqs:
                session.execute(delete(RmaImport).where(RmaImport.id == import_id))
                return
            session.execute(delete(RmaImportRow).where(
                RmaImportRow.import_id == import_id, RmaImportRow.seq <= seqs[-1]))


def abandon_stale(central: sessionmaker[Session], station_code: str, now: datetime) -> None:
    """Clear this station's imports killed before their commit (nothing of them counts):
    those staging for longer than STALE_AFTER (a younger one may still be running in
    another process)."""
    with central() as session:
        stale = list(session.scalars(select(RmaImport.id).where(
            RmaImport.station_code == station_code, RmaImport.state == _STAGING,
            RmaImport.started_at < now - STALE_AFTER)))
    for import_id in stale:
        abandon(central, import_id)


def _reserve_change_seqs(session: Session, count: int) -> int:
    """Reserve `count` RMA change numbers; returns the first. The counter's row stays locked
    until the caller commits, so numbers become visible in order (pulls skip none)."""
    statement = update(Counter).where(Counter.name == CHANGE_SEQ).values(
        value=Counter.value + count).returning(Counter.value)
    last = session.scalar(statement)
    if last is None:
        highest = session.scalar(select(func.max(Rma.change_seq))) or 0
        try:
            with session.begin_nested():
                session.execute(insert(Counter).values(name=CHANGE_SEQ, value=highest))
        except IntegrityError:  # another importer created it first
            pass
        last = session.scalar(statement)
        assert last is not None
    return int(last) - count + 1


def _shown(name: str, values: dict[str, Any]) -> str:
    if name == "unit_price_minor":
        return f"{values['unit_price_minor']} (minor units, {values['currency']})"
    return str(values[name])


def _inspected(sessions: Sequence[Session], line_ids: Iterable[uuid.UUID]
               ) -> dict[uuid.UUID, int]:
    """Units with an inspection or a decision per line, the most any database knows."""
    ids = sorted(set(line_ids))
    found: dict[uuid.UUID, int] = {}
    if not ids:
        return found
    decided = or_(select(Inspection.id).where(Inspection.unit_id == Unit.id).exists(),
                  select(DispositionDecision.id).where(
                      DispositionDecision.unit_id == Unit.id).exists())
    for session in sessions:
        for chunk in _chunks(ids, CHUNK):
            for line_id, units in session.execute(
                    select(Unit.rma_line_id, func.count()).where(
                        Unit.rma_line_id.in_(chunk), decided).group_by(Unit.rma_line_id)):
                if line_id is not None:
                    found[line_id] = max(found.get(line_id, 0), int(units))
    return found


@dataclass
class _Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    refusals: list[Refusal] = field(default_factory=list)


def _apply_chunk(session: Session, records: list[dict[str, Any]], now: datetime,
                 local: Session | None) -> _Counts:
    """Apply staged records to rmas/rma_lines in the caller's transaction."""
    counts = _Counts()
    numbers = [record["rma_number"] for record in records]
    existing = {row.rma_number: row for row in session.execute(
        select(Rma.id, Rma.rma_number, Rma.version, *(getattr(Rma, f) for f in _RMA_FIELDS))
        .where(Rma.rma_number.in_(numbers)))}
    lines_of: dict[uuid.UUID, dict[int, Any]] = {}
    if existing:
        for line in session.execute(select(RmaLine).where(
                RmaLine.rma_id.in_([row.id for row in existing.values()]))).scalars():
            lines_of.setdefault(line.rma_id, {})[line.line_no] = line
    new_rmas: list[dict[str, Any]] = []
    changes: list[tuple[dict[str, Any], Any, dict[int, Any]]] = []
    for record in records:
        row = existing.get(record["rma_number"])
        if row is None:
            new_rmas.append(record)
            continue
        values = {name: record[name] for name in _RMA_FIELDS}
        values["order_date"] = date.fromisoformat(record["order_date"])
        current = lines_of.get(row.id, {})
        if any(getattr(row, name) != value for name, value in values.items()) or any(
                line["line_no"] not in current
                or any(getattr(current[line["line_no"]], name) != line[name]
                       for name in _LINE_FIELDS) for line in record["lines"]) or (
                set(current) - {line["line_no"] for line in record["lines"]}):
            changes.append((record, row, current))
        else:
            counts.unchanged += 1
    guarded = {current[line["line_no"]].id
               for record, _row, current in changes for line in record["lines"]
               if line["line_no"] in current and any(
                   getattr(current[line["line_no"]], name) != line[name] for name in GUARDED)}
    inspected = _inspected([session] + ([local] if local is not None else []), guarded)
    accepted: list[tuple[dict[str, Any], Any, dict[int, Any]]] = []
    for record, row, current in changes:
        refusal = _refusal(record, current, inspected)
        if refusal is None:
            accepted.append((record, row, current))
        else:
            counts.refusals.append(refusal)
    first = _reserve_change_seqs(session, len(new_rmas) + len(accepted)) if (
        new_rmas or accepted) else 0
    if new_rmas:
        _insert_new(session.connection(), new_rmas, first, now)
    counts.created = len(new_rmas)
    _apply_changes(session, accepted, first + len(new_rmas), now)
    counts.updated = len(accepted)
    return counts


_RMA_COLUMNS: Final = ("id", "rma_number", *_RMA_FIELDS, "version", "change_seq",
                       "updated_at")
_LINE_COLUMNS: Final = ("id", "rma_id", "line_no", *_LINE_FIELDS)
_RMAS_TABLE: Final[Table] = Rma.__table__  # type: ignore[assignment]
_LINES_TABLE: Final[Table] = RmaLine.__table__  # type: ignore[assignment]


def _insert_sql(table: Table, columns: Sequence[str]) -> str:
    return (f"INSERT INTO {table.name} ({', '.join(columns)}) "  # noqa: S608 - model names
            f"VALUES ({', '.join('?' for _ in columns)})")


_INSERT_RMAS: Final = _insert_sql(_RMAS_TABLE, _RMA_COLUMNS)
_INSERT_LINES: Final = _insert_sql(_LINES_TABLE, _LINE_COLUMNS)


_TAIL_BITS: Final = 62


def _new_ids(count: int) -> list[str]:
    """`count` new UUIDv7s as SQLite stores them (32 hex digits), in ascending order.

    They share the timestamp, version, counter and variant bits of one id taken from
    station.common.ids.uuid7 (which never hands out that timestamp and counter again), and each
    has 62 random bits of its own, all from one os.urandom call (RFC 9562 allows random
    bits after the counter), sorted so the batch is monotonic. One system call per chunk
    instead of two per id: at a million RMAs uuid7() per row was 7 % of the import."""
    prefix = (uuid7().int >> _TAIL_BITS) << _TAIL_BITS
    mask = (1 << _TAIL_BITS) - 1
    while True:
        noise = os.urandom(8 * count)
        tails = sorted({int.from_bytes(noise[i:i + 8], "big") & mask
                        for i in range(0, len(noise), 8)})
        if len(tails) == count:
            break  # else two of them drew the same 62 bits: practically never
    return [f"{prefix | tail:032x}" for tail in tails]


def _insert_new(connection: Connection, records: list[dict[str, Any]], first_seq: int,
                now: datetime) -> None:
    """Insert the RMAs of `records` (none of them present yet) and their lines, change
    numbers from `first_seq` on. On SQLite the rows are handed to the driver as the values
    it stores (ids as hex, the staged ISO dates as they are, `now` converted once by the
    column's own type): no per-value conversion by SQLAlchemy, same rows as the portable
    path."""
    if connection.dialect.name == "sqlite":
        process = _RMAS_TABLE.c.updated_at.type.bind_processor(connection.dialect)
        stamp = process(now) if process is not None else now
        rma_rows: list[tuple[Any, ...]] = []
        line_rows: list[tuple[Any, ...]] = []
        ids = iter(_new_ids(len(records) + sum(len(record["lines"]) for record in records)))
        for seq, record in enumerate(records, start=first_seq):
            stored_id = next(ids)
            rma_rows.append((stored_id, record["rma_number"], record["order_number"],
                             date.fromisoformat(record["order_date"]).isoformat(),
                             record["customer_name"], record["requested"],
                             record["carrier_tracking"], 1, seq, stamp))
            line_rows.extend((next(ids), stored_id, line["line_no"],
                              *(line[name] for name in _LINE_FIELDS))
                             for line in record["lines"])
        connection.exec_driver_sql(_INSERT_RMAS, rma_rows)
        if line_rows:
            connection.exec_driver_sql(_INSERT_LINES, line_rows)
        return
    new_rmas: list[dict[str, Any]] = []
    new_lines: list[dict[str, Any]] = []
    for seq, record in enumerate(records, start=first_seq):
        rma_id = uuid7()
        new_rmas.append({"id": rma_id, "rma_number": record["rma_number"], "version": 1,
                         "change_seq": seq, "updated_at": now,
                         **{name: record[name] for name in _RMA_FIELDS},
                         "order_date": date.fromisoformat(record["order_date"])})
        new_lines.extend({"id": uuid7(), "rma_id": rma_id, **line} for line in record["lines"])
    connection.execute(insert(Rma), new_rmas)
    if new_lines:
        connection.execute(insert(RmaLine), new_lines)


def _refusal(record: dict[str, Any], current: dict[int, Any],
             inspected: dict[uuid.UUID, int]) -> Refusal | None:
    for line in record["lines"]:
        row = current.get(line["line_no"])
        if row is None or not inspected.get(row.id):
            continue
        before = {name: getattr(row, name) for name in GUARDED}
        changed = tuple((name, _shown(name, before), _shown(name, line))
                        for name in GUARDED if before[name] != line[name])
        if changed:
            return Refusal(record["rma_number"], line["line_no"], inspected[row.id], changed)
    return None


_UPDATE_RMA: Final = update(Rma).where(Rma.id == bindparam("b_id")).values(
    {name: bindparam(name) for name in (*_RMA_FIELDS, "version", "change_seq", "updated_at")})
_UPDATE_LINE: Final = update(RmaLine).where(RmaLine.id == bindparam("b_id")).values(
    {name: bindparam(name) for name in _LINE_FIELDS})


def _apply_changes(session: Session, accepted: list[tuple[dict[str, Any], Any, dict[int, Any]]],
                   first_seq: int, now: datetime) -> None:
    rma_updates: list[dict[str, Any]] = []
    line_updates: list[dict[str, Any]] = []
    line_inserts: list[dict[str, Any]] = []
    gone: list[uuid.UUID] = []
    for offset, (record, row, current) in enumerate(accepted):
        values = {name: record[name] for name in _RMA_FIELDS}
        values["order_date"] = date.fromisoformat(record["order_date"])
        rma_updates.append({"b_id": row.id, **values, "version": row.version + 1,
                            "change_seq": first_seq + offset, "updated_at": now})
        wanted = set()
        for line in record["lines"]:
            wanted.add(line["line_no"])
            existing = current.get(line["line_no"])
            if existing is None:
                line_inserts.append({"id": uuid7(), "rma_id": row.id, **line})
            elif any(getattr(existing, name) != line[name] for name in _LINE_FIELDS):
                line_updates.append({"b_id": existing.id,
                                     **{name: line[name] for name in _LINE_FIELDS}})
        gone.extend(current[no].id for no in set(current) - wanted)
    if rma_updates:
        session.connection().execute(_UPDATE_RMA, rma_updates)
    if line_updates:
        session.connection().execute(_UPDATE_LINE, line_updates)
    if line_inserts:
        session.connection().execute(insert(RmaLine), line_inserts)
    if gone:  # a line that left the source goes, unless a unit was received against it
        kept = set(session.scalars(select(Unit.rma_line_id).where(Unit.rma_line_id.in_(gone))))
        removable = [line_id for line_id in gone if line_id not in kept]
        if removable:
            session.execute(delete(RmaLine).where(RmaLine.id.in_(removable)))
    changed_lines = [line["b_id"] for line in line_updates]
    if changed_lines:
        units = session.scalars(select(Unit.id).where(Unit.rma_line_id.in_(changed_lines)))
        unit_summaries.refresh(session.connection(), list(units))


def apply_chunk(central: sessionmaker[Session], import_id: uuid.UUID, now: datetime,
                local: sessionmaker[Session] | None = None, size: int = CHUNK) -> bool:
    """Apply the next `size` staged RMAs of a committed import; False when there is nothing
    left (the import is then `applied`)."""
    with central.begin() as session:
        found = session.execute(select(RmaImport).where(RmaImport.id == import_id)
                                .with_for_update()).scalar_one_or_none()
        if found is None or found.state != _COMMITTED:
            return False
        staged = session.connection().execute(
            select(RmaImportRow.seq, RmaImportRow.record).where(
                RmaImportRow.import_id == import_id, RmaImportRow.seq > found.applied_through)
            .order_by(RmaImportRow.seq).limit(size)).all()
        if not staged:
            found.state = _APPLIED
            found.applied_at = now
            return False
        if local is not None:
            with local() as local_session:
                counts = _apply_chunk(session, [row.record for row in staged], now,
                                      local_session)
        else:
            counts = _apply_chunk(session, [row.record for row in staged], now, None)
        refusals = counts.refusals
        found.created += counts.created
        found.updated += counts.updated
        found.unchanged += counts.unchanged
        found.refused += len(refusals)
        room = MAX_REFUSALS - len(found.refusals)
        if refusals and room > 0:
            found.refusals = [*found.refusals, *(r.as_json() for r in refusals[:room])]
        found.applied_through = staged[-1].seq
        session.connection().execute(delete(RmaImportRow).where(
            RmaImportRow.import_id == import_id, RmaImportRow.seq <= staged[-1].seq))
        return True


def apply(central: sessionmaker[Session], import_id: uuid.UUID, now: datetime,
          local: sessionmaker[Session] | None = None,
          meanwhile: Callable[[], object] | None = None) -> None:
    """Apply a committed import to the end, a short transaction per chunk (paced:
    station.store.write_pacing), calling `meanwhile` between two chunks."""
    pacer = ChunkPacer()
    while True:
        with pacer.timed():
            more = apply_chunk(central, import_id, now, local, pacer.size)
        if not more:
            return
        if meanwhile is not None:
            meanwhile()


def outcome(central: sessionmaker[Session], import_id: uuid.UUID) -> ImportOutcome:
    with central() as session:
        found = session.get_one(RmaImport, import_id)
        return ImportOutcome(found.id, found.rmas, found.created, found.updated,
                             found.unchanged, found.refused,
                             tuple(Refusal.from_json(item) for item in found.refusals))


def _subject(import_id: uuid.UUID) -> str:
    return f"RMA import {import_id}"


def record_audit(central: sessionmaker[Session], local: sessionmaker[Session],
                 import_id: uuid.UUID, *, station_code: str, actor: Actor | None,
                 now: datetime, late: bool = False) -> None:
    """Append the import's `rmas.imported` event to this station's chain (unless it is
    there already), then mark the central record audited. `late`: written by a later
    import or sync for an import whose process died before it could."""
    done = outcome(central, import_id)
    with central() as session:
        found = session.get_one(RmaImport, import_id)
        actor_name, source = found.actor_name, found.source
    with local.begin() as session:
        present = session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.station_code == station_code,
            AuditEvent.action == AUDIT_ACTION,
            AuditEvent.subject == _subject(import_id)))
        if not present:
            audit.record(session, station_code=station_code, actor=actor,
                         actor_name=actor_name, action=AUDIT_ACTION,
                         subject=_subject(import_id),
                         data={"import_id": import_id, "source": source, "rmas": done.rmas,
                               "created": done.created, "updated": done.updated,
                               "unchanged": done.unchanged, "refused": done.refused,
                               "late": late},
                         now=now)
    with central.begin() as session:
        session.execute(update(RmaImport).where(
            RmaImport.id == import_id, RmaImport.audited_at.is_(None)).values(audited_at=now))


def finish_pending(central: sessionmaker[Session], local: sessionmaker[Session], *,
                   station_code: str, now: datetime) -> int:
    """Finish what killed imports left: apply every committed import (whichever station
    began it), audit this station's applied ones that its chain lacks, and drop its
    imports killed before their commit. Returns how many imports were finished."""
    abandon_stale(central, station_code, now)
    with central() as session:
        committed = list(session.scalars(select(RmaImport.id).where(
            RmaImport.state == _COMMITTED).order_by(RmaImport.started_at)))
    for import_id in committed:
        apply(central, import_id, now, local)
    with central() as session:
        unaudited = list(session.scalars(select(RmaImport.id).where(
            RmaImport.station_code == station_code, RmaImport.state == _APPLIED,
            RmaImport.audited_at.is_(None)).order_by(RmaImport.started_at)))
    for import_id in unaudited:
        record_audit(central, local, import_id, station_code=station_code, actor=None,
                     now=now, late=True)
    return len(committed) + len(unaudited)


def _carry_on(_step: str) -> None:
    """The default checkpoint: nothing happens between the steps."""


def _known(actor: Actor | None) -> Callable[[], Actor | None]:
    return lambda: actor


def import_rmas(central: sessionmaker[Session], local: sessionmaker[Session],
                records: Iterable[RmaRecord], *, station_code: str, actor: Actor | None,
                actor_name: str, source: str, now: datetime,
                ask_actor: Callable[[], Actor | None] | None = None,
                meanwhile: Callable[[], object] | None = None,
                checkpoint: Callable[[str], None] = _carry_on) -> ImportOutcome:
    """Import `records` (one per RMA number) through steps 1-5 above.

    `records` may be checked as they are read: if reading them raises, nothing counts (the
    staged rows are dropped) and the error propagates. With `ask_actor`, who imports is
    asked once every record was read (a bad file is refused before anyone signs in); an
    error it raises (a refusal) likewise imports nothing. `meanwhile` is called between two
    applied chunks (the command line pulls a page into the station then, so each database
    rests while the other is written). `checkpoint` is called with the name of each step
    done (fault-injection tests kill the process there). What the process held when the
    import began stays out of the garbage collector's full collections until it returns
    (station.store.write_pacing.long_job)."""
    with long_job():
        finish_pending(central, local, station_code=station_code, now=now)
        import_id = begin(central, station_code=station_code, source=source, now=now)
        try:
            rmas = stage(central, import_id, records)
            actor = (ask_actor or _known(actor))()
        except BaseException:
            abandon(central, import_id)
            raise
        checkpoint("staged")
        commit(central, import_id, rmas, actor=actor, actor_name=actor_name, now=now)
        checkpoint("committed")

        def between_chunks() -> None:
            checkpoint("chunk applied")
            if meanwhile is not None:
                meanwhile()

        apply(central, import_id, now, local, between_chunks)
        checkpoint("applied")
        record_audit(central, local, import_id, station_code=station_code, actor=actor, now=now)
        return outcome(central, import_id)
