"""The `returns-station` command line: parsing, the headless commands, and opening a station.

Without a command, `returns-station` starts the app: the composition root (ui.launcher)
parses with `parse_arguments`, sees `wants_app`, opens the station with `open_for_app` and
starts the GUI itself. The core never calls into the UI, imports no Qt, and every
headless command runs on a machine without a display.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import logging
import os
import re
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Final

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from station import __version__
from station.cli import alarms as cli_alarms
from station.cli import audit as cli_audit
from station.cli import central as cli_central
from station.cli import report as cli_report
from station.cli import rma_import as cli_rma_import
from station.cli import rules as cli_rules
from station.cli import simulate as cli_simulate
from station.cli import trust as cli_trust
from station.cli import users as cli_users
from station.cli.argv_text import undecodable_argument
from station.cli.devices import Devices
from station.cli.pin_input import PinReader
from station.codes.scans import inspect_scan, payload_json
from station.common.atomic_file import write_atomically
from station.common.bounded_files import open_bounded, read_bounded
from station.common.errors import UserFacingError
from station.common.vocabulary import Role
from station.demo.station import DemoFolderError, open_demo
from station.inspection import rule_sets
from station.labels.content import sample_label
from station.labels.print_queue import PrintQueueError, label_for_lpn
from station.labels.printers import JobState, PrinterUnavailable, render_label
from station.labels.render import LabelError, to_png_bytes
from station.people.signin import has_users
from station.privacy.sweep import purge_station
from station.receiving import rma_shopify
from station.rma_csv import CSV_COLUMNS, MAX_FILE_BYTES
from station.routing.rules import RulesError
from station.runtime.bootstrap import OpenStation, central_url, open_station
from station.settings.config import (
    ConfigError,
    Locations,
    StationConfig,
    load_config,
    resolve_locations,
)
from station.settings.keyring_entries import KEYRING_SERVICE
from station.settings.logging_setup import configure_logging
from station.settings.printer_uri import PrinterUriError, label_size
from station.settings.station_identity import check_station_identity
from station.store import schema
from station.store.central_password import store_central_password
from station.store.database import make_engine
from station.store.models import Rma
from station.supervision.evidence import EvidenceError, export_pdf
from station.trust import central_rules, enrolment

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_CONFIG = 2

#: Arguments that are file or folder names, which may hold bytes that are not UTF-8.
PATH_ARGUMENTS: Final = frozenset({"config", "data_dir", "case_file", "out", "work_dir"})
log = logging.getLogger(__name__)


def _csv_help() -> str:
    rows = [f"  {name:<16} {'required' if required else 'optional':<9} {text}"
            for name, required, text in CSV_COLUMNS]
    return "CSV columns (header row required, one row per RMA line):\n" + "\n".join(rows)


def _shopify_help() -> str:
    return (
        "Shopify returns (--format shopify): the JSON of a GraphQL Admin API query for Return\n"
        "objects (data.returns, data.order.returns, data.orders[].returns), a list of Returns\n"
        "or one Return. The RMA number is the return's name without '#' (#1001-R1 -> 1001-R1),\n"
        "so rma.number_pattern must accept it. OPEN and CLOSED returns are imported;\n"
        "REQUESTED, CANCELED and DECLINED ones are skipped and listed. A product tag\n"
        f"'{rma_shopify.CATEGORY_TAG_PREFIX}<category>' sets an item's category.")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="returns-station",
        description="Returns Station: receive, inspect, grade, route and label customer returns. "
                    "With no command, starts the app.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"returns-station {__version__}")
    parser.add_argument("--config", metavar="FILE", help="configuration file (TOML)")
    parser.add_argument("--data-dir", metavar="DIR",
                        help="data folder (default: $RETURNS_STATION_HOME or the platform's)")
    parser.add_argument("--demo", action="store_true",
                        help="start the app on the demo station (sample returns and users), "
                             "as it was left; a new one the first time")
    parser.add_argument("--fresh-demo", action="store_true",
                        help="start the demo over (the previous demo is wiped); implies --demo")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    db_commands.add_parser(
        "upgrade", help="apply schema migrations to the local and the central database")
    db_commands.add_parser("status", help="show each database's schema revision")

    imp = commands.add_parser(
        "import-rmas", help="import RMAs from a CSV file or Shopify returns (JSON), all or nothing",
        description="Import RMAs into the central database and pull them into this station. "
                    "A file with any bad row or return imports nothing; every problem is listed "
                    "with its line (CSV) or record (JSON) number. Importing a file again "
                    "updates changed RMAs (their version goes up) and leaves the rest as they "
                    "are.",
        epilog=_csv_help() + "\n\n" + _shopify_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    imp.add_argument("file", type=Path, metavar="FILE")
    imp.add_argument("--format", choices=["auto", "csv", "shopify"], default="auto",
                     help="csv: the documented CSV; shopify: Shopify Admin API Return objects "
                          "(JSON). auto (default): .json files and files starting with { or [ "
                          "are shopify, the rest csv")
    imp.add_argument("--rma-prefix", default="", metavar="PREFIX",
                     help="shopify only: put PREFIX before every RMA number made from a "
                          "return's name (#1001-R1 -> PREFIX1001-R1)")
    imp.add_argument("--central-url", metavar="URL",
                     help="on a site: the central database as its importer role (stations "
                          "may not write RMAs; see central grants); its password comes from "
                          "the environment variable or keyring like any central URL")
    imp.add_argument("--as", dest="as_user", metavar="USER",
                     help="who imports (a supervisor or admin; not needed on a new station "
                          "that has no users yet); the PIN is read from the terminal without "
                          "echo, or as a line on standard input")

    users = commands.add_parser(
        "users", help="manage users (admin); the first admin needs no --as",
        description="Manage the station's users. Every action but the very first admin "
                    "needs --as ADMIN; PINs are never arguments: they are typed without echo "
                    "or read one per line from standard input (the acting admin's PIN "
                    "first, then the new PIN).",
    )
    user_commands = users.add_subparsers(dest="users_command", metavar="ACTION", required=True)
    add = user_commands.add_parser("add", help="add a user (reads the new PIN)")
    add.add_argument("username")
    add.add_argument("--name", required=True, help="display name, e.g. 'Gus Grader'")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    user_commands.add_parser("list", help="list users with role, state and badge")
    for action, text in (("disable", "disable a user"), ("enable", "enable a user again"),
                         ("reset-pin", "set a new PIN and lift a lockout (reads the new PIN)"),
                         ("issue-badge", "print a new badge code (the old badge stops working)")):
        sub = user_commands.add_parser(action, help=text)
        sub.add_argument("username")
    set_role = user_commands.add_parser("set-role", help="change a user's role")
    set_role.add_argument("username")
    set_role.add_argument("role", choices=[r.value for r in Role])
    for sub in user_commands.choices.values():
        sub.add_argument("--as", dest="as_user", metavar="ADMIN",
                         help="the admin doing it (not needed for the first admin)")

    dec = commands.add_parser(
        "decode", help="decode barcodes in image or video files (JSON, one object per file)",
        description="Read photos (JPEG, PNG, ...) or videos through the same decoder the app "
                    "uses and print {file, results: [{format, text, kind, position}], ms} per "
                    "file (video results also carry the first frame showing the code). Exit 1 "
                    "if a file cannot be read.")
    dec.add_argument("files", nargs="+", type=Path, metavar="FILE")

    lab = commands.add_parser("label", help="disposition labels")
    lab_commands = lab.add_subparsers(dest="label_command", metavar="ACTION", required=True)
    render = lab_commands.add_parser(
        "render", help="render a unit's label to a PNG, exactly the bitmap a printer receives")
    render.add_argument("lpn", metavar="LPN")
    render.add_argument("--size", default="80mm",
                        help="80mm, 58mm, 80mm@180, 4x6@203, 4x6@300, 2x1@203 or 2x1@300")
    render.add_argument("--out", required=True, type=Path, metavar="FILE.png")

    test = commands.add_parser(
        "print-test", help="print a sample disposition label and report the job's final state",
        description="Print a sample disposition label (or one for --lpn) on a printer given by "
                    "its URI, e.g. escpos+tcp://10.0.0.5:9100, zpl+tcp://HOST:9100?size=4x6@203, "
                    "pdf:///tmp/labels/. Prints the final state (PRINTED, SENT_UNCONFIRMED, "
                    "OFFLINE, NOT_READY, TIMED_OUT, REFUSED) and the time. Exit 1 unless PRINTED.")
    test.add_argument("--printer", required=True, metavar="URI")
    test.add_argument("--lpn", default="TS00000001", metavar="LPN",
                      help="the LPN printed as Code 128 on the sample (default TS00000001)")

    evi = commands.add_parser(
        "evidence", help="write a unit's evidence sheet (PDF) for a dispute or chargeback",
        description="Write the evidence sheet of an inspected unit as a PDF: its RMA line "
                    "(no customer name), the checklist answers, flags, grade, disposition and "
                    "refund, exceptions, and every photo with its caption and SHA-256. Exit 1 "
                    "for an unknown or unfinished LPN or a file that cannot be written.")
    evi.add_argument("lpn", metavar="LPN", help="the unit's licence-plate number")
    evi.add_argument("--out", required=True, type=Path, metavar="FILE.pdf",
                     help="where to write the PDF (an existing file is replaced whole)")
    evi.add_argument("--as", dest="as_user", metavar="USER",
                     help="who asks (a grader or above); the PIN is read from the terminal "
                          "without echo, or as a line on standard input")

    cls = commands.add_parser(
        "classify", help="say what scanned codes are (JSON, one object per line per code)",
        description="Classify and validate codes as the station does for a scan: RMA number, "
                    "LPN, badge, carrier tracking number, GTIN, GS1 element string, bench "
                    "command or free text. Prints {input, kind, value, valid, fields, error} "
                    "per code. Exit 1 if any code is invalid.")
    cls.add_argument("codes", nargs="+", metavar="CODE")

    cli_rules.add_commands(commands)

    cen = commands.add_parser("central", help="the central database")
    cen_commands = cen.add_subparsers(dest="central_command", metavar="ACTION", required=True)
    cen_commands.add_parser(
        "set-password",
        help="store the central database password in the OS keyring (typed without echo, or "
             "one line on standard input); the environment variable still wins")
    cli_central.add_commands(commands, cen_commands)
    cli_alarms.add_commands(cen_commands)
    cli_trust.add_commands(commands, cen_commands)
    cli_simulate.add_commands(commands)
    cli_report.add_commands(commands)

    priv = commands.add_parser("privacy", help="customer-data retention")
    priv_commands = priv.add_subparsers(dest="privacy_command", metavar="ACTION", required=True)
    purge = priv_commands.add_parser(
        "purge", help="delete customer names and photo files older than privacy.retention_days "
                      "(decisions and hashes stay); the app also does this daily")
    purge.add_argument("--as", dest="as_user", metavar="ADMIN", required=True)

    aud = commands.add_parser("audit", help="check the tamper-evident audit trail")
    aud_commands = aud.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    verify = aud_commands.add_parser(
        "verify", help="check every hash chain, this station's signatures and its chain "
                       "against the central copy and anchors; exit 1 at any finding")
    verify.add_argument("--central", metavar="URL", nargs="?", const="",
                        help="check the central database (its configured URL, or this one) "
                             "instead of this station's")
    return parser


def _configured(args: argparse.Namespace) -> tuple[Locations, StationConfig]:
    """Where the station is and its validated configuration, from --data-dir/--config."""
    locations = resolve_locations(data_dir=args.data_dir, config_file=args.config)
    return locations, load_config(locations.config_file, required=args.config is not None)


def _open(args: argparse.Namespace) -> tuple[Locations, OpenStation]:
    locations, config = _configured(args)
    check_station_identity(config, locations)
    return locations, open_station(config, locations)


def cmd_decode(files: Sequence[Path], devices: Devices | None,
               rma_pattern: re.Pattern[str]) -> int:
    if devices is None:
        print("This installation has no barcode decoders.", file=sys.stderr)
        return EXIT_FAILED
    status = EXIT_OK
    for path in files:
        report = devices.decode_file(path)
        results = []
        for found in report.found:
            item: dict[str, object] = {
                "format": found.code.format, "text": found.code.text,
                "kind": inspect_scan(found.code.text, rma_pattern).kind.value,
                "position": [list(point) for point in found.code.position],
            }
            if found.frame is not None:
                item["frame"] = found.frame
            results.append(item)
        line: dict[str, object] = {"file": str(path), "results": results,
                                   "ms": round(report.ms, 2)}
        if report.error:
            line["error"] = report.error
            status = EXIT_FAILED
        print(json.dumps(line, ensure_ascii=True))
    return status


def cmd_print_test(uri: str, lpn: str, devices: Devices | None, station_code: str) -> int:
    if devices is None:
        print("This installation has no printer drivers.", file=sys.stderr)
        return EXIT_FAILED
    try:
        printer = devices.label_printer(uri)
        image = render_label(sample_label(lpn, station_code), printer.size)
    except (PrinterUriError, PrinterUnavailable, LabelError) as error:
        print(f"{uri}: {error}", file=sys.stderr)
        return EXIT_CONFIG if isinstance(error, PrinterUriError) else EXIT_FAILED
    outcome = printer.print_label(image, job_id=f"test-{lpn}")
    detail = f" ({outcome.detail})" if outcome.detail else ""
    print(f"{printer.name}: {outcome.state.value}{detail} in {outcome.ms:.0f} ms, "
          f"{outcome.bytes_sent} bytes sent")
    return EXIT_OK if outcome.state is JobState.PRINTED else EXIT_FAILED


def cmd_classify(codes: Sequence[str], rma_pattern: re.Pattern[str]) -> int:
    """Needs no station: classification is pure, so it runs before any database opens."""
    all_valid = True
    for code in codes:
        payload = inspect_scan(code, rma_pattern)
        all_valid &= payload.valid
        print(json.dumps(payload_json(payload), ensure_ascii=True))
    return EXIT_OK if all_valid else EXIT_FAILED


def _cmd_db(args: argparse.Namespace, opened: OpenStation) -> int:
    engines = [("local", opened.local_engine), ("central", opened.central_engine())]
    for label, engine in engines:
        if args.db_command == "upgrade":
            before, after = central_rules.upgrade_central(engine, label=label) \
                if label == "central" else schema.upgrade(engine, label=label)
            state = "already current" if before == after else f"upgraded {before} -> {after}"
            print(f"{label}: {schema.describe(engine)}: {state}")
        else:
            print(f"{label}: {schema.describe(engine)}: revision {schema.current_revision(engine)}"
                  f" (this version: {schema.head_revision()})")
    return EXIT_OK


def _import_format(args: argparse.Namespace) -> str:
    """csv or shopify: --format, else the file's extension, else its first character."""
    if args.format != "auto":
        return str(args.format)
    suffix = args.file.suffix.lower()
    if suffix in (".json", ".csv"):
        return "shopify" if suffix == ".json" else "csv"
    with open_bounded(args.file, MAX_FILE_BYTES) as stream:  # a pipe or device is refused
        head = stream.read(64)
    return "shopify" if rma_shopify.looks_like_json(head) else "csv"


