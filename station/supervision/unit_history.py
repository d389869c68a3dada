"""A unit's whole history for the supervisor's drill-down: every fact about it, in order.

`unit_history` reads from whichever database it is given: the station's own, or the
central one, where every station's units are (a photo taken elsewhere then shows as
missing here, its hash kept). Nothing is collapsed to "the latest": every inspection,
decision, refund trigger, exception and label is listed, each marked for what it became
(superseded, resolved, voided). Times are aware UTC datetimes; the screen formats them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Final

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, sessionmaker

from station.audit import chain as audit
from station.common.errors import UserFacingError
from station.common.money import format_minor
from station.common.permissions import Action, Actor
from station.common.vocabulary import Category, ExceptionOutcome, Reason, RefundAction
from station.labels.print_queue import QUEUED
from station.runtime.authorization import require
from station.runtime.context import StationContext
from station.store.models import (
    DispositionDecision,
    ExceptionCase,
    ExceptionResolution,
    Inspection,
    InspectionDraft,
    LabelVoid,
    PrintAttempt,
    PrintJob,
    Receipt,
    RefundTrigger,
    Rma,
    RmaLine,
    Unit,
)
from station.supervision.evidence import (
    EvidenceAnswer,
    EvidencePhoto,
    Names,
    checklist_answers,
    checklist_named,
    exception_details,
    exception_kind,
    normalise_lpn,
    unit_photos,
    vocabulary_label,
)

#: The audit action of a look at a unit's history.
VIEWED_ACTION: Final = "unit.history_viewed"


class UnitHistoryError(UserFacingError):
    """No history can be shown for that LPN; the message says why and what to do."""


class RefundStatus(StrEnum):
    """What a refund trigger is in the unit's story."""

    DECIDED = "decided"  # the rules' refund, as the bench recorded it
    HELD = "held"  # waiting for a supervisor (resolved once `resolution_id` is set)
    APPROVED = "approved"  # a supervisor approved a held refund
    DENIED = "denied"  # a supervisor denied a held refund


@dataclass(frozen=True)
class HistoryUnit:
    """The unit and the RMA line it came back on (empty texts when it has none)."""

    unit_id: uuid.UUID
    lpn: str
    station_code: str
    received_at: datetime | None
    created_at: datetime
    rma_number: str
    line_no: int | None
    sku: str
    description: str
    category: str
    reason: str
    price: str


@dataclass(frozen=True)
class HistoryInspection:
    inspection_id: uuid.UUID
    station_code: str
    grader: str
    started_at: datetime
    completed_at: datetime
    checklist: str
    checklist_version: str
    grade: str
    proposed_grade: str | None
    override_reason: str | None
    flags: tuple[str, ...]
    notes: str
    answers: tuple[EvidenceAnswer, ...]


@dataclass(frozen=True)
class HistoryDecision:
    """A disposition decision; only the latest one is `effective`."""

    decision_id: uuid.UUID
    disposition: str
    destination: str
    rule_id: str
    rules_version: str
    why: str
    override_reason: str | None
    decided_by: str
    decided_at: datetime
    station_code: str
    supersedes: uuid.UUID | None
    effective: bool


@dataclass(frozen=True)
class HistoryRefund:
    trigger_id: uuid.UUID
    action: str
    amount: str  # e.g. "29.99 USD"
    settling: bool
    status: RefundStatus
    decided_by: str
    created_at: datetime
    note: str | None
    station_code: str
    supersedes: uuid.UUID | None
    resolution_id: uuid.UUID | None  # of a HELD trigger: the supervisor's decision


@dataclass(frozen=True)
class HistoryResolution:
    outcome: str  # in words, e.g. "returned to carrier"
    reason: str
    resolved_by: str
    resolved_at: datetime
    station_code: str


@dataclass(frozen=True)
class HistoryException:
    exception_id: uuid.UUID
    kind: str  # in words, e.g. "wrong item"
    details: str
    opened_by: str
    opened_at: datetime
    station_code: str
    resolution: HistoryResolution | None
    #: Opened on the unit's parcel rather than the unit (an over-return set aside there).
    of_parcel: bool = False


@dataclass(frozen=True)
class HistoryAttempt:
    state: str  # a station.labels.printers.JobState value
    detail: str
    attempted_at: datetime


@dataclass(frozen=True)
class HistoryVoid:
    reason: str
    voided_by: str
    voided_at: datetime
    station_code: str


@dataclass(frozen=True)
class HistoryLabel:
    """A print job of the unit with every try at printing it and its void, if voided."""

    job_id: uuid.UUID
    kind: str
    printer_uri: str
    station_code: str
    requested_by: str
    requested_at: datetime
    reprint_of: uuid.UUID | None
    reprint_reason: str | None
    attempts: tuple[HistoryAttempt, ...]
    void: HistoryVoid | None

    @property
    def state(self) -> str:
        """The label's state now: voided, else its latest attempt's, else queued."""
        if self.void is not None:
            return "voided"
        return self.attempts[-1].state if self.attempts else QUEUED


