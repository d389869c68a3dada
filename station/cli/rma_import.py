"""`import-rmas`: storing parsed RMAs centrally, pulling them here, and saying what happened.

Why a module of its own: the CSV and the Shopify paths of station.cli.main share how an import
is stored (station.rma_import: recorded in its commit, short transactions, inspected lines
kept) and how its outcome is told. Contract: `store` changes nothing unless the actor may
import; a busy database becomes a UserFacingError saying so (never a traceback); the exit
code is 0 only when every RMA of the file is now as the file says.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy.exc import OperationalError

from station import rma_import, rma_store
from station.common.bounded_files import open_bounded
from station.common.errors import UserFacingError
from station.common.permissions import Actor
from station.rma_csv import MAX_FILE_BYTES, RmaCsvError, staged_rma_csv
from station.rma_records import RmaRecord
from station.runtime.bootstrap import OpenStation
from station.sync.pull import pull_page, pull_rmas
from station.write_pacing import ChunkPacer

log = logging.getLogger(__name__)


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
