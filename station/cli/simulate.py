"""`returns-station simulate`: the load generator (station.loadgen.simulate) from the command line.

    returns-station simulate --central URL --stations K --units N [--seed S] [--pace-ms M]
        [--contention P] [--rmas R] [--push-every U] [--work-dir DIR] [--json]

It needs no configured station (each simulated station makes its own data folder), so
it is a command `WithoutStation`. Exit 0 only if the check of the central database
found nothing lost and nothing duplicated; 1 otherwise or when the simulation could not
run; 2 for bad options.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from typing import Final

from station.cli.command import Subcommands, WithoutStation, runs
from station.cli.devices import Devices
from station.loadgen.simulate import (
    FLAG_RATES,
    GRADE_WEIGHTS,
    Options,
    SimulationError,
    format_summary,
    run_simulation,
)
from station.settings.config import CENTRAL_PASSWORD_ENV

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
EXIT_USAGE: Final = 2


def _grade_mix() -> str:
    grades = ", ".join(f"{grade.value} {weight} %" for grade, weight in GRADE_WEIGHTS.items())
    flags = ", ".join(f"{flag.value} {rate * 100:g} %" for flag, rate in FLAG_RATES.items())
    return f"Grades given: {grades}; flags raised by hand: {flags}."


def register(commands: Subcommands) -> None:
    sim = commands.add_parser(
        "simulate", help="load generator: K simulated stations finalize N units each and "
                         "push them to a central database, then it is checked",
        description="Run K stations, each its own process with its own local database "
                    "(under --work-dir), that receive, inspect, route and finalize N units "
                    "each through the same use cases the app's screens call, pushing to the "
                    "central database after every unit (or every --push-every units). Prints "
                    "units, facts pushed, conflicts, parked facts, p50/p99 time from finalize "
                    "to visible centrally and facts/s, then checks by SQL that no fact was "
                    "lost, no unit slot was settled twice and every outbox is empty. Exit 0 "
                    "only if nothing was lost or duplicated. " + _grade_mix(),
        epilog="The central database gets the schema at head and demo RMAs (RMA-100001 …) "
               "where absent. A PostgreSQL URL takes its password from the environment "
               f"variable {CENTRAL_PASSWORD_ENV} or the OS keyring, like a station (never "
               "from the URL). "
               "No PIN or password is ever printed.")
    sim.add_argument("--central", required=True, metavar="URL",
                     help="the central database: postgresql://user@host:5432/db, or an "
                          "SQLite file sqlite:////path/central.db (a quick demo; slower)")
    sim.add_argument("--stations", type=int, required=True, metavar="K",
                     help="how many stations (processes) run at once, 1-999")
    sim.add_argument("--units", type=int, required=True, metavar="N",
                     help="units each station finalizes")
    sim.add_argument("--seed", type=int, default=1, metavar="S",
                     help="which RMAs, lines, grades and flags each station gets; the same "
                          "seed against an equal central database makes the same choices "
                          "(default 1)")
    sim.add_argument("--pace-ms", type=int, default=0, metavar="M",
                     help="a station starts a unit every M ms on average (±25 %%, the time "
                          "the unit takes included); 0 (default): as fast as it can")
    sim.add_argument("--contention", type=float, default=0.0, metavar="P",
                     help="the fraction (0-1) of each station's units taken from RMAs all "
                          "stations work through in the same order, so they race for the "
                          "same unit slots; 0 (default): stations take disjoint RMAs")
    sim.add_argument("--rmas", type=int, default=None, metavar="R",
                     help="import the first R demo RMAs of the seed where absent (default: "
                          "as many as the run needs on RMAs not yet received)")
    sim.add_argument("--push-every", type=int, default=1, metavar="U",
                     help="push after every U finalized units (default 1)")
    sim.add_argument("--work-dir", metavar="DIR",
                     help="where the stations' data folders go (kept afterwards); default: "
                          "a temporary folder, removed at the end")
    sim.add_argument("--json", action="store_true",
                     help="print the summary as one JSON object (with per-station details)")
    runs(sim, WithoutStation(_run))


def _run(args: argparse.Namespace, _devices: Devices | None) -> int:
    options = Options(central=args.central, stations=args.stations, units=args.units,
                      seed=args.seed, pace_ms=args.pace_ms, contention=args.contention,
                      rmas=args.rmas, work_dir=args.work_dir, push_every=args.push_every)
    problems = options.problems()
    if re.match(r"postgresql(\+psycopg)?://[^/@]*:[^/@]*@", args.central):
        problems.append("--central must not contain a password (other users of the machine "
                        f"can read command lines); set {CENTRAL_PASSWORD_ENV} or store it "
                        "with `returns-station central set-password`")
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        return EXIT_USAGE

    def progress(message: str) -> None:
        if not args.json:
            print(message, file=sys.stderr, flush=True)

    try:
        summary = run_simulation(options, progress=progress)
    except SimulationError as error:
        print(str(error), file=sys.stderr)
        return EXIT_FAILED
    if args.json:
        print(json.dumps(summary, indent=2, ensure_ascii=False))
    else:
        print(format_summary(summary))
    return EXIT_OK if summary["ok"] else EXIT_FAILED
