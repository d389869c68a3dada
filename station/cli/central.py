"""Commands for the central database: set it up, grant a station its least privileges, sync
from the command line, and the refund-trigger consumer contract (pending / ack).

    returns-station central init --url URL
    returns-station central grants [--role returns_station] [--consumer-role …]
    returns-station sync
    returns-station refunds pending [--format json|text] [--limit N]
    returns-station refunds ack ID... --as CONSUMER
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from typing import Any, Final

from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from station.common.text_hygiene import clean_text
from station.runtime.bootstrap import OpenStation, central_url
from station.store import schema
from station.store.database import make_engine
from station.store.models import RefundAck, RefundTrigger
from station.sync import exchange as sync
from station.trust import central_rules, enrolment

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1

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


def add_commands(commands: Any, central_actions: Any) -> None:
    init = central_actions.add_parser(
        "init", help="create or upgrade the central database's schema at URL (the password "
                     "comes from the environment variable or keyring, never the URL)")
    init.add_argument("--url", required=True, help="postgresql://user@host/db")
    grants = central_actions.add_parser(
        "grants", help="print the SQL that creates a least-privileged role for stations "
                       "and one for the shop's refund consumer")
    grants.add_argument("--role", default="returns_station",
                        help="the stations' group role; each enrolled station logs in with a "
                             "role of its own in this group (central enrol-station)")
    grants.add_argument("--consumer-role", default="returns_refunds")
    grants.add_argument("--importer-role", default="returns_importer",
                        help="the role import-rmas uses on a site (it alone writes RMAs)")
    sync_command = commands.add_parser(
        "sync", help="push this station's facts to the central database and pull what "
                     "changed (the app does it in the background)")
    sync_command.add_argument("--retry-parked", action="store_true",
                              help="send the parked facts again (after fixing the cause)")
    refunds = commands.add_parser("refunds", help="the refund triggers the shop acts on")
    actions = refunds.add_subparsers(dest="refunds_command", metavar="ACTION", required=True)
    pending = actions.add_parser("pending", help="settling refund triggers not acknowledged")
    pending.add_argument("--format", choices=("json", "text"), default="json")
    pending.add_argument("--limit", type=int, default=1000)
    ack = actions.add_parser("ack", help="acknowledge refund triggers (idempotent)")
    ack.add_argument("ids", nargs="+", metavar="ID")
    ack.add_argument("--as", dest="consumer", required=True, metavar="CONSUMER",
                     help="who acted on them (the shop system's name); recorded with each "
                          "acknowledgement in the central audit record")


#: What an RMA import writes (station.rma_import): only the importer role may.
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


def run(args: argparse.Namespace, opened: OpenStation) -> int:
    if args.command == "central" and args.central_command == "init":
        return _init(args, opened)
    if args.command == "central" and args.central_command == "grants":
        if not all(_safe_role(name) for name in (args.role, args.consumer_role,
                                                  args.importer_role)):
            print("Role names must be lower-case identifiers (a-z, 0-9, _).", file=sys.stderr)
            return EXIT_FAILED
        sys.stdout.write(grants_sql(args.role, args.consumer_role, args.importer_role))
        return EXIT_OK
    if args.command == "sync":
        if args.retry_parked:
            print(f"{sync.unpark(opened.ctx.sessions)} parked fact(s) will be sent again")
        return _sync(opened)
    if args.command == "refunds" and args.refunds_command == "pending":
        return _pending(opened, args.format, args.limit)
    return _ack(opened, args.ids, args.consumer)


def _init(args: argparse.Namespace, opened: OpenStation) -> int:
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


def _sync(opened: OpenStation) -> int:
    config = opened.ctx.config
    identity = sync.StationIdentity.of(config)
    try:
        report = sync.sync_once(opened.ctx.sessions, opened.central_sessions(),
                                opened.central_engine(), identity, clock=opened.ctx.clock,
                                pepper=opened.ctx.pepper,
                                deadline_s=config.central.sync_deadline_s)
    except sync.SyncError as error:
        print(str(error), file=sys.stderr)
        return EXIT_FAILED
    pushed = report.pushed
    print(f"pushed {pushed.sent} fact(s) in {pushed.batches} batch(es): {pushed.conflicts} "
          f"conflict(s), {pushed.parked} parked, {pushed.retries} retried; pulled "
          f"{report.pulled.rmas} RMA(s) and {len(report.pulled.conflicts)} conflict(s)")
    for conflict in report.pulled.conflicts:
        print(f"  {sync.conflict_text(conflict)}")
    _waiting, parked = sync.waiting(opened.ctx.sessions)
    if parked:
        print(f"{parked} fact(s) are parked: the central database refused them. Fix the "
              "cause, then: returns-station sync --retry-parked", file=sys.stderr)
        for entry in sync.parked_entries(opened.ctx.sessions, limit=20):
            print(f"  #{entry.seq} {entry.entity} {entry.entity_id}: {entry.error}",
                  file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def _pending(opened: OpenStation, output: str, limit: int) -> int:
    with opened.central_sessions()() as session:
        rows = session.execute(text(
            "SELECT id, action, amount_minor, currency, station_code, created_at, "
            "rma_number, order_number, line_no, sku, lpn, supersedes_id "
            "FROM refund_triggers_pending ORDER BY created_at, id LIMIT :limit"),
            {"limit": max(1, min(limit, 100_000))}).mappings().all()
    records = [{
        "id": str(row["id"]), "action": row["action"], "amount_minor": row["amount_minor"],
        "currency": row["currency"], "station": row["station_code"],
        "created_at": str(row["created_at"]), "rma_number": row["rma_number"],
        "order_number": row["order_number"], "line_no": row["line_no"], "sku": row["sku"],
        "lpn": row["lpn"],
        "supersedes_id": str(row["supersedes_id"]) if row["supersedes_id"] else None,
    } for row in rows]
    if output == "json":
        print(json.dumps(records, indent=2))
    else:
        for record in records:
            print(f"{record['id']}  {record['action']:<12} {record['amount_minor']:>10} "
                  f"{record['currency']}  {record['rma_number']} line {record['line_no']}  "
                  f"{record['lpn']}")
        print(f"{len(records)} pending")
    return EXIT_OK


def _ack(opened: OpenStation, raw_ids: list[str], consumer: str) -> int:
    consumer = clean_text(consumer, max_len=64)
    if not consumer:
        print("Say which system acted on the refunds: --as NAME.", file=sys.stderr)
        return EXIT_FAILED
    ids: list[uuid.UUID] = []
    for raw in raw_ids:
        try:
            ids.append(uuid.UUID(raw))
        except ValueError:
            print(f"{raw[:60]!r} is not a refund trigger id (a UUID); nothing acknowledged.",
                  file=sys.stderr)
            return EXIT_FAILED
    now = opened.ctx.clock()
    with opened.central_sessions().begin() as session:
        known = set(session.scalars(select(RefundTrigger.id).where(
            RefundTrigger.id.in_(ids), RefundTrigger.settling.is_(True))))
        unknown = [str(i) for i in ids if i not in known]
        if unknown:
            print(f"Not settling refund triggers here: {', '.join(unknown)}; nothing "
                  "acknowledged.", file=sys.stderr)
            return EXIT_FAILED
        fresh = 0
        for trigger_id in ids:
            if session.get(RefundAck, trigger_id) is None:
                session.add(RefundAck(trigger_id=trigger_id, acked_at=now,
                                      consumer=consumer[:64]))
                enrolment.record(session, actor=consumer, action="refund.acknowledged",
                                 subject=str(trigger_id), data={}, now=now)
                fresh += 1
    print(f"acknowledged {fresh} refund trigger(s); {len(ids) - fresh} already were")
    return EXIT_OK

