"""The print queue: a label asked for is a fact, and so is every try at printing it.

`request_label` and `request_reprint` write a PrintJob (with its outbox entry and audit
event) and print nothing. `PrintQueue.run_once` tries the pending jobs whose back-off has
elapsed, outside any transaction, and records each try as a PrintAttempt in its own short
transaction. A job whose printer took it but could not confirm it (SENT_UNCONFIRMED) is
never printed again by the queue: the grader looks, then confirms it or asks for a reprint.

Pure logic, no threads: the caller decides when to call `run_once` (`next_due` says when).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from PIL import Image
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from station.audit import chain as audit
from station.common.errors import UserFacingError
from station.common.money import format_minor
from station.common.permissions import Action, Actor
from station.common.text_hygiene import clean_text
from station.common.vocabulary import RefundAction, Role
from station.inspection.finalize import FinalizedUnit
from station.labels.printers import JobState, LabelPrinter, PrintOutcome, render_label
from station.labels.render import (
    AnyLabel,
    DispositionLabel,
    ExceptionLabel,
    LabelError,
    ReceivingLabel,
    exception_reference,
)
from station.runtime.authorization import require
from station.runtime.context import StationContext
from station.settings.printer_uri import LabelSize
from station.store import outbox
from station.store.models import (
    DispositionDecision,
    ExceptionCase,
    Inspection,
    LabelVoid,
    PrintAttempt,
    PrintJob,
    Receipt,
    RefundTrigger,
    Rma,
    RmaLine,
    Unit,
    User,
)

DISPOSITION_KIND: Final = "disposition"
RECEIVING_KIND: Final = "receiving"
EXCEPTION_KIND: Final = "exception"
#: job_state() of a job nobody has tried to print yet.
QUEUED: Final = "queued"
#: States after which the queue never prints the job again by itself.
FINAL_STATES: Final = frozenset({JobState.PRINTED.value, JobState.SENT_UNCONFIRMED.value})
MIN_REASON_LEN: Final = 3
DETAIL_LEN: Final = 200

Renderer = Callable[[PrintJob], Image.Image]


class PrintQueueError(UserFacingError):
    """A label request that cannot be made; the message says why and what to do."""


# --------------------------------------------------------------------------- requests


def _add_job(session: Session, ctx: StationContext, actor: Actor, job: PrintJob,
             action: str, subject: str, data: dict[str, object]) -> uuid.UUID:
    session.add(job)
    outbox.enqueue(session, job, now=job.requested_at)
    audit.record(session, station_code=ctx.station_code, actor=actor, action=action,
                 subject=subject, data={"job_id": job.id, **data}, now=job.requested_at)
    return job.id


def request_label(ctx: StationContext, actor: Actor, unit: FinalizedUnit,
                  printer_uri: str) -> uuid.UUID:
    """Queue the disposition label of a finished unit; returns the job id."""
    with ctx.sessions.begin() as session:
        return request_label_in(session, ctx, actor, unit, printer_uri)


def request_label_in(session: Session, ctx: StationContext, actor: Actor, unit: FinalizedUnit,
                     printer_uri: str) -> uuid.UUID:
    """`request_label` in the caller's transaction (the unit may have been written in it)."""
    require(ctx, actor, Action.INSPECT)
    now = ctx.clock()
    if session.get(Unit, unit.unit_id) is None:
        raise PrintQueueError(f"Unit {unit.lpn} is not in this station's database.")
    job = PrintJob(unit_id=unit.unit_id,
                   label_kind=DISPOSITION_KIND, printer_uri=printer_uri[:200],
                   reprint_of=None, reason=None, requested_by=actor.user_id,
                   requested_at=now, station_code=ctx.station_code)
    return _add_job(session, ctx, actor, job, "label.requested", unit.lpn,
                    {"printer_uri": job.printer_uri})


def _request_subject_label(ctx: StationContext, actor: Actor, kind: str,
                           subject_id: uuid.UUID, subject: str, printer_uri: str) -> uuid.UUID:
    require(ctx, actor, Action.RECEIVE)
    now = ctx.clock()
    with ctx.sessions.begin() as session:
        job = PrintJob(unit_id=None, subject_id=subject_id, label_kind=kind,
                       printer_uri=printer_uri[:200], reprint_of=None, reason=None,
                       requested_by=actor.user_id, requested_at=now,
                       station_code=ctx.station_code)
        return _add_job(session, ctx, actor, job, "label.requested", subject,
                        {"printer_uri": job.printer_uri, "kind": kind})


