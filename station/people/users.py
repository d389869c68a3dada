"""Managing users: admin only, every change an audited fact of the station.

The one exception to "admin only" is the very first user of a station, who must be an
admin and can only be created while the station has no users at all; there is never a
default user or password.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from station.audit import chain as audit
from station.codes.badges import badge_digest, new_badge_code
from station.common.errors import UserFacingError
from station.common.permissions import Action, Actor
from station.common.text_hygiene import clean_text
from station.common.vocabulary import Role
from station.people.pins import PinPolicyError, hash_pin, needs_new_pin, pin_rule
from station.runtime.authorization import require
from station.runtime.context import StationContext
from station.store.models import User

# The user-name rule, written once: the check below and the words people read
# (USERNAME_RULE, shown by the Users dialog before anything is sent) both come from these.
USERNAME_MIN_LENGTH = 2
USERNAME_MAX_LENGTH = 32
_USERNAME_PUNCTUATION = "._-"
_USERNAME = re.compile(rf"[a-z][a-z0-9{re.escape(_USERNAME_PUNCTUATION)}]"
                       rf"{{{USERNAME_MIN_LENGTH - 1},{USERNAME_MAX_LENGTH - 1}}}")
_punctuation = [f"'{mark}'" for mark in _USERNAME_PUNCTUATION]
USERNAME_RULE = (f"{USERNAME_MIN_LENGTH}-{USERNAME_MAX_LENGTH} characters: lower-case "
                 f"letters, digits, {', '.join(_punctuation[:-1])} or {_punctuation[-1]}, "
                 "starting with a letter")


class UserError(UserFacingError, ValueError):
    pass


@dataclass(frozen=True)
class UserInfo:
    """One person as the admin sees them; `failed_pins` is the station's count of wrong
    PINs in a row against this name (reset by a right PIN, a lockout or a PIN reset)."""

    username: str
    display_name: str
    role: Role
    active: bool
    has_badge: bool
    locked_until: datetime | None
    failed_pins: int = 0


def info_of(user: User) -> UserInfo:
    return UserInfo(user.username, user.display_name, Role(user.role), user.active,
                    user.badge_code is not None, user.locked_until, user.failed_pin_count)


def _get(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise UserError(f"There is no user {username!r}; `users list` shows who there is.")
    return user


class NewPinRequired(UserError):
    """The new role needs a longer PIN than the old one: ask for a new PIN and try again."""


def plain_pin_hash(pin: str, role: Role) -> str:
    """The PIN's argon2 hash (as the central directory keeps it), or UserError saying which
    rule it breaks."""
    try:
        return hash_pin(pin, role)
    except PinPolicyError as error:
        raise UserError(f"PIN refused: {error}.") from None


def _pin_hash(ctx: StationContext, pin: str, role: Role) -> str:
    """The PIN's argon2 hash, sealed with the station's pepper (never stored plain)."""
    return ctx.pepper.seal(plain_pin_hash(pin, role))


def check_username(username: str) -> None:
    """UserError, saying the rule (USERNAME_RULE), when `username` breaks it; the one check
    of a user name, which forms call before sending so nothing typed is lost."""
    if not _USERNAME.fullmatch(username):
        raise UserError(f"A user name is {USERNAME_RULE}.")


def name_taken(username: str) -> UserError:
    """The refusal of a user name someone already has (the core's, and a form's that knows
    the names already)."""
    return UserError(f"User {username!r} already exists.")


def require_local_directory(ctx: StationContext) -> None:
    """People are managed here only on a standalone station; with a central database
    they are managed there and pulled by sync (station.people.directory)."""
    if ctx.config.central.url:
        raise UserError(
            "This station syncs with a central database, which decides who may act: people "
            "are managed there (returns-station central users … with the central admin's "
            "credentials) and arrive here with the next sync.")


def clean_display_name(name: str) -> str:
    cleaned = clean_text(name, max_len=100)
    if not cleaned:
        raise UserError("A display name needs at least one printable character.")
    return cleaned


def _audit(session: Session, ctx: StationContext, actor: Actor | None, action: str,
           username: str, data: dict[str, object]) -> None:
    audit.record(session, station_code=ctx.station_code, actor=actor, action=action,
                 subject=username, data=data, now=ctx.clock(), actor_name="first-start")


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
    """Create a user in the caller's transaction (permission checked by the caller)."""
    check_username(username)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise name_taken(username)
    user = User(
        username=username, display_name=clean_display_name(display_name), role=role.value,
        pin_hash=_pin_hash(ctx, pin, role),
        badge_code=badge_digest(badge_code) if badge_code else None,
        active=True, failed_pin_count=0, created_at=ctx.clock(),
    )
    session.add(user)
    session.flush()
    _audit(session, ctx, by, "user.added", username,
           {"role": role.value, "display_name": user.display_name})
    return user


