"""`returns-station db upgrade|status`: the schema of the local and the central database.

Contract: `upgrade` brings both databases to this version's head (the central one with its
acceptance rules, station.trust.central_rules) and says what changed; `status` only reads
each database's revision. Exit 0.
"""

from __future__ import annotations

import argparse

from station.cli.command import EXIT_OK, Bench, OnStation, Subcommands, runs
from station.store import schema
from station.trust import central_rules


def register(commands: Subcommands) -> None:
    db = commands.add_parser("db", help="database maintenance")
    actions = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    actions.add_parser(
        "upgrade", help="apply schema migrations to the local and the central database")
    actions.add_parser("status", help="show each database's schema revision")
    runs(db, OnStation(_run))


def _run(args: argparse.Namespace, bench: Bench) -> int:
    opened = bench.opened
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
