"""Inspecting a unit: take a unit off an RMA line under a fresh LPN, inspect, grade, decide.

`start_unit` reserves the LPN and saves an empty draft in one transaction, so the unit
counts against its line from the first moment (a fourth unit of a line of three is refused
even while the other three are still on benches). `finalize` writes the unit, its
inspection, photos, the disposition, the refund trigger, any exception, their audit events
and outbox entries, and deletes the draft, in one local transaction: a crash leaves either
all of them or none, never a refund without the inspection that justified it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from station.audit import chain as audit
from station.codes.lpn import LPN_COUNTER, format_lpn
from station.common.permissions import Action, Actor
from station.common.text_hygiene import clean_text
from station.common.vocabulary import (
    Category,
    Disposition,
    ExceptionKind,
    Flag,
    Grade,
    Reason,
    RefundAction,
    RequestedOutcome,
)
from station.grading.unit_in_progress import (
    InspectionError,
    OverReturnError,
    UnitDraft,
    UnitInspection,
)
from station.grading.verification import ExpectedItem, OtherLine
from station.inspection import approvals
from station.inspection.rule_sets import current_rule_set
from station.routing.rules import Decision, RoutingCase, decide
from station.runtime.authorization import require
from station.runtime.context import StationContext
from station.store import outbox, sequences
from station.store.models import (
    DispositionDecision,
    ExceptionCase,
    Inspection,
    InspectionDraft,
    Photo,
    Receipt,
    RefundTrigger,
    Rma,
    RmaLine,
    Unit,
)

__all__ = ["FinalizedUnit", "InspectionError", "OverReturn", "OverReturnError", "UnitDraft",
           "UnitInspection", "finalize", "propose", "set_aside_over_return", "start_unit",
           "units_taken"]


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
    exception_id: uuid.UUID | None = None


@dataclass(frozen=True)
class OverReturn:
    """An item set aside because its line has no unit left to take."""

    exception_id: uuid.UUID
    receipt_id: uuid.UUID
    rma_number: str
    sku: str


def units_taken(session: Session, rma_line_id: uuid.UUID) -> int:
    """Units of a line finished or on a bench (an open draft holds its place)."""
    finished = session.scalar(
        select(func.count()).select_from(Unit).where(Unit.rma_line_id == rma_line_id)) or 0
    open_drafts = session.scalar(
        select(func.count()).select_from(InspectionDraft)
        .where(InspectionDraft.rma_line_id == rma_line_id)) or 0
    return finished + open_drafts


def unit_draft(session: Session, receipt: Receipt, line: RmaLine, lpn: str,
               started_at: datetime) -> UnitDraft:
    """The unit's identity and what its RMA line expects it to be."""
    rma = session.get(Rma, line.rma_id)
    assert rma is not None
    others = tuple(OtherLine(other.line_no, other.sku, other.gtin)
                   for other in rma.lines if other.id != line.id)
    return UnitDraft(
        lpn=lpn, receipt_id=receipt.id, rma_line_id=line.id, rma_number=rma.rma_number,
        line_no=line.line_no, sku=line.sku, description=line.description,
        category=line.category, reason=line.reason, requested=rma.requested,
        unit_price_minor=line.unit_price_minor, currency=line.currency, started_at=started_at,
        order_date=rma.order_date,
        expected=ExpectedItem(line.sku, line.gtin, line.expected_serial, others),
    )


def _receipt_and_line(session: Session, receipt_id: uuid.UUID,
                      rma_line_id: uuid.UUID) -> tuple[Receipt, RmaLine]:
    receipt = session.get(Receipt, receipt_id)
    line = session.get(RmaLine, rma_line_id)
    if receipt is None or line is None or receipt.rma_id != line.rma_id:
        raise InspectionError("That line does not belong to the parcel received. Scan the "
                              "RMA again.")
    return receipt, line


