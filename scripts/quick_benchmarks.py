"""Run every benchmark in benchmarks/ once with --quick, so that none of them rots.

    .venv/bin/python scripts/quick_benchmarks.py [NAME ...]

A benchmark is a script in benchmarks/ with an ``if __name__ == "__main__":`` block (the
others there are modules the benchmarks share). Each runs in its own process with
``--quick`` (tiny input, see each script's docstring and docs/development.md), its output
shown as it comes, and must exit 0: a quick run checks that the script still works and
that its results are right, not this machine's speed, so the benchmarks' own --quick modes
do not judge speed targets. Prints the seconds each took; exit 1 if any failed.
CI (.ci/run) runs this after the tests.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCHMARKS = REPO / "benchmarks"


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


def run(script: Path) -> tuple[str, bool]:
    """Run one benchmark with --quick: its verdict and whether that is a pass."""
    status = subprocess.run([sys.executable, str(script), "--quick"], cwd=REPO,  # noqa: S603
                            check=False).returncode
    return ("ok", True) if status == 0 else (f"FAILED: exit status {status}", False)


def main(names: list[str]) -> int:
    results: list[tuple[str, float, str, bool]] = []
    started = time.perf_counter()
    for script in benchmarks(names):
        print(f"\n---------- benchmarks/{script.name} --quick", flush=True)
        begun = time.perf_counter()
        verdict, passed = run(script)
        results.append((script.name, time.perf_counter() - begun, verdict, passed))
    print("\n---------- quick benchmark runs")
    for name, seconds, verdict, _ in results:
        print(f"{name:<16}{seconds:>7.1f} s  {verdict}")
    print(f"{'all':<16}{time.perf_counter() - started:>7.1f} s")
    return 0 if all(passed for *_, passed in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
