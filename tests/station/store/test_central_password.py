"""The central password comes from the environment or the OS keyring, never from the file."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from memory_keyring import MemoryKeyring

from station.cli import main as cli
from station.runtime.bootstrap import central_url
from station.settings.config import load_config, resolve_locations

URL = "postgresql://station@db.example:5433/returns"


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "config.toml").write_text(f'[central]\nurl = "{URL}"\n', encoding="utf-8")
    return tmp_path


def test_set_password_stores_it_in_the_keyring_and_the_url_uses_it(
    folder: Path, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RETURNS_STATION_CENTRAL_PASSWORD", raising=False)
    monkeypatch.setattr(sys, "stdin", io.StringIO("from-keyring\n"))
    assert cli.main(["--data-dir", str(folder), "central", "set-password"]) == 0
    assert memory_keyring.entries == {
        ("returns-station", "station@db.example:5433/returns"): "from-keyring"}
    locations = resolve_locations(data_dir=str(folder), env={})
    url = central_url(load_config(locations.config_file), locations)
    assert url.password == "from-keyring"
    assert "from-keyring" not in (folder / "config.toml").read_text(encoding="utf-8")


def test_the_environment_variable_wins_over_the_keyring(
    folder: Path, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    memory_keyring.set_password("returns-station", "station@db.example:5433/returns", "old")
    monkeypatch.setenv("RETURNS_STATION_CENTRAL_PASSWORD", "from-env")
    locations = resolve_locations(data_dir=str(folder), env={})
    assert central_url(load_config(locations.config_file), locations).password == "from-env"
