"""`import-rmas`: storing parsed RMAs centrally, pulling them here, and saying what happened.

Why a module of its own: the CSV and the Shopify paths of station.cli share how an import
is stored (station.rma_import: recorded in its commit, short transactions, inspected lines
kept) and how its outcome is told. Contract: `store` changes nothing unless the actor may
import; a busy database becomes a UserFacingError saying so (never a traceback); the exit
code is 0 only when every RMA of the file is now as the file says.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.exc import OperationalError

from station import rma_import, rma_store
from station.bootstrap import OpenStation
from station.errors import UserFacingError
from station.permissions import Actor
from station.pull import pull_rmas
from station.rma_records import RmaRecord

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


def store(opened: OpenStation, actor: Actor | None, records: Iterable[RmaRecord],
          source: str) -> Stored:
    """Import the records as `actor` and pull them into this station."""
    rma_store.may_import(opened.ctx, actor)
    central = opened.central_sessions()
    try:
        done = rma_import.import_rmas(
            central, opened.ctx.sessions, records, station_code=opened.ctx.station_code,
            actor=actor, actor_name=rma_store.SETUP_ACTOR, source=source,
            now=opened.ctx.clock())
        pulled = pull_rmas(central, opened.ctx.sessions)
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
