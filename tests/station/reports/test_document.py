"""The exception list of the PDF report: the exceptions behind the summary's figures
(opened in the period, closed in it, still open at its end) with their outcome as it stood
then, in the report's time zone, in the summary's scope, and never naming the customer.

The day is 20 Nov 2026 in Europe/Berlin (UTC+1): 19 Nov 23:00 UTC to 20 Nov 23:00 UTC.
Schedule (UTC; unexpected parcels received by the clerk unless said otherwise):

| time          | what                                                                   |
|---------------|------------------------------------------------------------------------|
| 18 Nov 10:00  | parcel OLD-CLOSED, closed 18 Nov 12:00: before the day, not listed     |
| 19 Nov 20:00  | parcel OLD-OPEN, never closed: still open at the day's end, listed     |
| 19 Nov 21:00  | parcel OLD-CLOSED-TODAY, closed 20 Nov 10:00: closed in the day, listed |
| 20 Nov 08:00  | parcel EARLY (by the supervisor), closed 09:00: listed with outcome    |
| 20 Nov 12:00  | a wrong item naming the customer, open: listed, customer left out      |
| 20 Nov 15:00  | parcel LATE, closed 21 Nov 08:00: after the day, so listed as open     |
| 21 Nov 00:30  | parcel TOMORROW: after the day, not listed                             |
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from station_bench import StationUnderTest

from station.common.vocabulary import ExceptionKind, ExceptionOutcome, Role
from station.receiving import parcels as receiving
from station.reports import daily_summary as reports
from station.reports import document as report_document
from station.reports import trend as report_trend
from station.reports.document import (
    ReportException,
    document_for,
    report_exception_count,
    report_exceptions,
    summary_with_exceptions,
)
from station.store.models import ExceptionCase
from station.supervision import queues

BERLIN = ZoneInfo("Europe/Berlin")
DAY = date(2026, 11, 20)
AFTER = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def berlin(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=BERLIN)


def parcel(bench: StationUnderTest, code: str, moment: datetime,
           role: Role = Role.CLERK) -> uuid.UUID:
    bench.clock.now = moment
    return receiving.receive_unexpected(bench.ctx, bench.actors[role], code).exception_id


def close(bench: StationUnderTest, exception_id: uuid.UUID, moment: datetime,
          outcome: ExceptionOutcome, reason: str) -> None:
    bench.clock.now = moment
    queues.resolve_exception(bench.ctx, bench.actors[Role.SUPERVISOR], exception_id, outcome,
                             reason)


def wrong_item(bench: StationUnderTest, moment: datetime) -> None:
    """A wrong-item exception whose details name the customer, as a shop export might."""
    with bench.ctx.sessions.begin() as session:
        session.add(ExceptionCase(
            kind=ExceptionKind.WRONG_ITEM.value, receipt_id=None, unit_id=None,
            details={"expected_sku": "SKU-1", "scanned": "<b>SKU-2</b> &\x1b",
                     "customer_name": "Jane Doe", "customer": {"email": "jane@example.com"}},
            opened_by=bench.actors[Role.GRADER].user_id, opened_at=moment,
            station_code=bench.ctx.station_code))


@pytest.fixture
def day(bench: StationUnderTest) -> StationUnderTest:
    close(bench, parcel(bench, "OLD-CLOSED", at(18, 10)), at(18, 12),
          ExceptionOutcome.NO_ACTION, "duplicate scan")
    parcel(bench, "OLD-OPEN", at(19, 20))
    close(bench, parcel(bench, "OLD-CLOSED-TODAY", at(19, 21)), at(20, 10),
          ExceptionOutcome.RETURNED_TO_CARRIER, "no RMA, refused at the dock")
    close(bench, parcel(bench, "EARLY", at(20, 8), Role.SUPERVISOR), at(20, 9),
          ExceptionOutcome.ACCEPTED, "matched RMA-100002 by the packing slip")
    wrong_item(bench, at(20, 12))
    late = parcel(bench, "LATE", at(20, 15))
    close(bench, late, at(21, 8), ExceptionOutcome.ESCALATED, "sent to customer service")
    parcel(bench, "TOMORROW", at(21, 0, 30))
    return bench


def summary(bench: StationUnderTest, **options: Any) -> dict[str, Any]:
    return reports.daily_summary(bench.ctx.sessions, start=DAY, tz=BERLIN, now=AFTER,
                                 scope_label=reports.SOURCE_LOCAL, **options)


def codes(listed: tuple[ReportException, ...]) -> list[str]:
    return [case.details.split(";")[0].removeprefix("code: ") for case in listed]


def test_the_list_holds_the_exceptions_behind_the_days_figures_oldest_first(
    day: StationUnderTest,
) -> None:
    listed = report_exceptions(day.ctx.sessions, summary(day))
    assert codes(listed) == ["OLD-OPEN", "OLD-CLOSED-TODAY", "EARLY", "expected_sku: SKU-1",
                             "LATE"]
    figures = summary(day)["exceptions"]
    assert (figures["opened"], figures["closed"], figures["open"]) == (3, 2, 3)
    assert sum(case.outcome is None for case in listed) == figures["open"]


def test_each_exception_shows_kind_station_local_time_details_and_outcome(
    day: StationUnderTest,
) -> None:
    old_open, closed_today, early, wrong, late = report_exceptions(day.ctx.sessions,
                                                                   summary(day))
    assert old_open == ReportException(
        kind="unexpected parcel", station="BENCH-01", opened_at=berlin(19, 21),
        details="code: OLD-OPEN; kind: free_text", outcome=None)
    assert old_open.opened_at.tzinfo == BERLIN
    assert closed_today.outcome == "returned to carrier: no RMA, refused at the dock"
    assert (early.opened_at, early.outcome) == (
        berlin(20, 9), "accepted: matched RMA-100002 by the packing slip")
    assert (wrong.kind, wrong.outcome) == ("wrong item", None)
    assert late.outcome is None  # closed only after the day: open when it ended


def test_details_never_name_the_customer_and_are_cleaned(day: StationUnderTest) -> None:
    wrong = report_exceptions(day.ctx.sessions, summary(day))[3]
    assert wrong.details == "expected_sku: SKU-1; scanned: <b>SKU-2</b> &"
    assert "Jane" not in wrong.details and "example.com" not in wrong.details


def test_the_summarys_station_and_grader_filter_the_list(day: StationUnderTest) -> None:
    assert codes(report_exceptions(day.ctx.sessions, summary(day, station="BENCH-01"))) == (
        codes(report_exceptions(day.ctx.sessions, summary(day))))
    assert report_exceptions(day.ctx.sessions, summary(day, station="DOCK-9")) == ()
    assert codes(report_exceptions(day.ctx.sessions, summary(day, grader="supervisor"))) == [
        "EARLY"]


def test_a_report_made_during_the_day_shows_outcomes_so_far(day: StationUnderTest) -> None:
    midday = reports.daily_summary(day.ctx.sessions, start=DAY, tz=BERLIN, now=at(20, 9, 30),
                                   scope_label=reports.SOURCE_LOCAL)
    listed = report_exceptions(day.ctx.sessions, midday)
    assert codes(listed)[:3] == ["OLD-OPEN", "OLD-CLOSED-TODAY", "EARLY"]
    assert [case.outcome for case in listed[:2]] == [None, None]  # closed at 10:00, later
    assert listed[2].outcome == "accepted: matched RMA-100002 by the packing slip"


def test_the_list_stops_at_the_limit(day: StationUnderTest) -> None:
    assert codes(report_exceptions(day.ctx.sessions, summary(day), limit=2)) == [
        "OLD-OPEN", "OLD-CLOSED-TODAY"]
    assert report_exception_count(day.ctx.sessions, summary(day)) == len(
        report_exceptions(day.ctx.sessions, summary(day))) == 5


def test_the_document_counts_the_exceptions_only_when_the_list_is_cut(
        day: StationUnderTest, monkeypatch: pytest.MonkeyPatch) -> None:
    whole = document_for(day.ctx.sessions, summary(day), None, "test")
    assert (len(whole.exceptions), whole.exceptions_total) == (5, None)
    monkeypatch.setattr(report_document, "MAX_LISTED", 3)
    cut = document_for(day.ctx.sessions, summary(day), None, "test")
    assert (codes(cut.exceptions), cut.exceptions_total) == (
        ["OLD-OPEN", "OLD-CLOSED-TODAY", "EARLY"], 5)


def test_an_export_reads_its_figures_and_its_exception_list_at_one_moment(
        day: StationUnderTest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The figures and the list of one export come from one read of the database: a closing
    stamped before the day's end that lands after the read (a supervisor's clock a little
    behind, or a closing that synced late) is in neither, so page 1 and the list agree; the
    next export has it in both."""
    read = summary_with_exceptions(None, day.ctx.sessions, start=DAY, tz=BERLIN, now=AFTER)
    figures = read.summary["exceptions"]
    assert (figures["opened"], figures["closed"], figures["open"]) == (3, 2, 3)
    assert codes(read.exceptions) == ["OLD-OPEN", "OLD-CLOSED-TODAY", "EARLY",
                                      "expected_sku: SKU-1", "LATE"]
    assert sum(case.outcome is None for case in read.exceptions) == 3
    assert read.exceptions_total is None

    old_open = next(case.id for case in _cases(day) if case.details.get("code") == "OLD-OPEN")
    close(day, old_open, at(20, 22), ExceptionOutcome.NO_ACTION, "closed late in the evening")
    document = read.document(None, "test")
    assert document.summary["exceptions"]["open"] == 3
    assert sum(case.outcome is None for case in document.exceptions) == 3

    again = summary_with_exceptions(None, day.ctx.sessions, start=DAY, tz=BERLIN, now=AFTER)
    figures = again.summary["exceptions"]
    assert (figures["closed"], figures["open"]) == (3, 2)
    assert sum(case.outcome is None for case in again.exceptions) == 2

    monkeypatch.setattr(report_document, "MAX_LISTED", 2)
    cut = summary_with_exceptions(None, day.ctx.sessions, start=DAY, tz=BERLIN, now=AFTER)
    assert (codes(cut.exceptions), cut.exceptions_total) == (
        ["OLD-OPEN", "OLD-CLOSED-TODAY"], 5)
    assert cut.summary["scope"]["source"] == reports.SOURCE_LOCAL


