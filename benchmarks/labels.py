"""Label printing times and sizes per backend, against a fake printer on 127.0.0.1.

    .venv/bin/python benchmarks/labels.py [--jobs 50] [--quick]

For each backend (ESC/POS 80 and 58 mm, ZPL 4×6 in at 203 and 300 dpi, PDF 4×6 in at 203
dpi) this renders the disposition label, encodes it for the printer, and sends whole jobs
to the loopback fake printer of the driver tests (started here; it answers the status
queries like a ready printer) or, for PDF, writes files to a temporary folder. Prints the
median and p95 milliseconds of each step and the bytes per label.

- render: DispositionLabel to the 1-bit bitmap at the size (station.labels.printers.render_label);
- encode: the bitmap to the bytes the printer is sent (GS v 0 raster, ^GFA, PDF);
- job: print_label, i.e. encode + connect + status before + send + status after + close
  (for PDF: encode + atomic write with fsync);
- total: render + job, what the clerk waits for after confirming a unit.

Targets: render + encode ≤ 30 ms, total to a network printer ≤ 100 ms (median). The
loopback has no network latency: a real printer adds about two round trips and its own
time to answer DLE EOT or ~HS.

--quick sends 5 jobs per backend (CI runs it so, to keep the script working; its figures
are rough). The fake printer and the test label come from tests/ (fake_printer.py,
label_fixtures.py), which this script puts on sys.path.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))  # fake_printer, label_fixtures

from fake_printer import FakePrinter  # noqa: E402
from label_fixtures import make_label  # noqa: E402
from PIL import Image  # noqa: E402

from drivers.printers.label_printers import open_label_printer  # noqa: E402
from station.labels.printers import JobState, render_label  # noqa: E402

RENDER_ENCODE_TARGET_MS = 30.0
NETWORK_JOB_TARGET_MS = 100.0


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def measure(name: str, uri: str, jobs: int, network: bool) -> list[str]:
    printer = open_label_printer(uri)
    encode: Callable[[Image.Image], bytes] = printer.job  # type: ignore[attr-defined]
    label = make_label()
    render_ms: list[float] = []
    encode_ms: list[float] = []
    job_ms: list[float] = []
    total_ms: list[float] = []
    sizes: set[int] = set()
    for index in range(jobs + 3):  # the first three warm up (fonts, imports)
        start = time.perf_counter()
        image = render_label(label, printer.size)
        rendered = time.perf_counter()
        data = encode(image)
        encoded = time.perf_counter()
        outcome = printer.print_label(image, job_id=f"bench-{index}")
        done = time.perf_counter()
        if outcome.state is not JobState.PRINTED:
            raise SystemExit(f"{name}: job {index} ended {outcome.state}: {outcome.detail}")
        if index < 3:
            continue
        render_ms.append((rendered - start) * 1000)
        encode_ms.append((encoded - rendered) * 1000)
        job_ms.append((done - encoded) * 1000)
        total_ms.append((rendered - start + done - encoded) * 1000)
        sizes.add(len(data))
    render_encode = statistics.median(r + e for r, e in zip(render_ms, encode_ms, strict=True))
    total = statistics.median(total_ms)
    verdicts = [f"render+encode {'ok' if render_encode <= RENDER_ENCODE_TARGET_MS else 'OVER'}"]
    if network:
        verdicts.append(f"total {'ok' if total <= NETWORK_JOB_TARGET_MS else 'OVER'}")
    return [
        name,
        f"{statistics.median(render_ms):.1f} / {percentile(render_ms, 0.95):.1f}",
        f"{statistics.median(encode_ms):.1f} / {percentile(encode_ms, 0.95):.1f}",
        f"{statistics.median(job_ms):.1f} / {percentile(job_ms, 0.95):.1f}",
        f"{total:.1f} / {percentile(total_ms, 0.95):.1f}",
        "/".join(str(size) for size in sorted(sizes)),
        ", ".join(verdicts),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=50, help="jobs per backend (default 50)")
    parser.add_argument("--quick", action="store_true", help="5 jobs per backend")
    args = parser.parse_args()
    if args.quick:
        args.jobs = 5

    rows = []
    with FakePrinter() as server, tempfile.TemporaryDirectory() as folder:
        address = server.uri_authority
        backends = [
            ("escpos 80mm", f"escpos+tcp://{address}?size=80mm", True),
            ("escpos 58mm", f"escpos+tcp://{address}?size=58mm", True),
            ("zpl 4x6@203", f"zpl+tcp://{address}?size=4x6@203", True),
            ("zpl 4x6@300", f"zpl+tcp://{address}?size=4x6@300", True),
            ("pdf 4x6@203", f"pdf://{folder}/?size=4x6@203", False),
        ]
        for name, uri, network in backends:
            rows.append(measure(name, uri, args.jobs, network))

    header = ["backend", "render ms", "encode ms", "job ms", "total ms", "bytes", "targets"]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    print(f"{args.jobs} labels per backend; median / p95; loopback fake printer "
          f"(targets: render+encode <= {RENDER_ENCODE_TARGET_MS:g} ms, "
          f"total <= {NETWORK_JOB_TARGET_MS:g} ms)")
    for row in [header, *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
