"""The outbox: every fact a use case writes is queued here in the same local transaction.

The payload is the row as plain JSON, so the sync worker can insert-if-absent centrally
without knowing anything about the use case that made it.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from station.store.models import Base, OutboxEntry


def to_json_value(value: object) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def row_payload(row: Base) -> dict[str, Any]:
    """The row's columns as JSON-safe values (UUIDs and times as ISO text)."""
    return {
        column.key: to_json_value(getattr(row, column.key))
        for column in row.__table__.columns
    }


def enqueue(session: Session, row: Base, *, now: datetime) -> OutboxEntry:
    """Queue a freshly added fact for the central database; call inside the use case's tx."""
    session.flush()
    entity_id = getattr(row, "id")  # noqa: B009 - every fact table keys on `id`
    entry = OutboxEntry(
        entity=row.__tablename__, entity_id=entity_id, payload=row_payload(row), created_at=now,
    )
    session.add(entry)
    return entry


def pending_count(session: Session) -> int:
    return session.scalar(
        select(func.count()).select_from(OutboxEntry).where(OutboxEntry.sent_at.is_(None))
    ) or 0