def create_first_admin(ctx: StationContext, *, username: str, display_name: str,
                       pin: str) -> UserInfo:
    """The first user of a station; refused once any user exists."""
    require_local_directory(ctx)
    with ctx.sessions.begin() as session:
        if (session.scalar(select(func.count()).select_from(User)) or 0) > 0:
            raise UserError("This station already has users; an admin must add new ones.")
        user = add_user(session, ctx, by=None, username=username, display_name=display_name,
                        role=Role.ADMIN, pin=pin)
        return info_of(user)


def create_user(ctx: StationContext, actor: Actor, *, username: str, display_name: str,
                role: Role, pin: str) -> UserInfo:
    require(ctx, actor, Action.MANAGE_USERS)
    require_local_directory(ctx)
    with ctx.sessions.begin() as session:
        return info_of(add_user(session, ctx, by=actor, username=username,
                              display_name=display_name, role=role, pin=pin))


def list_all(ctx: StationContext, actor: Actor) -> list[UserInfo]:
    require(ctx, actor, Action.MANAGE_USERS)
    with ctx.sessions() as session:
        return [info_of(u) for u in session.scalars(select(User).order_by(User.username))]


def keep_an_admin(session: Session, user: User, *, role: Role, active: bool) -> None:
    """The last active admin may be neither disabled nor made something else."""
    losing = user.role == Role.ADMIN.value and user.active and (
        not active or role != Role.ADMIN)
    if losing and (session.scalar(select(func.count()).select_from(User).where(
            User.role == Role.ADMIN.value, User.active.is_(True))) or 0) <= 1:
        raise UserError("That is the last active admin; make someone else admin first.")


def ask_for_a_longer_pin(username: str, before: Role, role: Role, pin: str | None) -> None:
    """A role that needs a longer PIN than the old one is given only with a new PIN."""
    if pin is None and needs_new_pin(before, role):
        raise NewPinRequired(f"Making {username} {role.value} needs a new PIN: "
                             f"{pin_rule(role)}.")


def set_active(ctx: StationContext, actor: Actor, username: str, active: bool) -> UserInfo:
    """Disable or re-enable a user; the last active admin cannot be disabled."""
    require(ctx, actor, Action.MANAGE_USERS)
    require_local_directory(ctx)
    with ctx.sessions.begin() as session:
        user = _get(session, username)
        keep_an_admin(session, user, role=Role(user.role), active=active)
        if not active and user.id == actor.user_id:
            raise UserError("You cannot disable yourself; ask another admin.")
        if user.active and not active:
            user.deactivated_at = ctx.clock()
        user.active = active
        _audit(session, ctx, actor, "user.enabled" if active else "user.disabled", username, {})
        return info_of(user)


def reset_pin(ctx: StationContext, actor: Actor, username: str, pin: str) -> UserInfo:
    """Set a new PIN and lift any lockout."""
    require(ctx, actor, Action.MANAGE_USERS)
    require_local_directory(ctx)
    with ctx.sessions.begin() as session:
        user = _get(session, username)
        user.pin_hash = _pin_hash(ctx, pin, Role(user.role))
        user.failed_pin_count = 0
        user.locked_until = None
        _audit(session, ctx, actor, "user.pin_reset", username, {})
        return info_of(user)


def set_role(ctx: StationContext, actor: Actor, username: str, role: Role,
             new_pin: str | None = None) -> UserInfo:
    """Change a role. A role that needs a longer PIN (supervisor, admin) needs `new_pin`
    too, set in the same transaction: raises NewPinRequired, changing nothing, without it."""
    require(ctx, actor, Action.MANAGE_USERS)
    require_local_directory(ctx)
    with ctx.sessions.begin() as session:
        user = _get(session, username)
        keep_an_admin(session, user, role=role, active=user.active)
        before = user.role
        ask_for_a_longer_pin(username, Role(before), role, new_pin)
        if new_pin is not None:
            user.pin_hash = _pin_hash(ctx, new_pin, role)
            user.failed_pin_count = 0
            user.locked_until = None
        user.role = role.value
        _audit(session, ctx, actor, "user.role_changed", username,
               {"from": before, "to": role.value})
        if new_pin is not None:
            _audit(session, ctx, actor, "user.pin_reset", username, {})
        return info_of(user)


class BadgeExists(UserError):
    """The user has a badge and replacing it was not asked for: nothing changed."""


def issue_badge(ctx: StationContext, actor: Actor, username: str, *,
                replacing: bool = True) -> str:
    """A new badge code for the user (shown once); any earlier badge stops working.

    A screen that asks before replacing a badge passes `replacing=False` when it believes
    there is none: if one was issued meanwhile (its list was read before), BadgeExists is
    raised and nothing changes, so a badge is never revoked without the question."""
    require(ctx, actor, Action.MANAGE_USERS)
    require_local_directory(ctx)
    code = new_badge_code()
    with ctx.sessions.begin() as session:
        user = _get(session, username)
        replaced = user.badge_code is not None
        if replaced and not replacing:
            raise BadgeExists(f"{user.display_name} has a badge already (issued after this "
                              "list was read); a new one replaces it only if you say so.")
        user.badge_code = badge_digest(code)
        _audit(session, ctx, actor, "user.badge_issued", username, {"replaced": replaced})
    return code