def _cmd_import(args: argparse.Namespace, opened: OpenStation, reader: PinReader) -> int:
    if not args.central_url:
        station = None if opened.central_is_embedded else _pushing_as(opened)
        if station is not None:
            print(f"This bench signs in to the central database as station {station}, which "
                  "may not write RMAs (an RMA's price is what a refund pays). Import with "
                  "the importer role of `central grants`: --central-url "
                  "postgresql://returns_importer@HOST/DB", file=sys.stderr)
            return EXIT_FAILED
        return _import(args, opened, reader)
    # A site's importer role: no station may write an RMA.
    engine = make_engine(central_url(opened.ctx.config, opened.locations,
                                     override=args.central_url))
    try:
        return _import(args, dataclasses.replace(opened, _central=engine), reader)
    finally:
        engine.dispose()


def _pushing_as(opened: OpenStation) -> str | None:
    """The station whose database role this bench uses centrally (None: not a station's, or
    the central database cannot be asked now: the import then says what happened)."""
    try:
        with opened.central_sessions()() as session:
            return enrolment.session_station(session)
    except SQLAlchemyError:
        return None


def _import(args: argparse.Namespace, opened: OpenStation, reader: PinReader) -> int:
    try:
        file_format = _import_format(args)
        if file_format == "shopify":
            data = read_bounded(args.file, rma_shopify.MAX_FILE_BYTES)
            return _cmd_import_shopify(args, data, opened, reader)
        if args.rma_prefix:
            print("--rma-prefix applies to Shopify returns files only (--format shopify).",
                  file=sys.stderr)
            return EXIT_CONFIG
    except OSError as error:
        print(f"{args.file}: cannot read the file: {error.strerror}", file=sys.stderr)
        return EXIT_FAILED
    return cli_rma_import.import_csv(
        args.file, opened, lambda: cli_users.acting_user(opened, args.as_user, reader)
        if args.as_user or has_users(opened.ctx) else None)


