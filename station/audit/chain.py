"""The audit trail: one hash-chained event per fact and per security event, per station.

Each event's hash covers its content and the previous event's hash, so editing, deleting
or inserting a row by hand breaks the chain at that point and `verify_chain` names it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from station.audit import signing as audit_signing
from station.common.ids import uuid7
from station.common.permissions import Actor
from station.store import outbox
from station.store.models import AuditEvent

GENESIS_HASH = "0" * 64


def _canonical(event: AuditEvent) -> bytes:
    body = {
        "id": str(event.id),
        "station": event.station_code,
        "seq": event.seq,
        "actor_id": str(event.actor_id) if event.actor_id else None,
        "actor_name": event.actor_name,
        "action": event.action,
        "subject": event.subject,
        "data": event.data,
        "occurred_at": event.occurred_at.isoformat(),
        "prev_hash": event.prev_hash,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def event_hash(event: AuditEvent) -> str:
    return hashlib.sha256(_canonical(event)).hexdigest()


def record(
    session: Session,
    *,
    station_code: str,
    actor: Actor | None,
    action: str,
    subject: str,
    data: dict[str, Any],
    now: datetime,
    actor_name: str | None = None,
) -> AuditEvent:
    """Append an event to this station's chain (and the outbox) in the caller's transaction,
    signed with the station's key when the session carries one (station.audit.signing)."""
    last = session.execute(
        select(AuditEvent.seq, AuditEvent.hash)
        .where(AuditEvent.station_code == station_code)
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    ).first()
    seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
    event = AuditEvent(
        id=uuid7(),
        station_code=station_code,
        seq=seq,
        actor_id=actor.user_id if actor else None,
        actor_name=actor.username if actor else (actor_name or "system"),
        action=action,
        subject=subject[:100],
        data=json.loads(json.dumps(data, default=outbox.to_json_value)),
        occurred_at=now,
        prev_hash=prev_hash,
        hash="",
    )
    event.hash = event_hash(event)
    key = audit_signing.key_of(session)
    event.signature = key.sign(event.hash) if key is not None else None
    session.add(event)
    outbox.enqueue(session, event, now=now)
    return event


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    problem: str


def verify_chain(session: Session, station_code: str) -> ChainBreak | None:
    """The first point where the station's chain was edited, inserted into or cut; else None."""
    expected_prev = GENESIS_HASH
    expected_seq = 1
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.station_code == station_code).order_by(AuditEvent.seq)
    )
    for event in events:
        if event.seq != expected_seq:
            return ChainBreak(expected_seq, f"entry {expected_seq} is missing (deleted)")
        if event.prev_hash != expected_prev:
            return ChainBreak(event.seq, f"entry {event.seq} does not follow entry {event.seq - 1} "
                                         "(inserted, or the one before it was replaced)")
        if event_hash(event) != event.hash:
            return ChainBreak(event.seq, f"entry {event.seq} ({event.action}) was edited")
        expected_prev = event.hash
        expected_seq += 1
    return None


@dataclass(frozen=True)
class ChainReport:
    station_code: str
    entries: int
    broken: ChainBreak | None


def verify_all(sessions: sessionmaker[Session]) -> list[ChainReport]:
    """Check the chain of every station found in a database (local or central)."""
    with sessions() as session:
        stations = session.execute(
            select(AuditEvent.station_code, func.count()).group_by(AuditEvent.station_code)
            .order_by(AuditEvent.station_code)
        ).all()
        return [ChainReport(code, count, verify_chain(session, code)) for code, count in stations]
