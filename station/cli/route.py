"""`returns-station route [--rules FILE] CASE.json`: the what-if of the routing and refund
rules, for the supervisor who edits them, with no station opened.

It decides one case (a JSON object) or several (a JSON list) with a rule set and prints each
decision as JSON (every field documented in docs/routing.md). The case file is validated
strictly first (station.cli.case_files): an unknown field or a bad value is refused with a
message naming the field, and nothing is decided. Exit status: 0 done; 1 the case file or
the --rules file is invalid; 2 the station's own configuration (or the rule set it names)
is invalid.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path
from typing import Any, Final

from station.cli.case_files import CaseFileError, case_help, parse_cases
from station.cli.command import EXIT_FAILED, EXIT_OK, Subcommands, WithoutStation, runs
from station.cli.devices import Devices
from station.cli.opening import configured
from station.common.bounded_files import FileReadError, read_bounded, read_stream_bounded
from station.common.money import format_minor
from station.routing.rules import (
    Decision,
    RulesError,
    configured_rule_set,
    decide,
    load_rule_set,
)

MAX_CASE_FILE_BYTES: Final = 8 * 1024 * 1024
STDIN: Final = "-"


def register(commands: Subcommands) -> None:
    route = commands.add_parser(
        "route", help="what-if: the disposition and refund a rule set gives a case (JSON)",
        description="Decide a case, or a list of cases, with a rule set and print each "
                    "decision as JSON: disposition, destination, refund {action, amount, "
                    "amount_text, currency, if_approved}, rule_id, rules_version, "
                    "rules_file and explanation. Exit 1 if the case file or the --rules "
                    "file is invalid (nothing is decided).",
        epilog=case_help(), formatter_class=argparse.RawDescriptionHelpFormatter)
    route.add_argument("case_file", metavar="CASE.json",
                       help="a JSON object (one case) or a list of them; - reads standard input")
    route.add_argument("--rules", type=Path, metavar="FILE",
                       help="the rule set to use (default: the station's, as configured by "
                            "[rules] file, else the shipped default)")
    runs(route, WithoutStation(_run))


def _run(args: argparse.Namespace, _devices: Devices | None) -> int:
    """Needs no station: deciding is pure. The configured rule set's errors propagate (a
    configuration problem); those of a file given with --rules are this command's own."""
    _, config = configured(args)
    case_file: str = args.case_file
    rules_file: Path | None = args.rules
    if rules_file is not None:
        try:
            rules = load_rule_set(rules_file)
        except RulesError as error:
            print(str(error), file=sys.stderr)
            return EXIT_FAILED
        shown_file = str(rules_file)
    else:
        rules = configured_rule_set(config)
        shown_file = str(rules.source) if rules.source else "(shipped default)"
    label = "standard input" if case_file == STDIN else case_file
    try:
        data = _read(case_file)
    except FileReadError as error:
        print(str(error), file=sys.stderr)
        return EXIT_FAILED
    try:
        cases, is_list = parse_cases(data, label, config.high_value_threshold_major)
    except CaseFileError as error:
        print(str(error), file=sys.stderr)
        return EXIT_FAILED
    results = [decision_json(decide(named.case, rules, config.destinations), named.name,
                             shown_file) for named in cases]
    print(json.dumps(results if is_list else results[0], indent=2, ensure_ascii=False))
    return EXIT_OK


def _read(case_file: str) -> bytes:
    """The case file's bytes, at most MAX_CASE_FILE_BYTES (raises FileReadError)."""
    if case_file != STDIN:
        return read_bounded(Path(case_file), MAX_CASE_FILE_BYTES)
    if isinstance(sys.stdin, io.TextIOWrapper):
        return read_stream_bounded(sys.stdin.buffer, MAX_CASE_FILE_BYTES, "standard input")
    text = sys.stdin.read(MAX_CASE_FILE_BYTES + 1)
    return read_stream_bounded(io.BytesIO(text.encode("utf-8", "surrogateescape")),
                               MAX_CASE_FILE_BYTES, "standard input")


def decision_json(decision: Decision, name: str | None = None,
                  rules_file: str | None = None) -> dict[str, Any]:
    """A decision as `route` prints it; every field is documented in docs/routing.md."""
    currency = decision.currency
    approved = decision.if_approved
    out: dict[str, Any] = {}
    if name is not None:
        out["name"] = name
    out.update({
        "disposition": decision.disposition.value,
        "destination": decision.destination,
        "refund": {
            "action": decision.refund_action.value,
            "amount": decision.refund_minor,
            "amount_text": format_minor(decision.refund_minor, currency),
            "currency": currency,
            "if_approved": None if approved is None else {
                "action": approved[0].value, "amount": approved[1],
                "amount_text": format_minor(approved[1], currency)},
        },
        "rule_id": decision.rule_id,
        "rules_version": decision.rules_version,
    })
    if rules_file is not None:
        out["rules_file"] = rules_file
    out["explanation"] = decision.explanation
    return out