def _cmd_import_shopify(args: argparse.Namespace, data: bytes, opened: OpenStation,
                        reader: PinReader) -> int:
    problem = rma_shopify.rma_prefix_problem(args.rma_prefix)
    if problem:
        print(f"--rma-prefix: {problem}", file=sys.stderr)
        return EXIT_CONFIG
    try:
        found = rma_shopify.parse_shopify_returns(
            data, rma_pattern=opened.ctx.config.rma_regex, today=date.today(),
            rma_prefix=args.rma_prefix)
    except rma_shopify.RmaShopifyError as error:
        print(f"{args.file}: nothing was imported; fix these returns and import the file "
              "again:", file=sys.stderr)
        for line in rma_shopify.iter_problem_lines(error, args.file.name):
            print(f"  {line}", file=sys.stderr)
        return EXIT_FAILED
    records = found.records
    central = opened.central_sessions()
    status = EXIT_OK
    if records:
        actor = (cli_users.acting_user(opened, args.as_user, reader)
                 if args.as_user or has_users(opened.ctx) else None)
        stored = cli_rma_import.store(opened, lambda: actor, records, str(args.file))
        status = cli_rma_import.told(stored, str(args.file), " from Shopify returns")
    else:
        print(f"{args.file}: no Shopify return to import; nothing changed.")
    if found.skipped:
        count = len(found.skipped)
        print(f"{count} return{'' if count == 1 else 's'} skipped:")
        for skipped in found.skipped:
            print(f"  {skipped}")
        for number in _already_imported(central, found.skipped):
            print(f"  warning: RMA {number} was imported earlier and stays receivable here; "
                  "stop it by hand if its parcel must not be accepted")
    for note in found.notes:
        print(f"note: {note}")
    return status


