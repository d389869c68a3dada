"""Push and pull with one central database (a shared SQLite file here; PostgreSQL in
tests/integration): facts arrive once however often they are sent, conflicts between
stations are recorded and reach the loser, bad entries are parked, not dropped."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import central_site
import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session, sessionmaker
from station_bench import (
    StationUnderTest,
    inspect_unit,
    make_station,
)

from station.common.vocabulary import Grade, Role
from station.receiving import parcels as receiving
from station.store import schema
from station.store.database import make_engine, session_factory, sqlite_url
from station.store.models import (
    ExceptionCase,
    OutboxEntry,
    Receipt,
    RefundTrigger,
    StationSync,
    SyncConflict,
    Unit,
)
from station.sync import exchange as sync
from station.trust import central_rules

LINE_OF_ONE = "RMA-100002"  # one electronics unit


@dataclasses.dataclass
class Site:
    central_path: Path
    stations: list[StationUnderTest]

    @property
    def central(self) -> sessionmaker[Session]:
        return session_factory(make_engine(sqlite_url(self.central_path)))

    def push(self, bench: StationUnderTest, **options: object) -> sync.PushResult:
        engine = make_engine(sqlite_url(self.central_path))
        try:
            return sync.push(bench.ctx.sessions, session_factory(engine), engine,
                             identity(bench), clock=bench.clock, **options)  # type: ignore[arg-type]
        finally:
            engine.dispose()


def identity(bench: StationUnderTest) -> sync.StationIdentity:
    return central_site.identity(bench.ctx)


@pytest.fixture
def site(tmp_path: Path) -> Site:
    a = make_station(tmp_path / "a", station_code="BENCH-A", lpn_prefix="BA")
    b = make_station(tmp_path / "b", station_code="BENCH-B", lpn_prefix="BB")
    central = tmp_path / "central.db"
    shutil.copy(a.locations.embedded_central_db, central)  # holds the same RMAs
    made = Site(central, [a, b])
    for bench in (a, b):
        central_site.join(made.central, bench.ctx)
    return made


def count(session: Session, model: type, *where: object) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def finish_one(bench: StationUnderTest, number: str = LINE_OF_ONE,
               grade: Grade = Grade.A) -> object:
    grader = bench.actors[Role.GRADER]
    view = receiving.receive(bench.ctx, grader, number)
    assert view.receipt_id is not None
    return inspect_unit(bench, grader, view.receipt_id, view.lines[0].id, grade)


def pending(bench: StationUnderTest) -> int:
    return sync.waiting(bench.ctx.sessions)[0]


def test_a_push_sends_every_fact_once_and_registers_the_station(site: Site) -> None:
    a = site.stations[0]
    finish_one(a)
    waiting = pending(a)
    assert waiting > 10
    result = site.push(a)
    assert (result.sent, result.conflicts, result.parked) == (waiting, 0, 0)
    assert pending(a) == 0
    with site.central() as central:
        assert count(central, Unit) == 1 and count(central, RefundTrigger) == 1
        state = central.get(StationSync, "BENCH-A")
        assert state is not None and state.last_seq > 0


def test_the_same_batch_delivered_again_changes_nothing(site: Site) -> None:
    a = site.stations[0]
    finish_one(a)
    site.push(a)
    with site.central() as central:
        before = {table: central.scalar(text(f"SELECT count(*) FROM {table}"))
                  for table in ("units", "inspections", "refund_triggers", "audit_events",
                                "photos", "dispositions", "receipts")}
    for _ in range(3):  # as if the local "sent" mark was lost every time
        with a.ctx.sessions.begin() as session:
            session.execute(update(OutboxEntry).values(sent_at=None))
        site.push(a)
    with site.central() as central:
        after = {table: central.scalar(text(f"SELECT count(*) FROM {table}"))
                 for table in before}
    assert after == before


def test_a_crash_between_the_central_commit_and_the_local_mark_loses_nothing(
    site: Site,
) -> None:
    a = site.stations[0]
    finish_one(a)

    def power_cut() -> None:
        raise RuntimeError("power cut")

    with pytest.raises(RuntimeError):
        site.push(a, before_mark=power_cut)
    assert pending(a) > 0  # not marked: it will be sent again
    site.push(a)
    assert pending(a) == 0
    with site.central() as central:
        assert count(central, RefundTrigger) == 1


def test_two_stations_refunding_one_unit_one_wins_and_the_other_learns_it(site: Site) -> None:
    a, b = site.stations
    finish_one(a)
    b.clock.advance(minutes=5)
    finish_one(b)
    site.push(a)
    result = site.push(b)
    assert result.conflicts == 2  # B's receipt of the parcel and B's refund
    with site.central() as central:
        settling = central.scalars(select(RefundTrigger).where(
            RefundTrigger.settling.is_(True))).all()
        assert [t.station_code for t in settling] == ["BENCH-A"]
        conflicts = central.scalars(select(SyncConflict)).all()
        assert {c.kind for c in conflicts} == {"refund_conflict", "duplicate_receipt"}
        assert all(c.station_code == "BENCH-B" and c.winner_station == "BENCH-A"
                   for c in conflicts)
        assert count(central, ExceptionCase, ExceptionCase.kind == "refund_conflict") == 1
        assert count(central, Receipt) == 1
    pulled = sync.pull(site.central, b.ctx.sessions, "BENCH-B")
    assert len(pulled.conflicts) == 2
    refund = next(c for c in pulled.conflicts if c.kind == "refund_conflict")
    assert sync.conflict_text(refund).startswith("Already refunded at station BENCH-A at ")
    assert sync.pull(site.central, b.ctx.sessions, "BENCH-B").conflicts == []  # once
    assert sync.pull(site.central, a.ctx.sessions, "BENCH-A").conflicts == []


def test_a_rejected_entry_is_parked_with_its_error_and_so_are_the_facts_that_need_it(
    site: Site,
) -> None:
    a = site.stations[0]
    finish_one(a)
    with a.ctx.sessions.begin() as session:
        bad = session.scalars(select(OutboxEntry).where(OutboxEntry.entity == "units")).one()
        payload = dict(bad.payload)
        payload["lpn"] = None  # the central NOT NULL refuses it
        bad.payload = payload
        bad_seq, unit_id = bad.seq, str(bad.entity_id)
        dependants = {entry.seq for entry in session.scalars(select(OutboxEntry))
                      if entry.payload.get("unit_id") == unit_id}
    assert {"inspections", "dispositions", "refund_triggers"} <= {
        entity for entity in _entities(a, dependants)}
    waiting = pending(a)
    result = site.push(a)
    assert (result.parked, result.sent) == (1 + len(dependants), waiting - 1 - len(dependants))
    with a.ctx.sessions() as session:
        parked = session.get(OutboxEntry, bad_seq)
        assert parked is not None and parked.parked_at is not None and parked.sent_at is None
        assert parked.error and "IntegrityError" in parked.error
        for seq in dependants:
            entry = session.get(OutboxEntry, seq)
            assert entry is not None and entry.parked_at is not None
            assert entry.error and "refused centrally" in entry.error and "its unit" in entry.error
    assert sync.waiting(a.ctx.sessions) == (0, 1 + len(dependants))
    with site.central() as central:  # no refund without its unit
        assert count(central, RefundTrigger) == 0 and count(central, Unit) == 0


def _entities(bench: StationUnderTest, seqs: set[int]) -> list[str]:
    with bench.ctx.sessions() as session:
        return [entry.entity for entry in session.scalars(
            select(OutboxEntry).where(OutboxEntry.seq.in_(seqs)))]


def test_a_central_database_on_another_schema_version_stops_sync_and_says_which(
    site: Site,
) -> None:
    a = site.stations[0]
    finish_one(a)
    engine = make_engine(sqlite_url(site.central_path))
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0005'"))
    engine.dispose()
    with pytest.raises(sync.SchemaMismatch, match=f"revision 0005, this station at "
                                                  f"{schema.head_revision()}"):
        site.push(a)
    assert pending(a) > 0



def test_a_second_installation_under_a_station_code_in_use_is_refused(
    site: Site, tmp_path: Path
) -> None:
    a = site.stations[0]
    finish_one(a, "RMA-100006")
    site.push(a)
    reinstalled = make_station(tmp_path / "a-again", station_code="BENCH-A",
                               lpn_prefix="BA")
    with reinstalled.ctx.sessions.begin() as session:  # a fresh install shares no history
        session.execute(delete(OutboxEntry))
    finish_one(reinstalled, "RMA-100009")
    waiting = pending(reinstalled)
    with pytest.raises(sync.SyncError, match="already used by another installation"):
        site.push(reinstalled)
    assert pending(reinstalled) == waiting  # nothing sent, nothing parked
    with a.ctx.sessions.begin() as session:  # the first one, its marks lost, is still itself
        session.execute(update(OutboxEntry).values(sent_at=None))
    assert site.push(a).parked == 0


def test_a_batch_inserts_every_fact_after_the_facts_it_depends_on() -> None:
    order = central_rules.FACT_ORDER
    assert all(order.index(dependency.table) < order.index(rule.table)
               for rule in central_rules.RULES for dependency in rule.dependencies)
