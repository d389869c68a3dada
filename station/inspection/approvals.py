"""Held refunds: a supervisor approves or denies them, at the bench or from the queue.

A HELD refund trigger is never changed. The supervisor's decision is a new trigger that
supersedes it: approved, it carries what the rules would have refunded (`if_approved` in the
disposition's explanation) and settles; denied, it is a settling DENY of nothing. Either way
the supervisor's reason is kept on the trigger and in the audit trail, and a held trigger
can be resolved only once (its resolution has a derived idempotency key).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from station.audit import chain as audit
from station.common.errors import UserFacingError
from station.common.permissions import Action, Actor
from station.common.text_hygiene import clean_text
from station.common.vocabulary import RefundAction
from station.routing.rules import Decision
from station.runtime.authorization import require
from station.runtime.context import StationContext
from station.store import outbox
from station.store.models import DispositionDecision, RefundTrigger, Unit


class ApprovalError(UserFacingError):
    """A held refund that cannot be resolved as asked; the message says why."""


@dataclass(frozen=True)
class Resolution:
    trigger_id: uuid.UUID
    held_trigger_id: uuid.UUID
    action: RefundAction
    amount_minor: int
    currency: str
    lpn: str


def resolution_key(held: RefundTrigger) -> str:
    return f"{held.idempotency_key}:resolved"


def resolve_in(session: Session, ctx: StationContext, supervisor: Actor, held: RefundTrigger,
               if_approved: tuple[RefundAction, int] | None, *, approve: bool, reason: str,
               subject: str, now: datetime) -> Resolution:
    """Write the supervisor's resolution of `held` in the caller's transaction."""
    require(ctx, supervisor, Action.APPROVE_REFUND)
    reason = clean_text(reason, 300)
    if not reason:
        raise ApprovalError("Say why: a reason is required to approve or deny a held refund.")
    if held.action != RefundAction.HELD.value:
        raise ApprovalError("That refund is not held; there is nothing to approve.")
    if session.scalar(select(RefundTrigger.id).where(
            RefundTrigger.idempotency_key == resolution_key(held))) is not None:
        raise ApprovalError("That held refund was already approved or denied.")
    if approve:
        action, amount = if_approved or (RefundAction.FULL, held.amount_minor)
    else:
        action, amount = RefundAction.DENY, 0
    trigger = RefundTrigger(
        idempotency_key=resolution_key(held), unit_id=held.unit_id,
        rma_line_id=held.rma_line_id, action=action.value, amount_minor=amount,
        currency=held.currency, settling=True, decided_by=supervisor.user_id, created_at=now,
        supersedes_id=held.id, station_code=ctx.station_code, note=reason,
        settle_key=held.settle_key)
    session.add(trigger)
    outbox.enqueue(session, trigger, now=now)
    audit.record(session, station_code=ctx.station_code, actor=supervisor,
                 action="refund.approved" if approve else "refund.denied", subject=subject,
                 data={"held_trigger_id": held.id, "refund_trigger_id": trigger.id,
                       "action": action.value, "amount_minor": amount,
                       "currency": held.currency, "reason": reason}, now=now)
    return Resolution(trigger.id, held.id, action, amount, held.currency, subject)


def resolve_held_refund(ctx: StationContext, supervisor: Actor, held_trigger_id: uuid.UUID, *,
                        approve: bool, reason: str) -> Resolution:
    """A supervisor approves (what the rules proposed) or denies a held refund."""
    require(ctx, supervisor, Action.APPROVE_REFUND)
    now = ctx.clock()
    with ctx.sessions.begin() as session:
        held = session.get(RefundTrigger, held_trigger_id)
        if held is None:
            raise ApprovalError("No such refund on this station.")
        unit = session.get(Unit, held.unit_id)
        decision = session.scalars(
            select(DispositionDecision).where(DispositionDecision.unit_id == held.unit_id)
            .order_by(DispositionDecision.decided_at.desc())).first()
        if_approved = None
        if decision is not None:
            proposed = decision.explanation.get("refund", {}).get("if_approved")
            if proposed:
                if_approved = (RefundAction(str(proposed["action"])),
                               int(proposed["amount_minor"]))
        return resolve_in(session, ctx, supervisor, held, if_approved, approve=approve,
                          reason=reason, subject=unit.lpn if unit else str(held.unit_id),
                          now=now)


def approvable(decision: Decision) -> bool:
    return decision.refund_action is RefundAction.HELD
