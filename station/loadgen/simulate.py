"""The load generator: K stations, each its own OS process with its own local database,
receive, inspect, route and finalize N units each through the use cases the UI calls, and
push them to one central database; then the central database is checked by SQL.

    returns-station simulate --central URL --stations K --units N [--seed S] …

The parent (`run_simulation`) prepares the central database (schema at head, demo RMAs
imported where absent), deals out the units, starts the stations and waits until every one
is set up (data folder, local database, a grader with a random PIN that is never shown, the
RMAs pulled), then lets them all go at once. Each station (`run_station`) works through its
units at the pace asked for — receive the parcel, start a unit (a fresh LPN), the simulated
grader's checklist, photo and grade, finalize — and pushes its outbox after every unit (or
every `push_every` units) with `sync.push`, then a last push and pull (`sync_once`'s two
halves, the push with the same timing hook as the others). For every unit it
records when it was finalized and when it became visible centrally (the moment the push that
carried it had committed centrally, taken between the central commit and the local mark),
and writes its result as JSON. The parent then checks, by SQL on the central database, that
no fact was lost (each fact of each station's outbox is in its central table or recorded in
`sync_conflicts`), that no unit slot was settled twice (`settle_key` of settling refund
triggers) and that every outbox is empty.

A station process is never a fork of the parent (whose engines stay its own): it is forked
from multiprocessing's fork server, which imported this module once, where the platform
has one, else spawned; the plan, with the central URL and its password, reaches it through
a pipe, never the command line.

Which units a station takes follows from the seed alone: the RMAs not yet received centrally
are shuffled with it and dealt out, so by default no two stations share an RMA; with
`contention` P a fraction P of each station's units come from RMAs every station works
through in the same order, so stations race for the same unit slots (and receipts), as two
benches would with a parcel scanned twice.

Kept whole: the parent and the station processes share the plans and their JSON, and the
fork server preloads exactly this module (`set_forkserver_preload([__name__])`), so a
station's code living elsewhere would be imported again in every process it starts.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import random
import re
import secrets
import shutil
import statistics
import tempfile
import time
import uuid
from collections import Counter as Tally
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Engine, func, select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from station.common.errors import UserFacingError
from station.common.permissions import Actor
from station.common.vocabulary import Flag, Grade, Role
from station.demo.rmas import FIRST_RMA, demo_rmas
from station.inspection import finalize as inspection
from station.loadgen import simulated_grader
from station.people import directory as user_directory
from station.people.signin import actor_of
from station.ports.photos import MemoryPhotoStore
from station.receiving import parcels as receiving
from station.receiving import rma_store
from station.runtime.bootstrap import OpenStation, central_url, open_station
from station.runtime.context import utc_now
from station.settings.config import CentralConfig, StationConfig, resolve_locations
from station.store.database import make_engine, session_factory, sqlite_url
from station.store.models import Base, OutboxEntry, Rma, SyncConflict, User
from station.sync import exchange as sync
from station.sync.pull import pull_rmas
from station.trust import central_rules, enrolment

#: How often a grader gives each grade (percent): a plausible mix for a returns dock.
GRADE_WEIGHTS: Final = {Grade.A: 35, Grade.B: 30, Grade.C: 20, Grade.D: 10, Grade.X: 5}
#: How often a grader raises a flag by hand (each independently).
FLAG_RATES: Final = {Flag.HAZARDOUS: 0.02, Flag.WRONG_ITEM: 0.01, Flag.USED_WORN: 0.03}
GRADER_USERNAME: Final = "sim-grader"
CODE_PREFIX: Final = "SIM-"
_DEMO_NUMBER: Final = re.compile(r"RMA-(\d{6})")
_UNITS_PER_DEMO_RMA: Final = 1.7  # demo_rmas: about 1.74 units per RMA
_SETUP_TIMEOUT_S: Final = 600.0
_PUSH_ATTEMPTS: Final = 5


class SimulationError(UserFacingError):
    """The simulation cannot start or run; the message says why."""


# ---------------------------------------------------------------------------- plans


@dataclass(frozen=True)
class UnitPlan:
    """One unit a station will take: which RMA line, the grade and flags the grader gives,
    and whether other stations race for the same unit slot."""

    rma_number: str
    line_no: int
    grade: str
    flags: tuple[str, ...] = ()
    shared: bool = False


@dataclass(frozen=True)
class StationPlan:
    code: str
    lpn_prefix: str
    data_dir: str
    central_url: str  # with the password, if any: passed to the process, never printed
    units: tuple[UnitPlan, ...]
    pace_ms: int = 0
    push_every: int = 1
    seed: int = 0

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: str) -> StationPlan:
        values = json.loads(raw)
        values["units"] = tuple(UnitPlan(**{**unit, "flags": tuple(unit["flags"])})
                                for unit in values["units"])
        return cls(**values)


@dataclass(frozen=True)
class Options:
    central: str
    stations: int
    units: int
    seed: int = 1
    pace_ms: int = 0
    contention: float = 0.0
    rmas: int | None = None
    work_dir: str | None = None
    push_every: int = 1

    def problems(self) -> list[str]:
        found = []
        if not 1 <= self.stations <= 999:
            found.append("--stations must be between 1 and 999")
        if not 1 <= self.units <= 100_000:
            found.append("--units must be between 1 and 100000")
        if not 0 <= self.pace_ms <= 3_600_000:
            found.append("--pace-ms must be between 0 and 3600000")
        if not 0.0 <= self.contention <= 1.0:
            found.append("--contention must be between 0 and 1")
        if self.rmas is not None and not 1 <= self.rmas <= 999_999 - FIRST_RMA + 1:
            found.append(f"--rmas must be between 1 and {999_999 - FIRST_RMA + 1}")
        if self.push_every < 1:
            found.append("--push-every must be 1 or more")
        return found


@dataclass(frozen=True)
class FreeRma:
    """An RMA the central database holds that no station has received yet."""

    rma_number: str
    lines: tuple[tuple[int, int], ...]  # (line_no, quantity)

    @property
    def slots(self) -> list[tuple[str, int]]:
        return [(self.rma_number, line_no) for line_no, quantity in self.lines
                for _ in range(quantity)]


def _station_rng(seed: int, index: int) -> random.Random:
    return random.Random(f"returns-station simulate {seed} {index}")  # noqa: S311 - load, not secrets


def _grade_and_flags(rng: random.Random) -> tuple[Grade, tuple[str, ...]]:
    grade = rng.choices(list(GRADE_WEIGHTS), weights=list(GRADE_WEIGHTS.values()))[0]
    flags = tuple(flag.value for flag, rate in FLAG_RATES.items() if rng.random() < rate)
    return grade, flags


def deal_units(pool: Sequence[FreeRma], *, stations: int, units: int, seed: int,
               contention: float) -> list[list[UnitPlan]]:
    """Each station's units: deterministic for the same pool, counts, seed and contention.

    Stations take whole RMAs (every unit of one, then the next), disjoint between stations;
    a unit drawn as shared (probability `contention`) instead takes the next slot of the
    shared RMAs, which every station works through in the same order."""
    rngs = [_station_rng(seed, index) for index in range(stations)]
    shared_flags = [[rng.random() < contention for _ in range(units)] for rng in rngs]
    shuffled = list(pool)
    random.Random(seed).shuffle(shuffled)  # noqa: S311 - reproducible choice, not secrets
    queue = iter(shuffled)

    def take(count: int) -> list[tuple[str, int]]:
        slots: list[tuple[str, int]] = []
        while len(slots) < count:
            rma = next(queue, None)
            if rma is None:
                raise SimulationError("too few RMAs")
            slots.extend(rma.slots)
        return slots[:count]

    needed = sum(units - sum(flags) for flags in shared_flags) + max(
        (sum(flags) for flags in shared_flags), default=0)
    available = sum(len(rma.slots) for rma in pool)
    try:
        shared = take(max(sum(flags) for flags in shared_flags))
        own = [take(units - sum(flags)) for flags in shared_flags]
    except SimulationError:
        raise SimulationError(
            f"The central database has {available} unit(s) left to inspect on RMAs no "
            f"station has received; this simulation needs about {needed} (RMAs are dealt "
            "whole). Ask for more demo RMAs with --rmas, or leave --rmas out to have enough "
            "imported.") from None
    plans: list[list[UnitPlan]] = []
    for index, rng in enumerate(rngs):
        mine, common = iter(own[index]), iter(shared)
        station_units = []
        for is_shared in shared_flags[index]:
            rma_number, line_no = next(common) if is_shared else next(mine)
            grade, flags = _grade_and_flags(rng)
            station_units.append(UnitPlan(rma_number, line_no, grade.value, flags, is_shared))
        plans.append(station_units)
    return plans


# ---------------------------------------------------------------------------- central


def resolve_central_url(raw: str) -> URL:
    """The central URL as stations would use it (psycopg driver, password from the
    environment or keyring); a relative SQLite path made absolute."""
    if not re.match(r"(sqlite|postgresql(\+psycopg)?)://", raw):
        raise SimulationError("--central must be a postgresql://… or sqlite:////… URL")
    url = make_url(raw)
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            raise SimulationError("--central: an SQLite central database must be a file "
                                  "(sqlite:////path/central.db), shared by the stations")
        return url.set(database=str(Path(url.database).expanduser().resolve()))
    config = StationConfig(station_code="SIM", central=CentralConfig(url=raw))
    return central_url(config, resolve_locations(data_dir=tempfile.gettempdir(), env={}))


def shown_url(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def _demo_index(number: str) -> int | None:
    match = _DEMO_NUMBER.fullmatch(number)
    return int(match.group(1)) - FIRST_RMA + 1 if match else None


def import_demo_rmas(sessions: sessionmaker[Session], count: int, *, seed: int, today: date,
                     now: datetime) -> int:
    """The first `count` demo RMAs of `seed`, imported where absent (RMAs already there,
    demo or not, are left as they are); returns how many were imported."""
    records = demo_rmas(count, seed=seed, today=today)
    with sessions() as session:
        present = set(session.scalars(select(Rma.rma_number)))
    absent = [record for record in records if record.rma_number not in present]
    for start in range(0, len(absent), 500):
        with sessions.begin() as session:
            rma_store.import_records(session, absent[start:start + 500], now=now)
    return len(absent)


def free_rmas(sessions: sessionmaker[Session]) -> list[FreeRma]:
    """RMAs no station has received centrally, by number, with their lines."""
    with sessions() as session:
        rows = session.execute(text(
            "SELECT r.rma_number, l.line_no, l.quantity FROM rmas r "
            "JOIN rma_lines l ON l.rma_id = r.id "
            "WHERE NOT EXISTS (SELECT 1 FROM receipts c WHERE c.rma_id = r.id) "
            "ORDER BY r.rma_number, l.line_no")).all()
    lines: dict[str, list[tuple[int, int]]] = {}
    for number, line_no, quantity in rows:
        lines.setdefault(str(number), []).append((int(line_no), int(quantity)))
    return [FreeRma(number, tuple(found)) for number, found in lines.items()]


def prepare_central(engine: Engine, *, rmas: int | None, seed: int, slots_needed: int,
                    today: date | None = None) -> tuple[list[FreeRma], int]:
    """Schema at head and demo RMAs imported where absent: `rmas` of them, or (None) as many
    as it takes to leave `slots_needed` units on RMAs not received yet. Returns those RMAs
    and how many were imported."""
    central_rules.upgrade_central(engine, label="central")
    sessions = session_factory(engine)
    today = today or date.today()
    now = utc_now()
    if rmas is not None:
        imported = import_demo_rmas(sessions, rmas, seed=seed, today=today, now=now)
        return free_rmas(sessions), imported
    with sessions() as session:
        numbers = list(session.scalars(select(Rma.rma_number)))
    count = max((index for number in numbers if (index := _demo_index(number))), default=0)
    imported = 0
    limit = 999_999 - FIRST_RMA + 1
    while True:
        pool = free_rmas(sessions)
        have = sum(len(rma.slots) for rma in pool)
        # RMAs are dealt whole: leave room for a partly used RMA per station and the margin
        if have >= slots_needed * 1.1 + 20 or count >= limit:
            return pool, imported
        count = min(limit, count + math.ceil((slots_needed * 1.1 + 20 - have)
                                             / _UNITS_PER_DEMO_RMA) + 10)
        imported += import_demo_rmas(sessions, count, seed=seed, today=today, now=now)


def _base36(number: int, width: int) -> str:
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = ""
    while number:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
    return out.rjust(width, "0")


def station_names(engine: Engine, work_dir: Path, count: int) -> list[tuple[str, str]]:
    """(station code, LPN prefix) for `count` new stations: SIM-01, SIM-02, … skipping
    codes and prefixes the central database knows and folders already in `work_dir` (a
    station made again under an old code would clash with its own earlier audit entries
    and LPNs)."""
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT code, lpn_prefix FROM stations")).all()
    codes = {str(row[0]) for row in rows}
    prefixes = {str(row[1]) for row in rows}
    names: list[tuple[str, str]] = []
    number = 0
    while len(names) < count:
        number += 1
        if number >= 36 ** 3:
            raise SimulationError("No free station code left for the simulated stations.")
        code = f"{CODE_PREFIX}{number:02d}"
        prefix = "S" + _base36(number, 3)
        if code in codes or prefix in prefixes or (work_dir / code).exists():
            continue
        names.append((code, prefix))
    return names


# ---------------------------------------------------------------------------- a station


@dataclass
class SimStation:
    """A simulated bench: its opened station, a signed-in grader and the central engine."""

    opened: OpenStation
    actor: Actor
    central_engine: Engine
    store: MemoryPhotoStore = field(default_factory=MemoryPhotoStore)

    @property
    def local(self) -> sessionmaker[Session]:
        return self.opened.ctx.sessions

    @property
    def central(self) -> sessionmaker[Session]:
        return session_factory(self.central_engine)

    @property
    def identity(self) -> sync.StationIdentity:
        config = self.opened.ctx.config
        return sync.StationIdentity.of(config)

    def close(self) -> None:
        self.central_engine.dispose()
        self.opened.close()


def open_sim_station(code: str, lpn_prefix: str, data_dir: Path, url: str) -> SimStation:
    """A new station in an empty `data_dir`, set up as a site's admin would: enrolled
    centrally, with a grader of its own in the central directory (a random PIN: nobody signs
    in as it; it is not shown anywhere), pulled with the central RMAs."""
    if data_dir.exists() and any(data_dir.iterdir()):
        raise SimulationError(f"{data_dir} is not empty: a simulated station starts afresh.")
    locations = resolve_locations(data_dir=str(data_dir), env={})
    config = StationConfig(station_code=code, lpn_prefix=lpn_prefix,
                           central=CentralConfig(url=url))
    opened = open_station(config, locations)
    engine = make_engine(url)
    username = f"{GRADER_USERNAME}-{code.lower()}"[:32]
    with session_factory(engine).begin() as session:
        now = utc_now()
        if enrolment.standing(session, code) is None:
            enrolment.enrol_station(session, code=code, site=config.site,
                                    lpn_prefix=lpn_prefix, now=now, by="simulate",
                                    db_role=None)
        if session.scalar(select(User.id).where(User.username == username)) is None:
            user_directory.add(session, by="simulate", username=username,
                               display_name=f"Simulated Grader {code}", role=Role.GRADER,
                               pin=f"{secrets.randbelow(10**8):08d}", now=now)
    user_directory.pull_users(session_factory(engine), opened.ctx.sessions, opened.ctx.pepper)
    with opened.ctx.sessions() as session:
        grader = session.scalars(select(User).where(User.username == username)).one()
        station = SimStation(opened, actor_of(grader), engine)
    pull_rmas(station.central, station.local)
    return station


def finalize_unit(station: SimStation, unit: UnitPlan) -> inspection.FinalizedUnit:
    """One unit through the use cases the screens call: receive the parcel (a no-op once it
    is received here), start a unit on the line, raise the planned flags, the simulated
    grader's checklist, grade and photos, finalize."""
    ctx, actor = station.opened.ctx, station.actor
    view = receiving.receive(ctx, actor, unit.rma_number)
    line = next((line for line in view.lines if line.line_no == unit.line_no), None)
    if line is None or view.receipt_id is None:
        raise SimulationError(f"{unit.rma_number} has no line {unit.line_no} here")
    work = inspection.start_unit(ctx, actor, view.receipt_id, line.id)
    for flag in unit.flags:
        work.toggle_flag(Flag(flag))
    simulated_grader.answer_all(work)
    outcome = work.outcome()
    wanted = Grade(unit.grade)
    grade = wanted if outcome.allows(wanted) else outcome.ceiling
    simulated_grader.finish(work, grade, actor, station.store, simulated_grader.SIMULATED_PHOTO,
                            ctx.clock())
    return inspection.finalize(ctx, actor, work)