def request_receiving_label(ctx: StationContext, actor: Actor, receipt_id: uuid.UUID,
                            printer_uri: str) -> uuid.UUID:
    """Queue the clerk's receiving/tote label for a received parcel (clerk+)."""
    return _request_subject_label(ctx, actor, RECEIVING_KIND, receipt_id, str(receipt_id),
                                  printer_uri)


def request_exception_label(ctx: StationContext, actor: Actor, exception_id: uuid.UUID,
                            printer_uri: str) -> uuid.UUID:
    """Queue the label that goes on a parcel set aside for the exception queue (clerk+)."""
    return _request_subject_label(ctx, actor, EXCEPTION_KIND, exception_id,
                                  exception_reference(exception_id), printer_uri)


def _parse_job_id(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text.strip())
    except ValueError:
        return None


def job_for(session: Session, unit_lpn_or_job_id: str | uuid.UUID, *,
            never_printed: str) -> PrintJob:
    """The job named by its id, or the latest job of the unit with that LPN; a
    PrintQueueError otherwise (`never_printed` ends the message for a unit without one)."""
    job_id = (unit_lpn_or_job_id if isinstance(unit_lpn_or_job_id, uuid.UUID)
              else _parse_job_id(unit_lpn_or_job_id))
    if job_id is not None:
        job = session.get(PrintJob, job_id)
        if job is None:
            raise PrintQueueError(f"There is no print job {job_id}.")
        return job
    lpn = clean_text(str(unit_lpn_or_job_id), 20).upper()
    unit_id = session.scalar(select(Unit.id).where(Unit.lpn == lpn))
    if unit_id is None:
        raise PrintQueueError(f"There is no unit {lpn!r}. Scan the unit's label "
                              "or type its LPN.")
    latest = session.scalar(
        select(PrintJob).where(PrintJob.unit_id == unit_id)
        .order_by(PrintJob.requested_at.desc(), PrintJob.id.desc()).limit(1)
    )
    if latest is None:
        raise PrintQueueError(f"No label was ever asked for unit {lpn}; {never_printed}")
    return latest


def request_reprint(ctx: StationContext, actor: Actor, unit_lpn_or_job_id: str | uuid.UUID,
                    reason: str, *, printer_uri: str | None = None) -> uuid.UUID:
    """Queue another copy of a unit's label (its latest job, or the job named), with the
    reason; any grader or above may. Goes to the original job's printer unless told."""
    require(ctx, actor, Action.INSPECT)
    cleaned = clean_text(reason, DETAIL_LEN)
    if len(cleaned) < MIN_REASON_LEN:
        raise PrintQueueError("Say why the label is printed again (at least "
                              f"{MIN_REASON_LEN} characters), e.g. \"label torn\".")
    now = ctx.clock()
    with ctx.sessions.begin() as session:
        original = job_for(session, unit_lpn_or_job_id,
                           never_printed="print its label rather than a reprint.")
        lpn_of = session.scalar(select(Unit.lpn).where(Unit.id == original.unit_id))
        job = PrintJob(unit_id=original.unit_id, label_kind=original.label_kind,
                       printer_uri=(printer_uri or original.printer_uri)[:200],
                       reprint_of=original.id, reason=cleaned, requested_by=actor.user_id,
                       requested_at=now, station_code=ctx.station_code)
        return _add_job(session, ctx, actor, job, "label.reprint", lpn_of or str(original.id),
                        {"reprint_of": original.id, "reason": cleaned,
                         "printer_uri": job.printer_uri})


# --------------------------------------------------------------------------- state


def _attempts(session: Session, job_id: uuid.UUID) -> list[PrintAttempt]:
    return list(session.scalars(
        select(PrintAttempt).where(PrintAttempt.job_id == job_id)
        .order_by(PrintAttempt.attempted_at, PrintAttempt.id)
    ))


def job_state(session: Session, job_id: uuid.UUID) -> str:
    """The state of the job's latest attempt (a JobState value), or QUEUED."""
    state = session.scalar(
        select(PrintAttempt.state).where(PrintAttempt.job_id == job_id)
        .order_by(PrintAttempt.attempted_at.desc(), PrintAttempt.id.desc()).limit(1)
    )
    return state if state is not None else QUEUED


def pending_jobs(ctx: StationContext) -> list[PrintJob]:
    """This station's jobs still to print: never tried, or last tried OFFLINE, NOT_READY,
    TIMED_OUT or REFUSED; oldest first. PRINTED and SENT_UNCONFIRMED jobs are not, and
    neither is a voided job (station.labels.voids)."""
    final = exists().where(PrintAttempt.job_id == PrintJob.id,
                           PrintAttempt.state.in_(FINAL_STATES))
    voided = exists().where(LabelVoid.job_id == PrintJob.id)
    with ctx.sessions() as session:
        return list(session.scalars(
            select(PrintJob).where(PrintJob.station_code == ctx.station_code, ~final,
                                   ~voided)
            .order_by(PrintJob.requested_at, PrintJob.id)
        ))


