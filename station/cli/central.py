"""`returns-station central …`: the central database's command group. Its own actions keep
the password of this bench's central URL and set the database up with least privileges:

    returns-station central set-password
    returns-station central init --url URL
    returns-station central grants [--role returns_station] [--consumer-role …]

and it gathers the actions of the modules that own them: `alarms` (station.cli.alarms) and
`enrol-station`, `revoke-station` and `users` (station.cli.trust), in that order.
"""

from __future__ import annotations

import argparse
import sys
from typing import Final

from sqlalchemy.exc import OperationalError

from station.cli import alarms as cli_alarms
from station.cli import trust as cli_trust
from station.cli.command import EXIT_FAILED, EXIT_OK, Bench, OnStation, Subcommands, runs
from station.runtime.bootstrap import central_url
from station.settings.keyring_entries import KEYRING_SERVICE
from station.store import schema
from station.store.central_password import store_central_password
from station.store.database import make_engine
from station.trust import central_rules

#: Facts a station only ever adds: INSERT (with ON CONFLICT DO NOTHING) and SELECT.
FACT_TABLES: Final = ("receipts", "units", "inspections", "photos", "dispositions",
                      "refund_triggers", "print_jobs", "print_attempts", "exceptions",
                      "exception_resolutions", "label_voids", "audit_events",
                      "sync_conflicts", "audit_anchors", "station_alarms")
#: State a station keeps up to date centrally (its own row only: station.trust.central_rules).
STATE_TABLES: Final = ("station_sync", "counters")
#: Rows derived from the facts, which a push derives again for the units it brings
#: (station.store.unit_summaries, an upsert on rows it locks first).
DERIVED_TABLES: Final = ("unit_summaries",)
#: Reference data a station only reads.
READ_TABLES: Final = ("rmas", "rma_lines", "users", "stations", "rule_sets",
                      "alembic_version")
#: Append-only records a station adds to but never changes (a refused push is recorded).
RECORD_TABLES: Final = ("central_audit",)


def register(commands: Subcommands) -> None:
    central = commands.add_parser("central", help="the central database")
    actions = central.add_subparsers(dest="central_command", metavar="ACTION", required=True)
    password = actions.add_parser(
        "set-password",
        help="store the central database password in the OS keyring (typed without echo, or "
             "one line on standard input); the environment variable still wins")
    runs(password, OnStation(_set_password))
    init = actions.add_parser(
        "init", help="create or upgrade the central database's schema at URL (the password "
                     "comes from the environment variable or keyring, never the URL)")
    init.add_argument("--url", required=True, help="postgresql://user@host/db")
    runs(init, OnStation(_init))
    grants = actions.add_parser(
        "grants", help="print the SQL that creates a least-privileged role for stations "
                       "and one for the shop's refund consumer")
    grants.add_argument("--role", default="returns_station",
                        help="the stations' group role; each enrolled station logs in with a "
                             "role of its own in this group (central enrol-station)")
    grants.add_argument("--consumer-role", default="returns_refunds")
    grants.add_argument("--importer-role", default="returns_importer",
                        help="the role import-rmas uses on a site (it alone writes RMAs)")
    runs(grants, OnStation(_grants))
    cli_alarms.register(actions)
    cli_trust.register(actions)


#: What an RMA import writes (station.receiving.rma_import): only the importer role may.
RMA_TABLES: Final = ("rmas", "rma_lines", "rma_imports", "rma_import_rows", "counters")


