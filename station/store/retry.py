"""Retrying a transaction that lost a race: serialization failures and deadlocks.

PostgreSQL at SERIALIZABLE (and distributed SQL engines with a PostgreSQL dialect, such as
CockroachDB, which always run SERIALIZABLE) abort one of two conflicting transactions with
SQLSTATE 40001 (serialization_failure), or 40P01 (deadlock_detected). The aborted
transaction did nothing, so the whole transaction — not one statement — is run again,
after a short random pause so that the racers do not collide again in step.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Final, TypeVar

from sqlalchemy.exc import DBAPIError

T = TypeVar("T")
RETRYABLE_SQLSTATES: Final = frozenset({"40001", "40P01"})
ATTEMPTS: Final = 8


def sqlstate(error: BaseException) -> str | None:
    """The SQLSTATE of a database error (psycopg 3 calls it `sqlstate`), if any."""
    original = getattr(error, "orig", None)
    for source in (original, error):
        code = getattr(source, "sqlstate", None) or getattr(source, "pgcode", None)
        if isinstance(code, str):
            return code
    return None


def is_retryable(error: BaseException) -> bool:
    return isinstance(error, DBAPIError) and sqlstate(error) in RETRYABLE_SQLSTATES


def retrying(transaction: Callable[[], T], *, attempts: int = ATTEMPTS,
             sleep: Callable[[float], None] = time.sleep,
             on_retry: Callable[[int, BaseException], None] | None = None) -> T:
    """Run `transaction` (which opens, does and commits one transaction) until it does not
    lose a race; after `attempts` losses the last error is raised."""
    for attempt in range(1, attempts + 1):
        try:
            return transaction()
        except DBAPIError as error:
            if not is_retryable(error) or attempt == attempts:
                raise
            if on_retry is not None:
                on_retry(attempt, error)
            sleep(random.uniform(0, 0.01 * 2 ** attempt))  # noqa: S311 - jitter, not secrets
    raise AssertionError("unreachable")
