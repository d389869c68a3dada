"""The data folder holds customer names and PIN hashes: only the station's own account may
read it. New folders are 0700 and files 0600; an existing world-readable one is fixed at
start-up, with a log line and one line on stderr."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from station.runtime.bootstrap import open_station
from station.settings.config import StationConfig, resolve_locations
from station.settings.logging_setup import PrivateRotatingFileHandler, configure_logging

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The umask most desktops run with, under which files used to come out 0644."""
    saved = os.umask(0o022)
    yield
    os.umask(saved)


@pytest.fixture
def root_logger_clean() -> Iterator[None]:
    root = logging.getLogger()
    before = list(root.handlers)
    yield
    for handler in root.handlers:
        if handler not in before:
            root.removeHandler(handler)
            handler.close()


def open_and_write(folder: Path) -> None:
    """Open a station and write to both its databases, so WAL files exist."""
    opened = open_station(StationConfig(station_code="PRIV-01"),
                          resolve_locations(data_dir=str(folder), env={}))
    try:
        with opened.central_engine().begin() as connection:
            connection.exec_driver_sql("CREATE TABLE IF NOT EXISTS t (x INTEGER)")
        assert (folder / "station.db-wal").exists() and (folder / "central.db-wal").exists()
        assert mode(folder / "station.db-wal") == 0o600
        assert mode(folder / "central.db-shm") == 0o600
    finally:
        opened.close()


def test_a_fresh_data_folder_is_0700_and_its_databases_and_logs_0600(
    tmp_path: Path, root_logger_clean: None,
) -> None:
    folder = tmp_path / "new" / "station"
    open_and_write(folder)
    log_file = configure_logging(folder / "logs")
    logging.getLogger("test").warning("a line")
    assert mode(folder) == 0o700
    assert mode(folder.parent) == 0o700
    for name in ("station.db", "central.db"):
        assert mode(folder / name) == 0o600, name
    assert mode(folder / "logs") == 0o700
    assert mode(log_file) == 0o600
    assert {mode(p) for p in folder.iterdir() if p.is_file()} == {0o600}


def test_log_files_made_at_a_rollover_are_0600_too(tmp_path: Path) -> None:
    handler = PrivateRotatingFileHandler(tmp_path / "x.log", maxBytes=100, backupCount=2,
                                         encoding="utf-8")
    logger = logging.getLogger("rollover-test")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        for n in range(20):
            logger.warning("line %d of enough text to pass a hundred bytes soon", n)
    finally:
        logger.removeHandler(handler)
        handler.close()
    files = sorted(tmp_path.glob("x.log*"))
    assert len(files) == 3
    assert {mode(f) for f in files} == {0o600}


def test_a_world_readable_data_folder_is_made_private_at_start_up_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture,
) -> None:
    folder = tmp_path / "station"
    open_and_write(folder)
    (folder / "logs").mkdir()
    (folder / "logs" / "returns-station.log").write_text("old\n", encoding="utf-8")
    (folder / "photos").mkdir()
    for path in (folder, folder / "logs", folder / "photos"):
        path.chmod(0o755)
    for path in folder.rglob("*"):
        if path.is_file():
            path.chmod(0o644)
    capsys.readouterr()

    with caplog.at_level(logging.WARNING, logger="station.settings.private_files"):
        open_and_write(folder)

    assert mode(folder) == 0o700
    assert mode(folder / "logs") == 0o700 and mode(folder / "photos") == 0o700
    assert mode(folder / "logs" / "returns-station.log") == 0o600
    assert {mode(p) for p in folder.iterdir() if p.is_file()} == {0o600}
    err = [line for line in capsys.readouterr().err.splitlines() if "private" in line]
    assert len(err) == 1
    assert f"{folder} was readable by other users of this computer; made it private" in err[0]
    assert "station.db" in err[0]
    assert [r.levelno for r in caplog.records if "made it private" in r.getMessage()] == \
        [logging.WARNING]

    capsys.readouterr()
    open_and_write(folder)
    assert "private" not in capsys.readouterr().err


def test_the_default_platform_data_folder_is_private_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    locations = resolve_locations(env={})
    assert tmp_path in locations.data_dir.parents
    opened = open_station(StationConfig(station_code="PRIV-02"), locations)
    opened.close()
    assert mode(locations.data_dir) == 0o700
    assert mode(locations.local_db) == 0o600
