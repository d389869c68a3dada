"""The daily summary as a print-ready PDF: the figures a supervisor needs read back as text
(amounts per currency, rates, times, the local-source warning, exceptions, chart titles),
the same document always gives the same bytes, an empty day and hostile text print, and
the page count stays sensible.

The summary is a dict literal in the documented shape, with the figures of the fixed day of
tests/report_day.py; the trend is a literal in report_trend's shape."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pdf_reading import HOSTILE, one_line, pdf_text

from drivers.documents.report_pdf import ReportLabReportRenderer
from station.common.vocabulary import Disposition
from station.reports.document import ReportDocument, ReportException
from station.supervision.evidence import pdf_page_count

BERLIN = ZoneInfo("Europe/Berlin")
UNREACHABLE = "OperationalError: connection to server at 127.0.0.1 port 1 refused"


def by_hour(units: dict[int, dict[str, int]]) -> list[dict[str, Any]]:
    """24 hours in the summary's shape, from {hour: {disposition: units}}."""
    hours = []
    for hour in range(24):
        counts = {d.value: units.get(hour, {}).get(d.value, 0) for d in Disposition}
        hours.append({"hour": hour, "units": sum(counts.values()), "by_disposition": counts})
    return hours


def day_summary(**scope: Any) -> dict[str, Any]:
    """The fixed day of tests/report_day.py (20 Nov 2026, Europe/Berlin), from this station only
    because the central database could not be reached."""
    return {
        "report": "daily_disposition_summary", "version": 1,
        "scope": {
            "from": "2026-11-20", "to": "2026-11-20", "tz": "Europe/Berlin",
            "start": "2026-11-20T00:00:00+01:00", "end": "2026-11-21T00:00:00+01:00",
            "station": None, "grader": None, "category": None,
            "source": "local (this station only)",
            "generated_at": "2026-11-21T10:00:00+01:00",
            "as_of": "2026-11-21T00:00:00+01:00", "central_error": UNREACHABLE,
        } | scope,
        "received": {"parcels": 8, "parcels_expected": 7, "parcels_unexpected": 1,
                     "units_expected": 13, "units_taken": 7},
        "inspected": {"units": 7, "by_category": {
            "books_media": 1, "electronics": 1, "footwear": 2, "home_kitchen": 1,
            "jewellery_watches": 1, "toys": 1}},
        "dispositions": {
            "units": 7,
            "by_disposition": {d.value: {"RESTOCK": 5, "LIQUIDATE": 1, "HOLD": 1}.get(d.value, 0)
                               for d in Disposition},
            "by_destination": {"HOLD-SUP": 1, "LIQ-CAGE": 1, "STOCK-A": 5},
            "by_hour": by_hour({9: {"RESTOCK": 1, "LIQUIDATE": 1}, 10: {"RESTOCK": 1},
                                11: {"RESTOCK": 1}, 13: {"RESTOCK": 1, "HOLD": 1},
                                14: {"RESTOCK": 1}}),
        },
        "grades": {"A": 6, "B": 1, "C": 0, "D": 0, "X": 0},
        "reasons": [{"reason": "changed_mind", "units": 5},
                    {"reason": "damaged_in_transit", "units": 1},
                    {"reason": "late_delivery", "units": 1}],
        "refunds": {
            "units": 7,
            "by_action": {
                "FULL": {"units": 3, "amount_minor": {"EUR": 169700}},
                "PARTIAL": {"units": 1, "amount_minor": {"USD": 2699}},
                "STORE_CREDIT": {"units": 1, "amount_minor": {"USD": 10900}},
                "EXCHANGE": {"units": 0, "amount_minor": {}},
                "DENY": {"units": 1, "amount_minor": {"USD": 0}},
                "HELD": {"units": 1, "amount_minor": {"GBP": 76900}},
            },
            "money_refunded_minor": {"EUR": 169700, "USD": 13599},
            "held_resolutions": {"approved": 1, "denied": 0},
        },
        "recovery": {"by_currency": {
            "EUR": {"units": 3, "expected_recovery_minor": 169700, "refunded_minor": 169700,
                    "recovery_rate": 1.0},
            "GBP": {"units": 1, "expected_recovery_minor": 76900, "refunded_minor": 0,
                    "recovery_rate": None},
            "USD": {"units": 3, "expected_recovery_minor": 11500, "refunded_minor": 13599,
                    "recovery_rate": 0.8457},
        }},
        "handling_time": {"units": 7, "median_seconds": 1500.0, "p90_seconds": 31200.0,
                          "max_seconds": 31200.0},
        "dwell": {"parcels_waiting": 5, "units_waiting": 6, "median_seconds": 39600.0,
                  "p90_seconds": 84600.0, "max_seconds": 84600.0},
        "productivity": {
            "units": 7, "grader_hours": 5.5833, "units_per_grader_hour": 1.2537,
            "by_grader": [
                {"grader_id": "01a22c40-bbd9-73b3-ac95-9a6705a85d93", "username": "grader",
                 "display_name": "Grader Person", "units": 6, "hours": 5.25,
                 "units_per_hour": 1.1429},
                {"grader_id": "01a22c40-bbee-7492-8615-eeb16c445d67",
                 "username": "supervisor", "display_name": "Supervisor Person", "units": 1,
                 "hours": 0.3333, "units_per_hour": 3.0},
            ],
        },
        "exceptions": {"opened": 1, "opened_by_kind": {"unexpected_parcel": 1}, "closed": 1,
                       "resolutions_tracked": True, "open": 1,
                       "open_by_kind": {"unexpected_parcel": 1}},
        "overrides": {
            "grade": 1, "disposition": 1,
            "by_reason": [
                {"kind": "disposition", "reason": "open-box shelf is full this week",
                 "count": 1},
                {"kind": "grade", "reason": "graded by the simulated grader", "count": 1}],
            "items": [
                {"kind": "disposition", "lpn": "BN00000002D", "station": "BENCH-01",
                 "at": "2026-11-20T09:10:00+01:00", "by": "grader", "proposed": "OPEN_BOX",
                 "chosen": "LIQUIDATE", "reason": "open-box shelf is full this week"},
                {"kind": "grade", "lpn": "BN00000002D", "station": "BENCH-01",
                 "at": "2026-11-20T09:10:00+01:00", "by": "grader", "proposed": "A",
                 "chosen": "B", "reason": "graded by the simulated grader"},
            ],
        },
    }


