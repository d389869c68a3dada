"""`returns-station sync [--retry-parked]`: push this station's facts to the central
database and pull what changed, from the command line (the app does it in the background).

Contract: the report of one `sync_once` (station.sync.exchange) is printed; exit 1 when the
sync failed or facts stay parked (the central database refused them), each listed with its
error; --retry-parked sends the parked facts again first.
"""

from __future__ import annotations

import argparse
import sys

from station.cli.command import EXIT_FAILED, EXIT_OK, Bench, OnStation, Subcommands, runs
from station.runtime.bootstrap import OpenStation
from station.sync import exchange as sync


def register(commands: Subcommands) -> None:
    sync_command = commands.add_parser(
        "sync", help="push this station's facts to the central database and pull what "
                     "changed (the app does it in the background)")
    sync_command.add_argument("--retry-parked", action="store_true",
                              help="send the parked facts again (after fixing the cause)")
    runs(sync_command, OnStation(_run))


def _run(args: argparse.Namespace, bench: Bench) -> int:
    opened = bench.opened
    if args.retry_parked:
        print(f"{sync.unpark(opened.ctx.sessions)} parked fact(s) will be sent again")
    return _sync(opened)


def _sync(opened: OpenStation) -> int:
    """One push and pull; exit 1 while facts are parked."""
    config = opened.ctx.config
    identity = sync.StationIdentity.of(config)
    try:
        report = sync.sync_once(opened.ctx.sessions, opened.central_sessions(),
                                opened.central_engine(), identity, clock=opened.ctx.clock,
                                pepper=opened.ctx.pepper,
                                deadline_s=config.central.sync_deadline_s)
    except sync.SyncError as error:
        print(str(error), file=sys.stderr)
        return EXIT_FAILED
    pushed = report.pushed
    print(f"pushed {pushed.sent} fact(s) in {pushed.batches} batch(es): {pushed.conflicts} "
          f"conflict(s), {pushed.parked} parked, {pushed.retries} retried; pulled "
          f"{report.pulled.rmas} RMA(s) and {len(report.pulled.conflicts)} conflict(s)")
    for conflict in report.pulled.conflicts:
        print(f"  {sync.conflict_text(conflict)}")
    _waiting, parked = sync.waiting(opened.ctx.sessions)
    if parked:
        print(f"{parked} fact(s) are parked: the central database refused them. Fix the "
              "cause, then: returns-station sync --retry-parked", file=sys.stderr)
        for entry in sync.parked_entries(opened.ctx.sessions, limit=20):
            print(f"  #{entry.seq} {entry.entity} {entry.entity_id}: {entry.error}",
                  file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK
