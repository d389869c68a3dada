"""Anchoring each station's audit chain centrally, and the stations' signing keys there.

Why: a station's chain is only as good as the copy nobody else holds. At every push batch
the central database records the station's chain head (entry seq, its hash and signature)
in `audit_anchors`, in the batch's own transaction, so anything already sent can no longer
be rewritten, deleted or cut off at the bench without `audit verify` seeing it.

Contract:
- `register_station_key(session, station_code, key)`: a station's key is registered once,
  at enrolment (`returns-station enrol`); `station.sync.halts` registers it before the first
  push only of a station that has none (a standalone bench's embedded central, a site
  enrolled before migration 0014). Returns True when it registered it, False when
  that same key was already there; raises `StationKeyConflict` for another key. On
  PostgreSQL it goes through `rs_register_station_key` (migration 0014): stations cannot
  read `station_keys`.
- `anchor_batch(session, station_code, entries, now)` is called inside the push batch's
  central transaction after its facts went in; returns None, or why the batch is refused.
  On PostgreSQL the database's triggers check signatures and chain continuity themselves;
  on an embedded SQLite central the same checks run here, in the station's own process (an
  embedded central is therefore no separate authority: whoever controls the bench controls
  both files).
- `latest_anchor(session, station_code)` is the station's newest anchor (or None).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from station.audit.chain import GENESIS_HASH
from station.audit.signing import SigningKey
from station.common.errors import UserFacingError
from station.store.models import AuditAnchor, AuditEvent, OutboxEntry, StationKey


class StationKeyConflict(UserFacingError):
    """The central database already holds another signing key for this station."""


@dataclass(frozen=True)
class Anchor:
    outbox_seq: int
    seq: int
    head_hash: str


def register_station_key(session: Session, station_code: str, key: SigningKey, *,
                         now: datetime) -> bool:
    """Register the station's key once; the same key again is a no-op, another is refused."""
    if session.get_bind().dialect.name == "postgresql":
        outcome = str(session.execute(text("SELECT rs_register_station_key(:code, :key)"),
                                      {"code": station_code, "key": key.hex}).scalar_one())
    else:
        held = session.get(StationKey, station_code)
        if held is None:
            session.add(StationKey(station_code=station_code, key_hex=key.hex,
                                   registered_at=now))
            session.flush()
            outcome = "registered"
        else:
            outcome = "same" if held.key_hex == key.hex else "different"
    if outcome == "different":
        raise StationKeyConflict(
            f"The central database holds another audit signing key for station "
            f"{station_code}; a key is registered once, when the station is enrolled.")
    return outcome == "registered"


def latest_anchor(session: Session, station_code: str) -> Anchor | None:
    row = session.execute(
        select(AuditAnchor.outbox_seq, AuditAnchor.seq, AuditAnchor.head_hash)
        .where(AuditAnchor.station_code == station_code)
        .order_by(AuditAnchor.outbox_seq.desc()).limit(1)).first()
    return None if row is None else Anchor(row[0], row[1], row[2])


def _registered_key(session: Session, station_code: str) -> SigningKey | None:
    key_hex = session.scalar(select(StationKey.key_hex).where(
        StationKey.station_code == station_code))
    return None if key_hex is None else SigningKey.from_hex(key_hex, "the central database")


def _checked_in_python(session: Session, station_code: str,
                       events: Sequence[dict[str, Any]]) -> str | None:
    """What the PostgreSQL triggers check, for an SQLite central: the batch's entries, as
    stored, are signed with the registered key and follow the entries before them."""
    if not events:
        return None
    key = _registered_key(session, station_code)
    seqs = [int(event["seq"]) for event in events]
    rows = {row.seq: row for row in session.execute(
        select(AuditEvent.seq, AuditEvent.hash, AuditEvent.prev_hash, AuditEvent.signature)
        .where(AuditEvent.station_code == station_code,
               AuditEvent.seq.between(min(seqs) - 1, max(seqs))))}
    for seq in seqs:
        row = rows.get(seq)
        if row is None:
            continue
        if key is not None and not key.verifies(row.hash, row.signature):
            return (f"refused centrally: audit entry {seq} of station {station_code} is not "
                    "signed with the station's registered key (forged, or re-signed elsewhere)")
        before = GENESIS_HASH if seq == 1 else (
            rows[seq - 1].hash if seq - 1 in rows else None)
        if before is None:
            return (f"refused centrally: audit entry {seq} of station {station_code} came "
                    f"before entry {seq - 1}, which the central database does not hold")
        if before != row.prev_hash:
            return (f"refused centrally: audit entry {seq} of station {station_code} does not "
                    f"follow the entry {seq - 1} held centrally (another chain: a restored or "
                    "cloned station)")
    return None


def anchor_batch(session: Session, station_code: str, entries: Sequence[OutboxEntry],
                 now: datetime) -> str | None:
    """Record the chain head this batch leaves centrally; None, or why it is refused."""
    if not entries:
        return None
    events = [entry.payload for entry in entries if entry.entity == "audit_events"
              and entry.payload.get("station_code") == station_code]
    postgres = session.get_bind().dialect.name == "postgresql"
    if not postgres:
        problem = _checked_in_python(session, station_code, events)
        if problem is not None:
            return problem
    if events:
        head = events[-1]
        seq, head_hash, signature = int(head["seq"]), str(head["hash"]), head.get("signature")
    else:
        row = session.execute(
            select(AuditEvent.seq, AuditEvent.hash, AuditEvent.signature)
            .where(AuditEvent.station_code == station_code)
            .order_by(AuditEvent.seq.desc()).limit(1)).first()
        if row is None:
            return None
        seq, head_hash, signature = row[0], row[1], row[2]
    values = {"station_code": station_code, "outbox_seq": entries[-1].seq, "seq": seq,
              "head_hash": head_hash, "signature": signature, "anchored_at": now}
    if postgres:
        session.execute(postgresql.insert(AuditAnchor).values(values).on_conflict_do_nothing())
        return None
    key = _registered_key(session, station_code)
    if key is not None and not key.verifies(head_hash, signature):
        return (f"refused centrally: the audit anchor of station {station_code} at entry {seq} "
                "is not signed with the station's registered key")
    held = session.scalar(select(AuditEvent.hash).where(
        AuditEvent.station_code == station_code, AuditEvent.seq == seq))
    if held != head_hash:
        return (f"refused centrally: the audit anchor of station {station_code} names entry "
                f"{seq}, which the central database holds with another hash or not at all")
    session.execute(sqlite.insert(AuditAnchor).values(values).on_conflict_do_nothing())
    return None
