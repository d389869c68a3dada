"""A deadline for one whole sync against a PostgreSQL central database.

Why: timeouts inside the connection (station/store/central_connection.py) end a connection whose
peer is gone, but not one whose peer still acknowledges and never answers (a proxy or
firewall that holds the line), and a push of many batches has no natural bound at all. A
sync that does not finish in time gives up cleanly instead of hanging the bench.

Contract of `within(engine, seconds)` (a context manager around one sync):
- After `seconds`, the sockets of the engine's connections this sync has checked out are
  shut down (and any connection it checks out later at once), so the blocked call fails
  at once with a connection error; nothing is marked sent that central did not confirm,
  and the next sync sends it again. The server sees the connection end and rolls the open
  transaction back (or ends it by its own timeouts), releasing its locks.
- A sync that failed because of the deadline raises `SyncOffline` naming the setting
  (`central.sync_deadline_s`); an error that happened before the deadline passes through.
- `seconds=None`, or a database other than PostgreSQL (the embedded SQLite file), is no
  deadline at all.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import SQLAlchemyError

from station.common.errors import UserFacingError

log = logging.getLogger(__name__)


class DeadlinePassed(UserFacingError):
    """Raised by `within` when the sync was stopped by its deadline (sync re-raises it as
    SyncOffline)."""


def _shut_down(dbapi_connection: Any) -> None:
    """Shut the connection's socket down under its owner's feet (both directions)."""
    pgconn = getattr(dbapi_connection, "pgconn", None)
    if pgconn is None:
        return
    from psycopg import Error as PsycopgError

    try:
        descriptor = os.dup(pgconn.socket)
    except (OSError, PsycopgError) as error:  # psycopg's Error: the connection is closed
        log.debug("no socket to shut down: %s", error.__class__.__name__)
        return
    with socket.socket(fileno=descriptor) as duplicate, contextlib.suppress(OSError):
        duplicate.shutdown(socket.SHUT_RDWR)


class _Watch:
    def __init__(self, engine: Engine, seconds: float) -> None:
        self.seconds = seconds
        self.expired = threading.Event()
        self._lock = threading.Lock()
        self._live: set[Any] = set()
        self._engine = engine
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def checkout(self, dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        with self._lock:
            self._live.add(dbapi_connection)
            late = self.expired.is_set()
        if late:
            _shut_down(dbapi_connection)

    def checkin(self, dbapi_connection: Any, _record: Any) -> None:
        with self._lock:
            self._live.discard(dbapi_connection)

    def _expire(self) -> None:
        with self._lock:
            self.expired.set()
            live = list(self._live)
        log.warning("sync passed its deadline of %.0f s; dropping %d central connection(s)",
                    self.seconds, len(live))
        for connection in live:
            _shut_down(connection)

    def __enter__(self) -> _Watch:
        event.listen(self._engine, "checkout", self.checkout)
        event.listen(self._engine, "checkin", self.checkin)
        self._timer.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._timer.cancel()
        event.remove(self._engine, "checkout", self.checkout)
        event.remove(self._engine, "checkin", self.checkin)
        if self.expired.is_set():
            self._engine.dispose()  # no connection of the stopped sync is used again


@contextlib.contextmanager
def within(engine: Engine, seconds: float | None) -> Iterator[None]:
    if seconds is None or engine.dialect.name != "postgresql":
        yield
        return
    with _Watch(engine, seconds) as watch:
        try:
            yield
        except (SQLAlchemyError, UserFacingError) as error:
            if watch.expired.is_set():
                raise DeadlinePassed(
                    f"The sync did not finish within {seconds:.0f} s (central.sync_deadline_s): "
                    "the central database stopped answering. Nothing was lost: what was not "
                    "confirmed is sent again by the next sync.") from error
            raise
