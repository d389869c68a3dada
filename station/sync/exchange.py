"""Sync between a station and the central database: push facts, pull what changed.

Push sends outbox entries in per-station sequence order (never by wall clock), a batch per
central transaction. Each fact is inserted if absent on its station-made id, so a batch
delivered twice — after a crash, a lost connection, even during the central COMMIT —
changes nothing the second time; only after the central commit are the entries marked sent
locally. Two kinds of fact can lose to another station's: a settling refund trigger for a
unit slot of an RMA line that is already settled centrally (the unique index on
`settle_key`), and a second receipt of one RMA (the unique index on `rma_id`). The losing
fact is then kept in `sync_conflicts` with its payload (never in its own table) and an
exception is opened for the supervisors; the station learns it on its next pull. Each
contested fact has its own winner: the first receipt of a parcel and the first settling
refund of a unit slot are decided independently (a receipt and a refund are different
facts, pushed in different batches), so one station may win the parcel and another the
refund, and every loser's conflict names the winner of that fact for the supervisor.

A batch the central side rejects for another reason (a constraint, a schema problem) is
split to find the entries at fault; those are parked locally with the error, shown in the
app and never retried silently, and the others go on. A lost connection is `SyncOffline`:
nothing is marked, and the next attempt sends the same entries again.

Pull copies RMAs (`station.sync.pull`) and this station's conflicts changed since its
watermarks, a page per local transaction, so a station offline for a week catches up
without a reset.

Kept whole: push's batching, its split-on-error and parking, and the recording of lost
conflicts are one protocol resting on one idempotence argument (above), so they are read
and changed together; pulling, with transactions of its own, already lives in
station.sync.pull.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Final

from sqlalchemy import Date, Engine, Table, Uuid, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import (
    DBAPIError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.orm import Session, sessionmaker

from station.audit import anchors as audit_anchors
from station.audit import signing as audit_signing
from station.common.errors import UserFacingError
from station.common.vocabulary import ExceptionKind
from station.inspection.rule_sets import pull_rule_sets
from station.people import directory as user_directory
from station.receiving import rma_import
from station.settings.config import StationConfig
from station.settings.pin_pepper import PinPepper
from station.store import retry, schema, sequences, unit_summaries
from station.store.models import (
    Base,
    ExceptionCase,
    OutboxEntry,
    StationSync,
    SyncConflict,
    UtcDateTime,
)
from station.sync import deadline as sync_deadline
from station.sync import halts as sync_halts
from station.sync.pull import pull_rmas
from station.trust import central_rules, enrolment

BATCH_SIZE: Final = 500
CONFLICT_SEQ: Final = "sync_conflicts_change_seq"
CONFLICT_WATERMARK: Final = "pull.conflicts"
_CONFLICT_NAMESPACE: Final = uuid.UUID("6f1d0b52-3c0e-4a8e-9a57-2f7c9d1b8e40")


class SyncError(UserFacingError):
    """Sync cannot go on; the message says why and what to do."""


class SyncOffline(SyncError):
    """The central database cannot be reached; try again later (nothing was lost)."""


class SchemaMismatch(SyncError):
    """The central database's schema is not the one this station was built for."""


@dataclass
class PushResult:
    sent: int = 0
    conflicts: int = 0
    parked: int = 0
    batches: int = 0
    retries: int = 0
    conflict_ids: list[uuid.UUID] = field(default_factory=list)


@dataclass(frozen=True)
class StationIdentity:
    code: str
    site: str
    lpn_prefix: str
    #: Runs on its embedded central database: it is its own directory of people.
    standalone: bool = False

    @classmethod
    def of(cls, config: StationConfig) -> StationIdentity:
        """The station a configuration describes."""
        return cls(config.station_code, config.site, config.effective_lpn_prefix,
                   standalone=not config.central.url)


# ---------------------------------------------------------------------------- checks


