"""The `central` actions that decide who may act, run against the central database:

    returns-station central enrol-station CODE --site SITE --lpn-prefix P [--url URL]
    returns-station central revoke-station CODE --reason TEXT [--url URL]
    returns-station central users add|list|disable|enable|reset-pin|set-role|issue-badge …

They are an admin's: they connect with the central database owner's credentials (the URL's
user, its password from the environment variable or keyring as for any central URL), and
each change is written to the central audit record with the database role and the
operating-system user that made it. A refusal of the central database is said as such
(`central_refusals`, also used by the bench's `enrol`, station.cli.enrol).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from station.cli.command import EXIT_FAILED, EXIT_OK, Bench, OnStation, Subcommands, runs
from station.cli.pin_input import PinReader
from station.common.errors import UserFacingError
from station.common.vocabulary import Role
from station.people import directory as user_directory
from station.people.pins import pin_rule
from station.people.users import NewPinRequired
from station.runtime.bootstrap import OpenStation, central_url
from station.store.database import make_engine, session_factory
from station.trust import enrolment

ROLE_NAMES = [role.value for role in Role]


def register(central_actions: Subcommands) -> None:
    """The actions of the `central` group (station.cli.central) that admit or refuse a
    station or a person."""
    enrol_station = central_actions.add_parser(
        "enrol-station", help="admin: enrol a station (and make its database role); prints "
                              "the one-time token its bench enrols with")
    enrol_station.add_argument("code")
    enrol_station.add_argument("--site", required=True)
    enrol_station.add_argument("--lpn-prefix", required=True)
    enrol_station.add_argument("--name")
    enrol_station.add_argument("--group-role", default="returns_station",
                               help="the stations' group role of `central grants`")
    enrol_station.add_argument("--url", help="the central database as its owner")
    runs(enrol_station, OnStation(_as_owner(_enrol_station)))
    revoke = central_actions.add_parser(
        "revoke-station", help="admin: refuse everything a station sends from now on")
    revoke.add_argument("code")
    revoke.add_argument("--reason", required=True)
    revoke.add_argument("--url", help="the central database as its owner")
    runs(revoke, OnStation(_as_owner(_revoke_station)))

    people = central_actions.add_parser(
        "users", help="admin: the central directory of people (stations pull it at sync)")
    actions = people.add_subparsers(dest="users_action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="everyone in the directory")
    add = actions.add_parser("add", help="add a person (their PIN is asked)")
    add.add_argument("username")
    add.add_argument("--name", required=True, help="display name")
    add.add_argument("--role", required=True, choices=ROLE_NAMES)
    disable = actions.add_parser("disable", help="stop a person acting anywhere")
    enable = actions.add_parser("enable", help="let a disabled person act again")
    reset = actions.add_parser("reset-pin", help="set a new PIN (asked)")
    role = actions.add_parser("set-role", help="change a role (a longer PIN may be asked)")
    role.add_argument("username")
    role.add_argument("role", choices=ROLE_NAMES)
    badge = actions.add_parser("issue-badge", help="a new badge code, shown once")
    for parser in (disable, enable, reset, badge):
        parser.add_argument("username")
    for parser in (listing, add, disable, enable, reset, role, badge):
        parser.add_argument("--url", help="the central database as its owner")
    runs(people, OnStation(_as_owner(_people)))


#: An owner's action: the parsed arguments, the opened station, the central database as
#: its owner, and the PIN reader.
OwnerAction = Callable[[argparse.Namespace, OpenStation, Engine, PinReader], int]


def _as_owner(action: OwnerAction) -> Callable[[argparse.Namespace, Bench], int]:
    """`action` with the owner's engine (disposed afterwards) and the central refusals said."""
    def run(args: argparse.Namespace, bench: Bench) -> int:
        def work() -> int:
            engine = _admin_engine(args, bench.opened)
            try:
                return action(args, bench.opened, engine, bench.reader)
            finally:
                engine.dispose()
        return central_refusals(work)
    return run


def central_refusals(work: Callable[[], int]) -> int:
    """`work`'s exit status, or 1 with the refusal said: a UserFacingError as it is, a
    database error as "The central database refused: …"."""
    try:
        return work()
    except UserFacingError as error:
        print(str(error), file=sys.stderr)
        return EXIT_FAILED
    except SQLAlchemyError as error:
        first = str(getattr(error, "orig", None) or error).strip().splitlines()
        print(f"The central database refused: {first[0][:300] if first else error}",
              file=sys.stderr)
        return EXIT_FAILED


