"""Receiving parcels at the dock: look a scanned code up, receive it, or flag it unexpected."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from station.audit import chain as audit
from station.codes.scans import Payload, PayloadKind, ScanError, classify
from station.common.errors import UserFacingError
from station.common.permissions import Action, Actor
from station.common.vocabulary import ExceptionKind
from station.receiving.rma_store import find_by_code
from station.runtime.authorization import require
from station.runtime.context import StationContext
from station.store import outbox
from station.store.models import ExceptionCase, Receipt, Rma, Unit, User


@dataclass(frozen=True)
class LineView:
    id: uuid.UUID
    line_no: int
    sku: str
    description: str
    category: str
    quantity: int
    unit_price_minor: int
    currency: str
    reason: str
    gtin: str | None
    expected_serial: str | None
    units_done: int

    @property
    def units_left(self) -> int:
        return max(0, self.quantity - self.units_done)


@dataclass(frozen=True)
class RmaView:
    id: uuid.UUID
    rma_number: str
    order_number: str
    order_date: date
    customer_name: str | None
    requested: str
    lines: tuple[LineView, ...]
    receipt_id: uuid.UUID | None
    received_at: datetime | None
    #: The display name of who received the parcel here (None: not received, or the
    #: person is not in this station's directory).
    received_by: str | None = None


class NotFound(UserFacingError, LookupError):
    """No RMA matches the scanned code; the UI offers an unexpected-parcel receipt."""

    def __init__(self, code: str) -> None:
        super().__init__(
            f"No RMA matches {code!r}. Check the label, or receive it as an unexpected parcel "
            "for a supervisor to sort out."
        )
        self.code = code


@dataclass(frozen=True)
class UnexpectedReceipt:
    receipt_id: uuid.UUID
    exception_id: uuid.UUID
    code: str


def _view(session: Session, ctx: StationContext, rma: Rma) -> RmaView:
    receipt = session.scalar(
        select(Receipt).where(Receipt.rma_id == rma.id, Receipt.station_code == ctx.station_code)
        .order_by(Receipt.received_at).limit(1)
    )
    counts = session.execute(
        select(Unit.rma_line_id, func.count())
        .where(Unit.rma_line_id.in_([line.id for line in rma.lines]))
        .group_by(Unit.rma_line_id)
    )
    done = {line_id: count for line_id, count in counts}
    lines = tuple(
        LineView(
            id=line.id, line_no=line.line_no, sku=line.sku, description=line.description,
            category=line.category, quantity=line.quantity,
            unit_price_minor=line.unit_price_minor, currency=line.currency, reason=line.reason,
            gtin=line.gtin, expected_serial=line.expected_serial,
            units_done=done.get(line.id, 0),
        )
        for line in rma.lines
    )
    return RmaView(
        id=rma.id, rma_number=rma.rma_number, order_number=rma.order_number,
        order_date=rma.order_date, customer_name=rma.customer_name, requested=rma.requested,
        lines=lines, receipt_id=receipt.id if receipt else None,
        received_at=receipt.received_at if receipt else None,
        received_by=session.scalar(select(User.display_name)
                                   .where(User.id == receipt.received_by)) if receipt else None,
    )


def look_up(ctx: StationContext, actor: Actor, scanned: Payload | str) -> RmaView:
    """The RMA for a scanned RMA number or tracking number; raises ScanError or NotFound.

    The bench passes the scan as it classified it (`inspect_scan`), so a scan is classified
    once; a plain code (the command line, a stored RMA number) is classified here.
    """
    require(ctx, actor, Action.RECEIVE)
    payload = _classified(ctx, scanned)
    with ctx.sessions() as session:
        rma = find_by_code(session, payload.value)
        if rma is None:
            raise NotFound(payload.text)
        return _view(session, ctx, rma)


def _classified(ctx: StationContext, scanned: Payload | str) -> Payload:
    if isinstance(scanned, str):
        return classify(scanned, ctx.config.rma_regex)
    if scanned.kind is PayloadKind.INVALID:
        raise ScanError(scanned.error or "That code cannot be used.")
    return scanned


def receive(ctx: StationContext, actor: Actor, raw_code: str) -> RmaView:
    """Record the parcel for the RMA the code names; receiving it again here is a no-op."""
    require(ctx, actor, Action.RECEIVE)
    payload = classify(raw_code, ctx.config.rma_regex)
    now = ctx.clock()
    with ctx.sessions.begin() as session:
        rma = find_by_code(session, payload.value)
        if rma is None:
            raise NotFound(payload.text)
        existing = _view(session, ctx, rma)
        if existing.receipt_id is not None:
            return existing
        receipt = Receipt(
            station_code=ctx.station_code, scanned_code=payload.text, rma_id=rma.id,
            carrier_tracking=rma.carrier_tracking if payload.kind != PayloadKind.RMA else None,
            received_by=actor.user_id, received_at=now, expected=True,
        )
        session.add(receipt)
        outbox.enqueue(session, receipt, now=now)
        audit.record(session, station_code=ctx.station_code, actor=actor,
                     action="receipt.recorded", subject=rma.rma_number,
                     data={"receipt_id": receipt.id, "code": payload.text}, now=now)
        return _view(session, ctx, rma)


def receive_unexpected(ctx: StationContext, actor: Actor, raw_code: str) -> UnexpectedReceipt:
    """Receive a parcel that matches no RMA and open an exception for a supervisor."""
    require(ctx, actor, Action.RECEIVE)
    payload = classify(raw_code, ctx.config.rma_regex)
    now = ctx.clock()
    with ctx.sessions.begin() as session:
        receipt = Receipt(
            station_code=ctx.station_code, scanned_code=payload.text, rma_id=None,
            carrier_tracking=None, received_by=actor.user_id, received_at=now, expected=False,
        )
        session.add(receipt)
        outbox.enqueue(session, receipt, now=now)
        case = ExceptionCase(
            kind=ExceptionKind.UNEXPECTED_PARCEL.value, receipt_id=receipt.id, unit_id=None,
            details={"code": payload.text, "kind": payload.kind.value},
            opened_by=actor.user_id, opened_at=now, station_code=ctx.station_code,
        )
        session.add(case)
        outbox.enqueue(session, case, now=now)
        audit.record(session, station_code=ctx.station_code, actor=actor,
                     action="receipt.unexpected", subject=payload.text[:100],
                     data={"receipt_id": receipt.id, "exception_id": case.id}, now=now)
        return UnexpectedReceipt(receipt.id, case.id, payload.text)
