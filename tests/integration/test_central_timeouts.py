"""A central database that stops answering never hangs a sync, and its locks do not outlive
a stalled station: real sockets on 127.0.0.1 and a real PostgreSQL server.

- A port that accepts connections and never answers: `sync` gives up after
  `central.connect_timeout_s` with a clear message (it used to take 131 s).
- A connection that goes silent in the middle of a push: the sync returns SyncOffline
  within `central.sync_deadline_s`; the server ends the orphaned transaction by itself, so a
  later sync on a healthy path succeeds without waiting on its locks.
"""

from __future__ import annotations

import contextlib
import dataclasses
import random
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_runner import run
from integration.pg_cluster import PostgresCluster
from integration.sync_harness import audit_central, create_bench, prepare_central
from sqlalchemy import Engine, event, text
from tcp_proxy import TcpProxy

from station.runtime.context import utc_now
from station.settings.config import CentralConfig
from station.store.central_connection import postgres_connect_args
from station.store.database import make_engine, session_factory
from station.sync import exchange as sync
from station.trust import enrolment

CONNECT_TIMEOUT_S = 3
SYNC_DEADLINE_S = 5


@contextlib.contextmanager
def silent_listener() -> Iterator[tuple[int, list[socket.socket]]]:
    """127.0.0.1:<port> accepts every connection and never sends a byte."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            accepted.append(connection)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], accepted
    finally:
        stop.set()
        thread.join(5)
        for connection in accepted:
            connection.close()
        listener.close()


def test_a_server_that_accepts_and_never_answers_fails_sync_within_the_connect_timeout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    folder = tmp_path / "station"
    folder.mkdir()
    with silent_listener() as (port, accepted):
        (folder / "config.toml").write_text(
            f'[station]\ncode = "SILENT-1"\n\n[central]\n'
            f'url = "postgresql://station@127.0.0.1:{port}/returns"\n'
            f"connect_timeout_s = {CONNECT_TIMEOUT_S}\n", encoding="utf-8")
        started = time.monotonic()
        status = run("--data-dir", str(folder), "sync")
        took = time.monotonic() - started
        assert accepted, "the client never connected to the silent listener"
    err = capsys.readouterr().err
    assert status == 1
    assert "cannot be reached" in err and "timeout" in err
    assert "Traceback" not in err
    assert CONNECT_TIMEOUT_S - 0.5 <= took < CONNECT_TIMEOUT_S + 20, took


def idle_in_transaction(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()")).scalar_one())


def test_a_push_stalled_midway_returns_within_its_deadline_and_a_later_sync_succeeds(
    fresh_postgres_url: str, postgres_cluster: PostgresCluster, tmp_path: Path,
) -> None:
    prepare_central(fresh_postgres_url)
    direct = make_engine(fresh_postgres_url)
    with session_factory(direct).begin() as session:
        enrolment.enrol_station(session, code="STALL-1", site="Main warehouse",
                                lpn_prefix="S1", now=utc_now(), by="test admin", db_role=None)
    bench = create_bench(tmp_path / "stall-1", "STALL-1", "S1", fresh_postgres_url)
    try:
        bench.finalize(3, random.Random(9))
        with TcpProxy(postgres_cluster.host, postgres_cluster.port) as proxy:
            proxied_url = fresh_postgres_url.replace(
                f"@{postgres_cluster.host}:{postgres_cluster.port}/",
                f"@{proxy.host}:{proxy.port}/")
            central = CentralConfig(url=proxied_url, sync_deadline_s=SYNC_DEADLINE_S)
            station = dataclasses.replace(
                bench.opened, _central=None,
                ctx=dataclasses.replace(bench.ctx, config=dataclasses.replace(
                    bench.ctx.config, central=central)))
            engine = station.central_engine()

            def stall_before_units(_conn: Any, _cursor: Any, statement: str,
                                   *_args: Any) -> None:
                if statement.startswith("INSERT INTO units"):
                    proxy.stall()

            event.listen(engine, "before_cursor_execute", stall_before_units)
            started = time.monotonic()
            with pytest.raises(sync.SyncOffline, match=r"central\.sync_deadline_s"):
                sync.sync_once(bench.local, station.central_sessions(), engine,
                               bench.identity, clock=bench.clock,
                               deadline_s=central.sync_deadline_s)
            took = time.monotonic() - started
            assert SYNC_DEADLINE_S - 0.5 <= took < SYNC_DEADLINE_S + 15, took
            assert bench.waiting()[0] > 0

            released_after = None
            for tenth in range(400):
                if idle_in_transaction(direct) == 0:
                    released_after = tenth / 10
                    break
                time.sleep(0.1)
            assert released_after is not None, "the stalled transaction still holds its locks"

            pushed = bench.push()
            assert pushed.sent > 0 and pushed.retries == 0
            assert bench.waiting()[0] == 0
            audit = audit_central(fresh_postgres_url, {bench.code: bench.local})
            assert not audit.problems(healed=True), audit.line()
            print(f"\n[stall] sync gave up after {took:.1f} s; the server released the "
                  f"orphan {released_after:.1f} s later; {audit.line()}")
            engine.dispose()
    finally:
        bench.close()
        direct.dispose()


def test_central_connections_carry_client_and_server_timeouts() -> None:
    args = postgres_connect_args(CentralConfig(url="postgresql://s@db/x", connect_timeout_s=7,
                                               statement_timeout_s=42, keepalive_s=12))
    assert args["connect_timeout"] == 7
    assert (args["keepalives"], args["keepalives_idle"], args["keepalives_interval"],
            args["keepalives_count"]) == (1, 12, 4, 3)
    assert args["tcp_user_timeout"] == 24_000
    assert "-c statement_timeout=42000" in args["options"]
    assert "-c tcp_keepalives_idle=12" in args["options"]
