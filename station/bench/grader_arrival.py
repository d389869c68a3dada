"""A parcel scanned at a grader's bench: received if it is not yet, and its next unit
started when only one line is open, so a standard unit starts with one scan.

A clerk's bench keeps the receive-only flow (the window shows the RMA and waits for Enter);
whoever may inspect gets this one. Receiving and starting stay separate use cases, each in
its own transaction, so a parcel received here stays received if the start is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from station.common.permissions import Action, Actor, allowed
from station.grading.unit_in_progress import InspectionError, UnitInspection
from station.inspection import finalize as inspection
from station.receiving import parcels as receiving
from station.receiving.parcels import RmaView
from station.runtime.context import StationContext


@dataclass(frozen=True)
class Arrival:
    """What the grader's scan did: the RMA as it is now, whether this scan received it,
    the unit started (None: the grader chooses a line, or every unit is done), and why no
    unit was started when one could not be."""

    view: RmaView
    received_now: bool
    work: UnitInspection | None = None
    refused: InspectionError | None = None


def grades_at_this_bench(actor: Actor) -> bool:
    """Whether a parcel scanned by `actor` goes straight on to its next unit."""
    return allowed(actor.role, Action.INSPECT) and allowed(actor.role, Action.RECEIVE)


def arrive(ctx: StationContext, actor: Actor, view: RmaView) -> Arrival:
    """Receive the parcel of `view` if it is not yet, then start the next unit of its one
    open line. With several open lines (or none) nothing is started."""
    received_now = view.receipt_id is None
    if received_now:
        view = receiving.receive(ctx, actor, view.rma_number)
    open_lines = [line for line in view.lines if line.units_left]
    if len(open_lines) != 1 or view.receipt_id is None:
        return Arrival(view, received_now)
    try:
        work = inspection.start_unit(ctx, actor, view.receipt_id, open_lines[0].id)
    except InspectionError as refused:
        return Arrival(view, received_now, refused=refused)
    return Arrival(view, received_now, work)
