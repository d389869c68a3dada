"""A real station (local SQLite + embedded central SQLite) in a temporary folder."""

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from station import rma_store
from station.bootstrap import OpenStation, open_station
from station.config import Locations, StationConfig, resolve_locations
from station.demo_data import demo_rmas
from station.permissions import Actor
from station.pull import pull_rmas
from station.signin import actor_of
from station.users import add_user
from station.vocabulary import Role

TODAY = date(2026, 11, 20)
PINS = {Role.CLERK: "2468", Role.GRADER: "1357", Role.SUPERVISOR: "8642", Role.ADMIN: "9753"}


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


def make_station(folder: Path, *, rma_count: int = 12, station_code: str = "BENCH-01",
                 **config: object) -> StationUnderTest:
    locations = resolve_locations(data_dir=str(folder), env={})
    cfg = StationConfig(station_code=station_code, lpn_prefix="BN", **config)  # type: ignore[arg-type]
    opened = open_station(cfg, locations)
    clock = ManualClock(datetime(2026, 11, 20, 9, 30, tzinfo=UTC))
    opened = replace(opened, ctx=replace(opened.ctx, clock=clock))
    actors: dict[Role, Actor] = {}
    with opened.ctx.sessions.begin() as session:
        for role, pin in PINS.items():
            user = add_user(session, opened.ctx, by=None, username=role.value,
                            display_name=f"{role.value.title()} Person", role=role, pin=pin)
            actors[role] = actor_of(user)
    central = opened.central_sessions()
    with central.begin() as session:
        rma_store.import_records(session, demo_rmas(rma_count, today=TODAY), now=clock())
    pull_rmas(central, opened.ctx.sessions)
    return StationUnderTest(opened, clock, actors)
