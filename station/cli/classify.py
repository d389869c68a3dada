"""`returns-station classify CODE...`: what scanned codes are, as the station decides for a
scan, one JSON object per line.

Needs no station: classification is pure, so it runs before any database opens (only the
configuration's RMA pattern is read). Contract: {input, kind, value, valid, fields, error}
per code; exit 1 if any code is invalid.
"""

from __future__ import annotations

import argparse
import json

from station.cli.command import EXIT_FAILED, EXIT_OK, Subcommands, WithoutStation, runs
from station.cli.devices import Devices
from station.cli.opening import configured
from station.codes.scans import inspect_scan, payload_json


def register(commands: Subcommands) -> None:
    parser = commands.add_parser(
        "classify", help="say what scanned codes are (JSON, one object per line per code)",
        description="Classify and validate codes as the station does for a scan: RMA number, "
                    "LPN, badge, carrier tracking number, GTIN, GS1 element string, bench "
                    "command or free text. Prints {input, kind, value, valid, fields, error} "
                    "per code. Exit 1 if any code is invalid.")
    parser.add_argument("codes", nargs="+", metavar="CODE")
    runs(parser, WithoutStation(_run))


def _run(args: argparse.Namespace, _devices: Devices | None) -> int:
    _, config = configured(args)
    all_valid = True
    for code in args.codes:
        payload = inspect_scan(code, config.rma_regex)
        all_valid &= payload.valid
        print(json.dumps(payload_json(payload), ensure_ascii=True))
    return EXIT_OK if all_valid else EXIT_FAILED