@dataclass
class _Pushes:
    """Push counters of one station, and the units waiting to be visible centrally."""

    sent: int = 0
    conflicts: int = 0
    parked: int = 0
    retries: int = 0
    pushes: int = 0
    failures: int = 0
    last_failure: str = ""
    waiting_since: list[float] = field(default_factory=list)  # finalize times, not yet pushed
    latencies_ms: list[float] = field(default_factory=list)


def _push(station: SimStation, counters: _Pushes) -> bool:
    """Push everything waiting; on success the waiting units are visible centrally at the
    time of the (last) central commit. False if the central database could not be reached."""
    committed: list[float] = []
    try:
        result = sync.push(station.local, station.central, station.central_engine,
                           station.identity, clock=station.opened.ctx.clock,
                           before_mark=lambda: committed.append(time.time()))
    except sync.SchemaMismatch:
        raise
    except (sync.SyncError, SQLAlchemyError) as error:
        counters.failures += 1
        counters.last_failure = str(error).splitlines()[0][:300]
        return False
    counters.pushes += 1
    counters.sent += result.sent
    counters.conflicts += result.conflicts
    counters.parked += result.parked
    counters.retries += result.retries
    if committed:
        visible = committed[-1]
        counters.latencies_ms.extend((visible - finalized) * 1000
                                     for finalized in counters.waiting_since)
        counters.waiting_since.clear()
    return True


