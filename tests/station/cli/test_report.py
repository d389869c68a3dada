"""`returns-station report daily` on the fixed day of tests/report_day.py: JSON, CSV and PDF files,
the central database or this station only, and refused options."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_runner import run
from pdf_reading import one_line, pdf_file_text
from report_day import BOOK_OVERRIDE, Day, build_day
from station_bench import make_station

from drivers.documents.report_pdf import ReportLabReportRenderer
from station.loadgen.simulated_grader import SIMULATED_REASON

CONFIG = '[station]\ncode = "BENCH-01"\nlpn_prefix = "BN"\n'
DAY_OPTIONS = ("report", "daily", "--date", "2026-11-20", "--tz", "Europe/Berlin")


@pytest.fixture
def day(tmp_path: Path) -> Iterator[Day]:
    bench = make_station(tmp_path / "station")
    built = build_day(bench)
    bench.opened.close()  # the command opens the station itself
    (bench.locations.data_dir / "config.toml").write_text(CONFIG, encoding="utf-8")
    yield built


def cli(day: Day, *args: str) -> int:
    return run("--data-dir", str(day.bench.locations.data_dir), *args)


def test_json_from_the_central_database_after_sync(
    day: Day, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(day, "sync") == 0
    out = tmp_path / "day.json"
    assert cli(day, *DAY_OPTIONS, "--format", "json", "--out", str(out)) == 0
    assert capsys.readouterr().out.endswith(
        f"Daily summary 2026-11-20 (Europe/Berlin, central) written to {out}\n")
    report = json.loads(out.read_text("utf-8"))
    assert report["scope"]["source"] == "central"
    assert report["scope"]["central_error"] is None
    assert report["received"]["parcels"] == 8
    assert report["refunds"]["money_refunded_minor"] == {"EUR": 169700, "USD": 13599}
    assert report["refunds"]["by_action"]["HELD"] == {"units": 1,
                                                       "amount_minor": {"GBP": 76900}}
    assert report["dwell"]["units_waiting"] == 6  # the day is over: taken at its end
    assert report["exceptions"]["open"] == 2
    assert {o["reason"] for o in report["overrides"]["items"]} == {BOOK_OVERRIDE, SIMULATED_REASON}


def test_csv_of_this_station_only(
    day: Day, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "day.csv"
    assert cli(day, *DAY_OPTIONS, "--local", "--format", "csv", "--out", str(out)) == 0
    assert "(Europe/Berlin, local (this station only))" in capsys.readouterr().out
    table = list(csv.reader(io.StringIO(out.read_text("utf-8"))))
    assert table[0] == ["section", "key", "value"]
    assert table[1] == ["report", "report", "daily_disposition_summary"]
    cells = {(section, key): value for section, key, value in table[1:]}
    assert cells["scope", "source"] == "local (this station only)"
    assert cells["scope", "from"] == cells["scope", "to"] == "2026-11-20"
    assert cells["scope", "station"] == ""  # null: the whole site
    assert cells["received", "units_expected"] == "13"
    assert cells["grades", "A"] == "6"
    assert cells["dispositions", "by_disposition.LIQUIDATE"] == "1"
    assert cells["refunds", "by_action.FULL.amount_minor.EUR"] == "169700"
    assert cells["refunds", "by_action.DENY.amount_minor.USD"] == "0"
    assert cells["recovery", "by_currency.GBP.recovery_rate"] == ""
    assert cells["recovery", "by_currency.EUR.recovery_rate"] == "1.0"
    assert cells["reasons", "1.reason"] == "changed_mind"
    assert cells["reasons", "1.units"] == "5"
    assert cells["handling_time", "median_seconds"] == "1500.0"
    assert cells["exceptions", "closed"] == "0"
    assert cells["exceptions", "resolutions_tracked"] == "true"
    assert cells["overrides", "items.1.reason"] == BOOK_OVERRIDE
    assert ("refunds", "by_action.EXCHANGE.amount_minor") not in cells  # empty: no rows


def test_csv_hours_are_the_local_hours_of_the_json_and_money_its_minor_units(
    day: Day, tmp_path: Path
) -> None:
    """A supervisor reading `by_hour.14.units` in a spreadsheet sees the units decided
    between 14:00 and 14:59, as the JSON's `"hour": 14` says; amounts are the JSON's."""
    json_out, csv_out = tmp_path / "day.json", tmp_path / "day.csv"
    assert cli(day, *DAY_OPTIONS, "--local", "--format", "json", "--out", str(json_out)) == 0
    assert cli(day, *DAY_OPTIONS, "--local", "--format", "csv", "--out", str(csv_out)) == 0
    report = json.loads(json_out.read_text("utf-8"))
    table = list(csv.reader(io.StringIO(csv_out.read_text("utf-8"))))
    cells = {(section, key): value for section, key, value in table[1:]}
    busy = [entry for entry in report["dispositions"]["by_hour"] if entry["units"]]
    assert busy
    for entry in report["dispositions"]["by_hour"]:
        hour = entry["hour"]
        assert cells["dispositions", f"by_hour.{hour}.hour"] == str(hour)
        assert cells["dispositions", f"by_hour.{hour}.units"] == str(entry["units"])
        for disposition, units in entry["by_disposition"].items():
            assert cells["dispositions", f"by_hour.{hour}.by_disposition.{disposition}"] == (
                str(units))
    assert ("dispositions", "by_hour.24.units") not in cells
    hours = [key for section, key, _value in table[1:]
             if section == "dispositions" and key.endswith(".units")
             and key.startswith("by_hour.")]
    assert hours == [f"by_hour.{hour}.units" for hour in range(24)]  # in the JSON's order
    for currency, amount in report["refunds"]["money_refunded_minor"].items():
        assert cells["refunds", f"money_refunded_minor.{currency}"] == str(amount)


def test_unreachable_central_database_falls_back_to_this_station(
    day: Day, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RETURNS_STATION_CENTRAL_PASSWORD", "not-used")
    (day.bench.locations.data_dir / "config.toml").write_text(
        CONFIG + '\n[central]\nurl = "postgresql://returns@127.0.0.1:1/returns"\n',
        encoding="utf-8")
    assert cli(day, *DAY_OPTIONS, "--format", "json", "--out", "-") == 0
    captured = capsys.readouterr()
    assert "The central database cannot be reached (OperationalError" in captured.err
    assert "the report shows this station only" in captured.err
    report = json.loads(captured.out)
    assert report["scope"]["source"] == "local (this station only)"
    assert report["scope"]["central_error"].startswith("OperationalError")
    assert report["inspected"]["units"] == 7


def test_one_grader_and_one_category(day: Day, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(day, *DAY_OPTIONS, "--local", "--grader", "supervisor", "--format", "json",
               "--out", "-") == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["scope"]["grader"], report["inspected"]["units"]) == ("supervisor", 1)
    assert cli(day, *DAY_OPTIONS, "--local", "--category", "electronics", "--to",
               "2026-11-21", "--format", "json", "--out", "-") == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["scope"]["category"], report["scope"]["to"]) == ("electronics",
                                                                    "2026-11-21")
    assert report["refunds"]["by_action"]["FULL"]["amount_minor"] == {"EUR": 129900}


@pytest.mark.parametrize(("options", "message"), [
    (("--date", "20.11.2026"), "not a date as YYYY-MM-DD"),
    (("--date", "2026-02-30"), "not a date of the calendar"),
    (("--date", "2026-11-20", "--to", "2026-11-19"), "before --date"),
    (("--date", "2024-01-01", "--to", "2026-01-01"), "at most 366 days"),
    (("--date", "2026-11-20", "--tz", "Mars/Olympus"), "not a time zone"),
])
def test_bad_options_are_refused_with_exit_2(
    day: Day, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    options: tuple[str, ...], message: str,
) -> None:
    out = tmp_path / "never.json"
    assert cli(day, "report", "daily", *options, "--local", "--format", "json", "--out",
               str(out)) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_an_unknown_grader_or_an_unwritable_file_fails_with_exit_1(
    day: Day, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(day, *DAY_OPTIONS, "--local", "--grader", "nobody", "--format", "json",
               "--out", str(tmp_path / "x.json")) == 1
    assert "There is no user 'nobody'" in capsys.readouterr().err
    assert cli(day, *DAY_OPTIONS, "--local", "--format", "csv", "--out",
               str(tmp_path / "missing-folder" / "x.csv")) == 1
    assert "Cannot write" in capsys.readouterr().err


class ReportRendererOnly:
    """Devices with nothing but the real report renderer."""

    def report_renderer(self) -> ReportLabReportRenderer:
        return ReportLabReportRenderer()


def pdf_cli(day: Day, *args: str) -> int:
    return run("--data-dir", str(day.bench.locations.data_dir), *args,
               devices=ReportRendererOnly())


def test_pdf_from_the_central_database_with_trend_and_exceptions(
    day: Day, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(day, "sync") == 0
    out = tmp_path / "day.pdf"
    assert pdf_cli(day, *DAY_OPTIONS, "--format", "pdf", "--out", str(out)) == 0
    assert re.search(r"Daily summary 2026-11-20 \(Europe/Berlin, central\) written to "
                     rf"{re.escape(str(out))} \([2-6] pages\)\n$", capsys.readouterr().out)
    text = one_line(pdf_file_text(out, "-raw"))
    for phrase in (
        "Daily disposition summary · Friday 2026-11-20",
        "Source: central database (every station that has synced)",
        "Parcels received 8 (7 expected, 1 unexpected)",
        "Money refunded 1697.00 EUR; 135.99 USD",
        "Held (not paid yet) 1 769.00 GBP",
        "EUR 3 1697.00 EUR 1697.00 EUR 100.0 %", "USD 3 115.00 USD 135.99 USD 84.6 %",
        "Units by disposition per hour of the day", "Grade mix", "Top reasons (top 10)",
        "14-day trend: 2026-11-07 to 2026-11-20", "Recovery rate per day (",
        "2026-11-19 2 1 1", "2026-11-20 8 7 7",  # the trend counts as the summary does
        BOOK_OVERRIDE,
        "Exceptions (2 listed, 2 open)",
        "2026-11-19 23:00 unexpected parcel BENCH-01 code: 1Z999AA10123456784",
        "2026-11-20 11:30 unexpected parcel BENCH-01 code: 1Z999AA10123456791",
        "by returns-station report on station BENCH-01",
    ):
        assert phrase in text, phrase
    assert "LOCAL DATA" not in text


def test_pdf_of_this_station_only_says_so_on_the_paper(day: Day, tmp_path: Path) -> None:
    out = tmp_path / "local.pdf"
    assert pdf_cli(day, *DAY_OPTIONS, "--local", "--format", "pdf", "--out", str(out)) == 0
    text = one_line(pdf_file_text(out, "-raw"))
    assert "LOCAL DATA: THIS STATION ONLY" in text
    assert "The central database was not asked (a local report)." in text
    assert "source: local (this station only)" in text  # the trend's, too
    assert "OPEN" in text


def test_pdf_needs_a_file_and_a_renderer(
    day: Day, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert pdf_cli(day, *DAY_OPTIONS, "--local", "--format", "pdf", "--out", "-") == 2
    assert "--format pdf needs --out FILE" in capsys.readouterr().err
    out = tmp_path / "never.pdf"
    assert cli(day, *DAY_OPTIONS, "--local", "--format", "pdf", "--out", str(out)) == 1
    assert "This installation has no PDF renderer." in capsys.readouterr().err
    assert not out.exists()
