"""Sync under faults, against a real PostgreSQL central database started by the tests.

Each scenario ends with `audit_central`, which checks the central tables against every
station's outbox: every fact present exactly once (in its own table, or in sync_conflicts
when it lost a race), no refund trigger lost, no settling trigger duplicated, one winner per
raced line with the losers' conflicts recorded, and the outbox empty once the network is
back. The counts are printed (`pytest -s`) and are in every assertion message.

Scenarios: a station killed with SIGKILL at seeded random points (50 times); PostgreSQL
stopped with `-m immediate` in the middle of a batch and restarted; connections cut
mid-batch by a TCP proxy; the same batch delivered 2-5 times; 8 stations racing on the same
RMA lines; stations whose clocks are hours off; a station and a central database one schema
revision apart; a resend must not hang behind the orphaned transaction of a dead connection,
and a concurrent re-delivery of the same batch must not be recorded as a conflict with
itself.

RETURNS_STATION_KILL_ITERATIONS and RETURNS_STATION_FAULT_SEED change the kill -9 loop's
length and the seed of the randomised scenarios.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from integration.fault_cluster import CrashableCluster
from integration.pg_cluster import PostgresCluster, PostgresUnavailable
from integration.sync_harness import (
    FACT_TABLES,
    Audit,
    Bench,
    audit_central,
    count_rows,
    create_bench,
    open_bench,
    prepare_central,
)
from sqlalchemy import Engine, event, select, text, update
from tcp_proxy import TcpProxy

from station.store import schema
from station.store.database import make_engine, session_factory
from station.store.models import OutboxEntry
from station.sync import exchange as sync

pytestmark = pytest.mark.postgres

STATION_SCRIPT = Path(__file__).with_name("sync_station.py")
#: 50 by default (~60 s); more for a soak run, and another seed to explore.
KILL_ITERATIONS = int(os.environ.get("RETURNS_STATION_KILL_ITERATIONS", "50"))
FAULT_SEED = int(os.environ.get("RETURNS_STATION_FAULT_SEED", "20261130"))
#: Single-line RMAs of one unit whose refund settles (FULL) when graded A: raced lines.
RACED_ROUND_1 = ("RMA-100002", "RMA-100010", "RMA-100014")
RACED_ROUND_2 = ("RMA-100020", "RMA-100025", "RMA-100035")
RACE_STATIONS = 8


# ---------------------------------------------------------------------------- helpers


def show(scenario: str, audit: Audit, **extra: object) -> None:
    details = " ".join(f"{key}={value}" for key, value in extra.items())
    print(f"\n[{scenario}] {audit.line()}" + (f" | {details}" if details else ""))


def check(audit: Audit, scenario: str, *, healed: bool) -> None:
    problems = audit.problems(healed=healed)
    state = "after healing" if healed else "before healing"
    assert not problems, f"{scenario} ({state}): {problems}\n{audit.line()}"


def stations_of(*benches: Bench) -> dict[str, Any]:
    return {bench.code: bench.local for bench in benches}


def heal(bench: Bench, *, attempts: int = 20, **options: Any) -> sync.PushResult:
    """Push until the outbox is empty (the network is back; a race may still be lost)."""
    total = sync.PushResult()
    for attempt in range(attempts):
        try:
            result = bench.push(**options)
        except sync.SyncOffline:
            time.sleep(min(0.05 * 2 ** attempt, 0.5))
            continue
        total.sent += result.sent
        total.conflicts += result.conflicts
        total.parked += result.parked
        total.batches += result.batches
        if bench.waiting()[0] == 0:
            return total
    raise AssertionError(f"{bench.code}: outbox not empty after {attempts} pushes: "
                         f"{bench.waiting()}")


def previous_revision() -> str:
    scripts = ScriptDirectory.from_config(schema._config())
    head = scripts.get_revision(schema.head_revision())
    assert head is not None and isinstance(head.down_revision, str)
    return head.down_revision


def via(url: str, cluster: PostgresCluster, proxy: TcpProxy) -> str:
    return url.replace(f"@{cluster.host}:{cluster.port}/", f"@{proxy.host}:{proxy.port}/")


def on_statement(engine: Engine, callback: Callable[[str], None]) -> Callable[[], None]:
    """Call `callback(statement)` before every statement sent to `engine`; returns the
    function that removes the hook."""
    def hook(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        callback(statement)

    event.listen(engine, "before_cursor_execute", hook)
    return lambda: event.remove(engine, "before_cursor_execute", hook)


@pytest.fixture
def central_url(fresh_postgres_url: str) -> str:
    """A fresh central database at head with the demo RMAs."""
    prepare_central(fresh_postgres_url)
    return fresh_postgres_url


@pytest.fixture(scope="module")
def crash_cluster() -> Iterator[CrashableCluster]:
    """A cluster of its own (synchronous_commit on) that the test may crash."""
    try:
        cluster = CrashableCluster.start()
    except PostgresUnavailable as problem:
        if os.environ.get("RETURNS_STATION_REQUIRE_PG") == "1":
            pytest.fail(str(problem), pytrace=False)
        pytest.skip(str(problem))
    try:
        yield cluster
    finally:
        cluster.stop()


# ---------------------------------------------------------------------------- kill -9


def run_station(folder: Path, url: str, code: str, prefix: str, units: int, seed: int,
                *options: str, kill_after_s: float | None = None,
                timeout: float = 120) -> tuple[int, dict[str, Any] | None, str]:
    """Run sync_station.py; SIGKILL it `kill_after_s` after it is READY. Returns
    (exit status, its JSON summary or None, its stderr)."""
    command = [sys.executable, str(STATION_SCRIPT), str(folder), url, code, prefix,
               str(units), str(seed), *options]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True) as process:
        assert process.stdout is not None
        ready = process.stdout.readline()
        if ready.strip() == "READY" and kill_after_s is not None:
            time.sleep(kill_after_s)
            process.kill()
        out, err = process.communicate(timeout=timeout)
    lines = [line for line in out.splitlines() if line.startswith("{")]
    return process.returncode, json.loads(lines[-1]) if lines else None, err


#: Kill points of sync_station.py. A unit makes ~13 outbox entries and its finalizing ~60
#: local statements, its push ~25 central statements: K is drawn over that span (a K past
#: the last event lets the run complete).
KILL_POINTS = ("central", "commit", "before-mark", "local-mark", "finalize")


def kill_span(point: str, units: int, batch: int) -> int:
    batches = units * -(-13 // batch)
    return {"central": 25 * units + 3 * batches, "commit": units + batches + 1,
            "before-mark": batches, "local-mark": batches, "finalize": 60 * units}[point]


def test_a_station_killed_at_random_points_of_its_push_loses_and_doubles_nothing(
    central_url: str, tmp_path: Path,
) -> None:
    folder = tmp_path / "kill-1"
    create_bench(folder, "KILL-1", "K1", central_url).close()
    rng = random.Random(FAULT_SEED)
    outcomes: Counter[str] = Counter()
    unmarked = 0
    started = time.monotonic()
    for iteration in range(KILL_ITERATIONS):
        mode = rng.choice(["wall-clock", *KILL_POINTS])
        units, batch = rng.randint(1, 3), rng.choice([5, 10, 20])
        options = ["--batch-size", str(batch)]
        delay = None
        if mode == "wall-clock":
            delay = rng.uniform(0.0, 0.35)
        else:
            options += ["--kill-at", f"{mode}:{rng.randint(1, kill_span(mode, units, batch))}"]
        status, summary, err = run_station(folder, central_url, "KILL-1", "K1", units,
                                           rng.randrange(1 << 30), *options,
                                           kill_after_s=delay)
        killed = status == -9
        assert killed or status == 0, f"iteration {iteration}: exit {status}\n{err[-2000:]}"
        outcomes[f"{mode} {'killed' if killed else 'completed'}"] += 1
        bench = open_bench(folder, "KILL-1", "K1", central_url)
        try:
            audit = audit_central(central_url, stations_of(bench))
            check(audit, f"kill -9 #{iteration} ({mode})", healed=False)
            unmarked += audit.unmarked
            if iteration % 5 == 4:  # heal by restarting the station process
                bench.close()
                status, summary, err = run_station(folder, central_url, "KILL-1", "K1", 0, 0)
                assert status == 0 and summary is not None, err[-2000:]
                bench = open_bench(folder, "KILL-1", "K1", central_url)
            else:  # or by the next push in-process
                heal(bench, batch_size=batch)
            audit = audit_central(central_url, stations_of(bench))
            check(audit, f"kill -9 #{iteration} ({mode})", healed=True)
        finally:
            bench.close()
    show("kill -9 x50", audit, kills=sum(v for k, v in outcomes.items() if "killed" in k),
         delivered_again=unmarked, seconds=round(time.monotonic() - started, 1),
         outcomes=dict(sorted(outcomes.items())))
    assert sum(v for k, v in outcomes.items() if "killed" in k) >= KILL_ITERATIONS * 0.8, \
        outcomes
    assert audit.refunds_lost == 0 and audit.settle_dup_keys == 0 and audit.pending == 0


# ---------------------------------------------------------------------------- pg crash


def test_postgresql_stopped_immediately_mid_batch_and_restarted_loses_nothing(
    crash_cluster: CrashableCluster, tmp_path: Path,
) -> None:
    name = crash_cluster.create_database()
    url = crash_cluster.url(name)
    prepare_central(url)
    bench = create_bench(tmp_path / "crash-1", "CRASH-1", "C1", url)
    rng = random.Random(FAULT_SEED + 2)
    offline = 0
    modes = ["statement", "before-mark", "timer", rng.choice(["statement", "before-mark"])]
    try:
        for mode in modes:
            bench.finalize(6, rng)
            crashes = crash_cluster.crashes
            armed = {"n": 0, "at": rng.randint(4, 40) if mode == "statement" else
                     rng.randint(1, 3)}

            def crash_at(_point: str, armed: dict[str, int] = armed) -> None:
                armed["n"] += 1
                if armed["n"] == armed["at"]:
                    crash_cluster.crash()

            remove = on_statement(bench.central_engine, lambda _s: crash_at("statement")) \
                if mode == "statement" else (lambda: None)
            timer = threading.Timer(rng.uniform(0.02, 0.15), crash_cluster.crash) \
                if mode == "timer" else None
            if timer is not None:
                timer.start()
            try:
                bench.push(batch_size=15, before_mark=(
                    (lambda: crash_at("mark")) if mode == "before-mark" else None))
            except sync.SyncOffline:
                offline += 1
            finally:
                remove()
                if timer is not None:
                    timer.join()
            assert crash_cluster.crashes == crashes + 1, f"{mode}: no crash happened"
            with pytest.raises(sync.SyncOffline):  # while it is down nothing goes anywhere
                bench.push()
            crash_cluster.restart()
            audit = audit_central(url, stations_of(bench))
            check(audit, f"pg crash ({mode})", healed=False)
            heal(bench, batch_size=15)
            audit = audit_central(url, stations_of(bench))
            check(audit, f"pg crash ({mode})", healed=True)
    finally:
        bench.close()
        crash_cluster.ensure_running()  # even when an assertion failed while it was down
        crash_cluster.drop_database(name)
    show("pg_ctl stop -m immediate", audit, crashes=len(modes), push_offline=offline,
         modes=modes)


# ---------------------------------------------------------------------------- proxy


def test_connections_cut_mid_batch_lose_nothing_once_the_network_is_back(
    central_url: str, postgres_cluster: PostgresCluster, tmp_path: Path,
) -> None:
    rng = random.Random(FAULT_SEED + 3)
    kinds: Counter[str] = Counter()
    offline = unmarked = 0
    with TcpProxy(postgres_cluster.host, postgres_cluster.port) as proxy:
        bench = create_bench(tmp_path / "proxy-1", "PROXY-1", "P1",
                             via(central_url, postgres_cluster, proxy))
        try:
            every = ["bytes", "statement", "commit", "refuse", "hold", "stall"]
            plan = every + [rng.choice(["bytes", "statement", "commit"]) for _ in range(8)]
            rng.shuffle(plan)
            for round_no, kind in enumerate(plan):
                bench.finalize(2, rng)
                kinds[kind] += 1
                remove: Callable[[], None] = lambda: None  # noqa: E731
                timer: threading.Timer | None = None
                if kind == "bytes":
                    proxy.cut_after(rng.randint(100, 40_000))
                elif kind == "statement":
                    at, seen = rng.randint(2, 30), [0]

                    def cut_at(_statement: str, at: int = at, seen: list[int] = seen) -> None:
                        seen[0] += 1
                        if seen[0] == at:
                            proxy.cut()

                    remove = on_statement(bench.central_engine, cut_at)
                elif kind == "commit":  # the COMMIT reaches the server, its answer is lost
                    at, seen = rng.randint(2, 4), [0]  # commit 1 is the registration

                    def commit_lost(*_args: Any, at: int = at, seen: list[int] = seen) -> None:
                        seen[0] += 1
                        if seen[0] == at:
                            proxy.cut_on_reply()

                    event.listen(bench.central_engine, "commit", commit_lost)
                    remove = partial(event.remove, bench.central_engine, "commit", commit_lost)
                elif kind == "refuse":
                    proxy.cut()
                    proxy.refuse()
                elif kind == "hold":  # new connections wait a moment
                    proxy.cut()
                    proxy.hold()
                else:  # live connections go silent a moment
                    proxy.stall()
                if kind in ("hold", "stall"):
                    timer = threading.Timer(0.3, proxy.resume)
                    timer.start()
                try:
                    bench.push(batch_size=10)
                except sync.SyncOffline:
                    offline += 1
                finally:
                    remove()
                    if timer is not None:
                        timer.join()
                    proxy.disarm()
                    proxy.resume()
                if kind == "refuse":
                    assert bench.waiting()[0] > 0, "pushed through a refusing network"
                audit = audit_central(central_url, stations_of(bench))
                check(audit, f"proxy round {round_no} ({kind})", healed=False)
                unmarked += audit.unmarked
                heal(bench, batch_size=10)
                audit = audit_central(central_url, stations_of(bench))
                check(audit, f"proxy round {round_no} ({kind})", healed=True)
        finally:
            bench.close()
        cuts = proxy.stats.cuts
    show("proxy cuts", audit, rounds=sum(kinds.values()), kinds=dict(kinds),
         connections_reset=cuts, push_offline=offline, committed_but_unmarked=unmarked)
    assert cuts > 0 and offline > 0 and unmarked > 0


def test_a_resend_does_not_hang_behind_the_orphaned_transaction_of_a_dead_connection(
    central_url: str, postgres_cluster: PostgresCluster, tmp_path: Path,
) -> None:
    with TcpProxy(postgres_cluster.host, postgres_cluster.port) as proxy:
        bench = create_bench(tmp_path / "half-1", "HALF-1", "H1",
                             via(central_url, postgres_cluster, proxy))
        try:
            bench.finalize(4, random.Random(8))

            def cut_client_side(statement: str) -> None:
                if statement.startswith("INSERT INTO units"):  # rows of this batch written
                    proxy.cut(client_only=True)

            remove = on_statement(bench.central_engine, cut_client_side)
            with pytest.raises(sync.SyncOffline):
                bench.push(batch_size=20)
            remove()
            outcome: list[object] = []

            def resend() -> None:
                try:
                    outcome.append(bench.push(batch_size=20))
                except Exception as error:
                    outcome.append(error)

            worker = threading.Thread(target=resend)
            worker.start()
            worker.join(6)
            finished_in_time = not worker.is_alive()
            proxy.cut()  # the orphan ends: the resend gets unstuck
            worker.join(30)
            heal(bench)
            audit = audit_central(central_url, stations_of(bench))
            show("resend behind an orphan", audit, returned_within_6s=finished_in_time,
                 first_outcome=repr(outcome[:1])[:120])
            check(audit, "resend behind an orphan", healed=True)
        finally:
            bench.close()
    assert finished_in_time, "the resend was still blocked after 6 s"


# ---------------------------------------------------------------------------- duplicates


def _window(bench: Bench, rng: random.Random) -> list[int]:
    with bench.local() as session:
        seqs = list(session.scalars(select(OutboxEntry.seq).order_by(OutboxEntry.seq)))
    size = rng.randint(1, 40)
    start = rng.randrange(0, max(1, len(seqs) - size))
    return seqs[start:start + size]


def _unmark(bench: Bench, seqs: list[int]) -> None:
    with bench.local.begin() as session:
        session.execute(update(OutboxEntry).where(OutboxEntry.seq.in_(seqs))
                        .values(sent_at=None))


def test_the_same_batch_delivered_two_to_five_times_lands_once(
    central_url: str, tmp_path: Path,
) -> None:
    a = create_bench(tmp_path / "dup-a", "DUP-A", "DA", central_url)
    b = create_bench(tmp_path / "dup-b", "DUP-B", "DB", central_url)
    engine = make_engine(central_url)
    rng = random.Random(42)
    try:
        a.finalize(1, rng, rma_numbers=["RMA-100002"])
        b.finalize(1, rng, rma_numbers=["RMA-100002"])  # B loses this line to A
        a.finalize(5, rng, rma_numbers=[f"RMA-1001{n:02d}" for n in range(0, 30)])
        b.finalize(5, rng, rma_numbers=[f"RMA-1001{n:02d}" for n in range(30, 60)])
        heal(a)
        heal(b)
        before = count_rows(engine)
        conflict_seq = "SELECT coalesce(max(change_seq), 0) FROM sync_conflicts"
        with engine.connect() as connection:
            seq_before = connection.scalar(text(conflict_seq))
        deliveries = []
        for _ in range(8):
            bench = rng.choice([a, b])
            seqs, times = _window(bench, rng), rng.randint(2, 5)
            for _ in range(times):
                _unmark(bench, seqs)
                result = bench.push(batch_size=rng.choice([1, 7, 20, 500]))
                assert result.sent == len(seqs) and result.parked == 0
            deliveries.append(f"{bench.code}:{len(seqs)}x{times}")
            assert count_rows(engine) == before, f"after {deliveries[-1]}"
        with engine.connect() as connection:
            assert connection.scalar(text(conflict_seq)) == seq_before
        audit = audit_central(engine, stations_of(a, b))
        show("same batch 2-5 times", audit, deliveries=deliveries)
        check(audit, "same batch 2-5 times", healed=True)
        assert audit.conflicts == {"duplicate_receipt": 1, "refund_conflict": 1}
        pulled = b.pull().conflicts
        assert sorted(c.kind for c in pulled) == ["duplicate_receipt", "refund_conflict"]
        assert b.pull().conflicts == [] and a.pull().conflicts == []
    finally:
        engine.dispose()
        a.close()
        b.close()


def test_the_same_batch_delivered_at_the_same_moment_is_not_a_conflict_with_itself(
    central_url: str, tmp_path: Path,
) -> None:
    """Four deliveries of one station's refund trigger wait on a fifth that then rolls back
    (a delivery whose connection died): they wake together and race for the same row. The
    window is microseconds wide; a hit takes ~2 attempts of ~0.1 s (stops after 25)."""
    bench = create_bench(tmp_path / "twin-1", "TWIN-1", "T1", central_url)
    racers = 4
    engines = [make_engine(central_url) for _ in range(racers)]
    admin = make_engine(central_url)
    try:
        bench.finalize(1, random.Random(5), rma_numbers=["RMA-100002"])
        heal(bench)
        with admin.connect() as connection:
            trigger = dict(connection.execute(text("SELECT * FROM refund_triggers"))
                           .mappings().one())
        columns = ", ".join(trigger)
        insert = text(f"INSERT INTO refund_triggers ({columns}) VALUES "
                      f"({', '.join(':' + name for name in trigger)})")
        waiting = text("SELECT count(*) FROM pg_locks WHERE locktype = 'transactionid' "
                       "AND transactionid::text = :xid AND NOT granted")
        attempts = 0
        while attempts < 25:
            attempts += 1
            with admin.begin() as connection:  # the trigger not central yet
                for table in ("refund_triggers", "sync_conflicts", "exceptions"):
                    connection.execute(text(f"DELETE FROM {table}"))
            with bench.local.begin() as session:
                session.execute(update(OutboxEntry).where(
                    OutboxEntry.entity == "refund_triggers").values(sent_at=None))
            errors: list[BaseException] = []

            def deliver(engine: Engine, errors: list[BaseException] = errors) -> None:
                try:
                    sync.push(bench.local, session_factory(engine), engine,
                              bench.identity, clock=bench.clock)
                except BaseException as error:
                    errors.append(error)

            with admin.connect() as dying:  # the delivery that will roll back
                dying.execute(insert, trigger)
                xid = dying.execute(text("SELECT txid_current()::text")).scalar()
                threads = [threading.Thread(target=deliver, args=(e,)) for e in engines]
                for thread in threads:
                    thread.start()
                lined_up = time.monotonic() + 2
                while time.monotonic() < lined_up:  # all four wait for it
                    with admin.connect() as connection:
                        if connection.scalar(waiting, {"xid": xid}) == racers:
                            break
                    time.sleep(0.002)
                dying.rollback()
            for thread in threads:
                thread.join(30)
            assert not errors, errors
            audit = audit_central(central_url, stations_of(bench))
            if audit.problems(healed=True):
                break
        show("same batch at the same moment", audit, attempts=attempts)
        check(audit, "same batch at the same moment", healed=True)
    finally:
        admin.dispose()
        for engine in engines:
            engine.dispose()
        bench.close()


# ---------------------------------------------------------------------------- race


def _race(benches: list[Bench], rng: random.Random) -> tuple[list[Any], float]:
    barrier = threading.Barrier(len(benches))
    outcome: list[Any] = [None] * len(benches)

    def run(index: int, bench: Bench, batch: int) -> None:
        try:
            barrier.wait(30)
            outcome[index] = heal(bench, batch_size=batch)
        except BaseException as error:
            outcome[index] = error

    threads = [threading.Thread(target=run, args=(i, b, rng.choice([5, 50, 500])))
               for i, b in enumerate(benches)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return outcome, time.monotonic() - started


def test_eight_stations_racing_on_the_same_lines_one_wins_and_the_others_learn_it(
    central_url: str, tmp_path: Path,
) -> None:
    rng = random.Random(8)
    benches = [create_bench(tmp_path / f"race-{i}", f"RACE-{i}", f"R{i}", central_url)
               for i in range(RACE_STATIONS)]
    engine = make_engine(central_url)
    totals: dict[str, object] = {}
    known: dict[str, set[Any]] = {bench.code: set() for bench in benches}
    try:
        for round_no, (raced, isolation) in enumerate(
                [(RACED_ROUND_1, ""), (RACED_ROUND_2, "SERIALIZABLE")], start=1):
            if isolation:  # as on a distributed SQL central database
                for bench in benches:
                    bench.central_engine.dispose()
                    bench.central_engine = make_engine(central_url, isolation_level=isolation)
            for index, bench in enumerate(benches):
                order = list(raced)
                rng.shuffle(order)  # other orders on other stations: deadlocks are possible
                bench.finalize(len(order), rng, rma_numbers=order)
                own = [f"RMA-1001{n:02d}" for n in range(index * 6, index * 6 + 6)]
                bench.finalize(2, rng, rma_numbers=own)  # and facts nobody else has
            outcome, seconds = _race(benches, rng)
            errors = [o for o in outcome if isinstance(o, BaseException)]
            assert not errors, errors
            with engine.connect() as connection:
                settle = connection.execute(text(
                    "SELECT r.rma_number, t.station_code, t.settle_key FROM refund_triggers t "
                    "JOIN rma_lines l ON l.id = t.rma_line_id JOIN rmas r ON r.id = l.rma_id "
                    "WHERE t.settling AND r.rma_number = ANY(:raced)"),
                    {"raced": list(raced)}).all()
                lost = connection.execute(text(
                    "SELECT c.kind, c.station_code, c.winner_station, c.subject "
                    "FROM sync_conflicts c WHERE c.entity = 'refund_triggers' "
                    "AND c.subject = ANY(:keys)"), {"keys": [s.settle_key for s in settle]}).all()
                receipts = connection.execute(text(
                    "SELECT r.rma_number, count(*) FROM receipts c JOIN rmas r "
                    "ON r.id = c.rma_id WHERE r.rma_number = ANY(:raced) GROUP BY 1"),
                    {"raced": list(raced)}).all()
            winners = {row.rma_number: row.station_code for row in settle}
            assert sorted(winners) == sorted(raced) and len(settle) == len(raced), settle
            assert dict(receipts) == dict.fromkeys(raced, 1)
            for row in settle:  # the 7 others lost this line, each recorded once
                losers = sorted(c.station_code for c in lost if c.subject == row.settle_key)
                assert losers == sorted(b.code for b in benches if b.code != row.station_code)
                assert {c.winner_station for c in lost if c.subject == row.settle_key} == \
                    {row.station_code}
            for bench in benches:  # each loser learns exactly its new conflicts, once
                conflicts = bench.pull().conflicts
                with engine.connect() as connection:
                    mine = {row[0] for row in connection.execute(text(
                        "SELECT id FROM sync_conflicts WHERE station_code = :code"),
                        {"code": bench.code})}
                assert {c.id for c in conflicts} == mine - known[bench.code], bench.code
                assert bench.pull().conflicts == []
                refund_losses = [c for c in conflicts if c.kind == "refund_conflict"]
                lines_lost = sum(1 for r in settle if r.station_code != bench.code)
                assert len(refund_losses) == lines_lost, (bench.code, refund_losses)
                known[bench.code] = mine
            audit = audit_central(engine, stations_of(*benches))
            check(audit, f"race round {round_no}", healed=True)
            totals[f"round {round_no}"] = {
                "isolation": isolation or "READ COMMITTED", "seconds": round(seconds, 2),
                "winners": dict(Counter(winners.values())),
                "refund_conflicts": len(lost),
                "retries": sum(getattr(o, "retries", 0) for o in outcome),
            }
        show("8 stations racing", audit, **totals)
        assert audit.conflicts == {"duplicate_receipt": 7 * 6, "refund_conflict": 7 * 6}
        assert audit.refunds_in_conflict == 7 * 6 and audit.refunds_lost == 0
    finally:
        engine.dispose()
        for bench in benches:
            bench.close()


# ---------------------------------------------------------------------------- clocks


def test_stations_whose_clocks_are_hours_off_sync_in_seq_order(
    central_url: str, tmp_path: Path,
) -> None:
    ahead = create_bench(tmp_path / "ahead", "AHEAD-1", "AH", central_url,
                         clock_offset=timedelta(hours=6))
    behind = create_bench(tmp_path / "behind", "BEHIND-1", "BH", central_url,
                          clock_offset=timedelta(hours=-5))
    rng = random.Random(6)
    try:
        behind.finalize(1, rng, rma_numbers=["RMA-100054"])  # first, by the wall clock...
        ahead.finalize(3, rng, rma_numbers=["RMA-100054", "RMA-100055", "RMA-100067"])
        ahead.clock_offset = timedelta(hours=-7)  # ahead's clock is "corrected" mid-shift
        ahead.finalize(3, rng, rma_numbers=["RMA-100068", "RMA-100076", "RMA-100104"])
        behind.finalize(3, rng, rma_numbers=["RMA-100108", "RMA-100109", "RMA-100111"])
        with ahead.local() as session:
            rows = session.execute(select(OutboxEntry.seq, OutboxEntry.created_at)
                                   .order_by(OutboxEntry.seq)).all()
        seqs = [row.seq for row in rows]
        assert [r.seq for r in sorted(rows, key=lambda r: r.created_at)] != seqs
        pushed_up_to: list[int] = []

        def central_last_seq() -> None:
            with ahead.central_engine.connect() as connection:
                pushed_up_to.append(int(connection.scalar(text(
                    "SELECT last_seq FROM station_sync WHERE station_code = 'AHEAD-1'"))))

        ahead.push(batch_size=7, before_mark=central_last_seq)  # ...but pushed first
        assert pushed_up_to == [seqs[min(i + 6, len(seqs) - 1)]
                                for i in range(0, len(seqs), 7)]
        heal(behind, batch_size=7)
        audit = audit_central(central_url, stations_of(ahead, behind))
        with ahead.central_engine.connect() as connection:
            winner = connection.execute(text(
                "SELECT c.winner_station, c.winner_at, c.station_code FROM sync_conflicts c "
                "WHERE c.entity = 'refund_triggers'")).one()
            chains = connection.execute(text(
                "SELECT station_code, count(*), min(seq), max(seq) FROM audit_events "
                "GROUP BY station_code ORDER BY 1")).all()
        show("clocks hours off", audit, batches=len(pushed_up_to),
             refund_winner=winner.winner_station, loser=winner.station_code,
             audit_chains=[tuple(c) for c in chains])
        check(audit, "clocks hours off", healed=True)
        assert (winner.winner_station, winner.station_code) == ("AHEAD-1", "BEHIND-1")
        assert all(count == high and low == 1 for _code, count, low, high in chains)
    finally:
        ahead.close()
        behind.close()


# ---------------------------------------------------------------------------- schema


def test_a_central_database_one_revision_behind_stops_sync_until_it_is_upgraded(
    fresh_postgres_url: str, tmp_path: Path,
) -> None:
    previous, head = previous_revision(), schema.head_revision()
    prepare_central(fresh_postgres_url, revision=previous)
    bench = create_bench(tmp_path / "old-central", "OLDC-1", "OC", fresh_postgres_url)
    engine = make_engine(fresh_postgres_url)
    try:
        bench.finalize(3, random.Random(7))
        waiting = bench.waiting()
        with pytest.raises(sync.SchemaMismatch,
                           match=f"revision {previous}, this station at {head}"):
            bench.push()
        assert bench.waiting() == waiting and waiting[0] > 0  # the outbox keeps everything
        sent = count_rows(engine, (*FACT_TABLES, "station_sync"))
        assert set(sent.values()) == {0}, sent  # nothing sent, not even its sync state
        schema.upgrade(engine, label="central")
        heal(bench)
        audit = audit_central(engine, stations_of(bench))
        show("central one revision behind", audit, refused_at=previous, pending=waiting[0])
        check(audit, "central one revision behind", healed=True)
    finally:
        engine.dispose()
        bench.close()


def test_a_station_one_revision_behind_the_central_sends_nothing_until_upgraded(
    central_url: str, tmp_path: Path,
) -> None:
    previous, head = previous_revision(), schema.head_revision()
    folder = tmp_path / "old-station"
    create_bench(folder, "OLDS-1", "OS", central_url).close()
    status, summary, err = run_station(folder, central_url, "OLDS-1", "OS", 3, 11,
                                       "--pretend-revision", previous)
    assert status == 3 and summary is not None, err[-2000:]
    assert f"revision {head}, this station at {previous}" in summary["error"]
    assert summary["sent"] == 0 and summary["waiting"][0] > 0
    engine = make_engine(central_url)
    try:
        assert set(count_rows(engine, (*FACT_TABLES, "station_sync")).values()) == {0}
        status, summary, err = run_station(folder, central_url, "OLDS-1", "OS", 0, 0)
        assert status == 0 and summary is not None and summary["waiting"] == [0, 0], err
        bench = open_bench(folder, "OLDS-1", "OS", central_url)
        try:
            audit = audit_central(engine, stations_of(bench))
        finally:
            bench.close()
        show("station one revision behind", audit, refused_at=previous)
        check(audit, "station one revision behind", healed=True)
    finally:
        engine.dispose()