def start_unit(
    ctx: StationContext, actor: Actor, receipt_id: uuid.UUID, rma_line_id: uuid.UUID
) -> UnitInspection:
    """Reserve an LPN and save an empty draft for the next unit of a received line;
    refuse an over-return (the grader can then set the item aside as an exception)."""
    require(ctx, actor, Action.INSPECT)
    now = ctx.clock()
    with ctx.sessions.begin() as session:
        receipt, line = _receipt_and_line(session, receipt_id, rma_line_id)
        if units_taken(session, line.id) >= line.quantity:
            raise OverReturnError(
                f"All {line.quantity} unit(s) of line {line.line_no} ({line.sku}) are already "
                "inspected or on a bench: this item is an over-return.", receipt.id, line.id)
        lpn = format_lpn(ctx.config.effective_lpn_prefix, sequences.bump(session, LPN_COUNTER))
        draft = unit_draft(session, receipt, line, lpn, now)
        work = UnitInspection(draft, ctx.checklist_for(draft.category))
        session.add(InspectionDraft(
            lpn=lpn, station_code=ctx.station_code, user_id=actor.user_id,
            receipt_id=receipt.id, rma_line_id=line.id, state=work.to_state(),
            started_at=now, updated_at=now))
        audit.record(session, station_code=ctx.station_code, actor=actor,
                     action="inspection.started", subject=lpn,
                     data={"rma": draft.rma_number, "line": line.line_no, "sku": line.sku},
                     now=now)
        return work


def set_aside_over_return(ctx: StationContext, actor: Actor, receipt_id: uuid.UUID,
                          rma_line_id: uuid.UUID) -> OverReturn:
    """An item beyond its line's quantity becomes an exception for a supervisor, never a
    silent extra unit (and never a second refund)."""
    require(ctx, actor, Action.INSPECT)
    now = ctx.clock()
    with ctx.sessions.begin() as session:
        receipt, line = _receipt_and_line(session, receipt_id, rma_line_id)
        rma = session.get(Rma, line.rma_id)
        assert rma is not None
        taken = units_taken(session, line.id)
        case = ExceptionCase(
            kind=ExceptionKind.OVER_RETURN.value, receipt_id=receipt.id, unit_id=None,
            details={"rma": rma.rma_number, "line": line.line_no, "sku": line.sku,
                     "quantity": line.quantity, "units_taken": taken},
            opened_by=actor.user_id, opened_at=now, station_code=ctx.station_code)
        session.add(case)
        outbox.enqueue(session, case, now=now)
        audit.record(session, station_code=ctx.station_code, actor=actor,
                     action="exception.over_return", subject=rma.rma_number,
                     data={"exception_id": case.id, "line": line.line_no, "sku": line.sku},
                     now=now)
        return OverReturn(case.id, receipt.id, rma.rma_number, line.sku)


def routing_case(ctx: StationContext, work: UnitInspection) -> RoutingCase:
    """The unit as the rules see it: category, grade, flags, reason, request, price, age."""
    draft = work.draft
    today = ctx.clock().date()
    age = max(0, (today - draft.order_date).days) if draft.order_date else 0
    try:
        category = Category(draft.category)
    except ValueError:
        category = Category.OTHER
    return RoutingCase(
        category=category, grade=work.grade, reason=Reason(draft.reason),
        requested=RequestedOutcome(draft.requested), price_minor=draft.unit_price_minor,
        currency=draft.currency, days_since_purchase=age,
        high_value_threshold_major=ctx.config.high_value_threshold_major,
        flags=work.outcome().flags,
    )


def propose(ctx: StationContext, work: UnitInspection) -> Decision:
    """What the station's rule set decides for this unit (shown before confirming)."""
    return decide(routing_case(ctx, work), current_rule_set(ctx), ctx.config.destinations)


_EXCEPTION_FLAGS = {Flag.WRONG_ITEM: ExceptionKind.WRONG_ITEM}


@dataclass(frozen=True)
class Override:
    """The grader chose another allowed disposition than the rules' best one, and why."""

    disposition: Disposition
    reason: str


@dataclass(frozen=True)
class BenchApproval:
    """A supervisor at the bench approves the held refund (badge or PIN checked already)."""

    supervisor: Actor
    reason: str


def overridden(ctx: StationContext, decision: Decision, override: Override) -> Decision:
    """The decision with the grader's choice among the allowed dispositions."""
    if override.disposition is decision.disposition:
        return decision
    allowed = {option["disposition"]: option for option in decision.options}
    if override.disposition.value not in allowed:
        why = next((item["why"] for item in decision.explanation.get("not_allowed", [])
                    if item["disposition"] == override.disposition.value), "not allowed")
        raise InspectionError(f"{override.disposition.value} is not allowed for this unit: "
                              f"{why}.")
    reason = clean_text(override.reason, 300)
    if not reason:
        raise InspectionError(f"Say why {override.disposition.value} and not "
                              f"{decision.disposition.value}: a reason is required.")
    explanation = {**decision.explanation, "override": {
        "proposed": decision.disposition.value, "chosen": override.disposition.value,
        "reason": reason,
        "estimate_minor": allowed[override.disposition.value]["estimate_minor"]}}
    destination = ctx.config.destinations.get(override.disposition, override.disposition.value)
    return replace(decision, disposition=override.disposition, destination=destination,
                   explanation=explanation)


