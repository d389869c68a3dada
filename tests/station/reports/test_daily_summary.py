"""The daily disposition summary, checked figure by figure against a small fixed day
(tests/report_day.py: the schedule, worked out by hand, never by the report's own code).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from report_day import AFTER, BERLIN, BOOK_OVERRIDE, DAY, Day, at, build_day, set_time
from sqlalchemy import select
from station_bench import StationUnderTest, make_station

from station.common.vocabulary import Disposition, ExceptionOutcome, Role
from station.loadgen.simulated_grader import SIMULATED_REASON
from station.reports import daily_summary as reports
from station.reports import trend as report_trend
from station.reports import units as report_units
from station.reports.units import Figure
from station.store.models import RefundTrigger, SyncConflict, Unit
from station.supervision import queues
from station.sync import exchange as sync


@pytest.fixture
def day(tmp_path: Path) -> Iterator[Day]:
    bench = make_station(tmp_path / "station")
    yield build_day(bench)
    bench.opened.close()


def summary(day: Day, *, now: datetime = AFTER, **options: Any) -> dict[str, Any]:
    return reports.daily_summary(day.bench.ctx.sessions, start=DAY, tz=BERLIN, now=now,
                                 scope_label=reports.SOURCE_LOCAL, **options)


# --------------------------------------------------------------------- the whole site


def test_scope_names_the_period_in_its_time_zone_and_the_source(day: Day) -> None:
    scope = summary(day)["scope"]
    assert scope == {
        "from": "2026-11-20", "to": "2026-11-20", "tz": "Europe/Berlin",
        "start": "2026-11-20T00:00:00+01:00", "end": "2026-11-21T00:00:00+01:00",
        "station": None, "grader": None, "category": None,
        "source": "local (this station only)",
        "generated_at": "2026-11-21T10:00:00+01:00",
        "as_of": "2026-11-21T00:00:00+01:00",  # the day is over: its end
        "central_error": None,
    }


def test_parcels_and_units_received(day: Day) -> None:
    # In the Berlin day: RMA-100006 (2 lines of 1), -100011 (2 of 1), -100001 (2 of 1),
    # -100003 (1 line of 3), -100010 (2 of 1), -100005 (1), -100009 (1), and one
    # unexpected parcel. Not: RMA-100004 and the first unexpected parcel (before),
    # RMA-100012 (after).
    assert summary(day)["received"] == {
        "parcels": 8, "parcels_expected": 7, "parcels_unexpected": 1,
        "units_expected": 2 + 2 + 2 + 3 + 2 + 1 + 1,
        "units_taken": 7,  # book, laptop, 2 sneakers, vacuum, a train set, earrings
    }


def test_units_inspected_grades_and_reasons(day: Day) -> None:
    report = summary(day)
    assert report["inspected"] == {"units": 7, "by_category": {
        "books_media": 1, "electronics": 1, "footwear": 2, "home_kitchen": 1,
        "jewellery_watches": 1, "toys": 1}}
    assert report["grades"] == {"A": 6, "B": 1, "C": 0, "D": 0, "X": 0}
    # book, laptop, train set, USD sneakers, earrings: changed_mind; EUR sneakers: late;
    # vacuum: damaged in transit.
    assert report["reasons"] == [
        {"reason": "changed_mind", "units": 5},
        {"reason": "damaged_in_transit", "units": 1},
        {"reason": "late_delivery", "units": 1},
    ]


def test_units_by_disposition_and_destination(day: Day) -> None:
    dispositions = summary(day)["dispositions"]
    assert dispositions["units"] == 7
    assert dispositions["by_disposition"] == {
        "RESTOCK": 5, "REFURBISH": 0, "OPEN_BOX": 0, "LIQUIDATE": 1, "RTV": 0, "DONATE": 0,
        "RECYCLE": 0, "DESTROY": 0, "HOLD": 1}
    assert dispositions["by_destination"] == {"HOLD-SUP": 1, "LIQ-CAGE": 1, "STOCK-A": 5}


def test_units_by_disposition_per_hour_of_the_berlin_day(day: Day) -> None:
    # Decided (UTC → Berlin): book 08:10 → 09 LIQUIDATE, laptop 08:45 → 09, sneakers 09:30
    # → 10, vacuum 10:00 → 11, train set 12:20 → 13 HOLD, USD sneakers 12:45 → 13,
    # earrings 13:15 → 14; the rest RESTOCK.
    by_hour = summary(day)["dispositions"]["by_hour"]
    assert [entry["hour"] for entry in by_hour] == list(range(24))
    busy = {entry["hour"]: {d: n for d, n in entry["by_disposition"].items() if n}
            for entry in by_hour if entry["units"]}
    assert busy == {9: {"RESTOCK": 1, "LIQUIDATE": 1}, 10: {"RESTOCK": 1},
                    11: {"RESTOCK": 1}, 13: {"RESTOCK": 1, "HOLD": 1}, 14: {"RESTOCK": 1}}
    assert set(by_hour[0]["by_disposition"]) == {d.value for d in Disposition}


def test_refunds_by_action_with_amounts_per_currency(day: Day) -> None:
    refunds = summary(day)["refunds"]
    # The laptop's HELD trigger is superseded by the approval (FULL, 11:00): it counts as
    # FULL. The earrings' HELD trigger was never resolved: it counts as HELD.
    assert refunds["by_action"] == {
        "FULL": {"units": 3, "amount_minor": {"EUR": 9900 + 29900 + 129900}},
        "PARTIAL": {"units": 1, "amount_minor": {"USD": 2699}},
        "STORE_CREDIT": {"units": 1, "amount_minor": {"USD": 10900}},
        "EXCHANGE": {"units": 0, "amount_minor": {}},
        "DENY": {"units": 1, "amount_minor": {"USD": 0}},
        "HELD": {"units": 1, "amount_minor": {"GBP": 76900}},
    }
    assert refunds["units"] == 7
    assert refunds["money_refunded_minor"] == {"EUR": 169700, "USD": 2699 + 10900}
    assert refunds["held_resolutions"] == {"approved": 1, "denied": 0}


def test_recovery_value_and_rate_per_currency(day: Day) -> None:
    # Estimates: RESTOCK A = 100 % of the price; the book's override to LIQUIDATE
    # B = 20 % of 29.99 = 5.998 -> 600 (not OPEN_BOX's 80 %); HOLD = 0 % (train set).
    assert summary(day)["recovery"] == {"by_currency": {
        "EUR": {"units": 3, "expected_recovery_minor": 129900 + 9900 + 29900,
                "refunded_minor": 129900 + 9900 + 29900, "recovery_rate": 1.0},
        "GBP": {"units": 1, "expected_recovery_minor": 76900, "refunded_minor": 0,
                "recovery_rate": None},  # held: nothing refunded yet
        "USD": {"units": 3, "expected_recovery_minor": 600 + 0 + 10900,
                "refunded_minor": 2699 + 0 + 10900, "recovery_rate": round(11500 / 13599, 4)},
    }}


def test_handling_time_from_receipt_to_disposition(day: Day) -> None:
    # earrings 10 min, USD sneakers 10, train set 20, laptop 25, EUR sneakers 30,
    # vacuum 60, book 8 h 40 min (received 23:30 the evening before, decided 08:10).
    # Median: the 4th of 7; p90: the ceil(6.3) = 7th.
    assert summary(day)["handling_time"] == {
        "units": 7, "median_seconds": 1500.0, "p90_seconds": 31200.0,
        "max_seconds": 31200.0}


def test_dwell_of_units_still_waiting_at_the_end_of_the_day(day: Day) -> None:
    # At 23:00 UTC: RMA-100006 line 2 since 23:30 the day before (23.5 h), the tablet since
    # 08:20 (14 h 40 min), two train sets since 12:00 (11 h each), the slippers since
    # 12:30 (10.5 h), RMA-100009 since 22:30 (30 min). Sorted: 1800, 37800, 39600, 39600,
    # 52800, 84600: median (39600 + 39600) / 2, p90 the ceil(5.4) = 6th.
    assert summary(day)["dwell"] == {
        "parcels_waiting": 5, "units_waiting": 6,
        "median_seconds": 39600.0, "p90_seconds": 84600.0, "max_seconds": 84600.0}


def test_dwell_during_the_day_is_taken_now(day: Day) -> None:
    # At 12:25 UTC: RMA-100006 line 2 (12 h 55 min), the tablet (4 h 5 min), two train
    # sets (25 min); RMA-100010, -100005 and -100009 had not arrived.
    dwell = summary(day, now=at(20, 12, 25))["dwell"]
    assert dwell == {"parcels_waiting": 3, "units_waiting": 4, "median_seconds":
                     (1500 + 14700) / 2, "p90_seconds": 46500.0, "max_seconds": 46500.0}


def test_units_per_grader_hour(day: Day) -> None:
    productivity = summary(day)["productivity"]
    # grader: 6 units, first start 08:00, last completion 13:15: 5.25 h.
    # supervisor: the vacuum, 09:40-10:00: 1/3 h.
    hours = 5.25 + 1 / 3
    assert productivity["units"] == 7
    assert productivity["grader_hours"] == round(hours, 4)
    assert productivity["units_per_grader_hour"] == round(7 / hours, 4)
    assert [(g["username"], g["units"], g["hours"], g["units_per_hour"])
            for g in productivity["by_grader"]] == [
        ("grader", 6, 5.25, round(6 / 5.25, 4)),
        ("supervisor", 1, round(1 / 3, 4), 3.0)]


def test_exceptions_opened_and_still_open(day: Day) -> None:
    assert summary(day)["exceptions"] == {
        "opened": 1, "opened_by_kind": {"unexpected_parcel": 1},
        "closed": 0, "resolutions_tracked": True,
        "open": 2, "open_by_kind": {"unexpected_parcel": 2}}


def test_an_exception_closed_in_the_day_counts_as_closed_and_no_longer_open(
    day: Day,
) -> None:
    bench = day.bench
    supervisor = bench.actors[Role.SUPERVISOR]
    with bench.ctx.sessions() as session:
        oldest = queues.open_exceptions(bench.ctx, supervisor, session)[0]
    set_time(bench, datetime(2026, 11, 20, 14, 0, tzinfo=UTC))  # 15:00 in Berlin
    queues.resolve_exception(bench.ctx, supervisor, oldest.exception_id,
                             ExceptionOutcome.RETURNED_TO_CARRIER, "no RMA, sender unknown")
    exceptions = summary(day)["exceptions"]
    assert (exceptions["opened"], exceptions["closed"], exceptions["open"]) == (1, 1, 1)


def test_overrides_and_their_reasons(day: Day) -> None:
    overrides = summary(day)["overrides"]
    assert (overrides["grade"], overrides["disposition"]) == (1, 1)
    assert overrides["by_reason"] == [
        {"kind": "disposition", "reason": BOOK_OVERRIDE, "count": 1},
        {"kind": "grade", "reason": SIMULATED_REASON, "count": 1}]
    book = day.lpns["book"]
    assert overrides["items"] == [
        {"kind": "disposition", "lpn": book, "station": "BENCH-01",
         "at": "2026-11-20T09:10:00+01:00", "by": "grader", "proposed": "OPEN_BOX",
         "chosen": "LIQUIDATE", "reason": BOOK_OVERRIDE},
        {"kind": "grade", "lpn": book, "station": "BENCH-01",
         "at": "2026-11-20T09:10:00+01:00", "by": "grader", "proposed": "A",
         "chosen": "B", "reason": SIMULATED_REASON}]


# --------------------------------------------------------------------- narrower scopes


def test_the_day_before_in_berlin_holds_only_what_came_before_midnight(day: Day) -> None:
    report = reports.daily_summary(day.bench.ctx.sessions, start=date(2026, 11, 19),
                                   tz=BERLIN, now=AFTER, scope_label=reports.SOURCE_LOCAL)
    assert report["received"]["parcels"] == 2  # the first unexpected parcel, RMA-100004
    assert report["inspected"]["units"] == 1
    assert report["refunds"]["by_action"]["DENY"] == {"units": 1,
                                                       "amount_minor": {"USD": 0}}
    assert report["dispositions"]["by_disposition"]["HOLD"] == 1
    assert report["exceptions"]["opened"] == 1


def test_a_utc_day_cuts_elsewhere(day: Day) -> None:
    report = reports.daily_summary(day.bench.ctx.sessions, start=DAY, tz=UTC, now=AFTER,
                                   scope_label=reports.SOURCE_LOCAL)
    # 20 Nov UTC: without RMA-100006 (19 Nov 23:30), with RMA-100012 (20 Nov 23:30) and
    # its bottle (23:40).
    assert report["received"]["parcels"] == 8
    assert report["inspected"]["units"] == 8
    assert report["refunds"]["by_action"]["PARTIAL"]["units"] == 1  # the book: 08:10
    assert report["scope"]["tz"] == "UTC"


def test_a_range_of_days_adds_up(day: Day) -> None:
    report = summary(day, end=date(2026, 11, 21))
    assert report["received"]["parcels"] == 9  # RMA-100012 too
    assert report["inspected"]["units"] == 8  # and its bottle: A, FULL 29.99 USD
    assert report["refunds"]["money_refunded_minor"] == {"EUR": 169700,
                                                         "USD": 2699 + 10900 + 2999}


def test_one_grader(day: Day) -> None:
    report = summary(day, grader="supervisor")
    # The supervisor received RMA-100001 and inspected the vacuum.
    assert report["received"] == {"parcels": 1, "parcels_expected": 1,
                                  "parcels_unexpected": 0, "units_expected": 2,
                                  "units_taken": 2}
    assert report["inspected"]["units"] == 1
    assert report["refunds"]["by_action"]["FULL"] == {"units": 1,
                                                       "amount_minor": {"EUR": 29900}}
    assert report["exceptions"]["opened"] == 0
    assert report["overrides"]["items"] == []
    assert report["productivity"]["units_per_grader_hour"] == 3.0


def test_one_category(day: Day) -> None:
    report = summary(day, category="electronics")
    assert report["received"]["parcels"] == 1 and report["received"]["units_expected"] == 2
    assert report["dispositions"]["by_disposition"]["RESTOCK"] == 1
    assert report["refunds"]["by_action"]["FULL"] == {"units": 1,
                                                       "amount_minor": {"EUR": 129900}}
    assert report["dwell"]["units_waiting"] == 1  # the tablet
    assert report["exceptions"]["open"] == 0  # unexpected parcels have no category


def test_one_station(day: Day) -> None:
    assert summary(day, station="BENCH-01")["inspected"]["units"] == 7
    other = summary(day, station="BENCH-99")
    assert other["received"]["parcels"] == other["inspected"]["units"] == 0
    assert other["handling_time"]["median_seconds"] is None


def test_an_unknown_grader_or_a_backwards_period_is_refused(day: Day) -> None:
    with pytest.raises(reports.ReportError, match="no user 'nobody'"):
        summary(day, grader="nobody")
    with pytest.raises(reports.ReportError, match="before it starts"):
        summary(day, end=date(2026, 11, 19))
    with pytest.raises(reports.ReportError, match="not a category"):
        summary(day, category="garden")


# --------------------------------------------------------------------- central and local


def _push(bench: StationUnderTest) -> None:
    config = bench.ctx.config
    sync.sync_once(bench.ctx.sessions, bench.opened.central_sessions(),
                   bench.opened.central_engine(),
                   sync.StationIdentity.of(config), clock=bench.clock)


def test_the_central_database_gives_the_same_figures_once_synced(day: Day) -> None:
    _push(day.bench)
    central = reports.summarize(day.bench.opened.central_sessions, day.bench.ctx.sessions,
                                start=DAY, tz=BERLIN, now=AFTER)
    local = summary(day)
    assert central["scope"]["source"] == "central"
    assert central["scope"]["central_error"] is None
    del central["scope"]["source"], local["scope"]["source"]
    assert central == local  # names come from the local users: central has none


def test_offline_the_local_database_is_used_and_labelled(day: Day) -> None:
    def unreachable() -> Any:
        from sqlalchemy import create_engine
        from sqlalchemy.orm import sessionmaker

        return sessionmaker(create_engine("sqlite:////nonexistent-folder/central.db"))

    report = reports.summarize(unreachable, day.bench.ctx.sessions, start=DAY, tz=BERLIN,
                               now=AFTER)
    assert report["scope"]["source"] == "local (this station only)"
    assert "OperationalError" in report["scope"]["central_error"]
    assert report["inspected"]["units"] == 7


def test_a_refund_that_lost_a_sync_conflict_is_not_counted(day: Day) -> None:
    bench = day.bench
    with bench.ctx.sessions.begin() as session:
        vacuum = session.scalar(select(Unit.id).where(Unit.lpn == day.lpns["vacuum"]))
        trigger = session.scalar(select(RefundTrigger).where(RefundTrigger.unit_id == vacuum))
        assert trigger is not None
        session.add(SyncConflict(
            id=trigger.id, kind="refund_conflict", entity="refund_triggers",
            station_code="BENCH-01", winner_id=uuid.uuid4(), winner_station="BENCH-02",
            winner_at=at(20, 9, 55), subject=str(trigger.settle_key), payload={},
            detected_at=at(20, 10, 5), change_seq=1))
    refunds = summary(day)["refunds"]
    assert refunds["by_action"]["FULL"] == {"units": 2, "amount_minor": {"EUR": 139800}}


def test_the_summary_is_plain_json(day: Day) -> None:
    report = summary(day)
    assert json.loads(json.dumps(report)) == report


def test_the_local_time_zone_is_an_iana_zone_when_the_machine_names_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TZ", "Europe/Berlin")
    assert reports.zone_name(reports.local_zone()) == "Europe/Berlin"
    with pytest.raises(reports.ReportError, match="not a time zone"):
        reports.zone("Mars/Olympus")


def test_percentiles_are_nearest_rank_and_the_median_is_the_middle() -> None:
    assert reports.nearest_rank([5, 1, 4, 2, 3, 6, 7, 8, 9, 10], 90) == 9.0
    assert reports.nearest_rank([1.0], 90) == 1.0
    assert reports.nearest_rank([], 90) is None
    assert reports.median([1, 2, 3, 10]) == 2.5



# --------------------------------------------------------------------- the 14-day trend


def test_the_trend_counts_each_berlin_day_as_its_own_summary_does(day: Day) -> None:
    data = report_trend.trend(day.bench.ctx.sessions, end=date(2026, 11, 21), tz=BERLIN,
                              now=AFTER, source=reports.SOURCE_LOCAL)
    assert (data["from"], data["to"], data["tz"]) == ("2026-11-08", "2026-11-21",
                                                       "Europe/Berlin")
    assert len(data["days"]) == 14 and data["source"] == "local (this station only)"
    busy = {entry["date"]: (entry["parcels"], entry["inspected"], entry["dispositioned"])
            for entry in data["days"] if entry["parcels"] or entry["inspected"]}
    # 19 Nov (Berlin): the first unexpected parcel (23:00) and RMA-100004 (23:30) with its
    # shampoo (23:50); 21 Nov: RMA-100012 and its bottle.
    assert busy == {"2026-11-19": (2, 1, 1), "2026-11-20": (8, 7, 7),
                    "2026-11-21": (1, 1, 1)}
    by_date = {entry["date"]: entry for entry in data["days"]}
    assert by_date["2026-11-20"]["recovery"] == summary(day)["recovery"]["by_currency"]
    assert by_date["2026-11-21"]["recovery"] == {"USD": {
        "units": 1, "expected_recovery_minor": 2999, "refunded_minor": 2999,
        "recovery_rate": 1.0}}
    assert by_date["2026-11-08"]["recovery"] == {}
    assert by_date["2026-11-19"]["recovery"].keys() == {"USD"}  # the shampoo
    # USD: the shampoo, 3 units on the 20th, the bottle = 5; EUR 3; GBP 1.
    assert report_trend.main_currency(data) == "USD"


def test_the_trend_follows_the_scope_options(day: Day) -> None:
    data = report_trend.trend(day.bench.ctx.sessions, end=DAY, tz=BERLIN, now=AFTER,
                              category="electronics")
    assert [(e["date"], e["dispositioned"]) for e in data["days"] if e["dispositioned"]] == [
        ("2026-11-20", 1)]
    with pytest.raises(reports.ReportError, match="no user 'nobody'"):
        report_trend.trend(day.bench.ctx.sessions, end=DAY, tz=BERLIN, now=AFTER,
                           grader="nobody")


# --------------------------------------------------------------------- the units behind


def units(day: Day, figure: Figure, **options: Any) -> report_units.UnitList:
    return report_units.units_behind(day.bench.ctx.sessions, figure, start=DAY, tz=BERLIN,
                                     now=AFTER, **options)


def test_the_units_behind_a_grade_are_the_units_graded_so(day: Day) -> None:
    listed = units(day, Figure("grade", "B"))
    assert listed.title == "Units graded B (like new / opened)" and listed.total == 1
    (book,) = listed.rows
    assert (book.lpn, book.grade, book.disposition, book.destination, book.refund) == (
        day.lpns["book"], "B", "LIQUIDATE", "LIQ-CAGE", "partial 26.99 USD")
    assert (book.category, book.reason) == ("books_media", "changed_mind")
    assert book.at == at(20, 8, 10)


def test_a_held_refund_approved_later_lists_the_approval(day: Day) -> None:
    listed = units(day, Figure("refund", "FULL"))
    assert listed.total == 3
    laptop = next(row for row in listed.rows if row.lpn == day.lpns["laptop"])
    assert laptop.refund == "full 1299.00 EUR" and laptop.at == at(20, 11)


def test_the_units_of_one_hour_of_the_stacked_chart(day: Day) -> None:
    listed = units(day, Figure("dispositioned", hour=13))
    assert listed.title == "Units dispositioned, 13:00-13:59"
    assert sorted(row.disposition for row in listed.rows) == ["HOLD", "RESTOCK"]
    assert [row.disposition for row in units(day, Figure("disposition", "LIQUIDATE",
                                                         hour=9)).rows] == ["LIQUIDATE"]


def test_overrides_list_the_unit_once_whatever_was_overridden(day: Day) -> None:
    assert [r.lpn for r in units(day, Figure("override", "grade")).rows] == [day.lpns["book"]]
    assert [r.lpn for r in units(day, Figure("override", "disposition")).rows] == [
        day.lpns["book"]]
    assert units(day, Figure("override")).total == 1


def test_every_figure_has_as_many_units_behind_it_as_it_says(day: Day) -> None:
    report = summary(day)
    expected: dict[Figure, int] = {Figure("inspected"): report["inspected"]["units"],
                                   Figure("dispositioned"): report["dispositions"]["units"]}
    expected |= {Figure("grade", g): n for g, n in report["grades"].items()}
    expected |= {Figure("reason", r["reason"]): r["units"] for r in report["reasons"]}
    expected |= {Figure("category", c): n
                 for c, n in report["inspected"]["by_category"].items()}
    expected |= {Figure("disposition", d): n
                 for d, n in report["dispositions"]["by_disposition"].items()}
    expected |= {Figure("destination", d): n
                 for d, n in report["dispositions"]["by_destination"].items()}
    expected |= {Figure("refund", a): b["units"] for a, b in report["refunds"]["by_action"].items()}
    for hour in report["dispositions"]["by_hour"]:
        expected[Figure("dispositioned", hour=hour["hour"])] = hour["units"]
        expected |= {Figure("disposition", d, hour["hour"]): n
                     for d, n in hour["by_disposition"].items()}
    for figure, count in expected.items():
        assert units(day, figure).total == count, figure
    assert units(day, Figure("category", "electronics"), grader="supervisor").total == 0


def test_a_long_list_is_cut_but_says_how_many_there_are(day: Day) -> None:
    listed = units(day, Figure("inspected"), limit=2)
    assert (listed.total, len(listed.rows), listed.truncated) == (7, 2, True)
    assert [row.at for row in listed.rows] == [at(20, 8, 10), at(20, 8, 45)]  # oldest first


def test_a_list_is_titled_in_words_not_identifiers() -> None:
    """The supervisor reads "open box" and "home & kitchen", never OPEN_BOX or home_kitchen."""
    assert Figure("disposition", "OPEN_BOX").title() == "Units routed to open box"
    assert Figure("disposition", "RTV", hour=9).title() == (
        "Units routed to return to vendor, 09:00-09:59")
    assert Figure("reason", "changed_mind").title() == "Units returned as changed mind"
    assert Figure("category", "home_kitchen").title() == "Units of category home & kitchen"
    assert Figure("refund", "STORE_CREDIT").title() == "Units whose refund is store credit"
    assert Figure("refund", "DENY").title() == "Units whose refund is denied"
    assert Figure("grade", "B").title() == "Units graded B (like new / opened)"
    assert Figure("destination", "STOCK-A").title() == "Units sent to STOCK-A"
    assert Figure("reason", "unknown").title() == "Units returned as unknown"


def test_a_figure_that_does_not_exist_is_refused(day: Day) -> None:
    with pytest.raises(reports.ReportError, match="not a figure with units"):
        units(day, Figure("weather"))
    with pytest.raises(reports.ReportError, match="'Z' is not one of A, B, C, D, X"):
        units(day, Figure("grade", "Z"))
    with pytest.raises(reports.ReportError, match="not an hour"):
        units(day, Figure("dispositioned", hour=24))