def _already_imported(central: sessionmaker[Session],
                      skipped: Sequence[rma_shopify.SkippedReturn]) -> list[str]:
    """RMA numbers of skipped returns that an earlier import already put in central."""
    numbers = sorted({s.rma_number for s in skipped if s.rma_number})
    if not numbers:
        return []
    with central() as session:
        return list(session.scalars(
            select(Rma.rma_number).where(Rma.rma_number.in_(numbers)).order_by(Rma.rma_number)))


def _cmd_evidence(args: argparse.Namespace, opened: OpenStation, reader: PinReader,
                  devices: Devices) -> int:
    if not args.as_user and not has_users(opened.ctx):
        raise EvidenceError("This station has no users yet, so no unit was inspected here. "
                            "Add the first admin with `returns-station users add`.")
    actor = cli_users.acting_user(opened, args.as_user, reader)
    ctx = opened.ctx
    written = export_pdf(ctx, actor, args.lpn, opened.locations.photos_folder(ctx.config),
                         devices.evidence_renderer(), args.out)
    log.info("evidence sheet for %s written to %s", written.lpn, written.path)
    pages = f"{written.pages} page{'s' if written.pages != 1 else ''}"
    photos = f"{written.photos} photo{'s' if written.photos != 1 else ''}"
    print(f"Evidence sheet for {written.lpn} written to {written.path} ({pages}, {photos})")
    return EXIT_OK


