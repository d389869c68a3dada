"""Creating and changing users; every change is an audited fact of the station."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from station import audit
from station.context import StationContext
from station.errors import UserFacingError
from station.models import User
from station.permissions import Actor
from station.pins import hash_pin
from station.vocabulary import Role

_USERNAME = re.compile(r"[a-z][a-z0-9._-]{1,31}")


class UserError(UserFacingError, ValueError):
    pass


def add_user(
    session: Session,
    ctx: StationContext,
    *,
    by: Actor | None,
    username: str,
    display_name: str,
    role: Role,
    pin: str,
    badge_code: str | None = None,
) -> User:
    """Create a user in the caller's transaction; `by` is None only for the first admin."""
    if not _USERNAME.fullmatch(username):
        raise UserError("a user name is 2-32 lower-case letters, digits, '.', '_' or '-'")
    name = display_name.strip()
    if not name or len(name) > 100 or any(not c.isprintable() for c in name):
        raise UserError("a display name is 1-100 printable characters")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise UserError(f"user {username!r} already exists")
    now = ctx.clock()
    user = User(
        username=username, display_name=name, role=role.value, pin_hash=hash_pin(pin),
        badge_code=badge_code, active=True, failed_pin_count=0, created_at=now,
    )
    session.add(user)
    session.flush()
    audit.record(session, station_code=ctx.station_code, actor=by, action="user.added",
                 subject=username, data={"role": role.value, "display_name": name}, now=now)
    return user
