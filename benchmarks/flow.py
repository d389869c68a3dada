"""How long each step of the bench flow takes on this machine (the floor waits on these).

    .venv/bin/python benchmarks/flow.py [--units 200] [--rmas 240] [--quick]

Builds a demo station in a temporary folder and times the core calls the screens make:
looking an RMA up, receiving it, starting a unit (its LPN and draft), saving the draft
(done after every step of the inspection), routing it through the rule set, finalizing it
(one transaction with all its facts) and rendering its label. The checklist is answered by
the simulated grader (station/loadgen/simulated_grader.py), untimed. Prints median and p95 per
step; the design target is that every screen answers in under 100 ms. --quick: 10 units
from 12 RMAs (CI runs it so, to keep the script working; its figures are rough).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TypeVar

from sqlalchemy import select

from station.common.vocabulary import Grade
from station.demo.station import seed_demo
from station.inspection import drafts
from station.inspection import finalize as inspection
from station.inspection.finalize import InspectionError
from station.labels import content as labels
from station.loadgen import simulated_grader
from station.loadgen.simulated_grader import SIMULATED_PHOTO as PHOTO
from station.people.signin import actor_of
from station.ports.photos import MemoryPhotoStore
from station.receiving import parcels as receiving
from station.settings.config import resolve_locations
from station.store.models import Rma, User

T = TypeVar("T")


def timed(samples: dict[str, list[float]], name: str, fn: Callable[[], T]) -> T:
    start = time.perf_counter()
    result = fn()
    samples.setdefault(name, []).append((time.perf_counter() - start) * 1000)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=int, default=200)
    parser.add_argument("--rmas", type=int, default=240)
    parser.add_argument("--quick", action="store_true", help="10 units from 12 RMAs")
    args = parser.parse_args()
    if args.quick:
        args.units, args.rmas = 10, 12
    with tempfile.TemporaryDirectory() as folder:
        opened = seed_demo(resolve_locations(data_dir=str(Path(folder) / "bench")),
                           today=date.today(), rma_count=args.rmas)
        ctx = opened.ctx
        with ctx.sessions() as session:
            grader = actor_of(session.scalars(select(User).where(User.role == "grader")).one())
            numbers = list(session.scalars(select(Rma.rma_number).order_by(Rma.rma_number)))
        samples: dict[str, list[float]] = {}
        photos = MemoryPhotoStore()
        photo = PHOTO
        grades = list(Grade)
        done = 0
        for number in numbers:
            timed(samples, "look up RMA", lambda n=number: receiving.look_up(ctx, grader, n))
            view = timed(samples, "receive parcel",
                         lambda n=number: receiving.receive(ctx, grader, n))
            assert view.receipt_id is not None
            for line in view.lines:
                for _ in range(line.quantity):
                    work = timed(samples, "start unit (LPN, draft)", lambda r=view.receipt_id,
                                 i=line.id: inspection.start_unit(ctx, grader, r, i))
                    grade = grades[done % len(grades)]
                    try:
                        simulated_grader.finish(work, grade, grader, photos, photo, ctx.clock())
                    except InspectionError:  # a cap forbids that grade: take the proposal
                        simulated_grader.finish(work, work.outcome().grade, grader, photos,
                                                photo, ctx.clock())
                    timed(samples, "save draft (every step)",
                          lambda w=work: drafts.save(ctx, w.draft.lpn, w.to_state()))
                    timed(samples, "route (rules)", lambda w=work: inspection.propose(ctx, w))
                    unit = timed(samples, "finalize unit (all facts, 1 tx)",
                                 lambda w=work: inspection.finalize(ctx, grader, w))
                    timed(samples, "render label PNG (80 mm)", lambda u=unit: labels.render_png(u))
                    done += 1
                    if done >= args.units:
                        break
                if done >= args.units:
                    break
            if done >= args.units:
                break
        opened.close()
    print(f"{done} units through the bench flow on one station (SQLite WAL, synchronous=FULL)")
    print(f"{'step':<34}{'n':>6}{'median ms':>12}{'p95 ms':>10}")
    for name, values in samples.items():
        values.sort()
        p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
        print(f"{name:<34}{len(values):>6}{statistics.median(values):>12.1f}{p95:>10.1f}")


if __name__ == "__main__":
    main()
