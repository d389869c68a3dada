"""People are central: the central database's `users` table is the one directory of who
may act, with which role, and it decides whether a fact is accepted (station.trust.central_rules).

- On a site with a PostgreSQL central database, admins manage people there with the
  central owner's credentials (`returns-station central users …`), and every sync pulls
  the directory into the station, which then signs people in offline. The station keeps
  only its own lockout counters; PIN hashes are sealed with its pepper as they arrive.
  Anyone at the station who is not in the directory can no longer sign in there.
- A standalone station is its own directory: its people are managed at the station and
  published to its embedded central database before each push.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from station.codes.badges import badge_digest, new_badge_code
from station.common.errors import UserFacingError
from station.common.ids import uuid7
from station.common.vocabulary import Role
from station.people.users import (
    UserInfo,
    ask_for_a_longer_pin,
    check_username,
    clean_display_name,
    info_of,
    keep_an_admin,
    name_taken,
    plain_pin_hash,
)
from station.settings.pin_pepper import PepperError, PinPepper
from station.store.models import User
from station.trust.enrolment import record


class DirectoryError(UserFacingError):
    pass


@dataclass(frozen=True)
class PulledUsers:
    added: int
    changed: int
    withdrawn: int


# ---------------------------------------------------------------------------- pull / publish


def pull_users(central: sessionmaker[Session], local: sessionmaker[Session],
               pepper: PinPepper) -> PulledUsers:
    """Make the station's people those of the central directory, keeping the station's own
    lockout state; people the directory does not know are disabled here."""
    with central() as session:
        directory = {user.id: _copy(user) for user in session.scalars(select(User))}
    added = changed = withdrawn = 0
    with local.begin() as session:
        here = {user.id: user for user in session.scalars(select(User))}
        for user_id, user in here.items():
            if user_id not in directory and user.active:
                user.active = False
                withdrawn += 1
        session.flush()
        for user_id, central_user in directory.items():
            mine = here.get(user_id)
            if mine is None:
                _free_username(session, central_user.username, user_id)
                central_user.pin_hash = pepper.seal(central_user.pin_hash)
                session.add(central_user)
                added += 1
                continue
            if _same(mine, central_user, pepper):
                continue
            _free_username(session, central_user.username, user_id)
            mine.username = central_user.username
            mine.display_name = central_user.display_name
            mine.role = central_user.role
            mine.active = central_user.active
            mine.badge_code = central_user.badge_code
            mine.deactivated_at = central_user.deactivated_at
            if not _opens_to(pepper, mine.pin_hash, central_user.pin_hash):
                mine.pin_hash = pepper.seal(central_user.pin_hash)
                mine.failed_pin_count = 0
                mine.locked_until = None
            changed += 1
    return PulledUsers(added, changed, withdrawn)


def publish_local_users(local: sessionmaker[Session], central: sessionmaker[Session]) -> int:
    """A standalone station's people into its embedded central database (upsert by id)."""
    with local() as session:
        people = [_copy(user) for user in session.scalars(select(User))]
    with central.begin() as session:
        for person in people:
            existing = session.get(User, person.id)
            if existing is None:
                _free_username(session, person.username, person.id)
                session.add(person)
            else:
                for column in ("username", "display_name", "role", "pin_hash", "badge_code",
                               "active", "deactivated_at"):
                    setattr(existing, column, getattr(person, column))
    return len(people)


def _copy(user: User) -> User:
    return User(id=user.id, username=user.username, display_name=user.display_name,
                role=user.role, pin_hash=user.pin_hash, badge_code=user.badge_code,
                active=user.active, failed_pin_count=0, locked_until=None,
                created_at=user.created_at, deactivated_at=user.deactivated_at)


def _opens_to(pepper: PinPepper, sealed: str, plain: str) -> bool:
    try:
        return pepper.open(sealed) == plain
    except PepperError:
        return False


def _same(mine: User, theirs: User, pepper: PinPepper) -> bool:
    return (mine.username, mine.display_name, mine.role, mine.active, mine.badge_code,
            mine.deactivated_at) == (theirs.username, theirs.display_name, theirs.role,
                                     theirs.active, theirs.badge_code, theirs.deactivated_at) \
        and _opens_to(pepper, mine.pin_hash, theirs.pin_hash)


def _free_username(session: Session, username: str, keeper: object) -> None:
    """A station-only person with a directory person's name gives the name up."""
    clash = session.scalar(select(User).where(User.username == username, User.id != keeper))
    if clash is not None:
        clash.username = f"{clash.username[:50]}~{str(clash.id)[:8]}"
        clash.active = False
        session.flush()


# ---------------------------------------------------------------------------- central admin


def _get(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise DirectoryError(f"The central directory has no user {username!r}.")
    return user


def add(session: Session, *, by: str, username: str, display_name: str, role: Role, pin: str,
        now: datetime) -> UserInfo:
    check_username(username)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise name_taken(username)
    user = User(id=uuid7(), username=username, display_name=clean_display_name(display_name),
                role=role.value, pin_hash=plain_pin_hash(pin, role), badge_code=None, active=True,
                failed_pin_count=0, created_at=now)
    session.add(user)
    record(session, actor=by, action="user.added", subject=username,
           data={"role": role.value, "display_name": user.display_name}, now=now)
    session.flush()
    return info_of(user)


def list_all(session: Session) -> list[UserInfo]:
    return [info_of(user) for user in session.scalars(select(User).order_by(User.username))]


def set_active(session: Session, *, by: str, username: str, active: bool,
               now: datetime) -> UserInfo:
    user = _get(session, username)
    keep_an_admin(session, user, role=Role(user.role), active=active)
    if user.active and not active:
        user.deactivated_at = now
    user.active = active
    record(session, actor=by, action="user.enabled" if active else "user.disabled",
           subject=username, data={}, now=now)
    return info_of(user)


def set_role(session: Session, *, by: str, username: str, role: Role,
             pin: str | None, now: datetime) -> UserInfo:
    user = _get(session, username)
    keep_an_admin(session, user, role=role, active=user.active)
    before = user.role
    ask_for_a_longer_pin(username, Role(before), role, pin)
    if pin is not None:
        user.pin_hash = plain_pin_hash(pin, role)
    user.role = role.value
    record(session, actor=by, action="user.role_changed", subject=username,
           data={"from": before, "to": role.value, "new_pin": pin is not None}, now=now)
    return info_of(user)


def reset_pin(session: Session, *, by: str, username: str, pin: str,
              now: datetime) -> UserInfo:
    user = _get(session, username)
    user.pin_hash = plain_pin_hash(pin, Role(user.role))
    record(session, actor=by, action="user.pin_reset", subject=username, data={}, now=now)
    return info_of(user)


def issue_badge(session: Session, *, by: str, username: str, now: datetime) -> str:
    user = _get(session, username)
    code = new_badge_code()
    replaced = user.badge_code is not None
    user.badge_code = badge_digest(code)
    record(session, actor=by, action="user.badge_issued", subject=username,
           data={"replaced": replaced}, now=now)
    return code
