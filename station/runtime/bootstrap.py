"""Opening a station: data folder, databases at the right schema, the station's own row.

The local database and the embedded central one belong to this station, so they are
created or migrated here; a PostgreSQL central database is only checked by sync (it is
shared, and migrated deliberately with `returns-station db upgrade`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

from station.audit import chain as audit
from station.audit import signing as audit_signing
from station.grading.checklist_files import shipped_checklists
from station.routing.rules import configured_rule_set
from station.runtime.context import StationContext, utc_now
from station.runtime.pin_sealing import station_pepper
from station.settings.config import Locations, StationConfig
from station.settings.private_files import make_data_folder_private, report_tightened
from station.store import schema
from station.store.central_connection import postgres_connect_args
from station.store.central_password import central_password
from station.store.database import make_engine, session_factory, sqlite_url
from station.store.models import AuditEvent, Station
from station.trust import central_rules, enrolment


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
            url = central_url(self.ctx.config, self.locations)
            timeouts = (postgres_connect_args(self.ctx.config.central)
                        if url.get_backend_name() == "postgresql" else None)
            self._central = make_engine(url, connect_args=timeouts,
                                        isolation_level=self.ctx.config.central.isolation)
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


def central_url(
    config: StationConfig, locations: Locations, *, override: str | None = None
) -> URL:
    """The central database URL, with the password from the environment, never the file."""
    raw = override or config.central.url
    if not raw:
        return make_url(sqlite_url(locations.embedded_central_db))
    url = make_url(raw)
    if url.get_backend_name() == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
        password = central_password(config.central, url)
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
    rules = configured_rule_set(config)
    report_tightened(locations.data_dir, make_data_folder_private(locations.data_dir))
    engine = make_engine(sqlite_url(locations.local_db))
    schema.upgrade(engine, label="station's local")
    sessions = session_factory(engine)
    try:
        audit_signing.attach(sessions, audit_signing.load_or_create(
            sessions, config.station_code, data_dir=locations.data_dir))
        pepper = station_pepper(sessions, locations.data_dir, station_code=config.station_code,
                                now=utc_now())
    except BaseException:
        engine.dispose()
        raise
    ctx = StationContext(sessions, config, pepper, checklists=shipped_checklists(), rules=rules)
    opened = OpenStation(ctx, engine, locations)
    if opened.central_is_embedded:
        _open_embedded_central(opened)
    with opened.ctx.sessions.begin() as session:
        _audit_config_change(session, opened.ctx)
        station = session.get(Station, config.station_code)
        if station is None:
            session.add(Station(code=config.station_code, name=config.station_code,
                                site=config.site, lpn_prefix=config.effective_lpn_prefix,
                                created_at=utc_now()))
        else:
            station.site = config.site
            station.lpn_prefix = config.effective_lpn_prefix
    return opened


def _open_embedded_central(opened: OpenStation) -> None:
    """A standalone station is its own authority: its embedded central database gets the
    acceptance rules and enrols the station itself."""
    engine = opened.central_engine()
    central_rules.upgrade_central(engine, label="embedded central")
    config = opened.ctx.config
    with session_factory(engine).begin() as session:
        enrolment.enrol_embedded(session, code=config.station_code, site=config.site,
                                 lpn_prefix=config.effective_lpn_prefix, now=utc_now())


def config_fingerprint(config: StationConfig) -> str:
    """A hash of the effective settings (not of the file's comments or layout)."""
    values = dataclasses.asdict(config)
    values.pop("source", None)
    values.pop("station_code_given", None)  # where the code came from is not a setting
    canonical = json.dumps(values, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _audit_config_change(session: Session, ctx: StationContext) -> None:
    """A configuration that differs from the one last seen at start-up is an audited event."""
    fingerprint = config_fingerprint(ctx.config)
    last = session.scalars(
        select(AuditEvent.data)
        .where(AuditEvent.station_code == ctx.station_code,
               AuditEvent.action == "config.changed")
        .order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    if last is not None and last.get("sha256") == fingerprint:
        return
    audit.record(session, station_code=ctx.station_code, actor=None, actor_name="start-up",
                 action="config.changed", subject=str(ctx.config.source or "defaults")[-100:],
                 data={"sha256": fingerprint, "first": last is None}, now=ctx.clock())
