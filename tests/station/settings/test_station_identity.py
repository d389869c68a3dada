"""One data folder, one station: a configuration that forgets `[station] code` does not give
an existing folder a second identity (the host name); it tells the admin the code to set."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_runner import run
from sqlalchemy import select

from station.settings.config import default_station_code
from station.store.database import make_engine, session_factory, sqlite_url
from station.store.models import Station


def station_codes(folder: Path) -> list[str]:
    engine = make_engine(sqlite_url(folder / "station.db"))
    try:
        with session_factory(engine)() as session:
            return list(session.scalars(select(Station.code)))
    finally:
        engine.dispose()


def test_a_folder_pointed_at_a_config_without_a_code_is_refused_and_told_its_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "station"
    folder.mkdir()
    (folder / "config.toml").write_text('[station]\ncode = "BENCH-07"\n', encoding="utf-8")
    assert run("--data-dir", str(folder), "db", "status") == 0
    (folder / "config.toml").write_text('[station]\nsite = "Tilburg"\n', encoding="utf-8")
    capsys.readouterr()

    assert run("--data-dir", str(folder), "db", "status") == 2

    err = capsys.readouterr().err
    assert "station.code" in err and 'code = "BENCH-07"' in err
    assert default_station_code() in err
    assert station_codes(folder) == ["BENCH-07"]


def test_a_new_folder_without_a_code_takes_the_host_name_and_keeps_it(tmp_path: Path) -> None:
    folder = tmp_path / "station"
    assert run("--data-dir", str(folder), "db", "status") == 0
    assert run("--data-dir", str(folder), "db", "status") == 0
    assert station_codes(folder) == [default_station_code()]