def test_an_export_reads_its_trend_at_the_same_moment_as_its_figures(
        day: StationUnderTest) -> None:
    """The 14-day trend of an export is counted in the figures' own read: its last day is
    the summary's day as the figures saw it, even when a parcel stamped in that day
    arrives (late sync, a clock behind) after the read, which a trend read of its own
    would count."""
    read = summary_with_exceptions(None, day.ctx.sessions, start=DAY, tz=BERLIN, now=AFTER,
                                   trend_days=14)
    assert read.trend is not None
    alone = report_trend.trend(day.ctx.sessions, end=DAY, tz=BERLIN, now=AFTER,
                               source=reports.SOURCE_LOCAL)
    assert read.trend == alone  # counted as the trend is counted on its own
    assert read.trend["days"][-1]["parcels"] == read.summary["received"]["parcels"] == 2

    parcel(day, "SYNCED-LATE", at(20, 22))
    document = read.document(read.trend, "test")
    assert document.trend is not None
    assert document.trend["days"][-1]["parcels"] == document.summary["received"]["parcels"]
    later = report_trend.trend(day.ctx.sessions, end=DAY, tz=BERLIN, now=AFTER)
    assert later["days"][-1]["parcels"] == 3


def test_an_export_without_a_trend_reads_none(day: StationUnderTest) -> None:
    read = summary_with_exceptions(None, day.ctx.sessions, start=DAY, tz=BERLIN, now=AFTER)
    assert read.trend is None


def _cases(bench: StationUnderTest) -> list[ExceptionCase]:
    with bench.ctx.sessions() as session:
        return list(session.scalars(select(ExceptionCase)))