def _admin_engine(args: argparse.Namespace, opened: OpenStation) -> Engine:
    if opened.central_is_embedded and not args.url:
        return opened.central_engine()
    return make_engine(central_url(opened.ctx.config, opened.locations, override=args.url))


def _by() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _enrol_station(args: argparse.Namespace, opened: OpenStation, engine: Engine,
                   _reader: PinReader) -> int:
    now = opened.ctx.clock()
    postgres = engine.dialect.name == "postgresql"
    role = enrolment.role_for(args.code) if postgres else None
    password = enrolment.new_password()
    with session_factory(engine).begin() as session:
        enrolment.enrol_station(session, code=args.code, site=args.site,
                                lpn_prefix=args.lpn_prefix, name=args.name, now=now,
                                by=_by(), db_role=role)
        if role is not None:
            enrolment.create_login_role(session.connection(), role, args.group_role, password)
    print(f"Station {args.code} is enrolled (site {args.site}, LPN prefix {args.lpn_prefix}).")
    if role is None:
        print("This central database is an embedded SQLite file: there is no database role "
              "and no token; the station pushes as itself.")
        return EXIT_OK
    token = enrolment.EnrolmentToken(args.code, role, password).encode()
    print(f"Its database role is {role}. On the bench, once, with [station] code = "
          f"\"{args.code}\" and [central] url naming user {role}:")
    print(f"  returns-station enrol {token}")
    print("The token holds a one-time password; enrolling replaces it, so keep the token "
          "secret until then and do not reuse it.")
    return EXIT_OK


def _revoke_station(args: argparse.Namespace, opened: OpenStation, engine: Engine,
                    _reader: PinReader) -> int:
    with session_factory(engine).begin() as session:
        enrolment.revoke_station(session, code=args.code, now=opened.ctx.clock(), by=_by(),
                                 reason=args.reason)
    print(f"Station {args.code} is revoked: every push it makes is refused and recorded.")
    return EXIT_OK


def _people(args: argparse.Namespace, opened: OpenStation, engine: Engine,
            reader: PinReader) -> int:
    action = args.users_action
    now, by = opened.ctx.clock(), _by()
    sessions = session_factory(engine)
    if action == "list":
        with sessions() as session:
            rows = user_directory.list_all(session)
        print(f"{'user':<16}{'name':<28}{'role':<12}{'state':<10}badge")
        for row in rows:
            print(f"{row.username:<16}{row.display_name[:27]:<28}{row.role.value:<12}"
                  f"{'active' if row.active else 'disabled':<10}"
                  f"{'yes' if row.has_badge else 'no'}")
        return EXIT_OK
    pin: str | None = None
    if action == "add":
        role = Role(args.role)
        pin = reader.read(f"New PIN for {args.username} ({pin_rule(role)}): ", confirm=True)
        with sessions.begin() as session:
            info = user_directory.add(session, by=by, username=args.username,
                                      display_name=args.name, role=role, pin=pin, now=now)
        print(f"Added {info.username} ({info.role.value}) to the central directory; "
              "stations have them after their next sync.")
    elif action in ("disable", "enable"):
        with sessions.begin() as session:
            info = user_directory.set_active(session, by=by, username=args.username,
                                             active=action == "enable", now=now)
        print(f"{info.username} is now {'active' if info.active else 'disabled'} everywhere "
              "(stations learn it at their next sync).")
    elif action == "reset-pin":
        pin = reader.read(f"New PIN for {args.username}: ", confirm=True)
        with sessions.begin() as session:
            user_directory.reset_pin(session, by=by, username=args.username, pin=pin, now=now)
        print(f"New PIN set for {args.username}.")
    elif action == "set-role":
        role = Role(args.role)
        try:
            with sessions.begin() as session:
                info = user_directory.set_role(session, by=by, username=args.username,
                                               role=role, pin=None, now=now)
        except NewPinRequired:
            pin = reader.read(f"New PIN for {args.username} ({pin_rule(role)}): ",
                              confirm=True)
            with sessions.begin() as session:
                info = user_directory.set_role(session, by=by, username=args.username,
                                               role=role, pin=pin, now=now)
        print(f"{info.username} is now {info.role.value}.")
    else:
        with sessions.begin() as session:
            code = user_directory.issue_badge(session, by=by, username=args.username, now=now)
        print(f"New badge for {args.username}: {code}")
        print("Print it as a Code 128 barcode; it is shown only this once.")
    return EXIT_OK
