"""A data folder has one station identity: a configuration without `[station] code` must
not quietly give it a second one.

Without `[station] code` the host name stands in (`config.default_station_code`). That is
right for a new folder, but a folder that already holds a station (a moved disk, a
re-installed PC, a config file that was lost) would start writing facts under a second
code: new LPN prefix, a second audit chain, a second station centrally.

Contract: `check_station_identity(config, locations)` returns quietly when the code was
configured, or when the folder's local database does not exist yet or already knows the
host-name code; otherwise it raises ConfigError telling the admin which `[station] code`
the folder's database uses. It only reads the database (SQLite, read-only) and changes
nothing.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing

from station.settings.config import ConfigError, Locations, StationConfig


def folder_station_codes(locations: Locations) -> list[str]:
    """The station codes the data folder's local database holds (none: no database yet)."""
    if not locations.local_db.is_file():
        return []
    uri = f"{locations.local_db.resolve().as_uri()}?mode=ro"
    try:
        with closing(sqlite3.connect(uri, uri=True, timeout=15)) as connection:
            rows = connection.execute("SELECT code FROM stations ORDER BY created_at, code")
            return [str(code) for (code,) in rows]
    except sqlite3.Error:
        return []  # not a station database (yet): opening it reports that properly


def check_station_identity(config: StationConfig, locations: Locations) -> None:
    """Raise ConfigError if the host name would become this folder's second station code."""
    if config.station_code_given:
        return
    codes = folder_station_codes(locations)
    if not codes or config.station_code in codes:
        return
    where = config.source or locations.config_file
    listed = ", ".join(codes)
    raise ConfigError(
        where, "station.code",
        f"is not set, so the host name {config.station_code} would be used, but the data "
        f"folder {locations.data_dir} belongs to station {listed}; add\n"
        f"  [station]\n  code = \"{codes[-1]}\"\n"
        f"to {where} (or give the right --config / --data-dir) so that this station keeps "
        "its identity")