def empty_summary() -> dict[str, Any]:
    """A day on which nothing happened, from the central database."""
    summary = day_summary(source="central", central_error=None)
    summary.update({
        "received": {"parcels": 0, "parcels_expected": 0, "parcels_unexpected": 0,
                     "units_expected": 0, "units_taken": 0},
        "inspected": {"units": 0, "by_category": {}},
        "dispositions": {"units": 0, "by_disposition": {d.value: 0 for d in Disposition},
                         "by_destination": {}, "by_hour": by_hour({})},
        "grades": {"A": 0, "B": 0, "C": 0, "D": 0, "X": 0},
        "reasons": [],
        "refunds": {"units": 0, "by_action": {a: {"units": 0, "amount_minor": {}} for a in
                                              ("FULL", "PARTIAL", "STORE_CREDIT", "EXCHANGE",
                                               "DENY", "HELD")},
                    "money_refunded_minor": {}, "held_resolutions": {"approved": 0,
                                                                     "denied": 0}},
        "recovery": {"by_currency": {}},
        "handling_time": {"units": 0, "median_seconds": None, "p90_seconds": None,
                          "max_seconds": None},
        "dwell": {"parcels_waiting": 0, "units_waiting": 0, "median_seconds": None,
                  "p90_seconds": None, "max_seconds": None},
        "productivity": {"units": 0, "grader_hours": 0.0, "units_per_grader_hour": None,
                         "by_grader": []},
        "exceptions": {"opened": 0, "opened_by_kind": {}, "closed": 0,
                       "resolutions_tracked": True, "open": 0, "open_by_kind": {}},
        "overrides": {"grade": 0, "disposition": 0, "by_reason": [], "items": []},
    })
    return summary


def fortnight(*, units: bool = True) -> dict[str, Any]:
    """14 days to 20 Nov 2026: weekdays busy, weekends quiet; most units in EUR."""
    days = []
    first = datetime(2026, 11, 7)
    for offset in range(14):
        day = first + timedelta(days=offset)
        busy = units and day.weekday() < 5
        recovery = ({"EUR": {"units": 8, "expected_recovery_minor": 90000 + 1000 * offset,
                             "refunded_minor": 100000, "recovery_rate":
                                 round((90000 + 1000 * offset) / 100000, 4)},
                     "USD": {"units": 3, "expected_recovery_minor": 500, "refunded_minor": 0,
                             "recovery_rate": None}} if busy else {})
        days.append({"date": day.date().isoformat(), "parcels": 10 + offset if busy else 0,
                     "inspected": 12 + offset if busy else 0,
                     "dispositioned": 11 + offset if busy else 0, "recovery": recovery})
    return {"from": "2026-11-07", "to": "2026-11-20", "tz": "Europe/Berlin",
            "source": "local (this station only)", "days": days}