def parse_arguments(argv: Sequence[str] | None = None) -> argparse.Namespace | int:
    """The parsed command line, or the exit status of a refusal already printed (an
    argument that is not text). Usage errors exit through argparse as usual."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if problem := undecodable_argument(args, parser, PATH_ARGUMENTS):
        print(problem, file=sys.stderr)
        return EXIT_CONFIG
    return args


def wants_app(args: argparse.Namespace) -> bool:
    """No command: the person wants the app (the composition root starts it)."""
    return args.command is None


def main(argv: Sequence[str] | None = None, *, devices: Devices | None = None) -> int:
    """Parse and run one headless command; its exit status."""
    args = parse_arguments(argv)
    if isinstance(args, int):
        return args
    return run(args, devices=devices)


def run(args: argparse.Namespace, *, devices: Devices | None = None) -> int:
    """Run one parsed command; its exit status. Output cut short by a closed pipe (`sync |
    head`) ends quietly, as the Python documentation recommends for SIGPIPE: standard output
    is pointed at devnull so the interpreter's last flush at exit cannot fail again."""
    if isinstance(sys.stdout, io.TextIOWrapper):  # a file name that is not UTF-8 is shown
        sys.stdout.reconfigure(errors="backslashreplace")  # escaped, as stderr does
    try:
        status = _guarded(lambda: _run_command(args, devices))
        sys.stdout.flush()
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_FAILED
    return status


