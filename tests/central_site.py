"""What a site's admin does before a bench may push to a shared central database: enrol
its station and put its people in the central directory (tests give each bench its own
people, so a name another bench's person already has gets the station code appended)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from station.runtime.context import StationContext
from station.store.models import User
from station.sync import exchange as sync
from station.trust import enrolment


def join(central: sessionmaker[Session], ctx: StationContext, *,
         lpn_prefix: str | None = None) -> None:
    config = ctx.config
    now = datetime.now(UTC)
    with ctx.sessions() as session:
        people = list(session.scalars(select(User)))
        session.expunge_all()
    with central.begin() as session:
        station = enrolment.standing(session, config.station_code)
        if station is None or not station.enrolled or station.revoked:
            enrolment.enrol_station(session, code=config.station_code, site=config.site,
                                    lpn_prefix=lpn_prefix or config.effective_lpn_prefix,
                                    now=now, by="site admin (tests)", db_role=None)
        for person in people:
            if session.get(User, person.id) is not None:
                continue
            name = person.username
            if session.scalar(select(User.id).where(User.username == name)) is not None:
                name = f"{name[:40]}-{config.station_code.lower()}"
            session.add(User(id=person.id, username=name, display_name=person.display_name,
                             role=person.role, pin_hash=ctx.pepper.open(person.pin_hash),
                             badge_code=None, active=person.active, failed_pin_count=0,
                             created_at=person.created_at,
                             deactivated_at=person.deactivated_at))


def identity(ctx: StationContext) -> sync.StationIdentity:
    """The station as a bench of a site: the shared central database is its directory."""
    return dataclasses.replace(sync.StationIdentity.of(ctx.config), standalone=False)
