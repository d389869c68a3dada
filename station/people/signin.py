"""Signing in: by name and PIN, or by scanning a badge; lockout after wrong PINs.

Every outcome is an audited security event. Refusals never say whether the user exists
beyond what the sign-in list already shows, and never echo the PIN.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from station.audit import chain as audit
from station.codes.badges import badge_digest, looks_like_badge
from station.common.errors import UserFacingError
from station.common.permissions import Actor
from station.common.vocabulary import Role
from station.people.pins import verify_pin
from station.runtime.context import StationContext
from station.settings.pin_pepper import PepperError
from station.store.models import User


class SignInError(UserFacingError):
    """Sign-in refused; the message is safe to show."""


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


def has_users(ctx: StationContext) -> bool:
    with ctx.sessions() as session:
        return (session.scalar(select(func.count()).select_from(User)) or 0) > 0


def actor_of(user: User) -> Actor:
    return Actor(user.id, user.username, user.display_name, Role(user.role))


def _record(session: Session, ctx: StationContext, user: User | None, action: str,
            subject: str, data: dict[str, object] | None = None) -> None:
    audit.record(session, station_code=ctx.station_code,
                 actor=actor_of(user) if user else None, actor_name=subject[:64],
                 action=action, subject=subject[:100], data=data or {}, now=ctx.clock())


def _locked_message(ctx: StationContext, user: User) -> str | None:
    now = ctx.clock()
    if user.locked_until is None or user.locked_until <= now:
        return None
    minutes = int((user.locked_until - now).total_seconds() // 60) + 1
    return (f"{user.display_name} is locked after too many wrong PINs. Try again in "
            f"{minutes} min or ask an administrator to reset the PIN.")


def _unreadable_pin(ctx: StationContext, user: User) -> str | None:
    """Why the stored PIN cannot be checked (lost or replaced pepper, an unsealed or damaged
    value), or None. Not the person's fault: it is not counted as a wrong PIN."""
    try:
        ctx.pepper.open(user.pin_hash)
    except PepperError as error:
        return f"{user.display_name}: {error}"
    return None


def sign_in(ctx: StationContext, username: str, pin: str) -> Actor:
    """Check the PIN; too many wrong PINs in a row lock the user for a while."""
    security = ctx.config.security
    failure: str
    with ctx.sessions.begin() as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None or not user.active:
            _record(session, ctx, None, "signin.unknown_user", username)
            failure = "Unknown or disabled user. Pick your name from the list."
        elif (locked := _locked_message(ctx, user)) is not None:
            _record(session, ctx, user, "signin.refused_locked", user.username)
            failure = locked
        elif (unreadable := _unreadable_pin(ctx, user)) is not None:
            _record(session, ctx, user, "signin.pin_unreadable", user.username)
            failure = unreadable
        elif not verify_pin(ctx.pepper.open(user.pin_hash), pin):
            user.failed_pin_count += 1
            if user.failed_pin_count >= security.max_failed_pins:
                user.locked_until = ctx.clock() + timedelta(minutes=security.lockout_minutes)
                user.failed_pin_count = 0
                _record(session, ctx, user, "signin.locked", user.username,
                        {"until": user.locked_until})
                failure = (f"Wrong PIN. {user.display_name} is now locked for "
                           f"{security.lockout_minutes} minutes.")
            else:
                left = security.max_failed_pins - user.failed_pin_count
                _record(session, ctx, user, "signin.failed_pin", user.username,
                        {"failed_count": user.failed_pin_count})
                failure = f"Wrong PIN. {left} attempt{'s' if left != 1 else ''} left."
        else:
            user.failed_pin_count = 0
            user.locked_until = None
            _record(session, ctx, user, "signin.ok", user.username, {"method": "pin"})
            return actor_of(user)
    raise SignInError(failure)


def sign_in_with_badge(ctx: StationContext, code: str) -> Actor:
    """Sign in (or switch user) with one badge scan."""
    if not looks_like_badge(code):
        raise SignInError("That is not a badge. Scan your badge or choose your name.")
    failure: str
    with ctx.sessions.begin() as session:
        user = session.scalar(select(User).where(User.badge_code == badge_digest(code)))
        if user is None or not user.active:
            _record(session, ctx, None, "signin.unknown_badge", "badge")
            failure = ("This badge is not valid (replaced or disabled). Ask an administrator "
                       "for a new one, or sign in with your PIN.")
        elif (locked := _locked_message(ctx, user)) is not None:
            _record(session, ctx, user, "signin.refused_locked", user.username)
            failure = locked
        else:
            _record(session, ctx, user, "signin.ok", user.username, {"method": "badge"})
            return actor_of(user)
    raise SignInError(failure)



def sign_out(ctx: StationContext, actor: Actor, *, reason: str) -> None:
    """Record the end of a session: signed out, locked when idle, or replaced by a badge."""
    with ctx.sessions.begin() as session:
        audit.record(session, station_code=ctx.station_code, actor=actor,
                     action=f"session.{reason}", subject=actor.username, data={},
                     now=ctx.clock())