def _record_attempt(ctx: StationContext, job_id: uuid.UUID, outcome: PrintOutcome) -> None:
    now = ctx.clock()
    with ctx.sessions.begin() as session:
        attempt = PrintAttempt(job_id=job_id, state=outcome.state.value,
                               detail=clean_text(outcome.detail or "-", DETAIL_LEN),
                               bytes_sent=max(0, int(outcome.bytes_sent)),
                               ms=float(outcome.ms), attempted_at=now,
                               station_code=ctx.station_code)
        session.add(attempt)
        outbox.enqueue(session, attempt, now=now)


def confirm_printed(ctx: StationContext, actor: Actor, job_id: uuid.UUID) -> None:
    """The grader saw the label come out (of a SENT_UNCONFIRMED job, typically)."""
    require(ctx, actor, Action.INSPECT)
    now = ctx.clock()
    with ctx.sessions.begin() as session:
        job = session.get(PrintJob, job_id)
        if job is None:
            raise PrintQueueError(f"There is no print job {job_id}.")
        if job_state(session, job_id) == JobState.PRINTED.value:
            raise PrintQueueError("That label is already recorded as printed.")
        attempt = PrintAttempt(job_id=job_id, state=JobState.PRINTED.value,
                               detail=clean_text(f"confirmed by {actor.username}", DETAIL_LEN),
                               bytes_sent=0, ms=0.0, attempted_at=now,
                               station_code=ctx.station_code)
        session.add(attempt)
        outbox.enqueue(session, attempt, now=now)
        audit.record(session, station_code=ctx.station_code, actor=actor,
                     action="label.confirmed", subject=str(job_id),
                     data={"job_id": job_id, "attempt_id": attempt.id}, now=now)


# --------------------------------------------------------------------------- the label


def _refund_text(action: str, amount_minor: int, currency: str) -> str:
    """As rules.Decision.refund_text words it."""
    amount = format_minor(amount_minor, currency)
    if action in {RefundAction.HELD.value, RefundAction.DENY.value}:
        return f"{action} ({amount})"
    return f"{action} {amount}"


def _initials(user: User | None) -> str:
    if user is None:
        return "?"
    return Actor(user.id, user.username, user.display_name, Role(user.role)).initials


def _unit_label(session: Session, unit: Unit, printed_at: datetime) -> DispositionLabel:
    """A unit's label from its facts (latest inspection, disposition and refund trigger)."""
    line = session.get(RmaLine, unit.rma_line_id) if unit.rma_line_id else None
    rma = session.get(Rma, line.rma_id) if line else None
    inspection = session.scalar(
        select(Inspection).where(Inspection.unit_id == unit.id)
        .order_by(Inspection.completed_at.desc(), Inspection.id.desc()).limit(1))
    decision = session.scalar(
        select(DispositionDecision).where(DispositionDecision.unit_id == unit.id)
        .order_by(DispositionDecision.decided_at.desc(),
                  DispositionDecision.id.desc()).limit(1))
    trigger = session.scalar(
        select(RefundTrigger).where(RefundTrigger.unit_id == unit.id)
        .order_by(RefundTrigger.created_at.desc(), RefundTrigger.id.desc()).limit(1))
    if line is None or rma is None or inspection is None or decision is None \
            or trigger is None:
        raise PrintQueueError(f"Unit {unit.lpn} is not finished: its label cannot be printed.")
    grader = session.get(User, inspection.grader_id)
    return DispositionLabel(
        disposition=decision.disposition, destination=decision.destination,
        lpn=unit.lpn, rma_number=rma.rma_number, sku=line.sku, grade=inspection.grade,
        printed_at=printed_at.astimezone(), station=unit.station_code,
        grader_initials=_initials(grader),
        refund=_refund_text(trigger.action, trigger.amount_minor, trigger.currency),
    )


def label_for_job(ctx: StationContext, job_id: uuid.UUID) -> DispositionLabel:
    """The job's label rebuilt from the unit's facts (latest disposition and refund)."""
    with ctx.sessions() as session:
        job = session.get(PrintJob, job_id)
        unit = session.get(Unit, job.unit_id) if job is not None and job.unit_id else None
        if job is None or unit is None:
            raise PrintQueueError(f"There is no unit label job {job_id}.")
        return _unit_label(session, unit, job.requested_at)


