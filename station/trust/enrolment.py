"""Which stations may push: enrolled centrally by an admin, revocable, each with its own
PostgreSQL login role so that the database itself knows which station is writing.

An admin enrols a station with the central database owner's credentials
(`returns-station central enrol-station CODE …`): the station's row is marked enrolled and,
on PostgreSQL, a login role `rs_station_<code>` is created in the stations' group role with
a random one-time password, handed over inside an enrolment token. At the bench,
`returns-station enrol TOKEN` signs in with that password once and replaces it with a new
one only the bench knows (kept in the OS keyring or the secrets folder), so the token is
worthless afterwards. Revoking a station marks its row, takes the login away and ends its
open sessions. A station that runs standalone on its embedded central database is its own
authority and enrols itself there when it opens.

Every refused push is recorded centrally (`central_audit`, action `sync.refused`).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Connection, select, text
from sqlalchemy.orm import Session

from station.common.errors import UserFacingError
from station.common.ids import uuid7
from station.common.text_hygiene import clean_text
from station.settings.config import lpn_prefix_problem, station_code_problem
from station.store.models import CentralAuditEvent, Station

TOKEN_PREFIX: Final = "RSE1."  # noqa: S105 - a marker, not a secret
STATION_ROLE_PREFIX: Final = "rs_station_"
_ROLE_SAFE: Final = re.compile(r"[a-z][a-z0-9_]{0,62}")
_PASSWORD_SAFE: Final = re.compile(r"[A-Za-z0-9_-]{20,100}")
_TOKEN_MAX: Final = 1000


class EnrolmentError(UserFacingError):
    """Enrolment, revocation or the enrolment token went wrong; the message says why."""


@dataclass(frozen=True)
class EnrolmentToken:
    """What a bench needs to enrol once: its station code, its role and a one-time
    password."""

    station_code: str
    db_role: str
    password: str

    def encode(self) -> str:
        body = json.dumps({"station": self.station_code, "role": self.db_role,
                           "password": self.password}, separators=(",", ":"))
        return TOKEN_PREFIX + base64.urlsafe_b64encode(body.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> EnrolmentToken:
        token = token.strip()
        bad = EnrolmentError("That is not an enrolment token (it starts with RSE1.); copy the "
                             "whole token the admin's `central enrol-station` printed.")
        if len(token) > _TOKEN_MAX or not token.startswith(TOKEN_PREFIX):
            raise bad
        body = token[len(TOKEN_PREFIX):]
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            values: Any = json.loads(raw)
        except (binascii.Error, ValueError):
            raise bad from None
        if not isinstance(values, dict) or not all(
                isinstance(values.get(key), str) for key in ("station", "role", "password")):
            raise bad
        decoded = cls(values["station"], values["role"], values["password"])
        if not _ROLE_SAFE.fullmatch(decoded.db_role) or \
                not _PASSWORD_SAFE.fullmatch(decoded.password):
            raise bad
        return decoded


def role_for(station_code: str) -> str:
    """The PostgreSQL login role of a station: rs_station_ + its code, lower case, with
    anything but letters and digits as '_'."""
    role = STATION_ROLE_PREFIX + re.sub(r"[^a-z0-9]", "_", station_code.lower())
    if not _ROLE_SAFE.fullmatch(role):
        raise EnrolmentError(f"Station code {station_code!r} does not make a database role "
                             "name; use letters, digits and '-' (at most 50).")
    return role


def new_password() -> str:
    return secrets.token_urlsafe(32)


def record(session: Session, *, actor: str, action: str, subject: str,
           data: dict[str, Any], now: datetime) -> None:
    """A row of the central audit record, in the caller's transaction."""
    session.add(CentralAuditEvent(id=uuid7(), occurred_at=now, db_user=_db_user(session),
                                  actor=actor[:64], action=action, subject=subject[:100],
                                  data=data))


def _db_user(session: Session) -> str:
    if session.get_bind().dialect.name == "postgresql":
        return str(session.scalar(text("SELECT session_user")))
    return "embedded"


def enrol_station(session: Session, *, code: str, site: str, lpn_prefix: str, now: datetime,
                  by: str, db_role: str | None, name: str | None = None) -> Station:
    """Enrol a station (again: a revoked one comes back), in the caller's transaction."""
    for what, value, problem in (("station code", code, station_code_problem(code)),
                                 ("LPN prefix", lpn_prefix, lpn_prefix_problem(lpn_prefix))):
        if problem is not None:
            raise EnrolmentError(f"The {what} {clean_text(value, max_len=40)!r} {problem}.")
    clash = session.scalar(select(Station.code).where(Station.lpn_prefix == lpn_prefix,
                                                      Station.code != code))
    if clash is not None:
        raise EnrolmentError(f"LPN prefix {lpn_prefix} is already station {clash}'s; give "
                             "this station its own.")
    station = session.get(Station, code)
    if station is None:
        station = Station(code=code, name=name or code, site=site, lpn_prefix=lpn_prefix,
                          created_at=now)
        session.add(station)
    elif station.lpn_prefix != lpn_prefix:
        raise EnrolmentError(f"Station {code} prints LPNs with prefix {station.lpn_prefix}, "
                             f"not {lpn_prefix}: a station keeps its prefix for life.")
    station.site = site
    station.enrolled_at = now
    station.revoked_at = None
    station.db_role = db_role
    record(session, actor=by, action="station.enrolled", subject=code,
           data={"site": site, "lpn_prefix": lpn_prefix, "db_role": db_role}, now=now)
    session.flush()
    return station