def exceptions() -> tuple[ReportException, ...]:
    return (
        ReportException("unexpected parcel", "BENCH-01",
                        datetime(2026, 11, 19, 23, 0, tzinfo=BERLIN),
                        "code: 1Z999AA10123456784; kind: tracking", None),
        ReportException("unexpected parcel", "BENCH-02",
                        datetime(2026, 11, 20, 11, 30, tzinfo=BERLIN),
                        "code: 1Z999AA10123456791; kind: tracking",
                        "returned to carrier: no RMA, refused at the dock"),
    )


def document(summary: dict[str, Any] | None = None, trend: dict[str, Any] | None = None,
             cases: tuple[ReportException, ...] | None = None) -> ReportDocument:
    return ReportDocument(summary=day_summary() if summary is None else summary,
                          trend=trend, exceptions=exceptions() if cases is None else cases,
                          generated_by="station BENCH-01 (returns-station report)")


@pytest.fixture(scope="module")
def renderer() -> ReportLabReportRenderer:
    return ReportLabReportRenderer()


def test_the_report_reads_back_with_the_figures_a_supervisor_needs(
    renderer: ReportLabReportRenderer, tmp_path: Path,
) -> None:
    text = one_line(pdf_text(renderer.render(document(trend=fortnight())), tmp_path))
    for phrase in (
        "Daily disposition summary · Friday 2026-11-20",
        "Time zone Europe/Berlin · from 2026-11-20 00:00 to 2026-11-21 00:00",
        "Scope: whole site",
        "Parcels received 8 (7 expected, 1 unexpected)",
        "Units inspected 7", "Units dispositioned 7",
        "Money refunded 1697.00 EUR; 135.99 USD",
        "Held refunds resolved 1 approved, 0 denied",
        "median 0:25 · p90 8:40 · max 8:40 h:mm",  # 1500 s and 31200 s
        "6 units in 5 parcels · median 11:00 · p90 23:30 h:mm",
        "1.25 (7 units in 5:35 h:mm)",
        "1 opened · 1 closed · 1 open at the end",
        "Full refund 3 1697.00 EUR", "Partial refund 1 26.99 USD",
        "Store credit 1 109.00 USD", "Held (not paid yet) 1 769.00 GBP",
        "EUR 3 1697.00 EUR 1697.00 EUR 100.0 %", "USD 3 115.00 USD 135.99 USD 84.6 %",
        "GBP 1 769.00 GBP 0.00 GBP —",
        "Grader Person (grader) 6 5:15 1.14",
    ):
        assert phrase in text, phrase
    rows = one_line(pdf_text(renderer.render(document()), tmp_path, "-raw"))
    assert ("2026-11-20 09:10 disposition BN00000002D BENCH-01 grader OPEN_BOX → LIQUIDATE "
            "open-box shelf is full this week") in rows


def test_a_report_from_this_station_only_says_so_prominently_and_why(
    renderer: ReportLabReportRenderer, tmp_path: Path,
) -> None:
    text = one_line(pdf_text(renderer.render(document()), tmp_path))
    assert "LOCAL DATA: THIS STATION ONLY" in text
    assert "Source: local (this station only)." in text
    assert f"The central database could not be reached: {UNREACHABLE}." in text
    assert text.count("LOCAL DATA: this station only · generated") == pdf_page_count(
        renderer.render(document()))  # in every footer

    central = day_summary(source="central", central_error=None)
    text = one_line(pdf_text(renderer.render(document(central)), tmp_path))
    assert "LOCAL DATA" not in text
    assert "Source: central database (every station that has synced)" in text


def test_the_exception_list_shows_open_cases_and_outcomes(
    renderer: ReportLabReportRenderer, tmp_path: Path,
) -> None:
    text = one_line(pdf_text(renderer.render(document()), tmp_path, "-raw"))
    assert "Exceptions (2 listed, 1 open)" in text
    assert ("2026-11-19 23:00 unexpected parcel BENCH-01 code: 1Z999AA10123456784; "
            "kind: tracking OPEN") in text
    assert ("2026-11-20 11:30 unexpected parcel BENCH-02 code: 1Z999AA10123456791; "
            "kind: tracking returned to carrier: no RMA, refused at the dock") in text


def test_a_cut_exception_list_says_how_many_there_are_and_where_the_rest_are(
    renderer: ReportLabReportRenderer, tmp_path: Path,
) -> None:
    cut = replace(document(), exceptions_total=1200)
    text = one_line(pdf_text(renderer.render(cut), tmp_path))
    assert "Exceptions (the oldest 2 of 1200 listed, 1 of them open)" in text
    assert ("Only the oldest 2 of the 1200 exceptions fit this report; the supervisor "
            "queues (F6) list every one still open.") in text


