"""Stations and a central PostgreSQL database for the sync fault tests, and the audit that
checks what the central database holds against every station's outbox.

Used in-process by tests/integration/test_sync_faults.py and by the station process those
tests kill (tests/integration/sync_station.py), so it imports nothing from pytest.

A station here is made the way a real one is: an empty data folder opened with its own
station code and LPN prefix, a grader added, the RMAs pulled from the central database (so
RMA and line ids are the central ones), and units finalized through the real use cases
(receive, start_unit, the simulated grader, finalize).
"""

from __future__ import annotations

import dataclasses
import random
import uuid
from collections import Counter as Tally
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import central_site
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from station.common.permissions import Actor
from station.common.vocabulary import Grade, Role
from station.demo.rmas import demo_rmas
from station.inspection import finalize as inspection
from station.loadgen import simulated_grader
from station.people.signin import actor_of
from station.people.users import add_user
from station.ports.photos import MemoryPhotoStore
from station.receiving import parcels as receiving
from station.receiving import rma_store
from station.runtime.bootstrap import OpenStation, open_station
from station.runtime.context import utc_now
from station.settings.config import CentralConfig, StationConfig, resolve_locations
from station.store import schema
from station.store.database import make_engine, session_factory
from station.store.models import (
    InspectionDraft,
    OutboxEntry,
    RefundTrigger,
    Rma,
    RmaLine,
    Unit,
    User,
)
from station.sync import exchange as sync
from station.sync.pull import pull_rmas
from station.trust import central_rules

TODAY = date(2026, 11, 20)
IMPORTED_AT = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
RMA_COUNT = 160  # 293 units
GRADER = "grader"
GRADER_PIN = "1357"
#: Tables whose rows are facts made by stations and pushed through the outbox.
FACT_TABLES = ("receipts", "units", "inspections", "photos", "dispositions",
               "refund_triggers", "exceptions", "audit_events", "print_jobs", "print_attempts")
CONFLICT_KINDS = ("refund_conflict", "duplicate_receipt")


# ---------------------------------------------------------------------------- central


def prepare_central(url: str, *, rma_count: int = RMA_COUNT, revision: str = "head") -> None:
    """Schema at `revision` (head by default) and the demo RMAs imported."""
    engine = make_engine(url)
    try:
        if revision == "head":
            central_rules.upgrade_central(engine, label="central")  # as `central init`
        else:
            upgrade_to(engine, revision)
        with session_factory(engine).begin() as session:
            rma_store.import_records(session, demo_rmas(rma_count, today=TODAY),
                                     now=IMPORTED_AT)
    finally:
        engine.dispose()


def upgrade_to(engine: Engine, revision: str) -> None:
    """Alembic upgrade to a given revision (schema.upgrade only knows "head")."""
    from alembic import command

    with engine.begin() as connection:
        config = schema._config(engine)
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


# ---------------------------------------------------------------------------- stations


@dataclass
class Bench:
    """One station: its local database, a signed-in grader and its own central engine."""

    code: str
    prefix: str
    opened: OpenStation
    actor: Actor
    central_engine: Engine
    clock_offset: timedelta = timedelta()
    store: MemoryPhotoStore = field(default_factory=MemoryPhotoStore)

    @property
    def ctx(self) -> Any:
        return self.opened.ctx

    @property
    def local(self) -> sessionmaker[Session]:
        return self.opened.ctx.sessions

    @property
    def central(self) -> sessionmaker[Session]:
        return session_factory(self.central_engine)

    @property
    def identity(self) -> sync.StationIdentity:
        return sync.StationIdentity(self.code, self.ctx.config.site, self.prefix)

    def clock(self) -> datetime:
        return utc_now() + self.clock_offset

    def push(self, **options: Any) -> sync.PushResult:
        return sync.push(self.local, self.central, self.central_engine, self.identity,
                         clock=self.clock, **options)

    def pull(self) -> sync.PullResult:
        return sync.pull(self.central, self.local, self.code)

    def waiting(self) -> tuple[int, int]:
        return sync.waiting(self.local)

    def finalize(self, count: int, rng: random.Random, *,
                 rma_numbers: Sequence[str] | None = None,
                 grades: Sequence[Grade] = (Grade.A,)) -> list[inspection.FinalizedUnit]:
        """Receive and finalize `count` units of RMAs with free unit slots here (in a seeded
        random order; only `rma_numbers` if given, in that order)."""
        return finalize_units(self, count, rng, rma_numbers=rma_numbers, grades=grades)

    def close(self) -> None:
        self.central_engine.dispose()
        self.opened.close()


