"""A real station (local SQLite + embedded central SQLite) in a temporary folder."""

import atexit
import shutil
import tempfile
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from station.common.permissions import Actor
from station.common.vocabulary import Role
from station.demo.rmas import demo_rmas
from station.loadgen.simulated_grader import SIMULATED_PHOTO
from station.people.signin import actor_of
from station.people.users import add_user
from station.receiving import rma_store
from station.runtime.bootstrap import OpenStation, open_station
from station.settings.config import Locations, StationConfig, resolve_locations
from station.store.models import User
from station.sync.pull import pull_rmas

TODAY = date(2026, 11, 20)
PINS = {Role.CLERK: "2468", Role.GRADER: "1357", Role.SUPERVISOR: "864213",
        Role.ADMIN: "97531086"}


class ManualClock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class StationUnderTest:
    opened: OpenStation
    clock: ManualClock
    actors: dict[Role, Actor]

    @property
    def ctx(self) -> Any:
        return self.opened.ctx

    @property
    def locations(self) -> Locations:
        return self.opened.locations


START = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
_templates: dict[tuple[int, str], Path] = {}


def _build(folder: Path, rma_count: int, station_code: str) -> None:
    """Users (argon2 hashing is deliberately slow) and RMAs, built once per test run."""
    locations = resolve_locations(data_dir=str(folder), env={})
    opened = open_station(StationConfig(station_code=station_code, lpn_prefix="BN"), locations)
    ctx = replace(opened.ctx, clock=ManualClock(START))
    with ctx.sessions.begin() as session:
        for role, pin in PINS.items():
            add_user(session, ctx, by=None, username=role.value,
                     display_name=f"{role.value.title()} Person", role=role, pin=pin)
    central = opened.central_sessions()
    with central.begin() as session:
        rma_store.import_records(session, demo_rmas(rma_count, today=TODAY), now=START)
    pull_rmas(central, ctx.sessions)
    opened.close()


def _template(rma_count: int, station_code: str) -> Path:
    key = (rma_count, station_code)
    if key not in _templates:
        folder = Path(tempfile.mkdtemp(prefix="returns-station-template-"))
        atexit.register(shutil.rmtree, folder, True)
        _build(folder / "station", rma_count, station_code)
        _templates[key] = folder / "station"
    return _templates[key]


def make_station(folder: Path, *, rma_count: int = 12, station_code: str = "BENCH-01",
                 lpn_prefix: str = "BN", **config: object) -> StationUnderTest:
    """A copy of a prepared station, opened as `station_code` with this config and a clock
    the test moves. Every copy has the same RMAs (same ids) as the template's embedded
    central database, so copies opened under different codes can sync with one central."""
    shutil.copytree(_template(rma_count, "BENCH-01"), folder)
    # The folder's own config, so the CLI run on it is this station, not the host name.
    (folder / "config.toml").write_text(
        f'[station]\ncode = "{station_code}"\nlpn_prefix = "{lpn_prefix}"\n', encoding="utf-8")
    locations = resolve_locations(data_dir=str(folder), env={})
    cfg = StationConfig(station_code=station_code, lpn_prefix=lpn_prefix, **config)  # type: ignore[arg-type]
    clock = ManualClock(START)
    opened = open_station(cfg, locations)
    opened = replace(opened, ctx=replace(opened.ctx, clock=clock))
    with opened.ctx.sessions() as session:
        actors = {Role(u.role): actor_of(u) for u in session.scalars(select(User))}
    return StationUnderTest(opened, clock, actors)


#: A 2×2 PNG: what tests store as a photo when the image itself does not matter.
TINY_PNG = SIMULATED_PHOTO


def ready_unit(bench: StationUnderTest, actor: Actor, receipt_id: Any, line_id: Any,
               grade: Any) -> Any:
    """Start a unit and have the simulated grader take it to `grade`, ready to finalize."""
    from station.inspection import finalize as inspection
    from station.loadgen import simulated_grader
    from station.ports.photos import MemoryPhotoStore

    work = inspection.start_unit(bench.ctx, actor, receipt_id, line_id)
    simulated_grader.finish(work, grade, actor, MemoryPhotoStore(), TINY_PNG, bench.clock())
    return work


def inspect_unit(bench: StationUnderTest, actor: Actor, receipt_id: Any, line_id: Any,
                 grade: Any) -> Any:
    """A unit inspected and finalized at `grade` (a FinalizedUnit)."""
    from station.inspection import finalize as inspection

    work = ready_unit(bench, actor, receipt_id, line_id, grade)
    return inspection.finalize(bench.ctx, actor, work)