def revoke_station(session: Session, *, code: str, now: datetime, by: str,
                   reason: str) -> Station:
    station = session.get(Station, code)
    if station is None or station.enrolled_at is None:
        raise EnrolmentError(f"There is no enrolled station {code}.")
    station.revoked_at = now
    record(session, actor=by, action="station.revoked", subject=code,
           data={"reason": reason[:500]}, now=now)
    if station.db_role and session.get_bind().dialect.name == "postgresql":
        _take_login_away(session.connection(), station.db_role)
    session.flush()
    return station


def create_login_role(connection: Connection, role: str, group: str, password: str) -> None:
    """The station's own login role, in the stations' group role, with `password`."""
    _check_names(role, group, password=password)
    exists = connection.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :role"),
                               {"role": role})
    group_exists = connection.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :role"),
                                     {"role": group})
    if not group_exists:
        raise EnrolmentError(f"The stations' group role {group} does not exist yet: run the "
                             "SQL of `returns-station central grants` first.")
    # Role names and passwords cannot be bound parameters in DDL; both were checked against
    # strict patterns above.
    if exists:
        connection.execute(text(f"ALTER ROLE {role} LOGIN PASSWORD '{password}'"))
    else:
        connection.execute(text(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'"))
    connection.execute(text(f"GRANT {group} TO {role}"))


def _take_login_away(connection: Connection, role: str) -> None:
    _check_names(role)
    connection.execute(text(f"ALTER ROLE {role} NOLOGIN"))
    connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE usename = :role AND pid <> pg_backend_pid()"),
                       {"role": role})


def rotate_own_password(connection: Connection) -> str:
    """At the bench, once: replace the token's password with one only this bench knows."""
    password = new_password()
    _check_names(password=password)
    connection.execute(text(f"ALTER ROLE CURRENT_USER PASSWORD '{password}'"))
    return password


def _check_names(*roles: str, password: str | None = None) -> None:
    for role in roles:
        if not _ROLE_SAFE.fullmatch(role):
            raise EnrolmentError(f"{role!r} is not a usable database role name.")
    if password is not None and not _PASSWORD_SAFE.fullmatch(password):
        raise EnrolmentError("The password has characters a role password cannot have here.")


@dataclass(frozen=True)
class StationStanding:
    code: str
    site: str
    lpn_prefix: str
    enrolled: bool
    revoked: bool


def standing(session: Session, code: str) -> StationStanding | None:
    station = session.get(Station, code)
    if station is None:
        return None
    return StationStanding(station.code, station.site, station.lpn_prefix,
                           station.enrolled_at is not None, station.revoked_at is not None)


def session_station(session: Session) -> str | None:
    """On PostgreSQL, the station whose login role this session uses (None: not one)."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    return session.scalar(select(Station.code).where(
        Station.db_role == text("session_user")))


def refusal(session: Session, code: str, lpn_prefix: str) -> str | None:
    """Why the central database refuses this station's pushes; None when it may push."""
    found = standing(session, code)
    if found is None or not found.enrolled:
        return (f"Station {code} is not enrolled in the central database, so it may not "
                "send anything. An admin enrols it (returns-station central enrol-station "
                f"{code} …) and gives this bench the token for `returns-station enrol`.")
    if found.revoked:
        return (f"Station {code} was revoked centrally: nothing it sends is accepted. An "
                "admin can enrol it again if that was a mistake.")
    if found.lpn_prefix != lpn_prefix:
        return (f"Station {code} is enrolled with LPN prefix {found.lpn_prefix}, but this "
                f"bench prints {lpn_prefix}: set [station] lpn_prefix = "
                f"\"{found.lpn_prefix}\" in its configuration.")
    pushing_as = session_station(session)
    if pushing_as is not None and pushing_as != code:
        return (f"This bench signs in to the central database as station {pushing_as}, not "
                f"{code}: it may send only {pushing_as}'s facts.")
    return None


def enrol_embedded(session: Session, *, code: str, site: str, lpn_prefix: str,
                   now: datetime) -> None:
    """A standalone station is its own authority on its embedded central database."""
    station = session.get(Station, code)
    if station is not None and station.enrolled_at is not None:
        station.site = site
        return
    enrol_station(session, code=code, site=site, lpn_prefix=lpn_prefix, now=now,
                  by="standalone", db_role=None)
