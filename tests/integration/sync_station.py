"""A station process for the sync fault tests: finalize N units and push, in a loop.

    python tests/integration/sync_station.py DATA_DIR CENTRAL_URL CODE PREFIX N SEED
        [--batch-size 20] [--create] [--kill-after-ms X] [--kill-at POINT:K]
        [--clock-offset-hours H] [--pretend-revision REV] [--rmas RMA-1,RMA-2]

After opening the station it prints `READY` (so a parent that kills it after a random
delay times the work, not the imports), then finalizes N units through the real use cases,
pushing after each one (batches of --batch-size), then pushes until the outbox is empty. The
last line it prints is a JSON summary.

It can kill itself with SIGKILL — exactly `kill -9`, no clean-up, no `finally` — at:
  --kill-after-ms X          X ms after READY (a wall-clock point, anywhere)
  --kill-at central:K        before the K-th statement sent to the central database
  --kill-at commit:K         just before the K-th central COMMIT is sent
  --kill-at before-mark:K    after the K-th batch committed centrally, before the local mark
  --kill-at local-mark:K     inside the K-th local mark transaction, before its COMMIT
  --kill-at finalize:K       at the K-th local statement while finalizing units
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))  # tests/: central_site
# The repository too: otherwise tests/station (folders without __init__.py, mirroring
# station/) would be found as a namespace package `station` before the installed one.
sys.path.insert(2, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import event
from sync_harness import Bench, create_bench, open_bench

from station.store import schema
from station.sync import exchange as sync

KILL_POINTS = ("central", "commit", "before-mark", "local-mark", "finalize")


def die() -> None:
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


class Killer:
    """Counts events of one kind and SIGKILLs this process at the K-th."""

    def __init__(self, spec: str | None) -> None:
        self.point, self.at = (None, 0)
        if spec:
            point, _, at = spec.partition(":")
            if point not in KILL_POINTS:
                raise SystemExit(f"--kill-at: one of {KILL_POINTS}, not {point!r}")
            self.point, self.at = point, int(at)
        self.counts = dict.fromkeys(KILL_POINTS, 0)
        self.finalizing = False

    def tick(self, point: str) -> None:
        self.counts[point] += 1
        if point == self.point and self.counts[point] == self.at:
            die()

    def install(self, bench: Bench) -> None:
        def central_statement(*_args: Any) -> None:
            self.tick("central")

        def central_commit(*_args: Any) -> None:
            self.tick("commit")

        def local_statement(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if self.finalizing:
                self.tick("finalize")
            elif statement.lstrip().upper().startswith("UPDATE OUTBOX"):
                self.tick("local-mark")

        event.listen(bench.central_engine, "before_cursor_execute", central_statement)
        event.listen(bench.central_engine, "commit", central_commit)
        event.listen(bench.opened.local_engine, "after_cursor_execute", local_statement)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("central_url")
    parser.add_argument("code")
    parser.add_argument("prefix")
    parser.add_argument("units", type=int)
    parser.add_argument("seed", type=int)
    parser.add_argument("--batch-size", type=int, default=20)
    parser.add_argument("--create", action="store_true", help="make the station first")
    parser.add_argument("--kill-after-ms", type=float)
    parser.add_argument("--kill-at")
    parser.add_argument("--clock-offset-hours", type=float, default=0.0)
    parser.add_argument("--pretend-revision",
                        help="behave as a build whose newest schema revision is REV")
    parser.add_argument("--rmas", help="comma-separated RMA numbers to work on, in order")
    parser.add_argument("--attempts", type=int, default=20, help="pushes tried when offline")
    args = parser.parse_args(argv)

    if args.pretend_revision:
        revision = args.pretend_revision
        schema.head_revision = lambda: revision  # type: ignore[assignment]
    offset = timedelta(hours=args.clock_offset_hours)
    make = create_bench if args.create else open_bench
    bench = make(args.data_dir, args.code, args.prefix, args.central_url, clock_offset=offset)
    killer = Killer(args.kill_at)
    killer.install(bench)
    rng = random.Random(args.seed)
    rmas = args.rmas.split(",") if args.rmas else None
    summary: dict[str, Any] = {"code": args.code, "finalized": 0, "sent": 0, "conflicts": 0,
                               "parked": 0, "batches": 0, "offline": 0, "error": None}
    print("READY", flush=True)
    if args.kill_after_ms is not None:
        timer = threading.Timer(args.kill_after_ms / 1000, die)
        timer.daemon = True
        timer.start()

    batches = 0

    def before_mark() -> None:
        nonlocal batches
        batches += 1
        killer.tick("before-mark")

    def push_all() -> None:
        for attempt in range(args.attempts):
            try:
                result = bench.push(batch_size=args.batch_size, before_mark=before_mark)
            except sync.SyncOffline:
                summary["offline"] += 1
                time.sleep(min(0.05 * 2 ** attempt, 0.5))
                continue
            for key in ("sent", "conflicts", "parked", "batches"):
                summary[key] += getattr(result, key)
            if bench.waiting()[0] == 0:
                return

    try:
        for _ in range(args.units):
            killer.finalizing = True
            bench.finalize(1, rng, rma_numbers=rmas)
            killer.finalizing = False
            summary["finalized"] += 1
            push_all()
        push_all()
    except sync.SyncError as error:
        summary["error"] = f"{error.__class__.__name__}: {error}"
    summary["waiting"] = list(bench.waiting())
    summary["points"] = killer.counts
    bench.close()
    print(json.dumps(summary), flush=True)
    return 0 if summary["error"] is None else 3


if __name__ == "__main__":
    sys.exit(main())
