"""`returns-station import-rmas FILE`: RMAs from a CSV file or Shopify returns (JSON) stored
centrally, pulled here, and what happened said.

The CSV and the Shopify paths share how an import is stored (station.receiving.rma_import: recorded
in its commit, short transactions, inspected lines kept) and how its outcome is told.
Contract: `store` changes nothing unless the actor may import; a busy database becomes a
UserFacingError saying so (never a traceback); the exit code is 0 only when every RMA of
the file is now as the file says. A bench whose central role is a station's may not write
RMAs: it is refused and pointed at the importer role (--central-url).
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from station.cli import users as cli_users
from station.cli.command import (
    EXIT_CONFIG,
    EXIT_FAILED,
    EXIT_OK,
    Bench,
    OnStation,
    Subcommands,
    runs,
)
from station.common.bounded_files import open_bounded, read_bounded
from station.common.errors import UserFacingError
from station.common.permissions import Actor
from station.people.signin import has_users
from station.receiving import rma_import, rma_shopify, rma_store
from station.receiving.rma_csv import CSV_COLUMNS, MAX_FILE_BYTES, RmaCsvError, staged_rma_csv
from station.receiving.rma_records import RmaRecord
from station.runtime.bootstrap import OpenStation, central_url
from station.store.database import make_engine
from station.store.models import Rma
from station.store.write_pacing import ChunkPacer
from station.sync.pull import pull_page, pull_rmas
from station.trust import enrolment

log = logging.getLogger(__name__)


def register(commands: Subcommands) -> None:
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
    runs(imp, OnStation(_run))


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


def _run(args: argparse.Namespace, bench: Bench) -> int:
    opened = bench.opened
    if not args.central_url:
        station = None if opened.central_is_embedded else _pushing_as(opened)
        if station is not None:
            print(f"This bench signs in to the central database as station {station}, which "
                  "may not write RMAs (an RMA's price is what a refund pays). Import with "
                  "the importer role of `central grants`: --central-url "
                  "postgresql://returns_importer@HOST/DB", file=sys.stderr)
            return EXIT_FAILED
        return _import(args, opened, bench)
    # A site's importer role: no station may write an RMA.
    engine = make_engine(central_url(opened.ctx.config, opened.locations,
                                     override=args.central_url))
    try:
        return _import(args, dataclasses.replace(opened, _central=engine), bench)
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


def _import(args: argparse.Namespace, opened: OpenStation, bench: Bench) -> int:
    """The import into `opened`'s central database (the importer's, with --central-url)."""
    try:
        file_format = _import_format(args)
        if file_format == "shopify":
            data = read_bounded(args.file, rma_shopify.MAX_FILE_BYTES)
            return _import_shopify(args, data, opened, bench)
        if args.rma_prefix:
            print("--rma-prefix applies to Shopify returns files only (--format shopify).",
                  file=sys.stderr)
            return EXIT_CONFIG
    except OSError as error:
        print(f"{args.file}: cannot read the file: {error.strerror}", file=sys.stderr)
        return EXIT_FAILED
    return import_csv(
        args.file, opened, lambda: cli_users.acting_user(opened, args.as_user, bench.reader)
        if args.as_user or has_users(opened.ctx) else None)


def _import_shopify(args: argparse.Namespace, data: bytes, opened: OpenStation,
                    bench: Bench) -> int:
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
        actor = (cli_users.acting_user(opened, args.as_user, bench.reader)
                 if args.as_user or has_users(opened.ctx) else None)
        stored = store(opened, lambda: actor, records, str(args.file))
        status = told(stored, str(args.file), " from Shopify returns")
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


class DatabaseBusy(UserFacingError):
    pass


@dataclass(frozen=True)
class Stored:
    outcome: rma_import.ImportOutcome
    pulled: int


def _busy(error: OperationalError) -> bool:
    text = str(error.orig if error.orig is not None else error).lower()
    return "locked" in text or "busy" in text or "lock timeout" in text


def store(opened: OpenStation, ask_actor: Callable[[], Actor | None],
          records: Iterable[RmaRecord], source: str) -> Stored:
    """Import the records as the actor `ask_actor` names once they were all read (and
    checked), and pull them into this station."""
    def allowed_actor() -> Actor | None:
        actor = ask_actor()
        rma_store.may_import(opened.ctx, actor)
        return actor

    central = opened.central_sessions()
    pacer = ChunkPacer()

    pulled = 0

    def pull_a_page() -> None:  # between two applied chunks: each database rests in turn
        nonlocal pulled
        with pacer.timed():
            pulled += pull_page(central, opened.ctx.sessions, pacer.size) or 0

    try:
        done = rma_import.import_rmas(
            central, opened.ctx.sessions, records, station_code=opened.ctx.station_code,
            actor=None, actor_name=rma_store.SETUP_ACTOR, source=source,
            now=opened.ctx.clock(), ask_actor=allowed_actor,
            meanwhile=pull_a_page)
        pulled += pull_rmas(central, opened.ctx.sessions)
    except OperationalError as error:
        if not _busy(error):
            raise
        log.warning("RMA import from %s: database busy: %s", source, error)
        raise DatabaseBusy(
            f"{source}: the database stayed busy (another program kept it locked for more "
            "than 15 seconds). An import that had not reached its commit changed nothing; "
            "one that had is finished by the next import or sync. Try again in a "
            "moment.") from None
    log.info("imported RMAs from %s: %s", source, done)
    return Stored(done, pulled)


def told(stored: Stored, source: str, what: str) -> int:
    """Print the outcome (refusals on standard error); the exit code: 1 if any RMA was
    kept as it was."""
    done = stored.outcome
    print(f"{source}: {done.rmas} RMAs read{what}: {done.created} new, {done.updated} "
          f"updated, {done.unchanged} unchanged; {stored.pulled} pulled into this station.")
    if not done.refused:
        return 0
    print(f"{source}: {done.refused} RMA{'' if done.refused == 1 else 's'} not changed: a "
          "line with inspected units keeps the category, reason, price and currency its "
          "units were decided on. Import a corrected file, or record a new RMA for the "
          "change:", file=sys.stderr)
    for refusal in done.refusals:
        print(f"  {refusal}", file=sys.stderr)
    if done.refused > len(done.refusals):
        print(f"  … and {done.refused - len(done.refusals)} more not listed", file=sys.stderr)
    return 1


def import_csv(path: Path, opened: OpenStation, ask_actor: Callable[[], Actor | None]) -> int:
    """Import an RMA CSV file of any size up to rma_csv.MAX_FILE_BYTES: read as a stream
    and checked whole (nothing imported if a row is wrong) before `ask_actor` is asked who
    imports, then stored. A device, pipe or folder is refused by name."""
    source = str(path)
    with open_bounded(path, MAX_FILE_BYTES) as stream:
        try:
            with staged_rma_csv(stream, rma_pattern=opened.ctx.config.rma_regex,
                                today=date.today(),
                                folder=opened.locations.data_dir) as staged:
                stored = store(opened, ask_actor, staged.records(), source)
        except RmaCsvError as error:
            print(f"{source}: nothing was imported; fix these rows and import the file again:",
                  file=sys.stderr)
            for problem in error.problems:
                print(f"  {problem}", file=sys.stderr)
            if error.omitted:
                print(f"  … and {error.omitted} more problems not listed", file=sys.stderr)
            return 1
    return told(stored, source, "")
