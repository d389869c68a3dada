"""Client timeouts for a PostgreSQL central database, so no sync waits for ever.

Why: with libpq's defaults a server port that accepts and never answers held `sync` for
131 s, and a connection that went silent in the middle of a push held it for good, while
the server kept the push's transaction (and its row locks) open, so the next syncs failed
on lock timeouts.

Contract of `postgres_connect_args(central)` (keyword arguments for psycopg.connect, from
the validated `[central]` settings):
- `connect_timeout`: connecting, TLS and authentication together take at most
  `connect_timeout_s`;
- `keepalives*` and `tcp_user_timeout`: a connection whose peer went silent is probed after
  `keepalive_s` and dropped by the client's kernel after about twice that;
- `options`: the server side of each session gets `statement_timeout` (each statement
  ends after `statement_timeout_s`) and the same keepalive and user timeout, so the server
  drops a dead client, rolls its transaction back and releases its locks. (Sync's own
  transactions add `lock_timeout` and `idle_in_transaction_session_timeout`.)

Migrations lift the statement timeout for their own transaction (station/store/schema.py).
The whole sync has a deadline too: station/sync/deadline.py.
"""

from __future__ import annotations

from typing import Any

from station.settings.config import CentralConfig

KEEPALIVE_PROBES = 3


def keepalive_interval_s(central: CentralConfig) -> int:
    return max(1, central.keepalive_s // KEEPALIVE_PROBES)


def dead_after_s(central: CentralConfig) -> int:
    """How long a silent peer is given before the connection is dropped."""
    return central.keepalive_s + KEEPALIVE_PROBES * keepalive_interval_s(central)


def postgres_connect_args(central: CentralConfig) -> dict[str, Any]:
    interval = keepalive_interval_s(central)
    user_timeout_ms = dead_after_s(central) * 1000
    server = {
        "statement_timeout": central.statement_timeout_s * 1000,
        "tcp_keepalives_idle": central.keepalive_s,
        "tcp_keepalives_interval": interval,
        "tcp_keepalives_count": KEEPALIVE_PROBES,
        "tcp_user_timeout": user_timeout_ms,
    }
    return {
        "connect_timeout": central.connect_timeout_s,
        "keepalives": 1,
        "keepalives_idle": central.keepalive_s,
        "keepalives_interval": interval,
        "keepalives_count": KEEPALIVE_PROBES,
        "tcp_user_timeout": user_timeout_ms,
        "options": " ".join(f"-c {name}={value}" for name, value in server.items()),
    }
