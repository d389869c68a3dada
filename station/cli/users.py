"""`returns-station users …`: user administration from a terminal or a script, and who runs
a command (`acting_user`: `--as USER` and that user's PIN, checked like a sign-in), which
every command acting for a person uses.

Contract: the first user of a station is an admin and needs no --as; every other action
needs --as ADMIN. PINs are never arguments (station.cli.pin_input).
"""

from __future__ import annotations

import argparse
import sys

from station.cli.command import Bench, OnStation, Subcommands, runs
from station.cli.pin_input import PinReader
from station.common.errors import UserFacingError
from station.common.permissions import Actor
from station.common.vocabulary import Role
from station.people import users
from station.people.pins import pin_rule
from station.people.signin import has_users, sign_in
from station.runtime.bootstrap import OpenStation


class NotAuthenticated(UserFacingError):
    pass


def register(commands: Subcommands) -> None:
    parser = commands.add_parser(
        "users", help="manage users (admin); the first admin needs no --as",
        description="Manage the station's users. Every action but the very first admin "
                    "needs --as ADMIN; PINs are never arguments: they are typed without echo "
                    "or read one per line from standard input (the acting admin's PIN "
                    "first, then the new PIN).",
    )
    actions = parser.add_subparsers(dest="users_command", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="add a user (reads the new PIN)")
    add.add_argument("username")
    add.add_argument("--name", required=True, help="display name, e.g. 'Gus Grader'")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    actions.add_parser("list", help="list users with role, state and badge")
    for action, text in (("disable", "disable a user"), ("enable", "enable a user again"),
                         ("reset-pin", "set a new PIN and lift a lockout (reads the new PIN)"),
                         ("issue-badge", "print a new badge code (the old badge stops working)")):
        sub = actions.add_parser(action, help=text)
        sub.add_argument("username")
    set_role = actions.add_parser("set-role", help="change a user's role")
    set_role.add_argument("username")
    set_role.add_argument("role", choices=[r.value for r in Role])
    for sub in actions.choices.values():
        sub.add_argument("--as", dest="as_user", metavar="ADMIN",
                         help="the admin doing it (not needed for the first admin)")
    runs(parser, OnStation(_run))


def acting_user(opened: OpenStation, username: str | None, reader: PinReader) -> Actor:
    """Who runs the command: `--as USER` and that user's PIN, checked like a sign-in."""
    if not username:
        raise NotAuthenticated("Say who you are with --as USER (your PIN is asked next).")
    return sign_in(opened.ctx, username, reader.read(f"PIN for {username}: "))


def _pin_prompt(username: str, role: Role) -> str:
    """The prompt states the rule for the role, e.g. "(an admin's PIN has 8 to 12 digits)"."""
    return f"New PIN for {username} ({pin_rule(role)}): "


def _print_users(rows: list[users.UserInfo]) -> None:
    print(f"{'user':<16}{'name':<28}{'role':<12}{'state':<10}badge")
    for row in rows:
        state = "active" if row.active else "disabled"
        if row.locked_until is not None:
            state = "locked"
        print(f"{row.username:<16}{row.display_name[:27]:<28}{row.role.value:<12}{state:<10}"
              f"{'yes' if row.has_badge else 'no'}")


def _run(args: argparse.Namespace, bench: Bench) -> int:
    opened, reader = bench.opened, bench.reader
    ctx = opened.ctx
    command = args.users_command
    if command == "add" and not has_users(ctx):
        if args.role != Role.ADMIN.value:
            print("The first user of a station must be an admin (--role admin).",
                  file=sys.stderr)
            return 1
        pin = reader.read(_pin_prompt(args.username, Role.ADMIN), confirm=True)
        info = users.create_first_admin(ctx, username=args.username, display_name=args.name,
                                        pin=pin)
        print(f"Created the first admin, {info.username}.")
        return 0
    actor = acting_user(opened, args.as_user, reader)
    if command == "list":
        _print_users(users.list_all(ctx, actor))
    elif command == "add":
        pin = reader.read(_pin_prompt(args.username, Role(args.role)), confirm=True)
        info = users.create_user(ctx, actor, username=args.username, display_name=args.name,
                                 role=Role(args.role), pin=pin)
        print(f"Added {info.username} ({info.role.value}).")
    elif command in {"disable", "enable"}:
        info = users.set_active(ctx, actor, args.username, command == "enable")
        print(f"{info.username} is now {'active' if info.active else 'disabled'}.")
    elif command == "reset-pin":
        role = next((u.role for u in users.list_all(ctx, actor)
                     if u.username == args.username), None)
        prompt = _pin_prompt(args.username, role) if role else f"New PIN for {args.username}: "
        pin = reader.read(prompt, confirm=True)
        users.reset_pin(ctx, actor, args.username, pin)
        print(f"New PIN set for {args.username}; any lockout is lifted.")
    elif command == "set-role":
        try:
            info = users.set_role(ctx, actor, args.username, Role(args.role))
        except users.NewPinRequired as needed:
            print(str(needed), file=sys.stderr)
            pin = reader.read(_pin_prompt(args.username, Role(args.role)), confirm=True)
            info = users.set_role(ctx, actor, args.username, Role(args.role), new_pin=pin)
        print(f"{info.username} is now {info.role.value}.")
    elif command == "issue-badge":
        code = users.issue_badge(ctx, actor, args.username)
        print(f"New badge for {args.username}: {code}")
        print("Print it as a Code 128 barcode; it is shown only this once.")
    return 0