def test_charts_have_titles_legends_and_the_trend_page(
    renderer: ReportLabReportRenderer, tmp_path: Path,
) -> None:
    text = one_line(pdf_text(renderer.render(document(trend=fortnight())), tmp_path))
    for phrase in ("Units by disposition per hour of the day", "hour of the day (local time)",
                   "RESTOCK", "LIQUIDATE", "Grade mix", "Top reasons (top 10)",
                   "changed mind", "damaged in transit",
                   "14-day trend: 2026-11-07 to 2026-11-20",
                   "Units per day, last 14 days", "units inspected", "units dispositioned",
                   "Recovery rate per day (EUR)",  # the currency with most units
                   "2026-11-20 23 25 24 1030.00 EUR 1000.00 EUR 103.0 %"):
        assert phrase in text, phrase
    assert "REFURBISH" not in text.split("Grade mix")[0]  # no legend entry for no units

    text = one_line(pdf_text(renderer.render(document()), tmp_path))
    assert "14-day trend" not in text


def test_the_same_document_gives_the_same_bytes(renderer: ReportLabReportRenderer) -> None:
    first = renderer.render(document(trend=fortnight()))
    assert first.startswith(b"%PDF-")
    assert renderer.render(document(trend=fortnight())) == first
    assert ReportLabReportRenderer().render(document(trend=fortnight())) == first


def test_an_empty_day_says_there_is_nothing_to_chart(
    renderer: ReportLabReportRenderer, tmp_path: Path,
) -> None:
    pdf = renderer.render(document(empty_summary(), trend=fortnight(units=False), cases=()))
    text = one_line(pdf_text(pdf, tmp_path))
    assert text.count("No units in this period") == 3  # per hour, grade mix, reasons
    assert "No units in these days" in text
    assert "No money refunded in these days: no recovery rate" in text
    assert ("No exception was opened or closed in the period, or open at "
            "2026-11-21 00:00.") in text
    assert "Parcels received 0 (0 expected, 0 unexpected)" in text
    assert "median — · p90 — · max —" in text
    assert pdf_page_count(pdf) <= 4


def test_hostile_and_very_long_text_prints_as_typed_without_breaking_the_report(
    renderer: ReportLabReportRenderer, tmp_path: Path,
) -> None:
    summary = copy.deepcopy(day_summary(station=HOSTILE, grader="<i>&", category="toys"))
    summary["reasons"].insert(0, {"reason": HOSTILE, "units": 9})
    summary["dispositions"]["by_destination"][HOSTILE] = 1
    summary["productivity"]["by_grader"][0]["display_name"] = HOSTILE
    summary["overrides"]["items"][0]["reason"] = HOSTILE + " " + "word " * 2000
    summary["overrides"]["by_reason"][0]["reason"] = "x" * 5000
    summary["recovery"]["by_currency"]["<&>"] = {"units": 1, "expected_recovery_minor": 1,
                                                 "refunded_minor": 2, "recovery_rate": 0.5}
    cases = tuple(ReportException(HOSTILE, "<st>\x07", datetime(2026, 11, 20, 8, tzinfo=BERLIN),
                                  HOSTILE + " " + "detail " * 3000, HOSTILE)
                  for _ in range(3))
    pdf = renderer.render(ReportDocument(summary, fortnight(), cases, generated_by=HOSTILE))
    raw = pdf_text(pdf, tmp_path)
    text = one_line(raw)
    assert "<b>not bold</b> & <para>[2J</para> &amp; ]]>" in text
    assert "Scope: station <b>not bold</b>" in text and "grader <i>&" in text
    assert "0.01 <&>" in text
    assert "<st>" in text
    assert "\x1b" not in raw and "\x00" not in raw and "\x07" not in raw
    assert pdf_page_count(pdf) <= 12  # long text is shortened, not printed for pages


def test_page_count_grows_with_the_exception_list_not_with_the_charts(
    renderer: ReportLabReportRenderer, tmp_path: Path,
) -> None:
    pdf = renderer.render(document(trend=fortnight()))
    pages = pdf_page_count(pdf)
    assert 3 <= pages <= 5
    assert f"page 1/{pages}" in pdf_text(pdf, tmp_path)

    many = tuple(ReportException("wrong item", "BENCH-01",
                                 datetime(2026, 11, 20, 8, tzinfo=BERLIN) + timedelta(minutes=i),
                                 f"expected SKU-{i}; scanned SKU-{i + 1}", None)
                 for i in range(150))
    longer = renderer.render(document(trend=fortnight(), cases=many))
    text = pdf_text(longer, tmp_path)
    assert pages < pdf_page_count(longer) <= pages + 6
    assert "expected SKU-149; scanned SKU-150" in text
    assert text.count("Opened") >= 2  # the header row repeats on every page of the list