def _config(code: str, prefix: str, central_url: str) -> StationConfig:
    return StationConfig(station_code=code, lpn_prefix=prefix,
                         central=CentralConfig(url=central_url))


def open_bench(folder: Path, code: str, prefix: str, central_url: str, *,
               clock_offset: timedelta = timedelta(),
               central_engine: Engine | None = None) -> Bench:
    """Open a station made by `create_bench` (again, e.g. after it was killed)."""
    locations = resolve_locations(data_dir=str(folder), env={})
    opened = open_station(_config(code, prefix, central_url), locations)
    with opened.ctx.sessions() as session:
        user = session.scalars(select(User).where(User.username == GRADER)).one()
        actor = actor_of(user)
    engine = central_engine or make_engine(central_url)
    bench = Bench(code, prefix, opened, actor, engine, clock_offset)
    # The use cases read the station's clock: make it this bench's (offset included).
    bench.opened = dataclasses.replace(
        opened, ctx=dataclasses.replace(opened.ctx, clock=bench.clock))
    return bench


def create_bench(folder: Path, code: str, prefix: str, central_url: str, *,
                 clock_offset: timedelta = timedelta()) -> Bench:
    """A new station: empty data folder, a grader, the central's RMAs pulled."""
    locations = resolve_locations(data_dir=str(folder), env={})
    opened = open_station(_config(code, prefix, central_url), locations)
    with opened.ctx.sessions.begin() as session:
        add_user(session, opened.ctx, by=None, username=GRADER, display_name="Grace Grader",
                 role=Role.GRADER, pin=GRADER_PIN)
    engine = make_engine(central_url)
    try:
        central_site.join(session_factory(engine), opened.ctx)
    finally:
        engine.dispose()
    opened.close()
    bench = open_bench(folder, code, prefix, central_url, clock_offset=clock_offset)
    pull_rmas(bench.central, bench.local)
    return bench


def free_slots(bench: Bench) -> list[tuple[str, uuid.UUID, int]]:
    """(RMA number, line id, units still to inspect) for every line with a free slot."""
    with bench.local() as session:
        taken = Tally[uuid.UUID]()
        for (line_id,) in session.execute(select(Unit.rma_line_id)):
            taken[line_id] += 1
        for (line_id,) in session.execute(select(InspectionDraft.rma_line_id)):
            taken[line_id] += 1  # a draft left by a crash holds its slot
        rows = session.execute(select(Rma.rma_number, RmaLine.id, RmaLine.quantity)
                               .join(RmaLine, RmaLine.rma_id == Rma.id)
                               .order_by(Rma.rma_number, RmaLine.line_no)).all()
    return [(number, line_id, quantity - taken[line_id])
            for number, line_id, quantity in rows if quantity > taken[line_id]]


def finalize_units(bench: Bench, count: int, rng: random.Random, *,
                   rma_numbers: Sequence[str] | None = None,
                   grades: Sequence[Grade] = (Grade.A,)) -> list[inspection.FinalizedUnit]:
    slots = free_slots(bench)
    if rma_numbers is not None:
        order = {number: index for index, number in enumerate(rma_numbers)}
        slots = sorted((s for s in slots if s[0] in order), key=lambda s: order[s[0]])
    else:
        rng.shuffle(slots)
    done: list[inspection.FinalizedUnit] = []
    for number, line_id, free in slots:
        for _ in range(free):
            if len(done) >= count:
                return done
            view = receiving.receive(bench.ctx, bench.actor, number)
            assert view.receipt_id is not None
            work = inspection.start_unit(bench.ctx, bench.actor, view.receipt_id, line_id)
            simulated_grader.finish(work, rng.choice(list(grades)), bench.actor, bench.store,
                                    simulated_grader.SIMULATED_PHOTO, bench.clock())
            done.append(inspection.finalize(bench.ctx, bench.actor, work))
    if len(done) < count:
        raise RuntimeError(f"{bench.code}: only {len(done)} of {count} units left to inspect")
    return done


# ---------------------------------------------------------------------------- audit


