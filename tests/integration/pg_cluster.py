"""A throw-away PostgreSQL cluster for the integration tests.

The cluster lives in a fresh temporary directory (data directory, unix socket
and server log), listens on 127.0.0.1 only, trusts every local connection and
runs with ``fsync=off``: it is fast, disposable and must never hold real data.

PostgreSQL refuses to run as root, so when the tests run as root the cluster is
initialised and run as the ``postgres`` system user.

This module knows nothing about pytest: it raises :class:`PostgresUnavailable`
when there is nothing to start (the caller decides whether that means "skip"
or "fail") and :class:`PostgresStartError` when starting went wrong.
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shlex
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import psycopg
from psycopg import sql

PG_BIN_ENV = "RETURNS_STATION_PG_BIN"
SUPERUSER = "postgres"
RUN_AS_USER_WHEN_ROOT = "postgres"

NOT_FOUND_MESSAGE = (
    "PostgreSQL server binaries not found: install postgresql "
    "(Debian: apt-get install postgresql) or set RETURNS_STATION_PG_BIN "
    "to run the integration tests"
)

_START_ATTEMPTS = 3  # a free port can be taken by someone else before the server binds it
_START_TIMEOUT_S = 60
_LOG_TAIL_LINES = 40


class PostgresUnavailable(Exception):
    """There is no PostgreSQL server this machine can start for the tests."""


class PostgresStartError(Exception):
    """PostgreSQL was found but the throw-away cluster could not be started."""


# --------------------------------------------------------------------------- binaries


def _has_initdb(directory: str | Path) -> bool:
    return (Path(directory) / "initdb").is_file()


def _version_key(bindir: str) -> tuple[int, ...]:
    """(15,) for /usr/lib/postgresql/15/bin, (9, 6) for .../9.6/bin."""
    version = Path(bindir).parent.name
    return tuple(int(part) for part in re.findall(r"\d+", version))


def _pg_config_bindir() -> str | None:
    pg_config = shutil.which("pg_config")
    if pg_config is None:
        return None
    try:
        result = subprocess.run(
            [pg_config, "--bindir"], capture_output=True, text=True, check=True, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() or None


def find_pg_bindir() -> Path:
    """Directory holding initdb, pg_ctl and postgres.

    Looked up, in order: ``$RETURNS_STATION_PG_BIN``, ``pg_config --bindir``,
    the highest ``/usr/lib/postgresql/*/bin`` (Debian/Ubuntu), initdb on PATH.
    """
    explicit = os.environ.get(PG_BIN_ENV)
    if explicit:
        if not _has_initdb(explicit):
            # Explicitly configured and wrong: never fall back silently.
            raise PostgresStartError(f"{PG_BIN_ENV}={explicit!r} does not contain initdb")
        return Path(explicit)

    from_pg_config = _pg_config_bindir()
    if from_pg_config and _has_initdb(from_pg_config):
        return Path(from_pg_config)

    debian_bindirs = [d for d in glob.glob("/usr/lib/postgresql/*/bin") if _has_initdb(d)]
    if debian_bindirs:
        return Path(max(debian_bindirs, key=_version_key))

    initdb_on_path = shutil.which("initdb")
    if initdb_on_path:
        return Path(initdb_on_path).parent

    raise PostgresUnavailable(NOT_FOUND_MESSAGE)


# --------------------------------------------------------------------------- helpers


def find_free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _tail(path: Path, lines: int = _LOG_TAIL_LINES) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        return f"(could not read {path}: {exc})"
    return "\n".join(text.splitlines()[-lines:]) or "(empty)"


@dataclass(frozen=True)
class _RunAs:
    """The system user the PostgreSQL tools run as; all None means the current user."""

    user: str | None = None
    uid: int | None = None
    gid: int | None = None

    @classmethod
    def for_current_process(cls) -> _RunAs:
        if os.geteuid() != 0:
            return cls()
        try:
            entry = pwd.getpwnam(RUN_AS_USER_WHEN_ROOT)
        except KeyError:
            raise PostgresUnavailable(
                "running as root, and PostgreSQL refuses to run as root, but there is no "
                f"{RUN_AS_USER_WHEN_ROOT!r} system user to run it as: install postgresql "
                "(Debian: apt-get install postgresql, which creates that user) or run the "
                "tests as an ordinary user"
            ) from None
        return cls(user=entry.pw_name, uid=entry.pw_uid, gid=entry.pw_gid)

    def chown(self, path: Path) -> None:
        if self.uid is not None and self.gid is not None:
            os.chown(path, self.uid, self.gid)

    def run(self, args: Sequence[str | Path], cwd: Path) -> subprocess.CompletedProcess[str]:
        """Run a PostgreSQL tool; never raises on a non-zero exit status."""
        return subprocess.run(
            [str(arg) for arg in args],
            cwd=cwd,  # the postgres user may not be allowed into the current directory
            user=self.uid,
            group=self.gid,
            extra_groups=None if self.uid is None else [],  # drop root's groups too
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
            timeout=_START_TIMEOUT_S + 30,
        )