def _receiving_label(session: Session, job: PrintJob) -> ReceivingLabel:
    receipt = session.get(Receipt, job.subject_id) if job.subject_id else None
    rma = session.get(Rma, receipt.rma_id) if receipt and receipt.rma_id else None
    if receipt is None or rma is None:
        raise PrintQueueError(f"Print job {job.id} names no received RMA.")
    return ReceivingLabel(
        rma_number=rma.rma_number, receipt_code=receipt.scanned_code,
        received_at=receipt.received_at.astimezone(), station=receipt.station_code,
        clerk_initials=_initials(session.get(User, receipt.received_by)),
        lines=len(rma.lines), units=sum(line.quantity for line in rma.lines),
        tote=f"T-{receipt.id.hex[:6].upper()}",
    )


def _exception_label(session: Session, job: PrintJob) -> ExceptionLabel:
    case = session.get(ExceptionCase, job.subject_id) if job.subject_id else None
    if case is None:
        raise PrintQueueError(f"Print job {job.id} names no exception.")
    return ExceptionLabel(
        kind=case.kind.replace("_", " "), code=str(case.details.get("code", ""))[:60],
        opened_at=case.opened_at.astimezone(), station=case.station_code,
        clerk_initials=_initials(session.get(User, case.opened_by)),
        reference=exception_reference(case.id),
    )


def any_label_for_job(ctx: StationContext, job_id: uuid.UUID) -> AnyLabel:
    """The label of any job (disposition, receiving or exception), rebuilt from the facts."""
    with ctx.sessions() as session:
        job = session.get(PrintJob, job_id)
        if job is None:
            raise PrintQueueError(f"There is no print job {job_id}.")
        if job.label_kind == RECEIVING_KIND:
            return _receiving_label(session, job)
        if job.label_kind == EXCEPTION_KIND:
            return _exception_label(session, job)
    return label_for_job(ctx, job_id)


def label_for_lpn(ctx: StationContext, lpn: str) -> DispositionLabel:
    """The unit's current label, dated now (for `label render` and previews)."""
    with ctx.sessions() as session:
        unit = session.scalar(select(Unit).where(Unit.lpn == lpn))
        if unit is None:
            raise PrintQueueError(f"No unit has the LPN {lpn!r} at this station.")
        return _unit_label(session, unit, ctx.clock())


def renderer(ctx: StationContext, size: LabelSize) -> Renderer:
    """The usual `render` for run_once: the job's label from the DB, rendered for `size`."""
    def render(job: PrintJob) -> Image.Image:
        return render_label(any_label_for_job(ctx, job.id), size)
    return render


# --------------------------------------------------------------------------- the queue


@dataclass(frozen=True)
class PrintQueue:
    """Tries pending jobs with a per-job back-off: first_delay, doubled per failed try,
    at most max_delay."""

    first_delay: timedelta = timedelta(seconds=2)
    max_delay: timedelta = timedelta(seconds=60)

    def backoff(self, failed_attempts: int) -> timedelta:
        if failed_attempts <= 0:
            return timedelta(0)
        delay: timedelta = self.first_delay * (2 ** min(failed_attempts - 1, 30))
        return min(delay, self.max_delay)

    def due_at(self, session: Session, job: PrintJob) -> datetime:
        attempts = _attempts(session, job.id)
        if not attempts:
            return job.requested_at
        return attempts[-1].attempted_at + self.backoff(len(attempts))

    def next_due(self, ctx: StationContext) -> datetime | None:
        """When the earliest pending job may be tried (None: nothing pending)."""
        jobs = pending_jobs(ctx)
        with ctx.sessions() as session:
            return min((self.due_at(session, job) for job in jobs), default=None)

    def run_once(self, ctx: StationContext, printer: LabelPrinter,
                 render: Renderer) -> list[tuple[uuid.UUID, PrintOutcome]]:
        """Try every pending job that is due, oldest first; record and return each outcome.

        A label that cannot be built or rendered is recorded as REFUSED (and retried after
        its back-off, like any other refusal)."""
        now = ctx.clock()
        jobs = pending_jobs(ctx)
        with ctx.sessions() as session:
            due = [job for job in jobs if self.due_at(session, job) <= now]
        results: list[tuple[uuid.UUID, PrintOutcome]] = []
        for job in due:
            try:
                image = render(job)
            except (LabelError, PrintQueueError) as exc:
                outcome = PrintOutcome(JobState.REFUSED, f"label not rendered: {exc}")
            else:
                outcome = printer.print_label(image, job_id=str(job.id))
            _record_attempt(ctx, job.id, outcome)
            results.append((job.id, outcome))
        return results