@dataclass
class Audit:
    """What the central database holds, checked against every station's outbox."""

    stations: int = 0
    facts: int = 0  # distinct facts in the stations' outboxes
    sent: int = 0  # of which marked sent by their station
    once: int = 0  # present exactly once centrally (own table or sync_conflicts)
    absent: int = 0  # not central (yet): allowed only for unsent entries
    unmarked: int = 0  # central although not marked sent: will be delivered again
    lost: int = 0  # marked sent but not central: never allowed
    twice: int = 0  # in its own table and in sync_conflicts
    strays: int = 0  # central fact rows no station's outbox holds
    unqueued: int = 0  # local facts (units, refund triggers) with no outbox entry
    refund_triggers: int = 0  # made by the stations
    refunds_applied: int = 0  # of which in refund_triggers
    refunds_in_conflict: int = 0  # of which in sync_conflicts (the loser of a race)
    refunds_lost: int = 0  # sent, yet neither
    settling: int = 0  # settling triggers centrally
    settle_dup_keys: int = 0  # settle keys with more than one settling trigger
    over_settled_lines: int = 0  # lines with more settling triggers than units
    conflicts: dict[str, int] = field(default_factory=dict)
    conflicts_without_exception: int = 0
    self_conflicts: int = 0  # a fact recorded as losing to itself
    pending: int = 0  # outbox entries not sent yet (all stations)
    parked: int = 0
    #: station -> (central last_seq, highest seq the station marked sent), where they differ
    last_seq: dict[str, tuple[int, int]] = field(default_factory=dict)

    def problems(self, *, healed: bool) -> list[str]:
        """Broken promises; with `healed`, the outbox must be empty as well."""
        found = [f"{name}={getattr(self, name)}" for name in
                 ("lost", "twice", "strays", "unqueued", "refunds_lost", "settle_dup_keys",
                  "over_settled_lines", "conflicts_without_exception", "self_conflicts")
                 if getattr(self, name)]
        # Before healing, the central side may be ahead (committed, not yet marked), never
        # behind; after healing they agree.
        behind = {code: seqs for code, seqs in self.last_seq.items()
                  if healed or seqs[0] < seqs[1]}
        if behind:
            found.append(f"last_seq (central, local) {behind}")
        if healed:
            found += [f"{name}={getattr(self, name)}" for name in ("absent", "pending", "parked")
                      if getattr(self, name)]
        return found

    def line(self) -> str:
        conflicts = ", ".join(f"{k} {v}" for k, v in sorted(self.conflicts.items())) or "none"
        return (f"{self.stations} station(s): {self.facts} facts, {self.once} central exactly "
                f"once, {self.absent} not yet sent, {self.lost} lost, {self.twice} twice, "
                f"{self.strays} strays | refund triggers {self.refund_triggers}: "
                f"{self.refunds_applied} applied + {self.refunds_in_conflict} in conflict, "
                f"{self.refunds_lost} lost; {self.settling} settling, "
                f"{self.settle_dup_keys} duplicated settle keys | conflicts: {conflicts} | "
                f"outbox {self.pending} pending, {self.parked} parked")


def _central_ids(session: Session, table: str) -> set[uuid.UUID]:
    return {uuid.UUID(str(row[0])) for row in session.execute(text(f"SELECT id FROM {table}"))}