@dataclass(frozen=True)
class UnitHistory:
    """Everything recorded about one unit; each tuple in the order it happened."""

    unit: HistoryUnit
    inspections: tuple[HistoryInspection, ...]
    photos: tuple[EvidencePhoto, ...]
    decisions: tuple[HistoryDecision, ...]
    refunds: tuple[HistoryRefund, ...]
    exceptions: tuple[HistoryException, ...]
    labels: tuple[HistoryLabel, ...]


# --------------------------------------------------------------------------- reading


def _not_found(lpn: str, local: bool) -> UnitHistoryError:
    shown = lpn or "(empty)"
    if local:
        return UnitHistoryError(
            f"No unit with LPN {shown} on this station. Check the label and scan or type "
            "the LPN again; a unit of another station shows when the central database can "
            "be reached.")
    return UnitHistoryError(
        f"No unit with LPN {shown} in the central database. Check the label and scan or "
        "type the LPN again; a unit finished at a station that has not synced yet shows "
        "once it has.")


def _unit(session: Session, unit: Unit) -> HistoryUnit:
    receipt = session.get(Receipt, unit.receipt_id)
    line = session.get(RmaLine, unit.rma_line_id) if unit.rma_line_id else None
    rma = session.get(Rma, line.rma_id) if line is not None else None
    return HistoryUnit(
        unit_id=unit.id, lpn=unit.lpn, station_code=unit.station_code,
        received_at=receipt.received_at if receipt is not None else None,
        created_at=unit.created_at,
        rma_number=rma.rma_number if rma is not None else "",
        line_no=line.line_no if line is not None else None,
        sku=line.sku if line is not None else "",
        description=line.description if line is not None else "",
        category=vocabulary_label(Category, line.category) if line is not None else "",
        reason=vocabulary_label(Reason, line.reason) if line is not None else "",
        price=format_minor(line.unit_price_minor, line.currency) if line is not None else "")


def _inspections(session: Session, ctx: StationContext, unit: Unit,
                 names: Names) -> Iterator[HistoryInspection]:
    rows = session.scalars(select(Inspection).where(Inspection.unit_id == unit.id)
                           .order_by(Inspection.completed_at, Inspection.id))
    for row in rows:
        checklist = checklist_named(ctx.checklists.values(), row.checklist)
        yield HistoryInspection(
            inspection_id=row.id, station_code=row.station_code, grader=names(row.grader_id),
            started_at=row.started_at, completed_at=row.completed_at,
            checklist=row.checklist, checklist_version=row.checklist_version,
            grade=row.grade, proposed_grade=row.proposed_grade,
            override_reason=row.override_reason,
            flags=tuple(str(flag) for flag in row.flags or ()), notes=row.notes or "",
            answers=checklist_answers(row.answers or {}, checklist))


def _why(explanation: object) -> str:
    why = explanation.get("disposition") if isinstance(explanation, Mapping) else None
    return why if isinstance(why, str) else ""


def _decisions(session: Session, unit: Unit, names: Names) -> tuple[HistoryDecision, ...]:
    rows = list(session.scalars(
        select(DispositionDecision).where(DispositionDecision.unit_id == unit.id)
        .order_by(DispositionDecision.decided_at, DispositionDecision.id)))
    return tuple(HistoryDecision(
        decision_id=row.id, disposition=row.disposition, destination=row.destination,
        rule_id=row.rule_id, rules_version=row.rules_version, why=_why(row.explanation),
        override_reason=row.override_reason, decided_by=names(row.decided_by),
        decided_at=row.decided_at, station_code=row.station_code,
        supersedes=row.supersedes_id, effective=index == len(rows) - 1)
        for index, row in enumerate(rows))


def _refund_status(row: RefundTrigger, by_id: Mapping[uuid.UUID, RefundTrigger]
                   ) -> RefundStatus:
    if row.action == RefundAction.HELD.value:
        return RefundStatus.HELD
    held = by_id.get(row.supersedes_id) if row.supersedes_id is not None else None
    if held is None or held.action != RefundAction.HELD.value:
        return RefundStatus.DECIDED
    return RefundStatus.DENIED if row.action == RefundAction.DENY.value \
        else RefundStatus.APPROVED


