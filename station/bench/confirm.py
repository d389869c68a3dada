"""The grader confirms a unit: its facts and its label's print job in one local transaction.

Before, the unit was written, then the label asked for in a second transaction: a crash or
a refused write in between left a unit with no label job (nothing printed, nothing retried).
Now either both are written or neither.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from station.common.permissions import Actor
from station.grading.unit_in_progress import UnitInspection
from station.inspection.finalize import BenchApproval, FinalizedUnit, Override, finalize_in
from station.labels.print_queue import request_label_in
from station.runtime.context import StationContext


@dataclass(frozen=True)
class Confirmed:
    """The finished unit, and its label's print job (None: the bench has no printer)."""

    unit: FinalizedUnit
    label_job: uuid.UUID | None


def confirm(ctx: StationContext, actor: Actor, work: UnitInspection, *,
            printer_uri: str | None, override: Override | None = None,
            approval: BenchApproval | None = None) -> Confirmed:
    """Finish the unit (`finalize_in`) and, when `printer_uri` is set, queue its disposition
    label for that printer (`request_label_in`), committed together or not at all."""
    with ctx.sessions.begin() as session:
        unit = finalize_in(session, ctx, actor, work, override=override, approval=approval)
        job = (request_label_in(session, ctx, actor, unit, printer_uri)
               if printer_uri is not None else None)
    return Confirmed(unit, job)
