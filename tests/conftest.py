"""Fixtures every test may use: no Qt and no PostgreSQL here (tests/ui/conftest.py sets Qt
up, tests/integration/conftest.py starts the PostgreSQL cluster), so the core's tests run
where neither is installed.

Test files are imported with ``--import-mode=importlib`` (pyproject.toml) and the shared
helpers (station_bench.py, cli_runner.py, …) from this folder, which ``pythonpath`` puts
on sys.path: two test files may have the same name in different folders.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from station_bench import StationUnderTest, make_station


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


@pytest.fixture
def bench(tmp_path: Path) -> Iterator[StationUnderTest]:
    """A freshly opened station with one user per role and a dozen demo RMAs."""
    station = make_station(tmp_path / "station")
    yield station
    station.opened.close()