def run_station(plan: StationPlan, *, on_ready: Callable[[], None] | None = None,
                sleep: Callable[[float], None] = time.sleep) -> dict[str, Any]:
    """Set the station up, call `on_ready` (which returns when all stations may start), work
    through the plan's units at its pace, pushing, then a last sync; the result as JSON
    values (no URL, no PIN)."""
    setup_started = time.time()
    station = open_sim_station(plan.code, plan.lpn_prefix, Path(plan.data_dir), plan.central_url)
    try:
        setup_s = time.time() - setup_started
        if on_ready is not None:
            on_ready()
        rng = random.Random(f"pace {plan.seed} {plan.code}")  # noqa: S311 - pacing jitter
        interval = plan.pace_ms / 1000
        started = time.time()
        next_start = started + rng.uniform(0, interval)  # stations do not march in step
        counters = _Pushes()
        errors: Tally[str] = Tally()
        rmas: list[str] = []
        grades: Tally[str] = Tally()
        flags: Tally[str] = Tally()
        finalized = since_push = 0
        for unit in plan.units:
            if interval:
                sleep(max(0.0, next_start - time.time()))
                next_start += interval * rng.uniform(0.75, 1.25)
            if not rmas or rmas[-1] != unit.rma_number:
                rmas.append(unit.rma_number)
            try:
                done = finalize_unit(station, unit)
            except UserFacingError as error:
                errors[str(error).splitlines()[0][:200]] += 1
                continue
            counters.waiting_since.append(time.time())
            finalized += 1
            since_push += 1
            grades[done.grade.value] += 1
            flags.update(unit.flags)
            if since_push >= plan.push_every and _push(station, counters):
                since_push = 0
        work_done = time.time()
        pulled_conflicts = 0
        for attempt in range(_PUSH_ATTEMPTS):
            if _push(station, counters):
                pulled = sync.pull(station.central, station.local, plan.code)
                pulled_conflicts = len(pulled.conflicts)
                break
            sleep(0.2 * 2 ** attempt)
        pending, parked = sync.waiting(station.local)
        return {
            "code": plan.code, "lpn_prefix": plan.lpn_prefix, "data_dir": plan.data_dir,
            "units": finalized, "planned": len(plan.units),
            "shared_units": sum(1 for unit in plan.units if unit.shared),
            "rmas": rmas, "grades": dict(sorted(grades.items())),
            "flags": dict(sorted(flags.items())),
            "errors": sum(errors.values()), "error_messages": dict(errors.most_common(5)),
            "facts_pushed": counters.sent, "conflicts": counters.conflicts,
            "parked": counters.parked, "retries": counters.retries, "pushes": counters.pushes,
            "push_failures": counters.failures, "last_push_failure": counters.last_failure,
            "pulled_conflicts": pulled_conflicts, "outbox_pending": pending,
            "outbox_parked": parked, "latencies_ms": [round(ms, 2) for ms in
                                                      counters.latencies_ms],
            "setup_s": round(setup_s, 3), "started_at": started, "work_done_at": work_done,
            "finished_at": time.time(),
        }
    finally:
        station.close()


