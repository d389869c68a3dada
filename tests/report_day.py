"""The small fixed day the report tests check figure by figure: `build_day` records it on
a fresh station (tests/station/reports/test_daily_summary.py, tests/station/cli/
test_report.py).

The day is 20 Nov 2026 in Europe/Berlin (UTC+1): from 19 Nov 23:00 UTC to 20 Nov 23:00
UTC. Every expectation of those tests is worked out by hand from the schedule and the default rule
set (resources/rules/default.toml), never by the report's own code.

Schedule (times UTC; "g" the grader, "s" the supervisor inspecting as a grader):

| time          | what                                                                 |
|---------------|----------------------------------------------------------------------|
| 19 Nov 22:00  | g: unexpected parcel (exception opened before the day, still open)   |
| 19 Nov 22:30  | g: RMA-100004 received; 22:40-22:50 shampoo A, DENY: before the day |
| 19 Nov 23:30  | g: RMA-100006 received (00:30 Berlin: inside the day); 2 lines        |
| 20 Nov 08:00  | g: book 29.99 USD graded B (proposed A), 08:10 finalized with an     |
|               |    override OPEN_BOX -> LIQUIDATE; PARTIAL 26.99 USD                 |
| 20 Nov 08:20  | g: RMA-100011 received (laptop 1299 EUR, tablet 449 EUR)             |
| 20 Nov 08:30  | g: laptop A, 08:45 finalized: RESTOCK, refund HELD (high value)      |
| 20 Nov 09:00  | s: RMA-100001 received (sneakers 99 EUR, vacuum 299 EUR)             |
| 20 Nov 09:10  | g: sneakers A, 09:30 finalized: RESTOCK, FULL 99.00 EUR              |
| 20 Nov 09:40  | s: vacuum A, 10:00 finalized: RESTOCK, FULL 299.00 EUR               |
| 20 Nov 10:30  | g: unexpected parcel (exception opened in the day)                   |
| 20 Nov 11:00  | s: the laptop's held refund approved: FULL 1299.00 EUR               |
| 20 Nov 12:00  | g: RMA-100003 received (train set x3, 63.99 USD, ordered 13 Oct)      |
| 20 Nov 12:10  | g: one train set A, 12:20 finalized: outside the window: HOLD, DENY   |
| 20 Nov 12:30  | g: RMA-100010 received (sneakers 109 USD, slippers; store credit)     |
| 20 Nov 12:35  | g: sneakers A, 12:45 finalized: RESTOCK, STORE_CREDIT 109.00 USD      |
| 20 Nov 13:00  | g: RMA-100005 received (earrings 769 GBP)                            |
| 20 Nov 13:05  | g: earrings A, 13:15 finalized: RESTOCK, HELD (never approved)       |
| 20 Nov 22:30  | g: RMA-100009 received (23:30 Berlin: inside the day), no unit yet   |
| 20 Nov 23:30  | g: RMA-100012 received (00:30 Berlin 21 Nov: after the day); 23:40    |
|               |    its bottle A finalized: after the day                             |
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from station_bench import StationUnderTest, ready_unit

from station.common.vocabulary import Disposition, Grade, RefundAction, Role
from station.inspection import approvals
from station.inspection import finalize as inspection
from station.inspection.finalize import Override
from station.loadgen.simulated_grader import SIMULATED_REASON
from station.receiving import parcels as receiving
from station.store.models import Inspection

BERLIN = ZoneInfo("Europe/Berlin")
DAY = date(2026, 11, 20)
AFTER = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)  # "now" for the report: the day is over
BOOK_OVERRIDE = "open-box shelf is full this week"
APPROVAL = "checked the serial; a regular customer"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@dataclass
class Day:
    bench: StationUnderTest
    lpns: dict[str, str]


def set_time(bench: StationUnderTest, moment: datetime) -> None:
    bench.clock.now = moment


def receive_at(bench: StationUnderTest, role: Role, number: str, moment: datetime
             ) -> receiving.RmaView:
    set_time(bench, moment)
    view = receiving.receive(bench.ctx, bench.actors[role], number)
    assert view.receipt_id is not None
    return view


def finalize_at(bench: StationUnderTest, role: Role, view: receiving.RmaView, line: int,
          grade: Grade, started: datetime, finished: datetime,
          override: Override | None = None) -> inspection.FinalizedUnit:
    set_time(bench, started)
    actor = bench.actors[role]
    work = ready_unit(bench, actor, view.receipt_id, view.lines[line].id, grade)
    set_time(bench, finished)
    return inspection.finalize(bench.ctx, actor, work, override=override)


def build_day(bench: StationUnderTest) -> Day:
    g, s = Role.GRADER, Role.SUPERVISOR
    lpns: dict[str, str] = {}
    set_time(bench, at(19, 22))
    receiving.receive_unexpected(bench.ctx, bench.actors[g], "1Z999AA10123456784")

    shampoo = receive_at(bench, g, "RMA-100004", at(19, 22, 30))
    unit = finalize_at(bench, g, shampoo, 0, Grade.A, at(19, 22, 40), at(19, 22, 50))
    # Ordered 16 Oct: 34 days before, outside the 30-day window, a change of mind: denied.
    assert (unit.decision.refund_action, unit.decision.refund_minor) == (RefundAction.DENY, 0)

    books = receive_at(bench, g, "RMA-100006", at(19, 23, 30))
    unit = finalize_at(bench, g, books, 0, Grade.B, at(20, 8), at(20, 8, 10),
                 override=Override(Disposition.LIQUIDATE, BOOK_OVERRIDE))
    assert unit.decision.disposition is Disposition.LIQUIDATE
    assert (unit.decision.refund_action, unit.decision.refund_minor) == (
        RefundAction.PARTIAL, 2699)
    lpns["book"] = unit.lpn

    laptops = receive_at(bench, g, "RMA-100011", at(20, 8, 20))
    laptop = finalize_at(bench, g, laptops, 0, Grade.A, at(20, 8, 30), at(20, 8, 45))
    assert laptop.decision.disposition is Disposition.RESTOCK
    assert (laptop.decision.refund_action, laptop.decision.refund_minor) == (
        RefundAction.HELD, 129900)
    lpns["laptop"] = laptop.lpn

    shoes = receive_at(bench, s, "RMA-100001", at(20, 9))
    unit = finalize_at(bench, g, shoes, 0, Grade.A, at(20, 9, 10), at(20, 9, 30))
    assert (unit.decision.refund_action, unit.decision.refund_minor) == (RefundAction.FULL,
                                                                         9900)
    unit = finalize_at(bench, s, shoes, 1, Grade.A, at(20, 9, 40), at(20, 10))
    assert (unit.decision.refund_action, unit.decision.refund_minor) == (RefundAction.FULL,
                                                                         29900)
    lpns["vacuum"] = unit.lpn

    set_time(bench, at(20, 10, 30))
    receiving.receive_unexpected(bench.ctx, bench.actors[g], "1Z999AA10123456791")

    set_time(bench, at(20, 11))
    approved = approvals.resolve_held_refund(bench.ctx, bench.actors[s],
                                             laptop.refund_trigger_id, approve=True,
                                             reason=APPROVAL)
    assert (approved.action, approved.amount_minor) == (RefundAction.FULL, 129900)

    trains = receive_at(bench, g, "RMA-100003", at(20, 12))
    unit = finalize_at(bench, g, trains, 0, Grade.A, at(20, 12, 10), at(20, 12, 20))
    assert unit.decision.disposition is Disposition.HOLD
    assert (unit.decision.refund_action, unit.decision.refund_minor) == (RefundAction.DENY, 0)

    credit = receive_at(bench, g, "RMA-100010", at(20, 12, 30))
    unit = finalize_at(bench, g, credit, 0, Grade.A, at(20, 12, 35), at(20, 12, 45))
    assert (unit.decision.refund_action, unit.decision.refund_minor) == (
        RefundAction.STORE_CREDIT, 10900)  # the 10 % bonus never exceeds the price

    earrings = receive_at(bench, g, "RMA-100005", at(20, 13))
    unit = finalize_at(bench, g, earrings, 0, Grade.A, at(20, 13, 5), at(20, 13, 15))
    assert (unit.decision.refund_action, unit.decision.refund_minor) == (
        RefundAction.HELD, 76900)

    receive_at(bench, g, "RMA-100009", at(20, 22, 30))
    bottles = receive_at(bench, g, "RMA-100012", at(20, 23, 30))
    finalize_at(bench, g, bottles, 0, Grade.A, at(20, 23, 35), at(20, 23, 40))

    with bench.ctx.sessions() as session:  # the fixture is what the expectations assume
        overridden = {row.grade: (row.proposed_grade, row.override_reason)
                      for row in session.scalars(select(Inspection))
                      if row.override_reason}
    assert overridden == {"B": ("A", SIMULATED_REASON)}
    return Day(bench, lpns)

