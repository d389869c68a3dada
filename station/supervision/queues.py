"""The supervisor's queues: held refunds waiting for a decision and exceptions to close.

Listing is for anyone who may inspect; acting needs a supervisor (checked here, in the
core, whatever screen or command asks). A held refund is decided by
`station.inspection.approvals.resolve_held_refund`; an exception is closed by `resolve_exception`,
which records an `ExceptionResolution` fact (at most one per exception), its audit event
and its outbox entry in one transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

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
    DispositionDecision,
    ExceptionCase,
    ExceptionResolution,
    RefundTrigger,
    Rma,
    RmaLine,
    Unit,
    UnitSummary,
)

#: How the routing rules begin the reason of a refund they hold ("held for a supervisor:
#: fraud flag(s) ...", "held: changed mind with grade X leaves ..."); the queue, whose
#: column says "Why held", shows the rest.
HELD_PREFIXES: Final = ("held for a supervisor: ", "held: ")


class QueueError(UserFacingError):
    """A queue action that cannot be done; the message says why."""


@dataclass(frozen=True)
class HeldRefund:
    """A refund waiting for a supervisor, with what they decide on: why the rules held it
    (`held_why`, in words; "" when the decision did not record it) and the unit's grade
    and effective disposition as they stand now (identifiers; None before any)."""

    trigger_id: uuid.UUID
    lpn: str
    rma_number: str
    sku: str
    amount_minor: int
    currency: str
    station_code: str
    held_at: datetime
    held_why: str = ""
    grade: str | None = None
    disposition: str | None = None


@dataclass(frozen=True)
class OpenException:
    exception_id: uuid.UUID
    kind: str
    station_code: str
    opened_at: datetime
    details: dict[str, object]


def held_refunds(ctx: StationContext, actor: Actor, session: Session,
                 limit: int = 500) -> list[HeldRefund]:
    """HELD triggers no supervisor has resolved yet, oldest first, each with why it was
    held (the refund reason of the unit's decision that held it: the latest made by the
    trigger's time, without the rules' "held ...:") and the unit's grade and disposition
    now (its summary row)."""
    require(ctx, actor, Action.INSPECT)
    resolution = aliased(RefundTrigger)
    resolved = exists().where(resolution.supersedes_id == RefundTrigger.id)
    rows = session.execute(
        select(RefundTrigger, Unit.lpn, RmaLine.sku, Rma.rma_number, UnitSummary.grade,
               UnitSummary.disposition)
        .join(Unit, Unit.id == RefundTrigger.unit_id, isouter=True)
        .join(RmaLine, RmaLine.id == RefundTrigger.rma_line_id, isouter=True)
        .join(Rma, Rma.id == RmaLine.rma_id, isouter=True)
        .join(UnitSummary, UnitSummary.unit_id == RefundTrigger.unit_id, isouter=True)
        .where(RefundTrigger.action == RefundAction.HELD.value, ~resolved)
        .order_by(RefundTrigger.created_at).limit(limit)).all()
    decisions: dict[uuid.UUID, list[tuple[datetime, Any]]] = {}
    for unit_id, decided_at, explanation in session.execute(
            select(DispositionDecision.unit_id, DispositionDecision.decided_at,
                   DispositionDecision.explanation)
            .where(DispositionDecision.unit_id.in_({row[0].unit_id for row in rows}))
            .order_by(DispositionDecision.decided_at)):
        decisions.setdefault(unit_id, []).append((decided_at, explanation))
    return [HeldRefund(trigger.id, lpn or "", rma_number or "", sku or "",
                       trigger.amount_minor, trigger.currency, trigger.station_code,
                       trigger.created_at,
                       _held_why(decisions.get(trigger.unit_id, []), trigger.created_at),
                       grade, disposition)
            for trigger, lpn, sku, rma_number, grade, disposition in rows]


def _held_why(decisions: list[tuple[datetime, Any]], held_at: datetime) -> str:
    """The refund reason of the latest decision made by `held_at` (decided with the held
    trigger, in the same transaction), without the rules' HELD_PREFIXES."""
    made = [explanation for decided_at, explanation in decisions if decided_at <= held_at]
    explanation = made[-1] if made else None
    refund = explanation.get("refund") if isinstance(explanation, Mapping) else None
    why = refund.get("why") if isinstance(refund, Mapping) else None
    if not isinstance(why, str):
        return ""
    for prefix in HELD_PREFIXES:
        why = why.removeprefix(prefix)
    return clean_text(why, 300)


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
