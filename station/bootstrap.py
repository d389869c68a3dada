"""Opening a station: data folder, databases at the right schema, the station's own row.

The local database and the embedded central one belong to this station, so they are
created or migrated here; a PostgreSQL central database is only checked by sync (it is
shared, and migrated deliberately with `returns-station db upgrade`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

from station import schema
from station.config import Locations, StationConfig
from station.context import StationContext, utc_now
from station.database import make_engine, session_factory, sqlite_url
from station.models import Station


@dataclass
class OpenStation:
    """An opened station; `close` releases its database connections."""

    ctx: StationContext
    local_engine: Engine
    locations: Locations
    _central: Engine | None = None

    def central_engine(self) -> Engine:
        """The central database's engine, made on first use (it may be a remote server)."""
        if self._central is None:
            self._central = make_engine(central_url(self.ctx.config, self.locations))
        return self._central

    def central_sessions(self) -> sessionmaker[Session]:
        return session_factory(self.central_engine())

    def close(self) -> None:
        if self._central is not None:
            self._central.dispose()
            self._central = None
        self.local_engine.dispose()

    @property
    def central_is_embedded(self) -> bool:
        return not self.ctx.config.central.url


def central_url(config: StationConfig, locations: Locations) -> URL:
    """The central database URL, with the password from the environment, never the file."""
    if not config.central.url:
        return make_url(sqlite_url(locations.embedded_central_db))
    url = make_url(config.central.url)
    if url.get_backend_name() == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
        password = os.environ.get(config.central.password_env)
        if password:
            url = url.set(password=password)
        query = dict(url.query)
        if config.central.sslmode:
            query["sslmode"] = config.central.sslmode
        if config.central.sslrootcert:
            query["sslrootcert"] = config.central.sslrootcert
        url = url.set(query=query)
    return url


def open_station(config: StationConfig, locations: Locations) -> OpenStation:
    """Make the data folder and local database ready; raise SchemaError if it is too new."""
    locations.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(sqlite_url(locations.local_db))
    schema.upgrade(engine, label="station's local")
    opened = OpenStation(StationContext(session_factory(engine), config), engine, locations)
    if opened.central_is_embedded:
        schema.upgrade(opened.central_engine(), label="embedded central")
    with opened.ctx.sessions.begin() as session:
        station = session.get(Station, config.station_code)
        if station is None:
            session.add(Station(code=config.station_code, name=config.station_code,
                                site=config.site, lpn_prefix=config.effective_lpn_prefix,
                                created_at=utc_now()))
        else:
            station.site = config.site
            station.lpn_prefix = config.effective_lpn_prefix
    return opened
