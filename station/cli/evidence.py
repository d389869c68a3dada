"""`returns-station evidence LPN --out FILE.pdf --as USER`: a unit's evidence sheet as a PDF,
for a dispute or a chargeback.

Contract: a grader or above asks (PIN-checked); the sheet (station.supervision.evidence)
carries no customer name and is drawn by the installation's renderer, so an installation
without one is refused before any station opens. Exit 1 for an unknown or unfinished LPN
or a file that cannot be written.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from station.cli import users as cli_users
from station.cli.command import EXIT_OK, Bench, Subcommands, WithDevices, runs
from station.cli.devices import Devices
from station.people.signin import has_users
from station.supervision.evidence import EvidenceError, export_pdf

log = logging.getLogger(__name__)


def register(commands: Subcommands) -> None:
    parser = commands.add_parser(
        "evidence", help="write a unit's evidence sheet (PDF) for a dispute or chargeback",
        description="Write the evidence sheet of an inspected unit as a PDF: its RMA line "
                    "(no customer name), the checklist answers, flags, grade, disposition and "
                    "refund, exceptions, and every photo with its caption and SHA-256. Exit 1 "
                    "for an unknown or unfinished LPN or a file that cannot be written.")
    parser.add_argument("lpn", metavar="LPN", help="the unit's licence-plate number")
    parser.add_argument("--out", required=True, type=Path, metavar="FILE.pdf",
                        help="where to write the PDF (an existing file is replaced whole)")
    parser.add_argument("--as", dest="as_user", metavar="USER",
                        help="who asks (a grader or above); the PIN is read from the terminal "
                             "without echo, or as a line on standard input")
    runs(parser, WithDevices(_run, missing="This installation has no PDF renderer."))


def _run(args: argparse.Namespace, bench: Bench, devices: Devices) -> int:
    opened = bench.opened
    if not args.as_user and not has_users(opened.ctx):
        raise EvidenceError("This station has no users yet, so no unit was inspected here. "
                            "Add the first admin with `returns-station users add`.")
    actor = cli_users.acting_user(opened, args.as_user, bench.reader)
    ctx = opened.ctx
    written = export_pdf(ctx, actor, args.lpn, opened.locations.photos_folder(ctx.config),
                         devices.evidence_renderer(), args.out)
    log.info("evidence sheet for %s written to %s", written.lpn, written.path)
    pages = f"{written.pages} page{'s' if written.pages != 1 else ''}"
    photos = f"{written.photos} photo{'s' if written.photos != 1 else ''}"
    print(f"Evidence sheet for {written.lpn} written to {written.path} ({pages}, {photos})")
    return EXIT_OK