def audit_central(central: str | Engine, stations: Mapping[str, sessionmaker[Session]]) -> Audit:
    """Every fact of every station (by outbox entry) against the central tables.

    `stations` maps station code to its local session factory."""
    audit = Audit(stations=len(stations))
    engine = make_engine(central) if isinstance(central, str) else central
    try:
        local_facts: dict[tuple[str, uuid.UUID], bool] = {}  # -> sent
        local_triggers: dict[uuid.UUID, bool] = {}
        max_sent_seq: dict[str, int] = {}
        for code, local in stations.items():
            with local() as session:
                rows = session.execute(select(
                    OutboxEntry.entity, OutboxEntry.entity_id, OutboxEntry.seq,
                    OutboxEntry.sent_at.is_not(None), OutboxEntry.parked_at.is_not(None))).all()
                queued = {(entity, entity_id) for entity, entity_id, *_ in rows}
                for model in (Unit, RefundTrigger):
                    for (fact_id,) in session.execute(select(model.id)):
                        if (model.__tablename__, fact_id) not in queued:
                            audit.unqueued += 1
            for entity, entity_id, seq, sent, parked in rows:
                key = (entity, entity_id)
                local_facts[key] = local_facts.get(key, False) or bool(sent)
                if entity == "refund_triggers":
                    local_triggers[entity_id] = local_triggers.get(entity_id, False) or sent
                if sent:
                    max_sent_seq[code] = max(max_sent_seq.get(code, 0), seq)
                elif parked:
                    audit.parked += 1
                else:
                    audit.pending += 1
        with session_factory(engine)() as central_session:
            tables = {name: _central_ids(central_session, name) for name in FACT_TABLES}
            conflict_rows = central_session.execute(text(
                "SELECT id, kind, winner_id FROM sync_conflicts")).all()
            conflict_ids = {uuid.UUID(str(row[0])) for row in conflict_rows}
            audit.conflicts = dict(Tally(str(row[1]) for row in conflict_rows))
            audit.self_conflicts = sum(1 for row in conflict_rows if row[0] == row[2])
            losing_ids = {str(row[0]) for row in central_session.execute(text(
                "SELECT details->>'losing_id' FROM exceptions WHERE kind IN "
                "('refund_conflict', 'duplicate_receipt')"))}
            conflict_exception_ids = {uuid.UUID(str(row[0])) for row in central_session.execute(
                text("SELECT id FROM exceptions WHERE kind IN "
                     "('refund_conflict', 'duplicate_receipt') "
                     "AND details->>'losing_id' IS NOT NULL"))}
            audit.settling = int(central_session.scalar(text(
                "SELECT count(*) FROM refund_triggers WHERE settling")) or 0)
            audit.settle_dup_keys = int(central_session.scalar(text(
                "SELECT count(*) FROM (SELECT settle_key FROM refund_triggers WHERE settling "
                "AND settle_key IS NOT NULL GROUP BY settle_key HAVING count(*) > 1) d")) or 0)
            audit.over_settled_lines = int(central_session.scalar(text(
                "SELECT count(*) FROM (SELECT t.rma_line_id FROM refund_triggers t JOIN "
                "rma_lines l ON l.id = t.rma_line_id WHERE t.settling GROUP BY t.rma_line_id, "
                "l.quantity HAVING count(*) > l.quantity) o")) or 0)
            last_seq = {row[0]: int(row[1]) for row in central_session.execute(text(
                "SELECT station_code, last_seq FROM station_sync"))}
        audit.facts = len(local_facts)
        audit.sent = sum(local_facts.values())
        for (entity, entity_id), sent in local_facts.items():
            in_table = entity_id in tables.get(entity, set())
            in_conflicts = entity_id in conflict_ids
            if in_table and in_conflicts:
                audit.twice += 1
            elif in_table or in_conflicts:
                audit.once += 1
                audit.unmarked += not sent
            elif sent:
                audit.lost += 1
            else:
                audit.absent += 1
        known = {entity_id for _, entity_id in local_facts}
        for name, ids in tables.items():
            extra = ids - known
            if name == "exceptions":
                extra -= conflict_exception_ids
            audit.strays += len(extra)
        audit.conflicts_without_exception = len({str(i) for i in conflict_ids} - losing_ids)
        audit.refund_triggers = len(local_triggers)
        for trigger_id, sent in local_triggers.items():
            if trigger_id in tables["refund_triggers"]:
                audit.refunds_applied += 1
            elif trigger_id in conflict_ids:
                audit.refunds_in_conflict += 1
            elif sent:
                audit.refunds_lost += 1
        for code in stations:
            central_seq, local_seq = last_seq.get(code, 0), max_sent_seq.get(code, 0)
            if central_seq != local_seq:
                audit.last_seq[code] = (central_seq, local_seq)
    finally:
        if isinstance(central, str):
            engine.dispose()
    return audit


def count_rows(engine: Engine,
               tables: Iterable[str] = (*FACT_TABLES, "sync_conflicts")) -> dict[str, int]:
    """Row counts of central tables (the fact tables and sync_conflicts by default)."""
    with engine.connect() as connection:
        return {name: int(connection.scalar(text(f"SELECT count(*) FROM {name}")) or 0)
                for name in tables}


def local_count(local: sessionmaker[Session], model: type[Any]) -> int:
    with local() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)