def _refunds(session: Session, unit: Unit, names: Names) -> tuple[HistoryRefund, ...]:
    rows = list(session.scalars(
        select(RefundTrigger).where(RefundTrigger.unit_id == unit.id)
        .order_by(RefundTrigger.created_at, RefundTrigger.id)))
    by_id = {row.id: row for row in rows}
    resolved_by = {row.supersedes_id: row.id for row in rows if row.supersedes_id is not None}
    return tuple(HistoryRefund(
        trigger_id=row.id, action=row.action,
        amount=format_minor(row.amount_minor, row.currency), settling=row.settling,
        status=_refund_status(row, by_id), decided_by=names(row.decided_by),
        created_at=row.created_at, note=row.note, station_code=row.station_code,
        supersedes=row.supersedes_id, resolution_id=resolved_by.get(row.id))
        for row in rows)


def _outcome(value: str) -> str:
    try:
        return ExceptionOutcome(value).label
    except ValueError:
        return value.replace("_", " ")


def _exceptions(session: Session, unit: Unit, names: Names) -> tuple[HistoryException, ...]:
    rows = session.execute(
        select(ExceptionCase, ExceptionResolution)
        .join(ExceptionResolution, ExceptionResolution.exception_id == ExceptionCase.id,
              isouter=True)
        .where(or_(ExceptionCase.unit_id == unit.id,
                   and_(ExceptionCase.unit_id.is_(None),
                        ExceptionCase.receipt_id == unit.receipt_id)))
        .order_by(ExceptionCase.opened_at, ExceptionCase.id)).all()
    return tuple(HistoryException(
        exception_id=case.id, kind=exception_kind(case.kind),
        details=exception_details(case.details), opened_by=names(case.opened_by),
        opened_at=case.opened_at, station_code=case.station_code,
        resolution=None if resolution is None else HistoryResolution(
            outcome=_outcome(resolution.outcome), reason=resolution.reason,
            resolved_by=names(resolution.resolved_by), resolved_at=resolution.resolved_at,
            station_code=resolution.station_code),
        of_parcel=case.unit_id is None)
        for case, resolution in rows)


def _labels(session: Session, unit: Unit, names: Names) -> tuple[HistoryLabel, ...]:
    jobs = list(session.scalars(select(PrintJob).where(PrintJob.unit_id == unit.id)
                                .order_by(PrintJob.requested_at, PrintJob.id)))
    ids = [job.id for job in jobs]
    attempts: dict[uuid.UUID, list[HistoryAttempt]] = {}
    for attempt in session.scalars(select(PrintAttempt).where(PrintAttempt.job_id.in_(ids))
                                   .order_by(PrintAttempt.attempted_at, PrintAttempt.id)):
        attempts.setdefault(attempt.job_id, []).append(
            HistoryAttempt(attempt.state, attempt.detail, attempt.attempted_at))
    voids = {void.job_id: HistoryVoid(void.reason, names(void.voided_by), void.voided_at,
                                      void.station_code)
             for void in session.scalars(select(LabelVoid).where(LabelVoid.job_id.in_(ids)))}
    return tuple(HistoryLabel(
        job_id=job.id, kind=job.label_kind, printer_uri=job.printer_uri,
        station_code=job.station_code, requested_by=names(job.requested_by),
        requested_at=job.requested_at, reprint_of=job.reprint_of, reprint_reason=job.reason,
        attempts=tuple(attempts.get(job.id, ())), void=voids.get(job.id))
        for job in jobs)


def unit_history(sessions: sessionmaker[Session], ctx: StationContext, actor: Actor,
                 lpn: str, photos_folder: Path) -> UnitHistory:
    """Every fact about the unit with that LPN (grader or above), read from `sessions`:
    this station's database or the central one. Raises UnitHistoryError for an unknown
    LPN. Users are named from `sessions`, else from this station's database. Each look is
    audited at this station as "unit.history_viewed": who looked at which unit, where from."""
    require(ctx, actor, Action.INSPECT)
    wanted = normalise_lpn(lpn)
    local = sessions is ctx.sessions
    with ExitStack() as stack:
        session = stack.enter_context(sessions())
        unit = session.scalar(select(Unit).where(Unit.lpn == wanted))
        if unit is None:
            if session.get(InspectionDraft, wanted) is not None:
                raise UnitHistoryError(f"Unit {wanted} is still being inspected; its history "
                                       "starts when its inspection is finished.")
            raise _not_found(wanted, local)
        names = Names(session) if local else Names(session,
                                                   stack.enter_context(ctx.sessions()))
        history = UnitHistory(
            unit=_unit(session, unit),
            inspections=tuple(_inspections(session, ctx, unit, names)),
            photos=unit_photos(session, ctx, unit, photos_folder, names),
            decisions=_decisions(session, unit, names),
            refunds=_refunds(session, unit, names),
            exceptions=_exceptions(session, unit, names),
            labels=_labels(session, unit, names))
    with ctx.sessions.begin() as session:
        audit.record(session, station_code=ctx.station_code, actor=actor,
                     action=VIEWED_ACTION, subject=wanted,
                     data={"source": "local" if local else "central"}, now=ctx.clock())
    return history
