"""RMAs in the database: imported (insert or update, versioned) and looked up by code."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from station.common.errors import UserFacingError
from station.common.permissions import Action, Actor
from station.receiving import rma_import
from station.receiving.rma_records import RmaLineRecord, RmaRecord
from station.runtime.authorization import require
from station.runtime.context import StationContext
from station.store.models import Counter, Rma, RmaLine, Unit, User

_CHANGE_SEQ = rma_import.CHANGE_SEQ
#: RMA numbers per lookup: SQLite refuses more than 32,766 bound values in one statement.
_LOOKUP_CHUNK = 500
#: Who an import is recorded as while a new station has no users yet.
SETUP_ACTOR = "setup (no users yet)"


@dataclass(frozen=True)
class ImportSummary:
    created: int
    updated: int
    unchanged: int


def _next_change_seq(session: Session) -> int:
    counter = session.get(Counter, _CHANGE_SEQ)
    if counter is None:
        current = session.scalar(select(func.max(Rma.change_seq))) or 0
        counter = Counter(name=_CHANGE_SEQ, value=current)
        session.add(counter)
    counter.value += 1
    return counter.value


def _line_values(line: RmaLineRecord) -> dict[str, object]:
    return {
        "sku": line.sku, "gtin": line.gtin, "description": line.description,
        "category": line.category.value, "expected_serial": line.expected_serial,
        "quantity": line.quantity, "unit_price_minor": line.unit_price_minor,
        "currency": line.currency, "reason": line.reason.value,
    }


def _rma_values(record: RmaRecord) -> dict[str, object]:
    return {
        "order_number": record.order_number, "order_date": record.order_date,
        "customer_name": record.customer_name, "requested": record.requested.value,
        "carrier_tracking": record.carrier_tracking,
    }


def _differs(row: object, values: dict[str, object]) -> bool:
    return any(getattr(row, key) != value for key, value in values.items())


def import_records(session: Session, records: list[RmaRecord], *, now: datetime) -> ImportSummary:
    """Insert new RMAs and update changed ones (version + 1) in the caller's transaction.

    Lines are matched by line number; a line that disappeared from the source is removed
    unless a unit was already received against it, in which case it is kept.
    """
    created = updated = unchanged = 0
    numbers = [r.rma_number for r in records]
    existing: dict[str, Rma] = {}
    for start in range(0, len(numbers), _LOOKUP_CHUNK):  # a bounded IN list per query
        existing.update((rma.rma_number, rma) for rma in session.scalars(
            select(Rma).where(Rma.rma_number.in_(numbers[start:start + _LOOKUP_CHUNK]))
            .options(selectinload(Rma.lines))))
    for record in records:
        values = _rma_values(record)
        rma = existing.get(record.rma_number)
        if rma is None:
            rma = Rma(rma_number=record.rma_number, version=1,
                      change_seq=_next_change_seq(session), updated_at=now, **values)
            rma.lines = [RmaLine(line_no=line.line_no, **_line_values(line))
                         for line in record.lines]
            session.add(rma)
            created += 1
            continue
        changed = _differs(rma, values)
        by_no = {line.line_no: line for line in rma.lines}
        wanted = {line.line_no for line in record.lines}
        for line in record.lines:
            line_values = _line_values(line)
            row = by_no.get(line.line_no)
            if row is None:
                rma.lines.append(RmaLine(line_no=line.line_no, **line_values))
                changed = True
            elif _differs(row, line_values):
                for key, value in line_values.items():
                    setattr(row, key, value)
                changed = True
        for line_no, row in by_no.items():
            if line_no not in wanted and session.scalar(
                select(Unit.id).where(Unit.rma_line_id == row.id).limit(1)
            ) is None:
                rma.lines.remove(row)
                changed = True
        if changed:
            for key, value in values.items():
                setattr(rma, key, value)
            rma.version += 1
            rma.change_seq = _next_change_seq(session)
            rma.updated_at = now
            updated += 1
        else:
            unchanged += 1
    session.flush()
    return ImportSummary(created, updated, unchanged)


def find_by_code(session: Session, code: str) -> Rma | None:
    """The RMA whose number or carrier tracking number is `code`, with its lines."""
    return session.scalar(
        select(Rma)
        .where((Rma.rma_number == code) | (Rma.carrier_tracking == code))
        .options(selectinload(Rma.lines))
        .order_by(Rma.rma_number)
        .limit(1)
    )


@dataclass(frozen=True)
class RmaSummary:
    rma_number: str
    carrier_tracking: str | None
    requested: str
    lines: int
    units: int
    categories: tuple[str, ...]


def list_summaries(session: Session, *, limit: int = 500) -> list[RmaSummary]:
    """RMAs in number order, for the demo sheet and lists."""
    rmas = session.scalars(
        select(Rma).order_by(Rma.rma_number).limit(limit).options(selectinload(Rma.lines))
    )
    return [
        RmaSummary(
            rma_number=rma.rma_number, carrier_tracking=rma.carrier_tracking,
            requested=rma.requested, lines=len(rma.lines),
            units=sum(line.quantity for line in rma.lines),
            categories=tuple(sorted({line.category for line in rma.lines})),
        )
        for rma in rmas
    ]


class ImportNotAllowed(UserFacingError):
    pass


def may_import(ctx: StationContext, actor: Actor | None) -> None:
    """Refuse unless `actor` may import RMAs (supervisor+). `actor` None is accepted only
    while the station has no users at all (setting up a new station before its first admin
    exists); from then on a supervisor or admin must act."""
    if actor is None:
        with ctx.sessions() as session:
            if session.scalar(select(User.id).limit(1)) is not None:
                raise ImportNotAllowed("This station has users: say who imports with --as USER "
                                       "(a supervisor or admin).")
    else:
        require(ctx, actor, Action.IMPORT_RMAS)


def import_as(
    ctx: StationContext, actor: Actor | None, central: sessionmaker[Session],
    records: Iterable[RmaRecord], *, source: str = "",
) -> ImportSummary:
    """Import into the central database as `actor` (see `may_import`) through
    station.receiving.rma_import: recorded centrally in its commit and audited at this station."""
    may_import(ctx, actor)
    done = rma_import.import_rmas(central, ctx.sessions, records, station_code=ctx.station_code,
                                  actor=actor, actor_name=SETUP_ACTOR, source=source,
                                  now=ctx.clock())
    return ImportSummary(done.created, done.updated, done.unchanged)
