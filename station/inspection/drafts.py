"""Inspections in progress, saved as they go so a crash or power cut loses nothing.

The screen saves the whole state after every step (`save`); each save is one small local
transaction (SQLite with synchronous=FULL), so what the grader did up to the last step is
on disk when the process dies. Signing in again lists the grader's open drafts
(`open_drafts`) and `resume` rebuilds the inspection exactly. A draft disappears when its
unit is finalized (same transaction) or when the grader puts the unit back (`discard`,
audited; its LPN stays a harmless gap).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select

from station.audit import chain as audit
from station.common.permissions import Action, Actor
from station.common.vocabulary import Role
from station.grading.unit_in_progress import InspectionError, UnitInspection
from station.inspection.finalize import unit_draft
from station.runtime.authorization import require
from station.runtime.context import StationContext
from station.store.models import InspectionDraft, Receipt, RmaLine, Unit


@dataclass(frozen=True)
class DraftSummary:
    """One open draft, as offered at sign-in."""

    lpn: str
    rma_number: str
    sku: str
    description: str
    answers: int
    photos: int
    started_at: datetime
    updated_at: datetime
    user_id: uuid.UUID

    @property
    def text(self) -> str:
        return (f"{self.lpn} · {self.sku} {self.description} · RMA {self.rma_number} · "
                f"{self.answers} answer(s), {self.photos} photo(s)")


def save(ctx: StationContext, lpn: str, state: dict[str, Any]) -> bool:
    """Write an inspection's state (`UnitInspection.to_state()`, taken on the UI thread);
    False (nothing written) once the unit is finished or the draft was discarded, so a late
    save can never bring a draft back."""
    now = ctx.clock()
    with ctx.sessions.begin() as session:
        row = session.get(InspectionDraft, lpn)
        if row is None or session.scalar(select(Unit.id).where(Unit.lpn == lpn)) is not None:
            return False
        row.state = state
        row.updated_at = now
        return True


def open_drafts(ctx: StationContext, actor: Actor) -> list[DraftSummary]:
    """The actor's unfinished inspections on this station (a supervisor sees everyone's)."""
    require(ctx, actor, Action.INSPECT)
    with ctx.sessions() as session:
        query = select(InspectionDraft).where(
            InspectionDraft.station_code == ctx.station_code).order_by(InspectionDraft.started_at)
        if not actor.role.at_least(Role.SUPERVISOR):
            query = query.where(InspectionDraft.user_id == actor.user_id)
        out = []
        for row in session.scalars(query):
            line = session.get(RmaLine, row.rma_line_id)
            if line is None:
                continue
            out.append(DraftSummary(
                row.lpn, line.rma.rma_number, line.sku, line.description,
                len(row.state.get("answers", [])), len(row.state.get("photos", [])),
                row.started_at, row.updated_at, row.user_id))
        return out


def _may_take(row: InspectionDraft, actor: Actor) -> bool:
    """A draft is its grader's; a supervisor may take over anyone's."""
    return row.user_id == actor.user_id or actor.role.at_least(Role.SUPERVISOR)


def resume(ctx: StationContext, actor: Actor, lpn: str) -> UnitInspection:
    """The saved inspection of `lpn`, exactly as it was left; audited."""
    require(ctx, actor, Action.INSPECT)
    now = ctx.clock()
    with ctx.sessions.begin() as session:
        row = session.get(InspectionDraft, lpn)
        if row is None:
            raise InspectionError(f"No unfinished inspection of {lpn} on this station.")
        if not _may_take(row, actor):
            raise InspectionError(f"{lpn} is another grader's unfinished inspection; only "
                                  "they or a supervisor can resume it.")
        receipt = session.get(Receipt, row.receipt_id)
        line = session.get(RmaLine, row.rma_line_id)
        if receipt is None or line is None:
            raise InspectionError(f"The RMA line of {lpn} is no longer on this station.")
        draft = unit_draft(session, receipt, line, lpn, row.started_at)
        work = UnitInspection.from_state(draft, ctx.checklist_for(draft.category), row.state)
        if row.user_id != actor.user_id:
            row.user_id = actor.user_id
        audit.record(session, station_code=ctx.station_code, actor=actor,
                     action="inspection.resumed", subject=lpn,
                     data={"answers": len(work.run.answers), "photos": len(work.photos)},
                     now=now)
        return work


def discard(ctx: StationContext, actor: Actor, lpn: str) -> None:
    """The grader puts the unit back unfinished: the draft goes, the LPN stays a gap."""
    require(ctx, actor, Action.INSPECT)
    now = ctx.clock()
    with ctx.sessions.begin() as session:
        row = session.get(InspectionDraft, lpn)
        if row is None:
            return
        if not _may_take(row, actor):
            raise InspectionError(f"{lpn} is another grader's unfinished inspection.")
        state = row.state
        session.execute(delete(InspectionDraft).where(InspectionDraft.lpn == lpn))
        audit.record(session, station_code=ctx.station_code, actor=actor,
                     action="inspection.abandoned", subject=lpn,
                     data={"answers": len(state.get("answers", [])),
                           "photos": len(state.get("photos", []))}, now=now)
