"""Shared fixtures for the whole test suite."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# tests/ has no __init__.py, so pytest (default "prepend" import mode) puts this
# directory on sys.path before importing this conftest.
from integration.pg_cluster import PostgresCluster, PostgresStartError, PostgresUnavailable
from station_bench import StationUnderTest, make_station

REQUIRE_PG_ENV = "RETURNS_STATION_REQUIRE_PG"


def pytest_configure(config: pytest.Config) -> None:
    """Qt tests run without a display; set before pytest-qt creates the QApplication."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QStandardPaths

    QStandardPaths.setTestModeEnabled(True)  # QSettings written by tests stay out of ~/.config


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


@pytest.fixture(scope="session", autouse=True)
def secrets_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Station keys (the PIN pepper, …) go to a throw-away folder, never the OS keyring or
    the real user's config folder. One folder per test run: stations copied from the
    bench template (tests/station_bench.py) find the template's keys there."""
    from station.settings.secrets_folder import SECRETS_DIR_ENV

    folder = tmp_path_factory.mktemp("secrets")
    saved = os.environ.get(SECRETS_DIR_ENV)
    os.environ[SECRETS_DIR_ENV] = str(folder)
    try:
        yield folder
    finally:
        if saved is None:
            os.environ.pop(SECRETS_DIR_ENV, None)
        else:
            os.environ[SECRETS_DIR_ENV] = saved


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


@pytest.fixture
def bench(tmp_path: Path) -> Iterator[StationUnderTest]:
    """A freshly opened station with one user per role and a dozen demo RMAs."""
    station = make_station(tmp_path / "station")
    yield station
    station.opened.close()
