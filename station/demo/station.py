"""The demo station: its own data folder, one user per role, 240 realistic RMAs.

`open_demo` reopens the previous demo station as it was left (so work in progress, such as
an unfinished inspection, survives closing or killing the app), and seeds a new one when
there is none or when asked to start over. The demo folder carries a marker file, and only
a folder with that marker is ever wiped, so the demo can never delete a real station's data.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from station.common.vocabulary import Role
from station.demo.rmas import demo_rmas
from station.people.users import add_user
from station.receiving import rma_store
from station.runtime.bootstrap import OpenStation, open_station
from station.settings.config import CONFIG_FILE_NAME, SAMPLE_CONFIG, Locations, load_config
from station.settings.private_files import make_private_dirs, open_private
from station.sync.pull import pull_rmas

MARKER = ".returns-station-demo"
DEMO_STATION = "DEMO-01"


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    role: Role
    pin: str


# Demo-only PINs, printed on the demo sheet; a real station has no default user or PIN.
DEMO_USERS = (
    DemoUser("clara", "Clara Clerk", Role.CLERK, "2468"),
    DemoUser("gus", "Gus Grader", Role.GRADER, "1357"),
    DemoUser("sam", "Sam Supervisor", Role.SUPERVISOR, "864213"),
    DemoUser("ada", "Ada Admin", Role.ADMIN, "97531086"),
)


class DemoFolderError(RuntimeError):
    pass


def prepare_demo_folder(folder: Path) -> None:
    """Empty a previous demo folder, refusing any folder that is not one."""
    if folder.exists() and any(folder.iterdir()):
        if not (folder / MARKER).exists():
            raise DemoFolderError(
                f"{folder} holds data that is not a demo station; choose another --data-dir "
                "for the demo. Nothing was deleted."
            )
        shutil.rmtree(folder)
    make_private_dirs(folder)
    with open_private(folder / MARKER, "w") as marker:
        marker.write("Demo data of Returns Station; safe to delete.\n")


def open_demo(locations: Locations, *, today: date, fresh: bool = False) -> OpenStation:
    """The previous demo station as it was left, or a newly seeded one (`fresh`, or none)."""
    folder = locations.data_dir
    config_file = folder / CONFIG_FILE_NAME
    if not fresh and (folder / MARKER).exists() and locations.local_db.exists() \
            and config_file.exists():
        return open_station(load_config(config_file, required=True), locations)
    return seed_demo(locations, today=today)


def seed_demo(locations: Locations, *, today: date, rma_count: int = 240) -> OpenStation:
    """Create the demo station in an empty (or previous demo) folder and fill it."""
    prepare_demo_folder(locations.data_dir)
    config_file = locations.data_dir / CONFIG_FILE_NAME
    with open_private(config_file, "w") as file:
        file.write(SAMPLE_CONFIG.format(code=DEMO_STATION, prefix="DM"))
    config = load_config(config_file, required=True)
    opened = open_station(config, locations)
    with opened.ctx.sessions.begin() as session:
        for user in DEMO_USERS:
            add_user(session, opened.ctx, by=None, username=user.username,
                     display_name=user.display_name, role=user.role, pin=user.pin)
    central = opened.central_sessions()
    with central.begin() as session:
        rma_store.import_records(session, demo_rmas(rma_count, today=today),
                                 now=opened.ctx.clock())
    pull_rmas(central, opened.ctx.sessions)
    return opened
