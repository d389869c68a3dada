"""Signing in: who can sign in at this bench, PIN checks, and lockout after wrong PINs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from station import audit
from station.context import StationContext
from station.errors import UserFacingError
from station.models import User
from station.permissions import Actor
from station.pins import verify_pin
from station.vocabulary import Role

MAX_FAILED_PINS = 5
LOCKOUT = timedelta(minutes=15)


class SignInError(UserFacingError):
    """Sign-in refused; the message is safe to show (it never says which part was wrong)."""


@dataclass(frozen=True)
class UserChoice:
    username: str
    display_name: str
    role: Role


def list_users(ctx: StationContext) -> list[UserChoice]:
    with ctx.sessions() as session:
        users = session.scalars(
            select(User).where(User.active.is_(True)).order_by(User.display_name)
        )
        return [UserChoice(u.username, u.display_name, Role(u.role)) for u in users]


def actor_of(user: User) -> Actor:
    return Actor(user.id, user.username, user.display_name, Role(user.role))


def sign_in(ctx: StationContext, username: str, pin: str) -> Actor:
    """Check the PIN; every outcome is audited, and 5 wrong PINs lock the user for a while."""
    now = ctx.clock()
    with ctx.sessions.begin() as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None or not user.active:
            audit.record(session, station_code=ctx.station_code, actor=None,
                         actor_name=username[:64], action="signin.unknown_user",
                         subject=username[:100], data={}, now=now)
            failure: str | None = "Unknown or disabled user. Pick your name from the list."
        elif user.locked_until is not None and user.locked_until > now:
            minutes = int((user.locked_until - now).total_seconds() // 60) + 1
            audit.record(session, station_code=ctx.station_code, actor=actor_of(user),
                         action="signin.refused_locked", subject=user.username, data={}, now=now)
            failure = (f"{user.display_name} is locked after too many wrong PINs. Try again in "
                       f"{minutes} min or ask a supervisor to reset the PIN.")
        elif not verify_pin(user.pin_hash, pin):
            user.failed_pin_count += 1
            data: dict[str, object] = {"failed_count": user.failed_pin_count}
            if user.failed_pin_count >= MAX_FAILED_PINS:
                user.locked_until = now + LOCKOUT
                user.failed_pin_count = 0
                audit.record(session, station_code=ctx.station_code, actor=actor_of(user),
                             action="signin.locked", subject=user.username,
                             data={"until": user.locked_until}, now=now)
                failure = (f"Wrong PIN. {user.display_name} is now locked for "
                           f"{int(LOCKOUT.total_seconds() // 60)} minutes.")
            else:
                left = MAX_FAILED_PINS - user.failed_pin_count
                audit.record(session, station_code=ctx.station_code, actor=actor_of(user),
                             action="signin.failed_pin", subject=user.username, data=data, now=now)
                failure = f"Wrong PIN. {left} attempt{'s' if left != 1 else ''} left."
        else:
            user.failed_pin_count = 0
            user.locked_until = None
            audit.record(session, station_code=ctx.station_code, actor=actor_of(user),
                         action="signin.ok", subject=user.username, data={}, now=now)
            return actor_of(user)
    raise SignInError(failure)
