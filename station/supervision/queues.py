"""The supervisor's queues: held refunds waiting for a decision and exceptions to close.

Listing is for anyone who may inspect; acting needs a supervisor (checked here, in the
core, whatever screen or command asks). A held refund is decided by
`station.inspection.approvals.resolve_held_refund`; an exception is closed by `resolve_exception`,
which records an `ExceptionResolution` fact (at most one per exception), its audit event
and its outbox entry in one transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, aliased

from station.audit import chain as audit
from station.common.errors import UserFacingError
from station.common.permissions import Action, Actor
from station.common.text_hygiene import clean_text
from station.common.vocabulary import ExceptionOutcome, RefundAction
from station.runtime.authorization import require
from station.runtime.context import StationContext
from station.store import outbox
from station.store.models import (
    ExceptionCase,
    ExceptionResolution,
    RefundTrigger,
    Rma,
    RmaLine,
    Unit,
)


class QueueError(UserFacingError):
    """A queue action that cannot be done; the message says why."""


@dataclass(frozen=True)
class HeldRefund:
    trigger_id: uuid.UUID
    lpn: str
    rma_number: str
    sku: str
    amount_minor: int
    currency: str
    station_code: str
    held_at: datetime


@dataclass(frozen=True)
class OpenException:
    exception_id: uuid.UUID
    kind: str
    station_code: str
    opened_at: datetime
    details: dict[str, object]


def held_refunds(ctx: StationContext, actor: Actor, session: Session,
                 limit: int = 500) -> list[HeldRefund]:
    """HELD triggers no supervisor has resolved yet, oldest first."""
    require(ctx, actor, Action.INSPECT)
    resolution = aliased(RefundTrigger)
    resolved = exists().where(resolution.supersedes_id == RefundTrigger.id)
    rows = session.execute(
        select(RefundTrigger, Unit.lpn, RmaLine.sku, Rma.rma_number)
        .join(Unit, Unit.id == RefundTrigger.unit_id, isouter=True)
        .join(RmaLine, RmaLine.id == RefundTrigger.rma_line_id, isouter=True)
        .join(Rma, Rma.id == RmaLine.rma_id, isouter=True)
        .where(RefundTrigger.action == RefundAction.HELD.value, ~resolved)
        .order_by(RefundTrigger.created_at).limit(limit)).all()
    return [HeldRefund(trigger.id, lpn or "", rma_number or "", sku or "",
                       trigger.amount_minor, trigger.currency, trigger.station_code,
                       trigger.created_at)
            for trigger, lpn, sku, rma_number in rows]


def open_exceptions(ctx: StationContext, actor: Actor, session: Session,
                    limit: int = 500) -> list[OpenException]:
    """Exceptions without a resolution, oldest first."""
    require(ctx, actor, Action.INSPECT)
    closed = exists().where(ExceptionResolution.exception_id == ExceptionCase.id)
    rows = session.scalars(select(ExceptionCase).where(~closed)
                           .order_by(ExceptionCase.opened_at).limit(limit))
    return [OpenException(row.id, row.kind, row.station_code, row.opened_at,
                          dict(row.details)) for row in rows]


def resolve_exception(ctx: StationContext, supervisor: Actor, exception_id: uuid.UUID,
                      outcome: ExceptionOutcome, reason: str) -> uuid.UUID:
    """Close an exception with an outcome and a reason (supervisor+); once only."""
    require(ctx, supervisor, Action.RESOLVE_EXCEPTION)
    reason = clean_text(reason, 300)
    if not reason:
        raise QueueError("Say why: a reason is required to close an exception.")
    now = ctx.clock()
    with ctx.sessions.begin() as session:
        case = session.get(ExceptionCase, exception_id)
        if case is None:
            raise QueueError("No such exception on this station.")
        if session.scalar(select(ExceptionResolution.id).where(
                ExceptionResolution.exception_id == exception_id)) is not None:
            raise QueueError("That exception is already closed.")
        resolution = ExceptionResolution(
            exception_id=exception_id, outcome=outcome.value, reason=reason,
            resolved_by=supervisor.user_id, resolved_at=now, station_code=ctx.station_code)
        session.add(resolution)
        outbox.enqueue(session, resolution, now=now)
        audit.record(session, station_code=ctx.station_code, actor=supervisor,
                     action="exception.resolved", subject=case.kind,
                     data={"exception_id": exception_id, "outcome": outcome.value,
                           "reason": reason}, now=now)
        return resolution.id