def check_central_schema(engine: Engine) -> str:
    """The central revision, if it is this station's; else SchemaMismatch naming both."""
    try:
        revision = schema.current_revision(engine)
    except (OperationalError, InterfaceError) as error:
        if "not permitted to log in" in str(error):
            raise SyncRefused(
                "The central database does not let this station sign in: its database role "
                "was disabled because the station was revoked. Ask an admin; nothing here "
                "was lost, and nothing was sent.") from None
        raise SyncOffline(f"The central database cannot be reached: {_first_line(error)}") \
            from None
    head = schema.head_revision()
    if revision != head:
        raise SchemaMismatch(
            f"The central database is at schema revision {revision or 'none'}, this station "
            f"at {head}. Sync is paused until they match: upgrade the central database "
            "(returns-station central init --url …) or this station, whichever is older.")
    return revision


class SyncHalted(SyncError):
    """This data folder disagrees with what the central database knows of the station (a
    restored backup, a cloned disk, a replaced key): an alarm is open, and nothing is pushed
    until an admin resolves it (station.sync.halts)."""


class SyncRefused(SyncError):
    """The central database does not accept this station's facts (not enrolled, revoked,
    or signed in as another station); the attempt is recorded centrally."""


def register(session: Session, station: StationIdentity, revision: str, now: datetime) -> None:
    """Keep the station's sync state (its revision) current; refuse an unenrolled one."""
    refused = enrolment.refusal(session, station.code, station.lpn_prefix)
    if refused is not None:
        raise SyncRefused(refused)
    state = session.get(StationSync, station.code)
    if state is None:
        session.add(StationSync(station_code=station.code, registered_at=now,
                                last_push_at=None, last_seq=0, schema_revision=revision))
    else:
        state.schema_revision = revision
    session.flush()


def _record_refusal(central: sessionmaker[Session], station: StationIdentity, reason: str,
                    now: datetime) -> None:
    """A refused push is recorded centrally, in a transaction of its own."""
    try:
        with central.begin() as session:
            enrolment.record(session, actor=station.code, action="sync.refused",
                             subject=station.code, data={"reason": reason[:500]}, now=now)
    except SQLAlchemyError as error:
        raise SyncRefused(f"{reason} (The refusal could not be recorded centrally: "
                          f"{_first_line(error)})") from None


# ---------------------------------------------------------------------------- decoding


def _tables() -> dict[str, Table]:
    return {name: table for name, table in Base.metadata.tables.items()}


def decode(table: Table, payload: dict[str, Any]) -> dict[str, Any]:
    """An outbox payload back into column values (UUIDs, aware datetimes, dates)."""
    values: dict[str, Any] = {}
    for column in table.columns:
        if column.key not in payload:
            continue
        value = payload[column.key]
        if value is not None:
            if isinstance(column.type, Uuid):
                value = uuid.UUID(str(value))
            elif isinstance(column.type, UtcDateTime):
                value = datetime.fromisoformat(str(value))
            elif isinstance(column.type, Date):
                value = date.fromisoformat(str(value))
        values[column.key] = value
    return values