def _describe(result: subprocess.CompletedProcess[str]) -> str:
    output = "\n".join(part.strip() for part in (result.stdout, result.stderr) if part.strip())
    command = shlex.join(result.args)
    return f"`{command}` exited with {result.returncode}:\n{output or '(no output)'}"


# --------------------------------------------------------------------------- cluster


@dataclass
class PostgresCluster:
    """One running throw-away cluster. Use :meth:`start` and :meth:`stop`."""

    bindir: Path
    base_dir: Path
    port: int
    run_as: _RunAs = field(default_factory=_RunAs)

    host: ClassVar[str] = "127.0.0.1"

    @property
    def data_dir(self) -> Path:
        return self.base_dir / "data"

    @property
    def log_file(self) -> Path:
        return self.base_dir / "server.log"

    @classmethod
    def start(cls) -> PostgresCluster:
        """initdb a fresh cluster in a new temporary directory and start it.

        Raises PostgresUnavailable or PostgresStartError; leaves nothing behind
        on failure.
        """
        bindir = find_pg_bindir()
        run_as = _RunAs.for_current_process()
        base_dir = Path(tempfile.mkdtemp(prefix="returns-station-pg-"))
        cluster = cls(bindir=bindir, base_dir=base_dir, port=0, run_as=run_as)
        try:
            run_as.chown(base_dir)
            cluster._initdb()
            cluster._start_server()
        except BaseException:
            cluster.stop()
            raise
        return cluster

    def _initdb(self) -> None:
        result = self.run_as.run(
            [
                self.bindir / "initdb",
                "--pgdata", self.data_dir,
                "--username", SUPERUSER,
                "--auth", "trust",
                "--locale", "C",
                "--encoding", "UTF8",
                "--no-sync",
            ],
            cwd=self.base_dir,
        )  # fmt: skip
        if result.returncode != 0:
            raise PostgresStartError(f"initdb failed in {self.data_dir}\n{_describe(result)}")

    def _start_server(self) -> None:
        for attempt in range(1, _START_ATTEMPTS + 1):
            self.port = find_free_port()
            self.log_file.unlink(missing_ok=True)  # the tail must be about this attempt only
            server_options = [
                "-p", str(self.port),
                "-k", str(self.base_dir),
                "-c", f"listen_addresses={self.host}",
                "-c", "fsync=off",
                "-c", "synchronous_commit=off",
                "-c", "full_page_writes=off",
            ]  # fmt: skip
            result = self.run_as.run(
                [
                    self.bindir / "pg_ctl",
                    "-w",
                    "-t", str(_START_TIMEOUT_S),
                    "-D", self.data_dir,
                    "-l", self.log_file,
                    # pg_ctl hands these to a shell: quote them.
                    "-o", shlex.join(server_options),
                    "start",
                ],
                cwd=self.base_dir,
            )  # fmt: skip
            if result.returncode == 0:
                return
            log_tail = _tail(self.log_file)
            port_taken = "could not bind" in log_tail or "already in use" in log_tail
            if port_taken and attempt < _START_ATTEMPTS:
                continue
            raise PostgresStartError(
                f"PostgreSQL did not start (port {self.port}, data in {self.data_dir})\n"
                f"{_describe(result)}\n"
                f"--- last lines of {self.log_file} ---\n{log_tail}"
            )

    def stop(self) -> None:
        """Stop the server (immediately: the data is thrown away) and delete everything."""
        if (self.data_dir / "postmaster.pid").exists():
            self.run_as.run(
                [self.bindir / "pg_ctl", "-D", self.data_dir, "-m", "immediate", "-w", "stop"],
                cwd=self.base_dir,
            )
        shutil.rmtree(self.base_dir, ignore_errors=True)

    # ----------------------------------------------------------------------- databases

    def url(self, dbname: str) -> str:
        """SQLAlchemy URL of a database in this cluster."""
        return f"postgresql+psycopg://{SUPERUSER}@{self.host}:{self.port}/{dbname}"

    def admin_connection(self) -> psycopg.Connection[tuple[object, ...]]:
        """Autocommit superuser connection to the ``postgres`` maintenance database."""
        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=SUPERUSER,
            dbname="postgres",
            autocommit=True,
            connect_timeout=10,
        )

    def create_database(self, dbname: str | None = None) -> str:
        """Create an empty database (a unique name unless given); returns its name."""
        name = dbname or f"returns_test_{uuid.uuid4().hex[:12]}"
        with self.admin_connection() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return name

    def drop_database(self, dbname: str) -> None:
        """Drop a database, disconnecting whoever is still connected (PostgreSQL 13+)."""
        with self.admin_connection() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname))
            )
