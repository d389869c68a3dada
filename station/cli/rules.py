"""`returns-station rules check FILE...` and `returns-station rules publish FILE --as USER`:
rule-set files for the supervisor who edits them.

`rules check` needs no station: it validates rule-set files exactly as the station does at
start-up and prints the first problem of each as `file:line: key: problem` (exit 1 if any
file is invalid). `rules publish` validates one and publishes it centrally (a supervisor or
admin, PIN-checked); every station pulls it at its next sync.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from station.cli import users as cli_users
from station.cli.command import (
    EXIT_FAILED,
    EXIT_OK,
    Bench,
    OnStation,
    Subcommands,
    WithoutStation,
    runs,
)
from station.cli.devices import Devices
from station.inspection import rule_sets
from station.routing.rules import RulesError, load_rule_set


def register(commands: Subcommands) -> None:
    rules = commands.add_parser(
        "rules", help="routing and refund rule sets (for the supervisor who edits them)")
    actions = rules.add_subparsers(dest="rules_command", metavar="ACTION", required=True)
    check = actions.add_parser(
        "check", help="validate rule-set files; exit 1 and file:line: key: problem if invalid",
        description="Validate rule-set files (TOML) exactly as the station does at start-up. "
                    "Prints 'FILE: rule set VERSION, N rules, valid' per valid file and the "
                    "first problem of an invalid one as FILE:LINE: KEY: PROBLEM on standard "
                    "error. Exit 1 if any file is invalid.")
    check.add_argument("files", nargs="+", type=Path, metavar="FILE")
    runs(check, WithoutStation(_check))
    publish = actions.add_parser(
        "publish", help="validate a rule set and publish it centrally; every station pulls it "
                        "and decides with it (unless its [rules] file overrides)")
    publish.add_argument("file", type=Path, metavar="FILE")
    publish.add_argument("--as", dest="as_user", metavar="USER",
                         help="a supervisor or admin (the PIN is asked)")
    runs(publish, OnStation(_publish))


def _check(args: argparse.Namespace, _devices: Devices | None) -> int:
    status = EXIT_OK
    for path in args.files:
        try:
            rules = load_rule_set(path)
        except RulesError as error:
            print(str(error), file=sys.stderr)
            status = EXIT_FAILED
            continue
        count = len(rules.rules)
        print(f"{path}: rule set {rules.version}, {count} rule{'s' if count != 1 else ''}, valid")
    return status


def _publish(args: argparse.Namespace, bench: Bench) -> int:
    opened = bench.opened
    actor = cli_users.acting_user(opened, args.as_user, bench.reader)
    try:
        published = rule_sets.publish(opened.ctx, actor, opened.central_sessions(), args.file)
    except RulesError as error:
        print(str(error), file=sys.stderr)
        return EXIT_FAILED
    print(f"{args.file}: rule set {published.version}, {published.rules} rules, "
          + ("published; stations take it on their next sync" if published.new else
             "already published (unchanged)"))
    return EXIT_OK
