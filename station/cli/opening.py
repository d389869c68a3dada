"""Where the station is and opening it, for a command or the app, from the global options
(--config, --data-dir, --demo, --fresh-demo).

Contract: `configured` reads and validates the configuration without opening any database
(commands that need no station use it); `open_for_command` opens the station, the demo one
with --demo, checks its identity and logs to its data folder. Errors propagate for
`main`'s error mapping to print.

Logging starts before a station is opened, so what opening it does (migrations, the PIN
key and audit key found or made, PIN hashes sealed) reaches the log; a demo station's log
starts after, since making a demo empties its folder, log folder included.
"""

from __future__ import annotations

import argparse
import logging
from datetime import date

from station.demo.station import open_demo
from station.runtime.bootstrap import OpenStation, open_station
from station.settings.config import Locations, StationConfig, load_config, resolve_locations
from station.settings.logging_setup import configure_logging
from station.settings.station_identity import check_station_identity

log = logging.getLogger(__name__)


def configured(args: argparse.Namespace) -> tuple[Locations, StationConfig]:
    """Where the station is and its validated configuration, from --data-dir/--config."""
    locations = resolve_locations(data_dir=args.data_dir, config_file=args.config)
    return locations, load_config(locations.config_file, required=args.config is not None)


def wants_demo(args: argparse.Namespace) -> bool:
    """--demo or --fresh-demo: the demo station, and the app shows it as one."""
    return bool(args.demo or args.fresh_demo)


def open_for_command(args: argparse.Namespace) -> OpenStation:
    """The station the global options name, opened, with logging to its data folder."""
    if wants_demo(args):
        locations = resolve_locations(
            data_dir=args.data_dir or str(resolve_locations().data_dir / "demo"),
        )
        opened = open_demo(locations, today=date.today(), fresh=args.fresh_demo)
        configure_logging(locations.logs_dir)
    else:
        locations, config = configured(args)
        check_station_identity(config, locations)
        configure_logging(locations.logs_dir)
        opened = open_station(config, locations)
    log.info("opened station %s%s (data folder %s)", opened.ctx.station_code,
             " (demo)" if wants_demo(args) else "", locations.data_dir)
    return opened
