"""`returns-station central alarms [resolve ID --as ADMIN --reason TEXT] [--url URL]`.

A station whose data folder disagrees with the central database (a restored backup, a
cloned disk, a replaced signing key) stops syncing with an alarm (station.sync.halts). These
commands list the alarms and let an admin (PIN-checked, like every privileged command)
resolve one once the cause is dealt with; the resolution is audited at the station and in
the central record. On PostgreSQL, resolving takes a role that may update `station_alarms`
(the central database owner's, via --url): a station's own role cannot clear its alarm.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from typing import Final

from station.audit import chain as audit
from station.cli import users as cli_users
from station.cli.command import Bench, OnStation, Subcommands, runs
from station.common.vocabulary import Role
from station.runtime.bootstrap import central_url
from station.store.database import make_engine, session_factory
from station.sync import halts as sync_halts

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1


def register(central_actions: Subcommands) -> None:
    """The `alarms` action of the `central` group (station.cli.central)."""
    alarms = central_actions.add_parser(
        "alarms", help="stations halted with an alarm (restored or cloned data folder); "
                       "`alarms resolve ID --as ADMIN --reason TEXT` resolves one")
    alarms.add_argument("--all", action="store_true", help="resolved alarms too")
    alarms.add_argument("--url", help="the central database (default: the configured one; "
                                      "resolving on PostgreSQL takes the owner's)")
    actions = alarms.add_subparsers(dest="alarms_command", metavar="ACTION")
    resolve = actions.add_parser("resolve", help="mark an alarm resolved (an admin)")
    resolve.add_argument("alarm_id", metavar="ID")
    resolve.add_argument("--as", dest="as_user", metavar="ADMIN", required=True)
    resolve.add_argument("--reason", required=True,
                         help="what was done (e.g. re-enrolled as BENCH-07)")
    resolve.add_argument("--url", dest="resolve_url", help=argparse.SUPPRESS)
    runs(alarms, OnStation(_run))


def _list(alarms: list[sync_halts.AlarmInfo]) -> None:
    if not alarms:
        print("No alarms.")
        return
    for alarm in alarms:
        state = ("OPEN" if alarm.resolved_at is None else
                 f"resolved by {alarm.resolved_by} at {alarm.resolved_at:%Y-%m-%d %H:%M}: "
                 f"{alarm.resolution}")
        print(f"{alarm.id}  {alarm.station_code:<12} {alarm.kind:<20} "
              f"{alarm.raised_at:%Y-%m-%d %H:%M} UTC  {state}")
        message = str(alarm.details.get("message") or "")
        if message:
            print(f"    {message}")


def _run(args: argparse.Namespace, bench: Bench) -> int:
    opened, reader = bench.opened, bench.reader
    override = getattr(args, "resolve_url", None) or args.url
    url = central_url(opened.ctx.config, opened.locations, override=override)
    engine = make_engine(url, isolation_level=opened.ctx.config.central.isolation)
    central = session_factory(engine)
    try:
        if args.alarms_command != "resolve":
            _list(sync_halts.open_alarms(central, include_resolved=args.all))
            return EXIT_OK
        try:
            alarm_id = uuid.UUID(args.alarm_id)
        except ValueError:
            print(f"{args.alarm_id[:60]!r} is not an alarm id (a UUID, as `returns-station "
                  "central alarms` lists them); nothing was resolved.", file=sys.stderr)
            return EXIT_FAILED
        actor = cli_users.acting_user(opened, args.as_user, reader)
        if not actor.role.at_least(Role.ADMIN):
            print(f"{actor.username} is a {actor.role.value}; only an admin resolves a "
                  "station's alarm. Nothing was resolved.", file=sys.stderr)
            return EXIT_FAILED
        now = opened.ctx.clock()
        resolved = sync_halts.resolve(central, opened.ctx.sessions, alarm_id,
                                      by=actor.username, reason=args.reason, now=now)
        with opened.ctx.sessions.begin() as session:
            audit.record(session, station_code=opened.ctx.station_code, actor=actor,
                         action="alarm.resolved", subject=str(alarm_id),
                         data={"station": resolved.station_code, "kind": resolved.kind,
                               "reason": args.reason[:500]}, now=now)
        print(f"Alarm {alarm_id} of station {resolved.station_code} ({resolved.kind}) is "
              "resolved. Its next sync checks the station again: if the cause remains, a "
              "new alarm stops it.")
        return EXIT_OK
    except sync_halts.AlarmError as error:
        print(str(error), file=sys.stderr)
        return EXIT_FAILED
    finally:
        engine.dispose()
