"""Run every benchmark in benchmarks/ once with --quick, so that none of them rots.

    .venv/bin/python scripts/quick_benchmarks.py [NAME ...]

A benchmark is a script in benchmarks/ with an ``if __name__ == "__main__":`` block (the
others there are modules the benchmarks share). Each runs in its own process with
``--quick`` (tiny input, see each script's docstring and docs/development.md), its output
shown as it comes, and must exit 0: a quick run checks that the script still works and
that its results are right, not this machine's speed, so the benchmarks' own --quick modes
do not judge speed targets. One exception, for now: benchmarks/rma_import.py --quick
still exits 1 when it misses a speed target, so for it this reads the figures it writes
with --json and fails only when the import was wrong (RMAs missing from the station, a
concurrent write that failed). Prints the seconds each took; exit 1 if any failed.
CI (.ci/run) runs this after the tests.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
BENCHMARKS = REPO / "benchmarks"


def rma_import_was_right(figures: dict[str, Any]) -> bool:
    return figures["rmas_in_station"] == figures["rmas"] and all(
        writer["failed"] == 0 for writer in figures["writers"].values())


#: Benchmarks whose --quick exits 1 on a missed speed target, and the check of their
#: --json figures that says whether the run was nevertheless right.
SPEED_JUDGED_IN_QUICK: dict[str, Callable[[dict[str, Any]], bool]] = {
    "rma_import.py": rma_import_was_right,
}


def benchmarks(names: list[str]) -> list[Path]:
    found = sorted(path for path in BENCHMARKS.glob("*.py")
                   if 'if __name__ == "__main__":' in path.read_text(encoding="utf-8"))
    if not names:
        return found
    chosen = [path for path in found if path.stem in names or path.name in names]
    if len(chosen) != len(names):
        raise SystemExit(f"unknown benchmark in {names}; there are: "
                         + ", ".join(path.name for path in found))
    return chosen


def run(script: Path, scratch: Path) -> tuple[str, bool]:
    """Run one benchmark with --quick: its verdict and whether that is a pass."""
    command = [sys.executable, str(script), "--quick"]
    figures_file = scratch / f"{script.stem}.json"
    check = SPEED_JUDGED_IN_QUICK.get(script.name)
    if check is not None:
        command += ["--json", str(figures_file)]
    status = subprocess.run(command, cwd=REPO, check=False).returncode  # noqa: S603
    if status == 0:
        return "ok", True
    if check is not None and status == 1 and figures_file.is_file():
        if check(json.loads(figures_file.read_text(encoding="utf-8"))):
            return "ok (speed targets missed: not judged on a quick run)", True
        return "FAILED: wrong results", False
    return f"FAILED: exit status {status}", False


def main(names: list[str]) -> int:
    results: list[tuple[str, float, str, bool]] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="quick-benchmarks-") as scratch:
        for script in benchmarks(names):
            print(f"\n---------- benchmarks/{script.name} --quick", flush=True)
            begun = time.perf_counter()
            verdict, passed = run(script, Path(scratch))
            results.append((script.name, time.perf_counter() - begun, verdict, passed))
    print("\n---------- quick benchmark runs")
    for name, seconds, verdict, _ in results:
        print(f"{name:<16}{seconds:>7.1f} s  {verdict}")
    print(f"{'all':<16}{time.perf_counter() - started:>7.1f} s")
    return 0 if all(passed for *_, passed in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
