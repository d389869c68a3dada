"""`returns-station refunds pending|ack`: the refund-trigger consumer contract, for the shop
system that pays refunds.

    returns-station refunds pending [--format json|text] [--limit N]
    returns-station refunds ack ID... --as CONSUMER

Contract: `pending` lists the settling triggers not yet acknowledged, oldest first, from the
central database's `refund_triggers_pending` view; `ack` acknowledges all the ids given or
none (an unknown id refuses the lot), is idempotent, and records each acknowledgement in the
central audit record.
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid

from sqlalchemy import select, text

from station.cli.command import EXIT_FAILED, EXIT_OK, Bench, OnStation, Subcommands, runs
from station.common.text_hygiene import clean_text
from station.runtime.bootstrap import OpenStation
from station.store.models import RefundAck, RefundTrigger
from station.trust import enrolment


def register(commands: Subcommands) -> None:
    refunds = commands.add_parser("refunds", help="the refund triggers the shop acts on")
    actions = refunds.add_subparsers(dest="refunds_command", metavar="ACTION", required=True)
    pending = actions.add_parser("pending", help="settling refund triggers not acknowledged")
    pending.add_argument("--format", choices=("json", "text"), default="json")
    pending.add_argument("--limit", type=int, default=1000)
    runs(pending, OnStation(_run_pending))
    ack = actions.add_parser("ack", help="acknowledge refund triggers (idempotent)")
    ack.add_argument("ids", nargs="+", metavar="ID")
    ack.add_argument("--as", dest="consumer", required=True, metavar="CONSUMER",
                     help="who acted on them (the shop system's name); recorded with each "
                          "acknowledgement in the central audit record")
    runs(ack, OnStation(_run_ack))


def _run_pending(args: argparse.Namespace, bench: Bench) -> int:
    return _pending(bench.opened, args.format, args.limit)


def _run_ack(args: argparse.Namespace, bench: Bench) -> int:
    return _ack(bench.opened, args.ids, args.consumer)


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