def open_for_app(args: argparse.Namespace) -> OpenStation | int:
    """The station the app runs on (the demo one with `--demo`), logging to its data folder;
    or the exit status of a refusal already printed, with the same messages as a command."""
    opened: list[OpenStation] = []

    def work() -> int:
        opened.append(_open_station(args))
        return EXIT_OK

    status = _guarded(work)
    return opened[0] if opened else status


def _quiet_stdout() -> None:
    try:
        descriptor = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # captured or replaced in-process
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, descriptor)
    os.close(devnull)


def _os_reason(error: OSError, *, writing: bool = False) -> str:
    """Why a file could not be written or read, in words for the person who named it."""
    if isinstance(error, FileNotFoundError):
        return "the folder it should go in does not exist" if writing else "no such file"
    if isinstance(error, IsADirectoryError):
        return "that is a folder; give a file name"
    if isinstance(error, NotADirectoryError):
        return "a part of the path is not a folder"
    if isinstance(error, PermissionError):
        return "permission denied"
    return error.strerror or error.__class__.__name__


def _unexpected(error: BaseException) -> int:
    """The last guard: no command ends in a traceback. The trace goes to the log file when
    logging is set up, never to the terminal."""
    if logging.getLogger().handlers:
        log.error("unexpected error", exc_info=error)
    first = (str(error).splitlines() or [""])[0][:300]
    print(f"Unexpected error: {error.__class__.__name__}: {first}", file=sys.stderr)
    return EXIT_FAILED