def _station_process(plan_json: str, result_path: str, ready: Any, go: Any) -> None:
    """The body of one station's OS process: the result (or the fatal error) as JSON."""
    plan = StationPlan.from_json(plan_json)

    def wait_for_go() -> None:
        ready.release()
        if not go.wait(_SETUP_TIMEOUT_S):
            raise SimulationError("the other stations were not set up in time")

    try:
        result = run_station(plan, on_ready=wait_for_go)
    except BaseException as error:  # reported by the parent; the process ends here anyway
        result = {"code": plan.code, "data_dir": plan.data_dir,
                  "fatal": f"{error.__class__.__name__}: {str(error).splitlines()[0][:300]}"
                  if str(error) else error.__class__.__name__}
        ready.release()  # never leave the parent waiting for a station that is gone
    Path(result_path).write_text(json.dumps(result), encoding="utf-8")


# ---------------------------------------------------------------------------- checks


@dataclass
class Checks:
    """What the central database holds against every station's outbox."""

    facts: int = 0  # outbox entries of all stations
    central: int = 0  # of which in their own central table
    in_conflicts: int = 0  # of which recorded in sync_conflicts (lost a race, kept there)
    lost: int = 0  # neither
    in_both: int = 0  # in their own table and in sync_conflicts
    duplicated_settle_keys: int = 0  # unit slots with more than one settling refund trigger
    outbox_pending: int = 0
    outbox_parked: int = 0
    conflicts: dict[str, int] = field(default_factory=dict)  # kind -> count, these stations
    lost_examples: list[str] = field(default_factory=list)

    @property
    def duplicated(self) -> int:
        return self.duplicated_settle_keys + self.in_both

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.duplicated == 0


