"""The throw-away PostgreSQL cluster of the integration tests (pg_cluster.py), started once
per session, and databases in it."""

import os
from collections.abc import Iterator

import pytest
from integration.pg_cluster import PostgresCluster, PostgresStartError, PostgresUnavailable

REQUIRE_PG_ENV = "RETURNS_STATION_REQUIRE_PG"


def _start_cluster() -> PostgresCluster:
    """Start the cluster; skip when PostgreSQL is not installed, unless CI requires it."""
    try:
        return PostgresCluster.start()
    except PostgresUnavailable as exc:
        reason, may_skip = str(exc), True
    except PostgresStartError as exc:
        reason, may_skip = str(exc), False
    # Outside the except blocks, so the report does not show the chained exception.
    if not may_skip:
        pytest.fail(reason, pytrace=False)
    if os.environ.get(REQUIRE_PG_ENV) == "1":
        pytest.fail(f"{reason} ({REQUIRE_PG_ENV}=1)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """A throw-away PostgreSQL cluster, started once per test session."""
    cluster = _start_cluster()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def postgres_url(postgres_cluster: PostgresCluster) -> str:
    """SQLAlchemy URL of the session-wide database ``returns_test``."""
    return postgres_cluster.url(postgres_cluster.create_database("returns_test"))


@pytest.fixture
def fresh_postgres_url(postgres_cluster: PostgresCluster) -> Iterator[str]:
    """SQLAlchemy URL of a new, empty database of its own, dropped after the test."""
    name = postgres_cluster.create_database()
    try:
        yield postgres_cluster.url(name)
    finally:
        postgres_cluster.drop_database(name)
