"""Voiding a label: a supervisor declares a print job's label invalid, with a reason.

The print job stays (facts are append-only); a `LabelVoid` fact names it, with its audit
event and outbox entry in one transaction, and the print queue never prints or retries a
voided job. A job is voided at most once: the unique key on `job_id` holds locally and
centrally, so a second void of one job is refused here and, if two stations race, parked
by sync like a second resolution of one exception.
"""

from __future__ import annotations

import uuid
from typing import Final

from sqlalchemy import select

from station.audit import chain as audit
from station.common.errors import UserFacingError
from station.common.permissions import Action, Actor
from station.common.text_hygiene import clean_text
from station.labels.print_queue import DETAIL_LEN, MIN_REASON_LEN, job_for
from station.runtime.authorization import require
from station.runtime.context import StationContext
from station.store import outbox
from station.store.models import LabelVoid, Unit, User

VOIDED_ACTION: Final = "label.voided"


class VoidError(UserFacingError):
    """A label that cannot be voided as asked; the message says why and what to do."""


def void_label(ctx: StationContext, actor: Actor, unit_lpn_or_job_id: str | uuid.UUID,
               reason: str) -> uuid.UUID:
    """Void the unit's latest label (by LPN) or the job named (by id), with the reason;
    supervisors and admins only. Returns the LabelVoid's id."""
    require(ctx, actor, Action.VOID)
    cleaned = clean_text(reason, DETAIL_LEN)
    if len(cleaned) < MIN_REASON_LEN:
        raise VoidError(f"Say why the label is voided (at least {MIN_REASON_LEN} "
                        "characters), e.g. \"wrong disposition printed\".")
    now = ctx.clock()
    with ctx.sessions.begin() as session:
        job = job_for(session, unit_lpn_or_job_id, never_printed="there is nothing to void.")
        earlier = session.scalar(select(LabelVoid).where(LabelVoid.job_id == job.id))
        if earlier is not None:
            voider = session.get(User, earlier.voided_by)
            who = voider.display_name if voider is not None else "an unknown user"
            raise VoidError(
                f"That label was already voided by {who} on "
                f"{earlier.voided_at.astimezone():%d %b %Y at %H:%M} "
                f"({earlier.reason}). Nothing to do; ask for a reprint if a new label "
                "is needed.")
        void = LabelVoid(job_id=job.id, unit_id=job.unit_id, reason=cleaned,
                         voided_by=actor.user_id, voided_at=now,
                         station_code=ctx.station_code)
        session.add(void)
        outbox.enqueue(session, void, now=now)
        lpn = session.scalar(select(Unit.lpn).where(Unit.id == job.unit_id)) \
            if job.unit_id is not None else None
        audit.record(session, station_code=ctx.station_code, actor=actor,
                     action=VOIDED_ACTION, subject=lpn or str(job.id),
                     data={"job_id": job.id, "void_id": void.id, "reason": cleaned,
                           "label_kind": job.label_kind}, now=now)
        return void.id
