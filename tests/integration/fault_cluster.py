"""A throw-away PostgreSQL cluster that can be crashed (`pg_ctl stop -m immediate`) and
restarted on the same port, for the sync fault tests.

Unlike the session cluster of `pg_cluster.py` it runs with `synchronous_commit=on`: with
it off, an immediate stop may throw away transactions the server had already reported as
committed (their WAL was still in shared memory), and a station that saw the COMMIT
succeed has rightly marked those entries sent. Durability of a reported commit is the
central server's side of the bargain; `fsync=off` is harmless here because the operating
system itself does not crash.
"""

from __future__ import annotations

import shlex
import time

import psycopg
from integration.pg_cluster import (
    _START_TIMEOUT_S,
    PostgresCluster,
    PostgresStartError,
    _describe,
    _tail,
    find_free_port,
)


class CrashableCluster(PostgresCluster):
    """`start()` as PostgresCluster; `crash()` stops it immediately, `restart()` brings it
    back on the same port (with crash recovery)."""

    crashes: int = 0

    def _start_server(self) -> None:
        first = self.port == 0
        for attempt in range(1, 4):
            if first:
                self.port = find_free_port()
            server_options = [
                "-p", str(self.port),
                "-k", str(self.base_dir),
                "-c", f"listen_addresses={self.host}",
                "-c", "fsync=off",
                "-c", "synchronous_commit=on",
                "-c", "full_page_writes=off",
                "-c", "max_connections=60",
            ]  # fmt: skip
            result = self.run_as.run(
                [self.bindir / "pg_ctl", "-w", "-t", str(_START_TIMEOUT_S), "-D", self.data_dir,
                 "-l", self.log_file, "-o", shlex.join(server_options), "start"],
                cwd=self.base_dir,
            )
            if result.returncode == 0:
                return
            log_tail = _tail(self.log_file)
            port_taken = "could not bind" in log_tail or "already in use" in log_tail
            if port_taken and attempt < 3:
                if not first:
                    time.sleep(0.5)  # our own old socket in TIME_WAIT: wait, same port
                continue
            raise PostgresStartError(f"PostgreSQL did not start (port {self.port})\n"
                                     f"{_describe(result)}\n--- log ---\n{log_tail}")

    def crash(self) -> None:
        """`pg_ctl stop -m immediate`: every backend is killed, no checkpoint, no goodbye."""
        result = self.run_as.run(
            [self.bindir / "pg_ctl", "-D", self.data_dir, "-m", "immediate", "-w", "stop"],
            cwd=self.base_dir)
        if result.returncode != 0:
            raise PostgresStartError(f"immediate stop failed\n{_describe(result)}")
        self.crashes += 1

    def restart(self) -> None:
        self._start_server()
        deadline = time.monotonic() + 30
        while True:  # -w waits for "ready", but be sure before handing it back
            try:
                with psycopg.connect(host=self.host, port=self.port, user="postgres",
                                     dbname="postgres", connect_timeout=5):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def ensure_running(self) -> None:
        try:
            with psycopg.connect(host=self.host, port=self.port, user="postgres",
                                 dbname="postgres", connect_timeout=5):
                return
        except psycopg.OperationalError:
            self.restart()