def grants_sql(role: str, consumer: str, importer: str = "returns_importer") -> str:
    """Least privilege: stations insert facts, update only their own sync state and the
    rows derived from facts, and read reference data; no UPDATE or DELETE on any fact.
    The group role cannot log in: each enrolled station logs in with its own role in it,
    which the database's acceptance rules tie to that station (station.trust.central_rules).
    The consumer reads the pending view, inserts acknowledgements and records them. Only
    the importer writes RMAs."""
    lines = [
        "-- Stations: a group role that cannot log in. `central enrol-station` gives each "
        "station a login role in it",
        f"CREATE ROLE {role} NOLOGIN;",
        f"GRANT USAGE ON SCHEMA public TO {role};",
        *(f"GRANT SELECT, INSERT ON {table} TO {role};" for table in FACT_TABLES),
        *(f"GRANT SELECT, INSERT, UPDATE ON {table} TO {role};" for table in STATE_TABLES),
        *(f"GRANT SELECT, INSERT, UPDATE ON {table} TO {role};" for table in DERIVED_TABLES),
        *(f"GRANT SELECT ON {table} TO {role};" for table in READ_TABLES),
        *(f"GRANT INSERT ON {table} TO {role};" for table in RECORD_TABLES),
        f"GRANT EXECUTE ON FUNCTION rs_register_station_key(text, text) TO {role};",
        f"REVOKE UPDATE, DELETE, TRUNCATE ON {', '.join(FACT_TABLES)} FROM {role};",
        "",
        f"-- The shop's refund consumer: give it a password with ALTER ROLE {consumer} PASSWORD",
        f"CREATE ROLE {consumer} LOGIN;",
        f"GRANT USAGE ON SCHEMA public TO {consumer};",
        f"GRANT SELECT ON refund_triggers_pending, refund_triggers TO {consumer};",
        f"GRANT SELECT, INSERT ON refund_acks TO {consumer};",
        *(f"GRANT INSERT ON {table} TO {consumer};" for table in RECORD_TABLES),
        "",
        f"-- RMA imports (import-rmas with a [central] url naming {importer}). No station may "
        "write an RMA: its price is what a refund pays",
        f"CREATE ROLE {importer} LOGIN;",
        f"GRANT USAGE ON SCHEMA public TO {importer};",
        *(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {importer};"
          for table in RMA_TABLES),
        f"GRANT SELECT ON {', '.join((*FACT_TABLES, 'users', 'stations'))} TO {importer};",
        *(f"GRANT SELECT, INSERT, UPDATE ON {table} TO {importer};" for table in DERIVED_TABLES),
        *(f"GRANT INSERT ON {table} TO {importer};" for table in RECORD_TABLES),
    ]
    return "\n".join(lines) + "\n"


def _safe_role(name: str) -> bool:
    return name.isidentifier() and name.islower() and len(name) <= 63


def _set_password(_args: argparse.Namespace, bench: Bench) -> int:
    opened = bench.opened
    if opened.central_is_embedded:
        print("The central database is the embedded SQLite file; it has no password.",
              file=sys.stderr)
        return EXIT_FAILED
    url = central_url(opened.ctx.config, opened.locations)
    password = bench.reader.read(f"Password for {url.username}@{url.host}: ")
    if not password:
        print("An empty password was not stored.", file=sys.stderr)
        return EXIT_FAILED
    account = store_central_password(url, password)
    print(f"Stored in the OS keyring as {KEYRING_SERVICE} / {account}.")
    return EXIT_OK


def _grants(args: argparse.Namespace, _bench: Bench) -> int:
    if not all(_safe_role(name) for name in (args.role, args.consumer_role,
                                              args.importer_role)):
        print("Role names must be lower-case identifiers (a-z, 0-9, _).", file=sys.stderr)
        return EXIT_FAILED
    sys.stdout.write(grants_sql(args.role, args.consumer_role, args.importer_role))
    return EXIT_OK


def _init(args: argparse.Namespace, bench: Bench) -> int:
    opened = bench.opened
    url = central_url(opened.ctx.config, opened.locations, override=args.url)
    engine = make_engine(url)
    try:
        before, after = central_rules.upgrade_central(engine, label="central")
    except OperationalError as error:
        print(f"Cannot reach {schema.describe(engine)}: {str(error.orig).splitlines()[0]}",
              file=sys.stderr)
        return EXIT_FAILED
    finally:
        engine.dispose()
    print(f"{schema.describe(make_engine(url))}: schema {before or 'empty'} → {after}")
    return EXIT_OK
