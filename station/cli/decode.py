"""`returns-station decode FILE...`: the barcodes in photos and videos, through the same
decoder the app uses (the installation's `Devices`), as JSON lines.

Needs no station: only the configuration's RMA pattern, to say what each code is.
Contract: one JSON object per file, {file, results: [{format, text, kind, position[,
frame]}], ms[, error]}; exit 1 if a file cannot be read or there is no decoder.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from station.cli.command import EXIT_FAILED, EXIT_OK, Subcommands, WithoutStation, runs
from station.cli.devices import Devices
from station.cli.opening import configured
from station.codes.scans import inspect_scan


def register(commands: Subcommands) -> None:
    parser = commands.add_parser(
        "decode", help="decode barcodes in image or video files (JSON, one object per file)",
        description="Read photos (JPEG, PNG, ...) or videos through the same decoder the app "
                    "uses and print {file, results: [{format, text, kind, position}], ms} per "
                    "file (video results also carry the first frame showing the code). Exit 1 "
                    "if a file cannot be read.")
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    runs(parser, WithoutStation(_run))


def _run(args: argparse.Namespace, devices: Devices | None) -> int:
    _, config = configured(args)
    return decode_files(args.files, devices, config.rma_regex)


def decode_files(files: Sequence[Path], devices: Devices | None,
                 rma_pattern: re.Pattern[str]) -> int:
    """Print each file's codes as a JSON line; the exit status."""
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