def _guarded(work: Callable[[], int]) -> int:
    """`work`'s exit status, or the status of the refusal it raised, printed for the person
    at the terminal: no command ends in a traceback."""
    try:
        return work()
    except ConfigError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        return EXIT_CONFIG
    except (schema.SchemaError, DemoFolderError) as error:
        print(str(error), file=sys.stderr)
        return EXIT_CONFIG
    except UserFacingError as error:
        print(str(error), file=sys.stderr)
        return EXIT_FAILED
    except SQLAlchemyError as error:
        log.exception("database error")
        first = (str(error).splitlines() or [""])[0]
        print(f"Database error: {error.__class__.__name__}: {first}", file=sys.stderr)
        return EXIT_FAILED
    except BrokenPipeError:
        raise
    except OSError as error:
        where = f"{error.filename}: " if error.filename else ""
        print(f"{where}{_os_reason(error)}", file=sys.stderr)
        return EXIT_FAILED
    except MemoryError:
        print("Out of memory: the input is too large for this machine.", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    except Exception as error:
        return _unexpected(error)


def _open_station(args: argparse.Namespace) -> OpenStation:
    if args.demo or args.fresh_demo:
        locations = resolve_locations(
            data_dir=args.data_dir or str(resolve_locations().data_dir / "demo"),
        )
        opened = open_demo(locations, today=date.today(), fresh=args.fresh_demo)
        configure_logging(locations.logs_dir)
    else:
        locations, opened = _open(args)
        configure_logging(locations.logs_dir)
    return opened


def _run_command(args: argparse.Namespace, devices: Devices | None) -> int:
    if args.command == "print-test":
        _, config = _configured(args)
        return cmd_print_test(args.printer, args.lpn, devices, config.station_code)
    if args.command == "decode":
        _, config = _configured(args)
        return cmd_decode(args.files, devices, config.rma_regex)
    if args.command == "classify":
        _, config = _configured(args)
        return cmd_classify(args.codes, config.rma_regex)
    if args.command == "rules" and args.rules_command == "check":
        return cli_rules.cmd_rules_check(args.files)
    if args.command == "simulate":
        return cli_simulate.run(args)
    if args.command == "route":
        _, config = _configured(args)
        return cli_rules.cmd_route(args.case_file, args.rules, config)
    if args.command == "evidence" and devices is None:
        print("This installation has no PDF renderer.", file=sys.stderr)
        return EXIT_FAILED
    opened = _open_station(args)
    try:
        return _dispatch(args, opened, devices)
    finally:
        opened.close()


def _cmd_label_render(args: argparse.Namespace, opened: OpenStation) -> int:
    try:
        size = label_size(args.size)
        image = render_label(label_for_lpn(opened.ctx, args.lpn), size)
    except (KeyError, ValueError, PrintQueueError) as error:
        print(f"{args.lpn}: {error}", file=sys.stderr)
        return EXIT_FAILED
    try:
        write_atomically(args.out, to_png_bytes(image))
    except OSError as error:
        print(f"{args.out}: cannot write the label: {_os_reason(error, writing=True)}",
              file=sys.stderr)
        return EXIT_FAILED
    print(f"{args.out}: {image.width}×{image.height} dots at {size.dpi} dpi ({size.name})")
    return EXIT_OK


def _cmd_central(opened: OpenStation, reader: PinReader) -> int:
    if opened.central_is_embedded:
        print("The central database is the embedded SQLite file; it has no password.",
              file=sys.stderr)
        return EXIT_FAILED
    url = central_url(opened.ctx.config, opened.locations)
    password = reader.read(f"Password for {url.username}@{url.host}: ")
    if not password:
        print("An empty password was not stored.", file=sys.stderr)
        return EXIT_FAILED
    account = store_central_password(url, password)
    print(f"Stored in the OS keyring as {KEYRING_SERVICE} / {account}.")
    return EXIT_OK


def _cmd_purge(args: argparse.Namespace, opened: OpenStation, reader: PinReader) -> int:
    days = opened.ctx.config.privacy.retention_days
    actor = cli_users.acting_user(opened, args.as_user, reader)
    summary, central_cleared = purge_station(opened, actor)
    if not days:
        print("privacy.retention_days is 0: customer data is kept; nothing was deleted.")
        return EXIT_OK
    print(f"Older than {days} days: {summary.customer_fields_cleared} customer names cleared "
          f"here and {central_cleared} in the embedded central database; "
          f"{summary.photo_files_deleted} photo files deleted ({summary.bytes_freed} bytes).")
    return EXIT_OK


def _dispatch(args: argparse.Namespace, opened: OpenStation, devices: Devices | None) -> int:
    reader = PinReader()
    if args.command == "db":
        return _cmd_db(args, opened)
    if args.command == "import-rmas":
        return _cmd_import(args, opened, reader)
    if args.command == "users":
        return cli_users.run(args, opened, reader)
    if args.command == "audit":
        return cli_audit.run(args, opened)
    if args.command == "label":
        return _cmd_label_render(args, opened)
    if args.command == "central" and args.central_command == "set-password":
        return _cmd_central(opened, reader)
    if cli_trust.handles(args):
        return cli_trust.run(args, opened, reader)
    if args.command == "central" and args.central_command == "alarms":
        return cli_alarms.run(args, opened, reader)
    if args.command in ("central", "sync", "refunds"):
        return cli_central.run(args, opened)
    if args.command == "report":
        return cli_report.run(args, opened, devices)
    if args.command == "rules":
        actor = cli_users.acting_user(opened, args.as_user, reader)
        try:
            published = rule_sets.publish(opened.ctx, actor, opened.central_sessions(),
                                          args.file)
        except RulesError as error:
            print(str(error), file=sys.stderr)
            return EXIT_FAILED
        print(f"{args.file}: rule set {published.version}, {published.rules} rules, "
              + ("published; stations take it on their next sync" if published.new else
                 "already published (unchanged)"))
        return EXIT_OK
    if args.command == "privacy":
        return _cmd_purge(args, opened, reader)
    if args.command == "evidence" and devices is not None:
        return _cmd_evidence(args, opened, reader, devices)
    print("The app starts from `returns-station` itself; here, use one of the commands "
          "(--help).", file=sys.stderr)
    return EXIT_CONFIG