def refund_evidence(decision: Decision) -> str | None:
    """"a held refund" or "a partial refund" when the decision makes photos evidence."""
    return {RefundAction.HELD: "a held refund",
            RefundAction.PARTIAL: "a partial refund"}.get(decision.refund_action)


def require_refund_evidence(work: UnitInspection, decision: Decision) -> None:
    """A held or partial refund makes the unit's photos evidence: refused while the photos
    the checklist then asks for are missing (the message lists them)."""
    refund = refund_evidence(decision)
    if refund is None:
        return
    work.require_refund_evidence(refund)
    missing = work.missing()
    if not missing.complete:
        raise InspectionError(f"Photos are evidence for {refund}: "
                              + "; ".join(missing.lines()) + ". Esc goes back to take them.")


def finalize(ctx: StationContext, actor: Actor, work: UnitInspection, *,
             override: Override | None = None,
             approval: BenchApproval | None = None) -> FinalizedUnit:
    """Confirm the decision: every fact of the unit in one local transaction.

    `finalize_in` writes the same facts into a transaction the caller holds.
    """
    with ctx.sessions.begin() as session:
        return finalize_in(session, ctx, actor, work, override=override, approval=approval)


def finalize_in(session: Session, ctx: StationContext, actor: Actor, work: UnitInspection, *,
                override: Override | None = None,
                approval: BenchApproval | None = None) -> FinalizedUnit:
    """Every fact of the unit, written into `session`'s transaction (which commits them).

    Refused while a required answer or photo is missing (the message lists them). With an
    `override`, the grader's allowed disposition replaces the best one (reason required);
    with an `approval`, a supervisor's approval of a held refund is written with it.
    """
    require(ctx, actor, Action.INSPECT)
    require(ctx, actor, Action.ROUTE)
    missing = work.missing()
    if not missing.complete:
        raise InspectionError("Not finished yet — " + "; ".join(missing.lines()) + ".")
    draft = work.draft
    outcome = work.outcome()
    grade = work.grade
    decision = propose(ctx, work)
    if override is not None:
        decision = overridden(ctx, decision, override)
    if approval is not None:
        require(ctx, approval.supervisor, Action.APPROVE_REFUND)
        if decision.refund_action is not RefundAction.HELD:
            raise InspectionError("The refund is not held; no approval is needed.")
    require_refund_evidence(work, decision)
    now = ctx.clock()
    if session.scalar(select(Unit.id).where(Unit.lpn == draft.lpn)) is not None:
        raise InspectionError(f"Unit {draft.lpn} is already finished.")
    finished = session.scalar(
        select(func.count()).select_from(Unit).where(Unit.rma_line_id == draft.rma_line_id)
    ) or 0
    line = session.get(RmaLine, draft.rma_line_id)
    if line is None or finished >= line.quantity:
        raise InspectionError("Every unit of this line was finished meanwhile; this one is "
                              "an over-return. Put it aside for a supervisor.")
    unit = Unit(lpn=draft.lpn, receipt_id=draft.receipt_id, rma_line_id=draft.rma_line_id,
                station_code=ctx.station_code, created_by=actor.user_id, created_at=now)
    session.add(unit)
    outbox.enqueue(session, unit, now=now)
    inspection = Inspection(
        unit_id=unit.id, grader_id=actor.user_id, grade=grade.value,
        flags=sorted(f.value for f in outcome.flags), answers=work.answers_record(),
        notes=work.notes, started_at=draft.started_at, completed_at=now,
        station_code=ctx.station_code, checklist=work.checklist.name,
        checklist_version=work.checklist.version, proposed_grade=outcome.grade.value,
        override_reason=work.override_reason,
        verification={kind.value: check.as_record() for kind, check in work.checks.items()},
        answer_log=work.answer_log(),
    )
    session.add(inspection)
    outbox.enqueue(session, inspection, now=now)
    for taken in work.photos:
        photo = Photo(unit_id=unit.id, inspection_id=inspection.id, kind=taken.kind.value,
                      sha256=taken.sha256, size_bytes=taken.size_bytes,
                      taken_by=taken.taken_by, taken_at=taken.taken_at, lpn=draft.lpn,
                      width=taken.width, height=taken.height)
        session.add(photo)
        outbox.enqueue(session, photo, now=now)
    disposition = DispositionDecision(
        unit_id=unit.id, disposition=decision.disposition.value,
        destination=decision.destination, rule_id=decision.rule_id,
        rules_version=decision.rules_version, explanation=decision.explanation,
        decided_by=actor.user_id, decided_at=now, supersedes_id=None,
        station_code=ctx.station_code,
        override_reason=decision.explanation.get("override", {}).get("reason"),
        line_category=line.category, line_reason=line.reason,
        line_unit_price_minor=line.unit_price_minor, line_currency=line.currency,
    )
    trigger = RefundTrigger(
        idempotency_key=f"{draft.rma_line_id}:{unit.id}", unit_id=unit.id,
        rma_line_id=draft.rma_line_id, action=decision.refund_action.value,
        amount_minor=decision.refund_minor, currency=decision.currency,
        settling=decision.refund_action != RefundAction.HELD, decided_by=actor.user_id,
        created_at=now, supersedes_id=None, station_code=ctx.station_code,
        settle_key=f"{draft.rma_line_id}:{finished + 1}",
    )
    for fact in (disposition, trigger):
        session.add(fact)
        outbox.enqueue(session, fact, now=now)
    session.flush()
    exception_id = _open_exceptions(ctx, session, actor, work, unit, now)
    session.execute(delete(InspectionDraft).where(InspectionDraft.lpn == draft.lpn))
    events: list[tuple[str, dict[str, object]]] = [
        ("unit.created", {"unit_id": unit.id, "rma": draft.rma_number, "sku": draft.sku}),
        ("inspection.completed", {"inspection_id": inspection.id, "grade": grade.value,
                                  "proposed": outcome.grade.value,
                                  "checklist": f"{work.checklist.name} "
                                               f"{work.checklist.version}",
                                  "flags": sorted(f.value for f in outcome.flags),
                                  "photos": len(work.photos)}),
    ]
    if work.override_reason:
        events.append(("inspection.grade_overridden", {
            "inspection_id": inspection.id, "proposed": outcome.grade.value,
            "grade": grade.value, "reason": work.override_reason}))
    if "override" in decision.explanation:
        events.append(("disposition.overridden", {
            "disposition_id": disposition.id, **decision.explanation["override"]}))
    events += [
        ("disposition.decided", {"disposition_id": disposition.id,
                                 "disposition": decision.disposition.value,
                                 "rule_id": decision.rule_id}),
        ("refund.decided", {"refund_trigger_id": trigger.id,
                            "action": decision.refund_action.value,
                            "amount_minor": decision.refund_minor,
                            "currency": decision.currency}),
    ]
    for action, data in events:
        audit.record(session, station_code=ctx.station_code, actor=actor, action=action,
                     subject=draft.lpn, data=data, now=now)
    if approval is not None:
        resolution = approvals.resolve_in(
            session, ctx, approval.supervisor, trigger, decision.if_approved, approve=True,
            reason=approval.reason, subject=draft.lpn, now=now)
        decision = replace(decision, refund_action=resolution.action,
                           refund_minor=resolution.amount_minor)
    return FinalizedUnit(
        unit_id=unit.id, lpn=draft.lpn, rma_number=draft.rma_number, sku=draft.sku,
        grade=grade, decision=decision, refund_trigger_id=trigger.id, decided_at=now,
        station_code=ctx.station_code, grader_initials=actor.initials,
        exception_id=exception_id,
    )


def _open_exceptions(ctx: StationContext, session: Session, actor: Actor,
                     work: UnitInspection, unit: Unit, now: datetime) -> uuid.UUID | None:
    """A wrong item is a case for a supervisor as well as a flag on the unit."""
    first: uuid.UUID | None = None
    for flag, kind in _EXCEPTION_FLAGS.items():
        if flag not in work.outcome().flags:
            continue
        details: dict[str, object] = {"rma": work.draft.rma_number, "line": work.draft.line_no,
                                      "sku": work.draft.sku, "flag": flag.value}
        details.update({f"{k.value}_check": c.as_record() for k, c in work.checks.items()})
        case = ExceptionCase(kind=kind.value, receipt_id=work.draft.receipt_id,
                             unit_id=unit.id, details=details, opened_by=actor.user_id,
                             opened_at=now, station_code=ctx.station_code)
        session.add(case)
        outbox.enqueue(session, case, now=now)
        audit.record(session, station_code=ctx.station_code, actor=actor,
                     action=f"exception.{kind.value}", subject=work.draft.lpn,
                     data={"exception_id": case.id}, now=now)
        first = first or case.id
    return first
