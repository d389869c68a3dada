"""`returns-station privacy purge --as ADMIN`: customer data past privacy.retention_days
deleted now (the app also does it daily).

Contract: customer names and photo files older than the retention go, decisions and hashes
stay (station.privacy.sweep); a retention of 0 keeps everything and says so. Exit 0.
"""

from __future__ import annotations

import argparse

from station.cli import users as cli_users
from station.cli.command import EXIT_OK, Bench, OnStation, Subcommands, runs
from station.privacy.sweep import purge_station


def register(commands: Subcommands) -> None:
    privacy = commands.add_parser("privacy", help="customer-data retention")
    actions = privacy.add_subparsers(dest="privacy_command", metavar="ACTION", required=True)
    purge = actions.add_parser(
        "purge", help="delete customer names and photo files older than privacy.retention_days "
                      "(decisions and hashes stay); the app also does this daily")
    purge.add_argument("--as", dest="as_user", metavar="ADMIN", required=True)
    runs(purge, OnStation(_purge))


def _purge(args: argparse.Namespace, bench: Bench) -> int:
    opened = bench.opened
    days = opened.ctx.config.privacy.retention_days
    actor = cli_users.acting_user(opened, args.as_user, bench.reader)
    summary, central_cleared = purge_station(opened, actor)
    if not days:
        print("privacy.retention_days is 0: customer data is kept; nothing was deleted.")
        return EXIT_OK
    print(f"Older than {days} days: {summary.customer_fields_cleared} customer names cleared "
          f"here and {central_cleared} in the embedded central database; "
          f"{summary.photo_files_deleted} photo files deleted ({summary.bytes_freed} bytes).")
    return EXIT_OK