def _insert_if_absent(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """INSERT … ON CONFLICT (primary key) DO NOTHING; other unique keys still raise."""
    keys = [column.name for column in table.primary_key.columns]
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(postgresql.insert(table).on_conflict_do_nothing(index_elements=keys),
                        rows)
    elif dialect == "sqlite":
        session.execute(sqlite.insert(table).on_conflict_do_nothing(index_elements=keys), rows)
    else:  # pragma: no cover - the two engines we support
        raise SyncError(f"Sync does not support the {dialect} database engine.")


def _insert_contested(session: Session, table: Table, values: dict[str, Any]) -> bool:
    """INSERT … ON CONFLICT DO NOTHING (any unique key) RETURNING id: whether it went in.

    Not inserted is either this very fact delivered again (maybe by a concurrent push of
    the same batch) or a fact that lost to another station's; the caller tells which."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        statement = postgresql.insert(table).values(values).on_conflict_do_nothing()
        return session.execute(statement.returning(table.c.id)).first() is not None
    if dialect == "sqlite":
        lite = sqlite.insert(table).values(values).on_conflict_do_nothing()
        return session.execute(lite.returning(table.c.id)).first() is not None
    raise SyncError(f"Sync does not support the {dialect} database engine.")


def _guard_locks(session: Session) -> None:
    """On PostgreSQL: never wait more than a few seconds for a lock (a dead connection's
    transaction may hold rows until the server notices), and let our own transaction end
    itself if this connection dies while it is open (a push never idles for seconds between
    its statements: 15 s frees a stalled client's locks soon; station.store.central_connection)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL lock_timeout = '5s'"))
        session.execute(text("SET LOCAL idle_in_transaction_session_timeout = '15s'"))


# ---------------------------------------------------------------------------- push


def _contested(entity: str, values: dict[str, Any]) -> bool:
    if entity == "refund_triggers":
        return bool(values.get("settling")) and values.get("settle_key") is not None
    return entity == "receipts" and values.get("rma_id") is not None


def _record_conflict(session: Session, entity: str, values: dict[str, Any],
                     payload: dict[str, Any], now: datetime) -> uuid.UUID | None:
    table = _tables()[entity]
    if entity == "refund_triggers":
        winner_row = session.execute(select(table).where(
            table.c.settle_key == values["settle_key"], table.c.settling.is_(True))).first()
        kind, subject = ExceptionKind.REFUND_CONFLICT, str(values["settle_key"])
        winner_at = winner_row.created_at if winner_row is not None else None
    else:
        winner_row = session.execute(select(table).where(
            table.c.rma_id == values["rma_id"])).first()
        kind, subject = ExceptionKind.DUPLICATE_RECEIPT, str(values["rma_id"])
        winner_at = winner_row.received_at if winner_row is not None else None
    if winner_row is None:  # the clash was on something else: not ours to explain
        raise SyncError(f"{entity} {values['id']} was rejected by a unique key that is not "
                        "a known conflict")
    if winner_row.id == values["id"]:
        return None  # the fact itself, committed by a concurrent delivery
    exists = session.get(SyncConflict, values["id"])
    if exists is not None:
        return None
    winner_station = str(winner_row.station_code)
    session.add(SyncConflict(
        id=values["id"], kind=kind.value, entity=entity, station_code=values["station_code"],
        winner_id=winner_row.id, winner_station=winner_station, winner_at=winner_at,
        subject=subject[:100], payload=payload, detected_at=now,
        change_seq=sequences.bump(session, CONFLICT_SEQ)))
    details = {"losing_fact": entity, "losing_id": str(values["id"]),
               "losing_station": values["station_code"], "winner_id": str(winner_row.id),
               "winner_station": winner_station,
               "winner_at": winner_at.isoformat() if winner_at else None}
    session.add(ExceptionCase(
        id=uuid.uuid5(_CONFLICT_NAMESPACE, str(values["id"])), kind=kind.value,
        receipt_id=values["id"] if entity == "receipts" else None,
        unit_id=values.get("unit_id"), details=details,
        opened_by=values.get("decided_by") or values.get("received_by"), opened_at=now,
        station_code=values["station_code"]))
    session.flush()
    return uuid.UUID(str(values["id"]))


def _dependency_rank(table: str) -> int:
    """Facts are inserted in the order of central_rules.FACT_ORDER (a fact after those it
    depends on: a refund trigger whose unit is not central yet is refused); others last."""
    try:
        return central_rules.FACT_ORDER.index(table)
    except ValueError:
        return len(central_rules.FACT_ORDER)


def apply_entries(session: Session, entries: Sequence[OutboxEntry], now: datetime,
                  result: PushResult) -> None:
    """Insert the entries' facts if absent, in seq order per table; conflicts recorded."""
    tables = _tables()
    pending: dict[str, list[dict[str, Any]]] = {}

    def flush() -> None:
        for name in sorted(pending, key=_dependency_rank):
            _insert_if_absent(session, tables[name], pending[name])
        pending.clear()

    for entry in entries:
        table = tables.get(entry.entity)
        if table is None:
            raise SyncError(f"outbox entry {entry.seq}: unknown kind of fact '{entry.entity}'")
        values = decode(table, entry.payload)
        if not _contested(entry.entity, values):
            pending.setdefault(entry.entity, []).append(values)
            continue
        flush()  # keep seq order around a contested fact
        if _insert_contested(session, table, values):
            continue
        if session.execute(select(table.c.id).where(table.c.id == values["id"])).first():
            continue  # delivered again: already here
        conflict = _record_conflict(session, entry.entity, values, entry.payload, now)
        if conflict is not None:
            result.conflict_ids.append(conflict)
            result.conflicts += 1
    flush()
    unit_summaries.refresh(session.connection(),
                           unit_summaries.units_of_entries(session, entries))


def _is_transient(error: BaseException) -> bool:
    if retry.is_retryable(error):  # retried already; still losing races: try again later
        return True
    if isinstance(error, OperationalError | InterfaceError):
        return True
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


def _offline(error: BaseException) -> SyncOffline:
    return SyncOffline(f"Lost the central database: {_first_line(error)}")


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error)
    return text.strip().splitlines()[0][:300] if text.strip() else error.__class__.__name__


def _send(central: sessionmaker[Session], station: StationIdentity, revision: str,
          entries: Sequence[OutboxEntry], now: datetime, result: PushResult) -> None:
    """One central transaction for the batch, run again whole if it loses a race
    (serialization failure or deadlock: see station.store.retry). `push` registered the
    station already; it is registered here only if its row vanished since."""
    def transaction() -> PushResult:
        attempt = PushResult()
        with central.begin() as session:
            _guard_locks(session)
            apply_entries(session, entries, now, attempt)
            refused = audit_anchors.anchor_batch(session, station.code, entries, now)
            if refused is not None:
                raise SyncError(refused)
            state = session.get(StationSync, station.code)
            if state is None:
                register(session, station, revision, now)
                state = session.get(StationSync, station.code)
                assert state is not None
            state.last_seq = max(state.last_seq, entries[-1].seq)
            state.last_push_at = now
        return attempt

    def count_retry(_attempt: int, _error: BaseException) -> None:
        result.retries += 1

    done = retry.retrying(transaction, on_retry=count_retry)
    result.conflicts += done.conflicts
    result.conflict_ids.extend(done.conflict_ids)


def push(local: sessionmaker[Session], central: sessionmaker[Session], central_engine: Engine,
         station: StationIdentity, *, clock: Callable[[], datetime],
         batch_size: int = BATCH_SIZE, max_batches: int | None = None,
         before_mark: Callable[[], None] | None = None) -> PushResult:
    """Send every waiting outbox entry (or `max_batches` batches); raises SyncOffline or
    SchemaMismatch. `before_mark` runs between the central commit and the local mark (for
    fault tests that kill the process exactly there)."""
    revision = check_central_schema(central_engine)

    def register_now() -> None:
        with central.begin() as session:
            register(session, station, revision, clock())

    try:
        if station.standalone:  # a central transaction like any other: retried if it loses
            retry.retrying(lambda: user_directory.publish_local_users(local, central))
        try:
            retry.retrying(register_now)
        except SyncRefused as refused:
            _record_refusal(central, station, str(refused), clock())
            raise
        resend_unconfirmed(local, central, station.code)
        halt = sync_halts.check_before_push(local, central, station.code,
                                            audit_signing.key_of_factory(local), now=clock())
        if halt is not None:
            raise (SyncHalted if halt.alarm else SyncError)(halt.message)
    except SQLAlchemyError as error:
        if _is_transient(error):
            raise _offline(error) from None
        raise
    result = PushResult()
    while max_batches is None or result.batches < max_batches:
        with local() as session:
            entries = list(session.scalars(
                select(OutboxEntry).where(OutboxEntry.sent_at.is_(None),
                                          OutboxEntry.parked_at.is_(None))
                .order_by(OutboxEntry.seq).limit(batch_size)))
            session.expunge_all()
        if not entries:
            break
        now = clock()
        try:
            _send(central, station, revision, entries, now, result)
            done = [entry.seq for entry in entries]
        except SyncRefused as refused:
            _record_refusal(central, station, str(refused), clock())
            raise
        except (SQLAlchemyError, SyncError) as error:
            if isinstance(error, SQLAlchemyError) and _is_transient(error):
                raise _offline(error) from None
            done = _send_one_by_one(local, central, station, revision, entries, clock, result)
        if before_mark is not None:
            before_mark()
        with local.begin() as session:
            session.execute(update(OutboxEntry).where(OutboxEntry.seq.in_(done))
                            .values(sent_at=now))
        result.sent += len(done)
        result.batches += 1
    return result


def _central_has(central: sessionmaker[Session], entry: OutboxEntry | None) -> bool:
    """Whether the central database holds the fact of `entry` (this installation's own)."""
    if entry is None:
        return False
    table = _tables().get(entry.entity)
    if table is None:
        return False
    with central() as session:
        return session.execute(select(table.c.id).where(
            table.c.id == entry.entity_id)).first() is not None


def resend_unconfirmed(local: sessionmaker[Session], central: sessionmaker[Session],
                       station_code: str) -> int:
    """Entries marked sent that the central database does not have (it lost commits it had
    confirmed, e.g. restored from a backup): send them again. Returns how many.

    Refuses (SyncError) a second installation under a station code that already sent
    facts: its sequences would clash with the first one's and park everything."""
    with central() as session:
        state = session.get(StationSync, station_code)
        confirmed = state.last_seq if state is not None else 0
    with local() as session:
        ever_sent = session.scalar(select(OutboxEntry.seq).where(
            OutboxEntry.sent_at.is_not(None)).limit(1)) is not None
        first = session.scalars(select(OutboxEntry).order_by(OutboxEntry.seq).limit(1)).first()
    if confirmed > 0 and not ever_sent and not _central_has(central, first):
        raise SyncError(
            f"Station code {station_code} was already used by another installation, which "
            f"sent {confirmed} fact(s) to this central database. Give this station its own "
            "[station] code and lpn_prefix; nothing was sent.")
    with local.begin() as session:
        lost = list(session.scalars(select(OutboxEntry.seq).where(
            OutboxEntry.sent_at.is_not(None), OutboxEntry.seq > confirmed)))
        if lost:
            session.execute(update(OutboxEntry).where(OutboxEntry.seq.in_(lost))
                            .values(sent_at=None))
        return len(lost)


def _send_one_by_one(local: sessionmaker[Session], central: sessionmaker[Session],
                     station: StationIdentity, revision: str, entries: Sequence[OutboxEntry],
                     clock: Callable[[], datetime], result: PushResult) -> list[int]:
    """A rejected batch: each entry alone; the ones still rejected are parked."""
    done: list[int] = []
    for entry in entries:
        try:
            _send(central, station, revision, [entry], clock(), result)
            done.append(entry.seq)
            continue
        except SQLAlchemyError as error:
            if _is_transient(error):
                raise _offline(error) from None
            refused = f"{error.__class__.__name__}: {_first_line(error)}"
        except SyncError as error:
            refused = str(error)
        with local.begin() as session:
            session.execute(update(OutboxEntry).where(OutboxEntry.seq == entry.seq)
                            .values(parked_at=clock(), error=refused))
        result.parked += 1
    return done


@dataclass(frozen=True)
class ParkedEntry:
    seq: int
    entity: str
    entity_id: uuid.UUID
    parked_at: datetime | None
    error: str


def parked_entries(local: sessionmaker[Session], limit: int = 100) -> list[ParkedEntry]:
    """The entries the central side refused, oldest first, with the error it gave."""
    with local() as session:
        rows = session.scalars(select(OutboxEntry).where(
            OutboxEntry.parked_at.is_not(None), OutboxEntry.sent_at.is_(None))
            .order_by(OutboxEntry.seq).limit(limit))
        return [ParkedEntry(row.seq, row.entity, row.entity_id, row.parked_at,
                            row.error or "") for row in rows]


def unpark(local: sessionmaker[Session]) -> int:
    """Send parked entries again (after the cause was fixed); returns how many."""
    with local.begin() as session:
        parked = list(session.scalars(select(OutboxEntry.seq).where(
            OutboxEntry.parked_at.is_not(None), OutboxEntry.sent_at.is_(None))))
        session.execute(update(OutboxEntry).where(OutboxEntry.seq.in_(parked))
                        .values(parked_at=None, error=None))
        return len(parked)


# ---------------------------------------------------------------------------- pull


def pull_conflicts(central: sessionmaker[Session], local: sessionmaker[Session],
                   station_code: str, *, page_size: int = 500) -> list[SyncConflict]:
    """This station's conflicts since its watermark, copied into its own database."""
    pulled: list[SyncConflict] = []
    while True:
        with local.begin() as local_session:
            watermark = sequences.current(local_session, CONFLICT_WATERMARK)
            with central() as central_session:
                page = list(central_session.scalars(
                    select(SyncConflict).where(SyncConflict.station_code == station_code,
                                               SyncConflict.change_seq > watermark)
                    .order_by(SyncConflict.change_seq).limit(page_size)))
                central_session.expunge_all()
            if not page:
                return pulled
            for conflict in page:
                if local_session.get(SyncConflict, conflict.id) is None:
                    local_session.merge(conflict)
                    pulled.append(conflict)
            sequences.set_to(local_session, CONFLICT_WATERMARK, page[-1].change_seq)


@dataclass(frozen=True)
class PullResult:
    rmas: int
    conflicts: list[SyncConflict]
    rule_sets: int = 0
    users: user_directory.PulledUsers | None = None


def pull(central: sessionmaker[Session], local: sessionmaker[Session],
         station_code: str, *, people_sealed_with: PinPepper | None = None,
         finish_imports: bool = True) -> PullResult:
    """RMAs, this station's conflicts and published rule sets changed since the
    watermarks; with a pepper, also the central directory of people (their PIN hashes
    sealed with it as they arrive). `finish_imports`: first finish an RMA import killed
    after its commit; a station of a site may not write RMAs, so its importer does that."""
    try:
        people = None if people_sealed_with is None else \
            user_directory.pull_users(central, local, people_sealed_with)
        if finish_imports:
            rma_import.finish_pending(central, local, station_code=station_code,
                                      now=datetime.now(UTC))
        rmas = pull_rmas(central, local)
        conflicts = pull_conflicts(central, local, station_code)
        rule_sets = pull_rule_sets(central, local)
    except SQLAlchemyError as error:
        if _is_transient(error):
            raise _offline(error) from None
        raise
    return PullResult(rmas, conflicts, rule_sets, people)


def conflict_text(conflict: SyncConflict) -> str:
    """For people: "Refund of unit slot … already settled at station B at 10:42"."""
    when = conflict.winner_at.astimezone().strftime("%d %b %H:%M") if conflict.winner_at \
        else "earlier"
    if conflict.kind == ExceptionKind.REFUND_CONFLICT.value:
        return (f"Already refunded at station {conflict.winner_station} at {when}: this "
                "station's refund was not applied; a supervisor has the case.")
    return (f"Parcel already received at station {conflict.winner_station} at {when}: a "
            "supervisor has the case.")


def waiting(local: sessionmaker[Session]) -> tuple[int, int]:
    """(entries waiting to be sent, entries parked)."""
    with local() as session:
        unsent = OutboxEntry.sent_at.is_(None)
        pending = session.scalar(select(func.count()).select_from(OutboxEntry).where(
            unsent, OutboxEntry.parked_at.is_(None))) or 0
        parked = session.scalar(select(func.count()).select_from(OutboxEntry).where(
            unsent, OutboxEntry.parked_at.is_not(None))) or 0
        return pending, parked


@dataclass(frozen=True)
class SyncReport:
    pushed: PushResult
    pulled: PullResult
    finished_at: datetime


def sync_once(local: sessionmaker[Session], central: sessionmaker[Session],
              central_engine: Engine, station: StationIdentity, *,
              clock: Callable[[], datetime], pepper: PinPepper | None = None,
              deadline_s: float | None = None) -> SyncReport:
    """Push everything waiting, then pull (the people too, unless the station is
    standalone: it is its own directory); raises SyncOffline / SchemaMismatch / SyncError.
    Past `deadline_s` (central.sync_deadline_s) the connections are dropped and it raises
    SyncOffline (station.sync.deadline)."""
    try:
        with sync_deadline.within(central_engine, deadline_s):
            pushed = push(local, central, central_engine, station, clock=clock)
            pulled = pull(central, local, station.code,
                          people_sealed_with=None if station.standalone else pepper,
                          finish_imports=station.standalone)
    except sync_deadline.DeadlinePassed as passed:
        raise SyncOffline(str(passed)) from None
    return SyncReport(pushed, pulled, clock())
