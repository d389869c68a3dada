"""Reports from the command line:

    returns-station report daily --date YYYY-MM-DD [--to YYYY-MM-DD] [--station S]
        [--grader USER] [--category C] [--tz ZONE] [--local] --format json|csv|pdf --out FILE

The figures come from the central database (every station); when it cannot be reached, or
with --local, from this station's own database, and the report says so
(`scope.source` = "local (this station only)"). The PDF adds a 14-day trend and the
exception list, read from the same database as the summary, and is drawn by the
installation's `ReportRenderer` (Devices). Exit 0 written, 1 refused (an unknown grader, a
file that cannot be written, no PDF renderer), 2 bad options (a date, a time zone, a
period, a PDF to standard output).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import date
from pathlib import Path
from typing import Any, Final

from station.cli.command import Bench, OnStation, Subcommands, runs
from station.cli.devices import Devices
from station.common.vocabulary import Category
from station.reports import daily_summary as reports
from station.reports import summary_csv as report_csv
from station.reports.document import SummaryWithExceptions, summary_with_exceptions
from station.reports.trend import TREND_DAYS
from station.runtime.bootstrap import OpenStation
from station.supervision.evidence import pdf_page_count, write_atomically

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
EXIT_OPTIONS: Final = 2
FORMATS: Final = ("json", "csv", "pdf")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def register(commands: Subcommands) -> None:
    report = commands.add_parser(
        "report", help="supervisor reports (the daily disposition summary)",
        description="Reports for supervisors, from the central database (every station) or, "
                    "when it cannot be reached or with --local, from this station only.")
    kinds = report.add_subparsers(dest="report_command", metavar="REPORT", required=True)
    daily = kinds.add_parser(
        "daily", help="the daily disposition summary of a day or a range of days",
        description="Units received, inspected and dispositioned, grades, reasons, refunds "
                    "by action and currency, recovery, handling time, dwell, units per "
                    "grader-hour, exceptions and overrides, for the whole site or one "
                    "station, grader or category. Days are calendar days in --tz.")
    daily.add_argument("--date", required=True, metavar="YYYY-MM-DD",
                       help="the (first) day of the report")
    daily.add_argument("--to", metavar="YYYY-MM-DD",
                       help="the last day of a range (default: --date); at most "
                            f"{reports.MAX_DAYS} days")
    daily.add_argument("--station", metavar="CODE", help="only this station's work")
    daily.add_argument("--grader", metavar="USER",
                       help="only this person's work (a username): parcels they received, "
                            "units they inspected, exceptions they opened")
    daily.add_argument("--category", choices=[c.value for c in Category], metavar="CATEGORY",
                       help="only units of this category: "
                            + ", ".join(c.value for c in Category))
    daily.add_argument("--tz", metavar="ZONE",
                       help="the time zone of the days, e.g. Europe/Berlin (default: this "
                            "machine's)")
    daily.add_argument("--local", action="store_true",
                       help="use this station's own database even if the central one is "
                            "reachable (the report then covers this station only)")
    daily.add_argument("--format", required=True, choices=FORMATS,
                       help="json: every figure under documented keys; csv: one "
                            "section,key,value row per figure; pdf: the print-ready report "
                            "(figures, charts, 14-day trend, exception list)")
    daily.add_argument("--out", required=True, metavar="FILE",
                       help="where to write the report (- for standard output, not for "
                            "pdf); an existing file is replaced whole")
    runs(daily, OnStation(_daily))


def _day(option: str, text: str) -> date | None:
    if not _DATE.fullmatch(text):
        print(f"{option}: {text!r} is not a date as YYYY-MM-DD.", file=sys.stderr)
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        print(f"{option}: {text} is not a date of the calendar.", file=sys.stderr)
        return None


def _pdf(opened: OpenStation, devices: Devices, read: SummaryWithExceptions) -> bytes:
    """The PDF report: the summary, its exception list and its 14-day trend, all read in
    one transaction (`summary_with_exceptions`)."""
    document = read.document(read.trend,
                             f"returns-station report on station {opened.ctx.station_code}")
    return devices.report_renderer().render(document)


def _daily(args: argparse.Namespace, bench: Bench) -> int:
    opened, devices = bench.opened, bench.devices
    start = _day("--date", args.date)
    end = _day("--to", args.to) if args.to else start
    if start is None or end is None:
        return EXIT_OPTIONS
    if end < start:
        print(f"--to {end} is before --date {start}.", file=sys.stderr)
        return EXIT_OPTIONS
    if (end - start).days + 1 > reports.MAX_DAYS:
        print(f"A report covers at most {reports.MAX_DAYS} days.", file=sys.stderr)
        return EXIT_OPTIONS
    try:
        tz = reports.zone(args.tz) if args.tz else reports.local_zone()
    except reports.ReportError as error:
        print(f"--tz: {error}", file=sys.stderr)
        return EXIT_OPTIONS
    if args.format == "pdf" and args.out == "-":
        print("--format pdf needs --out FILE: a PDF is not written to standard output.",
              file=sys.stderr)
        return EXIT_OPTIONS
    if args.format == "pdf" and devices is None:
        print("This installation has no PDF renderer.", file=sys.stderr)
        return EXIT_FAILED
    now = opened.ctx.clock()
    options: dict[str, Any] = {"start": start, "end": end, "station": args.station,
                               "grader": args.grader, "category": args.category, "tz": tz,
                               "now": now}
    central = None if args.local else opened.central_sessions
    # A PDF lists the exceptions behind its figures and the trend up to its last day: all
    # are read in one transaction.
    read = (summary_with_exceptions(central, opened.ctx.sessions, trend_days=TREND_DAYS,
                                    **options)
            if args.format == "pdf" else None)
    summary = (read.summary if read is not None
               else reports.summarize(central, opened.ctx.sessions, **options))
    scope = summary["scope"]
    if scope["central_error"]:
        print(f"The central database cannot be reached ({scope['central_error']}); the "
              "report shows this station only.", file=sys.stderr)
    period = scope["from"] if scope["from"] == scope["to"] else (
        f"{scope['from']} to {scope['to']}")
    written = f"Daily summary {period} ({scope['tz']}, {scope['source']}) written to {args.out}"
    if read is not None and devices is not None:
        pdf = _pdf(opened, devices, read)
        write_atomically(Path(args.out), pdf)
        pages = pdf_page_count(pdf)
        print(f"{written} ({pages} page{'' if pages == 1 else 's'})")
        return EXIT_OK
    if args.format == "json":
        text = json.dumps(summary, indent=2, ensure_ascii=False) + "\n"
    else:
        text = report_csv.to_csv(summary)
    if args.out == "-":
        sys.stdout.write(text)
        return EXIT_OK
    write_atomically(Path(args.out), text.encode("utf-8"))
    print(written)
    return EXIT_OK
