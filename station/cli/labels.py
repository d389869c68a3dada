"""`returns-station label render LPN --out FILE.png` and `returns-station print-test`:
disposition labels off the bench.

`label render` draws a unit's label exactly as a printer receives it (the 1-bit bitmap) into
a PNG, and refuses a file name not ending in .png (rather than PNG bytes under another name,
or a lossy format that blurs the bars; a folder is reported as one when writing); `print-test`
needs no station: it prints a sample label (or one for --lpn) on the printer a URI names and
reports the job's final state. Exit 1 unless the label was written or PRINTED; 2 for a
printer URI that is not valid.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from station.cli.command import (
    EXIT_CONFIG,
    EXIT_FAILED,
    EXIT_OK,
    Bench,
    OnStation,
    Subcommands,
    WithoutStation,
    runs,
)
from station.cli.devices import Devices
from station.cli.opening import configured
from station.cli.os_reasons import os_reason
from station.common.atomic_file import write_atomically
from station.labels.content import sample_label
from station.labels.print_queue import PrintQueueError, label_for_lpn
from station.labels.printers import JobState, PrinterUnavailable, render_label
from station.labels.render import LabelError, to_png_bytes
from station.settings.printer_uri import PrinterUriError, label_size


def register(commands: Subcommands) -> None:
    label = commands.add_parser("label", help="disposition labels")
    actions = label.add_subparsers(dest="label_command", metavar="ACTION", required=True)
    render = actions.add_parser(
        "render", help="render a unit's label to a PNG, exactly the bitmap a printer receives")
    render.add_argument("lpn", metavar="LPN")
    render.add_argument("--size", default="80mm",
                        help="80mm, 58mm, 80mm@180, 4x6@203, 4x6@300, 2x1@203 or 2x1@300")
    render.add_argument("--out", required=True, type=Path, metavar="FILE.png")
    runs(render, OnStation(_render))

    test = commands.add_parser(
        "print-test", help="print a sample disposition label and report the job's final state",
        description="Print a sample disposition label (or one for --lpn) on a printer given by "
                    "its URI, e.g. escpos+tcp://10.0.0.5:9100, zpl+tcp://HOST:9100?size=4x6@203, "
                    "pdf:///tmp/labels/. Prints the final state (PRINTED, SENT_UNCONFIRMED, "
                    "OFFLINE, NOT_READY, TIMED_OUT, REFUSED) and the time. Exit 1 unless PRINTED.")
    test.add_argument("--printer", required=True, metavar="URI")
    test.add_argument("--lpn", default="TS00000001", metavar="LPN",
                      help="the LPN printed as Code 128 on the sample (default TS00000001)")
    runs(test, WithoutStation(_print_test))


def _render(args: argparse.Namespace, bench: Bench) -> int:
    if args.out.suffix.lower() != ".png" and not args.out.is_dir():
        print(f"{args.out}: a label is written only as PNG, exactly the printer's dots (a JPEG "
              "would blur the bars); give a file name ending in .png", file=sys.stderr)
        return EXIT_FAILED
    try:
        size = label_size(args.size)
        image = render_label(label_for_lpn(bench.opened.ctx, args.lpn), size)
    except (KeyError, ValueError, PrintQueueError) as error:
        print(f"{args.lpn}: {error}", file=sys.stderr)
        return EXIT_FAILED
    try:
        write_atomically(args.out, to_png_bytes(image))
    except OSError as error:
        print(f"{args.out}: cannot write the label: {os_reason(error, writing=True)}",
              file=sys.stderr)
        return EXIT_FAILED
    print(f"{args.out}: {image.width}×{image.height} dots at {size.dpi} dpi ({size.name})")
    return EXIT_OK


def _print_test(args: argparse.Namespace, devices: Devices | None) -> int:
    _, config = configured(args)
    uri, lpn = args.printer, args.lpn
    if devices is None:
        print("This installation has no printer drivers.", file=sys.stderr)
        return EXIT_FAILED
    try:
        printer = devices.label_printer(uri)
        image = render_label(sample_label(lpn, config.station_code), printer.size)
    except (PrinterUriError, PrinterUnavailable, LabelError) as error:
        print(f"{uri}: {error}", file=sys.stderr)
        return EXIT_CONFIG if isinstance(error, PrinterUriError) else EXIT_FAILED
    outcome = printer.print_label(image, job_id=f"test-{lpn}")
    detail = f" ({outcome.detail})" if outcome.detail else ""
    print(f"{printer.name}: {outcome.state.value}{detail} in {outcome.ms:.0f} ms, "
          f"{outcome.bytes_sent} bytes sent")
    return EXIT_OK if outcome.state is JobState.PRINTED else EXIT_FAILED
