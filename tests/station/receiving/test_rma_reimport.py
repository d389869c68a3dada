"""Re-importing an RMA never rewrites what its inspected units were decided on (issue 15,
item 6): the decision keeps the line as it was, today's report stays as it was, and the
import refuses to change the line, naming the RMA, the line and the fields."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update
from station_bench import StationUnderTest, make_station, ready_unit

from station.common.vocabulary import Category, Grade, Reason, RequestedOutcome, Role
from station.inspection import finalize as inspection
from station.receiving import parcels as receiving
from station.receiving import rma_import, rma_store
from station.receiving.rma_records import RmaLineRecord, RmaRecord
from station.reports import daily_summary as reports
from station.store import unit_summaries
from station.store.models import DispositionDecision, Rma, RmaLine
from station.sync.pull import pull_rmas

BERLIN = ZoneInfo("Europe/Berlin")
DAY = date(2026, 11, 20)
AFTER = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)

SERUM = RmaRecord(
    rma_number="RMA-100007", order_number="SO-2026-004230", order_date=date(2026, 10, 30),
    customer_name="Elsa Bergström", requested=RequestedOutcome.REFUND,
    lines=(RmaLineRecord(line_no=1, sku="BEA-SER-0101", description="Vitamin C serum, 30 ml",
                         category=Category.BEAUTY_PERSONAL_CARE, quantity=1,
                         unit_price_minor=11900, currency="EUR",
                         reason=Reason.DAMAGED_IN_TRANSIT),))
#: The same RMA as a later export has it: its line changed after the unit was inspected.
CHANGED = replace(SERUM, lines=(replace(SERUM.lines[0], category=Category.ELECTRONICS,
                                        currency="JPY", reason=Reason.CHANGED_MIND),))


@pytest.fixture
def bench(tmp_path: Path) -> Iterator[StationUnderTest]:
    bench = make_station(tmp_path / "station")
    yield bench
    bench.opened.close()


def import_as_admin(bench: StationUnderTest, *records: RmaRecord) -> rma_import.ImportOutcome:
    central = bench.opened.central_sessions()
    done = rma_import.import_rmas(central, bench.ctx.sessions, list(records),
                                  station_code=bench.ctx.station_code,
                                  actor=bench.actors[Role.ADMIN], actor_name="",
                                  source="export.csv", now=bench.clock())
    pull_rmas(central, bench.ctx.sessions)
    return done


def inspect_the_serum(bench: StationUnderTest) -> None:
    bench.clock.now = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    grader = bench.actors[Role.GRADER]
    view = receiving.receive(bench.ctx, grader, "RMA-100007")
    work = ready_unit(bench, grader, view.receipt_id, view.lines[0].id, Grade.D)
    bench.clock.now = datetime(2026, 11, 20, 10, 5, tzinfo=UTC)
    inspection.finalize(bench.ctx, grader, work)


def today(bench: StationUnderTest) -> dict[str, Any]:
    return reports.daily_summary(bench.ctx.sessions, start=DAY, tz=BERLIN, now=AFTER,
                                 scope_label=reports.SOURCE_LOCAL)


def test_the_decision_keeps_the_line_it_was_made_on(bench: StationUnderTest) -> None:
    import_as_admin(bench, SERUM)
    inspect_the_serum(bench)
    with bench.ctx.sessions() as session:
        decision = session.scalars(select(DispositionDecision)).one()
    assert (decision.line_category, decision.line_reason, decision.line_unit_price_minor,
            decision.line_currency) == ("beauty_personal_care", "damaged_in_transit", 11900,
                                        "EUR")


def test_reimporting_a_changed_inspected_line_is_refused_and_todays_report_is_unchanged(
        bench: StationUnderTest) -> None:
    import_as_admin(bench, SERUM)
    inspect_the_serum(bench)
    before = today(bench)
    assert before["inspected"]["by_category"] == {"beauty_personal_care": 1}

    done = import_as_admin(bench, CHANGED)

    assert (done.created, done.updated, done.unchanged, done.refused) == (0, 0, 0, 1)
    text = str(done.refusals[0])
    assert "RMA RMA-100007 line 1" in text and "1 inspected unit" in text
    assert "category beauty_personal_care -> electronics" in text
    assert "reason damaged_in_transit -> changed_mind" in text
    assert "currency EUR -> JPY" in text
    for sessions in (bench.ctx.sessions, bench.opened.central_sessions()):
        with sessions() as session:
            line = session.scalars(select(RmaLine).join(Rma).where(
                Rma.rma_number == "RMA-100007")).one()
            assert (line.category, line.reason, line.currency) == (
                "beauty_personal_care", "damaged_in_transit", "EUR")
    assert today(bench) == before


def test_a_line_rewritten_behind_the_decision_does_not_rewrite_the_report(
        bench: StationUnderTest) -> None:
    """Even a line changed by other means (an older station's import) leaves the
    decided unit counted as it was decided."""
    import_as_admin(bench, SERUM)
    inspect_the_serum(bench)
    before = today(bench)
    with bench.ctx.sessions.begin() as session:
        session.execute(update(RmaLine).values(category="electronics", currency="JPY",
                                               reason="changed_mind"))
        unit_summaries.rebuild(session.connection())
    after = today(bench)
    assert after["inspected"] == before["inspected"]
    assert after["reasons"] == before["reasons"]
    assert after["recovery"] == before["recovery"]
    assert after["refunds"] == before["refunds"]


def central_version(bench: StationUnderTest) -> tuple[int, int]:
    with bench.opened.central_sessions()() as session:
        found = session.execute(select(Rma.version, Rma.change_seq).where(
            Rma.rma_number == "RMA-100007")).one()
        return found.version, found.change_seq


def test_an_unchanged_reimport_changes_nothing(bench: StationUnderTest) -> None:
    import_as_admin(bench, SERUM)
    inspect_the_serum(bench)
    before = central_version(bench)
    done = import_as_admin(bench, SERUM)
    assert (done.created, done.updated, done.unchanged, done.refused) == (0, 0, 1, 0)
    assert central_version(bench) == before


def test_a_line_not_yet_inspected_may_still_change(bench: StationUnderTest) -> None:
    import_as_admin(bench, SERUM)
    done = import_as_admin(bench, CHANGED)
    assert (done.updated, done.refused) == (1, 0)
    with bench.ctx.sessions() as session:
        assert session.scalars(select(RmaLine.currency).join(Rma).where(
            Rma.rma_number == "RMA-100007")).one() == "JPY"


def test_other_rmas_of_the_file_are_imported_beside_a_refused_one(
        bench: StationUnderTest) -> None:
    import_as_admin(bench, SERUM)
    inspect_the_serum(bench)
    other = replace(SERUM, rma_number="RMA-100990")
    done = import_as_admin(bench, CHANGED, other)
    assert (done.created, done.refused) == (1, 1)
    summary = rma_store.ImportSummary(done.created, done.updated, done.unchanged)
    assert summary.created == 1
