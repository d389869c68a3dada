"""Inspecting a unit: take a unit off an RMA line under a fresh LPN, grade it, decide.

`finalize` writes the unit, its inspection, the disposition, the refund trigger, their
audit events and outbox entries in one local transaction: a crash leaves either all of
them or none, never a refund without the inspection that justified it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from station import audit, outbox
from station.authorization import require
from station.context import StationContext
from station.errors import UserFacingError
from station.lpn import next_lpn
from station.models import (
    DispositionDecision,
    Inspection,
    Receipt,
    RefundTrigger,
    Rma,
    RmaLine,
    Unit,
)
from station.permissions import Action, Actor
from station.routing import Decision, RoutingCase, decide
from station.vocabulary import Flag, Grade, Reason, RefundAction, RequestedOutcome


class InspectionError(UserFacingError):
    """The unit cannot be started or finished; the message says why and what to do."""


@dataclass(frozen=True)
class UnitDraft:
    """A unit being inspected: its LPN is reserved, nothing else is written yet."""

    lpn: str
    receipt_id: uuid.UUID
    rma_line_id: uuid.UUID
    rma_number: str
    sku: str
    description: str
    category: str
    reason: str
    requested: str
    unit_price_minor: int
    currency: str
    started_at: datetime
    flags: frozenset[Flag] = field(default_factory=frozenset)


@dataclass(frozen=True)
class FinalizedUnit:
    unit_id: uuid.UUID
    lpn: str
    rma_number: str
    sku: str
    grade: Grade
    decision: Decision
    refund_trigger_id: uuid.UUID
    decided_at: datetime
    station_code: str
    grader_initials: str


def start_unit(
    ctx: StationContext, actor: Actor, receipt_id: uuid.UUID, rma_line_id: uuid.UUID
) -> UnitDraft:
    """Reserve an LPN for the next unit of a received line; refuse an over-return."""
    require(ctx, actor, Action.INSPECT)
    now = ctx.clock()
    with ctx.sessions.begin() as session:
        receipt = session.get(Receipt, receipt_id)
        line = session.get(RmaLine, rma_line_id)
        if receipt is None or line is None or receipt.rma_id != line.rma_id:
            raise InspectionError("That line does not belong to the parcel received. Scan the "
                                  "RMA again.")
        rma = session.get(Rma, line.rma_id)
        assert rma is not None
        done = session.scalar(
            select(func.count()).select_from(Unit).where(Unit.rma_line_id == line.id)
        ) or 0
        if done >= line.quantity:
            raise InspectionError(
                f"All {line.quantity} unit(s) of line {line.line_no} ({line.sku}) are already "
                "inspected. Put this item aside for a supervisor: it is an over-return."
            )
        lpn = next_lpn(session, ctx.config.effective_lpn_prefix)
        return UnitDraft(
            lpn=lpn, receipt_id=receipt.id, rma_line_id=line.id, rma_number=rma.rma_number,
            sku=line.sku, description=line.description, category=line.category,
            reason=line.reason, requested=rma.requested, unit_price_minor=line.unit_price_minor,
            currency=line.currency, started_at=now,
        )


def propose(ctx: StationContext, draft: UnitDraft, grade: Grade) -> Decision:
    """What the rules decide for this unit and grade (shown before the grader confirms)."""
    return decide(
        RoutingCase(
            grade=grade, reason=Reason(draft.reason), requested=RequestedOutcome(draft.requested),
            price_minor=draft.unit_price_minor, currency=draft.currency,
            high_value_threshold_major=ctx.config.high_value_threshold_major, flags=draft.flags,
        ),
        ctx.config.destinations,
    )


def finalize(
    ctx: StationContext, actor: Actor, draft: UnitDraft, grade: Grade, *, notes: str = ""
) -> FinalizedUnit:
    """Confirm the proposed decision: every fact of the unit in one local transaction."""
    require(ctx, actor, Action.INSPECT)
    require(ctx, actor, Action.ROUTE)
    decision = propose(ctx, draft, grade)
    now = ctx.clock()
    with ctx.sessions.begin() as session:
        if session.scalar(select(Unit.id).where(Unit.lpn == draft.lpn)) is not None:
            raise InspectionError(f"Unit {draft.lpn} is already finished.")
        done = session.scalar(
            select(func.count()).select_from(Unit).where(Unit.rma_line_id == draft.rma_line_id)
        ) or 0
        line = session.get(RmaLine, draft.rma_line_id)
        if line is None or done >= line.quantity:
            raise InspectionError("Every unit of this line was finished meanwhile; this one is "
                                  "an over-return. Put it aside for a supervisor.")
        unit = Unit(lpn=draft.lpn, receipt_id=draft.receipt_id, rma_line_id=draft.rma_line_id,
                    station_code=ctx.station_code, created_by=actor.user_id, created_at=now)
        session.add(unit)
        outbox.enqueue(session, unit, now=now)
        inspection = Inspection(
            unit_id=unit.id, grader_id=actor.user_id, grade=grade.value,
            flags=sorted(f.value for f in draft.flags), answers={}, notes=notes[:2000],
            started_at=draft.started_at, completed_at=now, station_code=ctx.station_code,
        )
        disposition = DispositionDecision(
            unit_id=unit.id, disposition=decision.disposition.value,
            destination=decision.destination, rule_id=decision.rule_id,
            rules_version=decision.rules_version, explanation=decision.explanation,
            decided_by=actor.user_id, decided_at=now, supersedes_id=None,
            station_code=ctx.station_code,
        )
        trigger = RefundTrigger(
            idempotency_key=f"{draft.rma_line_id}:{unit.id}", unit_id=unit.id,
            rma_line_id=draft.rma_line_id, action=decision.refund_action.value,
            amount_minor=decision.refund_minor, currency=decision.currency,
            settling=decision.refund_action != RefundAction.HELD, decided_by=actor.user_id,
            created_at=now, supersedes_id=None, station_code=ctx.station_code,
        )
        for fact in (inspection, disposition, trigger):
            session.add(fact)
            outbox.enqueue(session, fact, now=now)
        for action, data in (
            ("unit.created", {"unit_id": unit.id, "rma": draft.rma_number, "sku": draft.sku}),
            ("inspection.completed", {"inspection_id": inspection.id, "grade": grade.value}),
            ("disposition.decided", {"disposition_id": disposition.id,
                                     "disposition": decision.disposition.value,
                                     "rule_id": decision.rule_id}),
            ("refund.decided", {"refund_trigger_id": trigger.id,
                                "action": decision.refund_action.value,
                                "amount_minor": decision.refund_minor,
                                "currency": decision.currency}),
        ):
            audit.record(session, station_code=ctx.station_code, actor=actor, action=action,
                         subject=draft.lpn, data=data, now=now)
        return FinalizedUnit(
            unit_id=unit.id, lpn=draft.lpn, rma_number=draft.rma_number, sku=draft.sku,
            grade=grade, decision=decision, refund_trigger_id=trigger.id, decided_at=now,
            station_code=ctx.station_code, grader_initials=actor.initials,
        )