def _present(session: Session, entity: str, ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    """Which of `ids` the central table of `entity` holds (500 ids per query)."""
    table = Base.metadata.tables.get(entity)
    if table is None:
        raise SimulationError(f"unexpected kind of fact {entity!r} in an outbox")
    found: set[uuid.UUID] = set()
    for start in range(0, len(ids), 500):
        found.update(session.scalars(select(table.c.id).where(
            table.c.id.in_(ids[start:start + 500]))))
    return found


def check_central(engine: Engine, stations: Mapping[str, Path]) -> Checks:
    """Every fact of every station's outbox (station code -> data folder) against the
    central tables, by SQL."""
    checks = Checks()
    by_entity: dict[str, list[uuid.UUID]] = {}
    for data_dir in stations.values():
        local_db = resolve_locations(data_dir=str(data_dir), env={}).local_db
        if not local_db.exists():  # a station that failed before it was made: reported
            continue
        local_engine = make_engine(sqlite_url(local_db))
        try:
            with session_factory(local_engine)() as session:
                for entity, entity_id, sent, parked in session.execute(select(
                        OutboxEntry.entity, OutboxEntry.entity_id, OutboxEntry.sent_at,
                        OutboxEntry.parked_at)):
                    by_entity.setdefault(entity, []).append(entity_id)
                    checks.facts += 1
                    if sent is None and parked is not None:
                        checks.outbox_parked += 1
                    elif sent is None:
                        checks.outbox_pending += 1
        finally:
            local_engine.dispose()
    with session_factory(engine)() as session:
        all_ids = [entity_id for ids in by_entity.values() for entity_id in ids]
        conflicted = _present(session, "sync_conflicts", all_ids)
        for entity, ids in by_entity.items():
            present = _present(session, entity, ids)
            for entity_id in ids:
                here, lost_race = entity_id in present, entity_id in conflicted
                if here and lost_race:
                    checks.in_both += 1
                elif here:
                    checks.central += 1
                elif lost_race:
                    checks.in_conflicts += 1
                else:
                    checks.lost += 1
                    if len(checks.lost_examples) < 5:
                        checks.lost_examples.append(f"{entity} {entity_id}")
        checks.duplicated_settle_keys = int(session.scalar(text(
            "SELECT count(*) FROM (SELECT settle_key FROM refund_triggers WHERE settling "
            "AND settle_key IS NOT NULL GROUP BY settle_key HAVING count(*) > 1) d")) or 0)
        if stations:
            rows = session.execute(
                select(SyncConflict.kind, func.count()).where(
                    SyncConflict.station_code.in_(sorted(stations)))
                .group_by(SyncConflict.kind)).all()
            checks.conflicts = {str(kind): int(count) for kind, count in rows}
    return checks


# ---------------------------------------------------------------------------- the run


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Nearest-rank percentile (p99 of 100 values is the 99th smallest); None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def run_simulation(options: Options, *, progress: Callable[[str], None] | None = None,
                   today: date | None = None) -> dict[str, Any]:
    """Prepare the central database, run the stations as separate processes, check the
    result by SQL; the summary as JSON values (`ok`: nothing lost, nothing duplicated)."""
    problems = options.problems()
    if problems:
        raise SimulationError("; ".join(problems))
    say = progress or (lambda _message: None)
    url = resolve_central_url(options.central)
    temporary = options.work_dir is None
    work_dir = Path(tempfile.mkdtemp(prefix="returns-simulate-")) if temporary \
        else Path(str(options.work_dir)).expanduser().resolve()
    engine = make_engine(url)
    try:
        work_dir.mkdir(parents=True, exist_ok=True)
        return _run(options, url, engine, work_dir, say, today)
    finally:
        engine.dispose()
        if temporary:
            shutil.rmtree(work_dir, ignore_errors=True)


def _run(options: Options, url: URL, engine: Engine, work_dir: Path,
         say: Callable[[str], None], today: date | None) -> dict[str, Any]:
    started = time.time()
    slots_needed = options.stations * options.units
    try:
        pool, imported = prepare_central(engine, rmas=options.rmas, seed=options.seed,
                                         slots_needed=slots_needed, today=today)
    except SQLAlchemyError as error:
        raise SimulationError(f"Cannot prepare the central database {shown_url(url)}: "
                              f"{str(getattr(error, 'orig', error)).splitlines()[0]}") from None
    dealt = deal_units(pool, stations=options.stations, units=options.units,
                       seed=options.seed, contention=options.contention)
    names = station_names(engine, work_dir, options.stations)
    secret_url = url.render_as_string(hide_password=False)
    plans = [StationPlan(code, prefix, str(work_dir / code), secret_url, tuple(units),
                         options.pace_ms, options.push_every, options.seed)
             for (code, prefix), units in zip(names, dealt, strict=True)]
    say(f"central {shown_url(url)}: {len(pool)} RMAs not received yet ({imported} demo RMAs "
        f"imported); starting {len(plans)} station(s) × {options.units} unit(s) in "
        f"{work_dir}")
    results, window = _run_processes(plans, work_dir, say)
    say("checking the central database …")
    checks = check_central(engine, {plan.code: Path(plan.data_dir) for plan in plans})
    return summarize(options, url, results, checks, window, time.time() - started)


def _process_context() -> Any:
    """Fresh processes, never a fork of this one (its engines and threads stay here):
    forked from a clean server that imported this module once where the platform has one
    (50 stations start in a third of the time), else spawned."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__])
        return context
    return multiprocessing.get_context("spawn")


def _run_processes(plans: Sequence[StationPlan], work_dir: Path,
                   say: Callable[[str], None]) -> tuple[list[dict[str, Any]], float]:
    context = _process_context()
    ready = context.Semaphore(0)
    go = context.Event()
    results_dir = work_dir / ".results"
    results_dir.mkdir(exist_ok=True)
    paths = [results_dir / f"{plan.code}.json" for plan in plans]
    processes = [context.Process(target=_station_process, name=f"station {plan.code}",
                                 args=(plan.to_json(), str(path), ready, go), daemon=True)
                 for plan, path in zip(plans, paths, strict=True)]
    window_start = time.time()
    try:
        for process in processes:
            process.start()
        deadline = time.time() + _SETUP_TIMEOUT_S
        for done in range(len(processes)):
            while not ready.acquire(timeout=0.5):
                if time.time() > deadline:
                    raise SimulationError("The stations were not set up within "
                                          f"{_SETUP_TIMEOUT_S:.0f} s.")
                if any(p.exitcode not in (None, 0) for p in processes):
                    break  # a station died without a word: its result file says nothing
            else:
                continue
            say(f"a station process ended early ({done} of {len(processes)} ready)")
            break
        say(f"{len(processes)} station(s) set up; go")
        window_start = time.time()
        go.set()
        for process in processes:
            process.join()
        window = time.time() - window_start
    finally:
        go.set()
        for process in processes:
            if process.is_alive():
                process.terminate()
                process.join(5)
    results = []
    for plan, path, process in zip(plans, paths, processes, strict=True):
        if path.exists():
            results.append(json.loads(path.read_text(encoding="utf-8")))
        else:
            results.append({"code": plan.code, "data_dir": plan.data_dir,
                            "fatal": f"the process ended with exit code {process.exitcode} "
                                     "and no result"})
    return results, window


def summarize(options: Options, url: URL, results: Sequence[dict[str, Any]], checks: Checks,
              window_s: float, total_s: float) -> dict[str, Any]:
    latencies = [ms for result in results for ms in result.get("latencies_ms", [])]
    fatal = {str(r["code"]): str(r["fatal"]) for r in results if "fatal" in r}
    starts = [r["started_at"] for r in results if "started_at" in r]
    ends = [r["work_done_at"] for r in results if "work_done_at" in r]
    busy = (max(ends) - min(starts)) if starts and ends else 0.0
    facts = sum(int(r.get("facts_pushed", 0)) for r in results)
    units = sum(int(r.get("units", 0)) for r in results)
    stations = []
    for r in results:
        own = r.get("latencies_ms", [])
        stations.append({
            "code": r["code"], "units": r.get("units", 0), "rmas": r.get("rmas", []),
            "shared_units": r.get("shared_units", 0), "grades": r.get("grades", {}),
            "flags": r.get("flags", {}), "facts_pushed": r.get("facts_pushed", 0),
            "conflicts": r.get("conflicts", 0), "parked": r.get("parked", 0),
            "retries": r.get("retries", 0), "push_failures": r.get("push_failures", 0),
            "last_push_failure": r.get("last_push_failure", ""),
            "errors": r.get("errors", 0), "error_messages": r.get("error_messages", {}),
            "latency_p50_ms": _round(percentile(own, 0.5)),
            "latency_p99_ms": _round(percentile(own, 0.99)),
            "setup_s": r.get("setup_s"), **({"fatal": r["fatal"]} if "fatal" in r else {}),
        })
    ok = checks.ok and not fatal
    return {
        "central": shown_url(url), "stations": options.stations,
        "units_per_station": options.units, "seed": options.seed,
        "pace_ms": options.pace_ms, "contention": options.contention,
        "push_every": options.push_every,
        "units": units,
        "facts_pushed": facts,
        "conflicts": sum(checks.conflicts.values()),
        "conflicts_by_kind": checks.conflicts,
        "parked": sum(int(r.get("parked", 0)) for r in results),
        "errors": sum(int(r.get("errors", 0)) for r in results),
        "push_failures": sum(int(r.get("push_failures", 0)) for r in results),
        "retries": sum(int(r.get("retries", 0)) for r in results),
        "latency_ms": {"count": len(latencies), "p50": _round(percentile(latencies, 0.5)),
                       "p99": _round(percentile(latencies, 0.99)),
                       "max": _round(max(latencies) if latencies else None),
                       "mean": _round(statistics.fmean(latencies) if latencies else None)},
        "duration_s": round(busy, 3), "wall_s": round(total_s, 3),
        "window_s": round(window_s, 3),
        "facts_per_s": round(facts / busy, 1) if busy > 0 else None,
        "units_per_s": round(units / busy, 2) if busy > 0 else None,
        "checks": {"facts": checks.facts, "central": checks.central,
                   "in_sync_conflicts": checks.in_conflicts, "lost": checks.lost,
                   "duplicated": checks.duplicated,
                   "duplicated_settle_keys": checks.duplicated_settle_keys,
                   "in_both": checks.in_both, "outbox_pending": checks.outbox_pending,
                   "outbox_parked": checks.outbox_parked,
                   "lost_examples": checks.lost_examples},
        "failed_stations": fatal,
        "per_station": stations,
        "ok": ok,
    }


def format_summary(summary: dict[str, Any]) -> str:
    """The summary for people: a few lines, the verdict last."""
    latency = summary["latency_ms"]
    checks = summary["checks"]

    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value:.0f} ms"

    lines = [
        f"central: {summary['central']}",
        f"stations: {summary['stations']} × {summary['units_per_station']} unit(s), seed "
        f"{summary['seed']}, pace {summary['pace_ms']} ms, contention {summary['contention']}, "
        f"push every {summary['push_every']} unit(s)",
        f"units: {summary['units']} finalized, {summary['errors']} refused",
        f"facts pushed: {summary['facts_pushed']} in {summary['duration_s']:.1f} s "
        f"({summary['facts_per_s'] or 0:.0f} facts/s, {summary['units_per_s'] or 0:.1f} "
        "units/s)",
        f"conflicts: {summary['conflicts']}"
        + (f" ({', '.join(f'{k} {v}' for k, v in sorted(summary['conflicts_by_kind'].items()))})"
           if summary["conflicts_by_kind"] else "")
        + f"; parked: {summary['parked']}; retried transactions: {summary['retries']}; "
          f"failed pushes: {summary['push_failures']}",
        f"finalize → visible centrally: p50 {ms(latency['p50'])}, p99 {ms(latency['p99'])}, "
        f"max {ms(latency['max'])} ({latency['count']} units)",
        f"central check: {checks['facts']} facts: {checks['central']} in place, "
        f"{checks['in_sync_conflicts']} in sync_conflicts, {checks['lost']} lost, "
        f"{checks['duplicated']} duplicated ({checks['duplicated_settle_keys']} settle keys "
        f"settled twice, {checks['in_both']} facts in both); outbox {checks['outbox_pending']} "
        f"pending, {checks['outbox_parked']} parked",
    ]
    lines += [f"  lost: {example}" for example in checks["lost_examples"]]
    for code, problem in summary["failed_stations"].items():
        lines.append(f"station {code} failed: {problem}")
    for station in summary["per_station"]:
        for message, count in station.get("error_messages", {}).items():
            lines.append(f"station {station['code']}: {count} × {message}")
    lines.append("OK: 0 lost, 0 duplicated" if summary["ok"] else
                 "FAILED: " + ("facts lost or duplicated" if checks["lost"] or
                               checks["duplicated"] else "a station failed"))
    return "\n".join(lines)


__all__ = ["FLAG_RATES", "GRADE_WEIGHTS", "Checks", "FreeRma", "Options", "SimStation",
           "SimulationError", "StationPlan", "UnitPlan", "check_central", "deal_units",
           "finalize_unit", "format_summary", "free_rmas", "import_demo_rmas",
           "open_sim_station", "percentile", "prepare_central",
           "resolve_central_url", "run_simulation", "run_station", "shown_url",
           "station_names", "summarize"]
