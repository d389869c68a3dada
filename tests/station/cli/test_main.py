"""The headless `returns-station` commands, run as a user would run them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cli_runner import run
from sqlalchemy import func, select, text

import resources
from station.settings.config import resolve_locations
from station.store import schema
from station.store.database import make_engine, session_factory, sqlite_url
from station.store.models import Rma, RmaLine

SAMPLE = resources.path("demo", "sample-rmas.csv")


ADMIN_PIN = "13792468"




@pytest.fixture
def station_dir(tmp_path: Path) -> Path:
    """A station folder whose first admin is `boss` with ADMIN_PIN."""
    folder = tmp_path / "station"
    assert run("--data-dir", str(folder), "users", "add", "boss", "--name", "Bea Boss",
               "--role", "admin", stdin=f"{ADMIN_PIN}\n") == 0
    return folder


def import_rmas(folder: Path, path: Path) -> int:
    return run("--data-dir", str(folder), "import-rmas", str(path), "--as", "boss",
               stdin=f"{ADMIN_PIN}\n")


def rma_numbers(db: Path) -> list[str]:
    sessions = session_factory(make_engine(sqlite_url(db)))
    with sessions() as session:
        return list(session.scalars(select(Rma.rma_number).order_by(Rma.rma_number)))


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        run("--help")
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for command in ("db", "import-rmas", "--demo", "--config", "--data-dir", "--version"):
        assert command in out


def test_the_installed_command_reports_its_version() -> None:
    exe = shutil.which("returns-station", path=str(Path(sys.executable).parent))
    assert exe is not None, "install the project (pip install -e .) to get the command"
    result = subprocess.run([exe, "--version"], capture_output=True, text=True, check=True,
                            timeout=60)
    assert result.stdout.startswith("returns-station ")


def test_db_upgrade_creates_both_databases(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert run("--data-dir", str(tmp_path), "db", "upgrade") == 0
    out = capsys.readouterr().out
    assert "local:" in out and "central:" in out
    for name in ("station.db", "central.db"):
        engine = make_engine(sqlite_url(tmp_path / name))
        assert schema.current_revision(engine) == schema.head_revision()


def test_import_rmas_accepts_a_valid_file_into_central_and_this_station(
    station_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert import_rmas(station_dir, SAMPLE) == 0
    assert "3 new" in capsys.readouterr().out
    expected = ["RMA-200001", "RMA-200002", "RMA-200003"]
    assert rma_numbers(station_dir / "central.db") == expected
    assert rma_numbers(station_dir / "station.db") == expected
    assert import_rmas(station_dir, SAMPLE) == 0
    assert "3 unchanged" in capsys.readouterr().out


def test_import_rmas_rejects_a_file_with_one_bad_row_and_imports_nothing(
    tmp_path: Path, station_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace(",1,249.99,", ",three,249.99,")
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert import_rmas(station_dir, bad) == 1
    err = capsys.readouterr().err
    assert "nothing was imported" in err
    assert "line 4" in err and "quantity" in err
    assert rma_numbers(tmp_path / "station" / "central.db") == []
    assert rma_numbers(tmp_path / "station" / "station.db") == []


def test_reimporting_a_changed_rma_updates_it_and_bumps_its_version(
    tmp_path: Path, station_dir: Path
) -> None:
    assert import_rmas(station_dir, SAMPLE) == 0
    changed = tmp_path / "changed.csv"
    changed.write_text(SAMPLE.read_text(encoding="utf-8").replace(",2,89.90,", ",3,89.90,"),
                       encoding="utf-8")
    assert import_rmas(station_dir, changed) == 0
    sessions = session_factory(make_engine(sqlite_url(station_dir / "station.db")))
    with sessions() as session:
        rma = session.scalar(select(Rma).where(Rma.rma_number == "RMA-200001"))
        assert rma is not None and rma.version == 2
        assert session.scalar(select(func.sum(RmaLine.quantity)).where(
            RmaLine.rma_id == rma.id)) == 4


def test_an_invalid_config_file_stops_with_status_2_and_says_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "station.toml"
    config.write_text("[scanner]\nmin_length = 0\n", encoding="utf-8")
    assert run("--config", str(config), "--data-dir", str(tmp_path), "db", "upgrade") == 2
    err = capsys.readouterr().err
    assert "scanner.min_length" in err and str(config) in err
    assert not (tmp_path / "station.db").exists()


def test_a_missing_explicit_config_file_is_an_error(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert run("--config", str(tmp_path / "nope.toml"), "db", "upgrade") == 2
    assert "does not exist" in capsys.readouterr().err


def test_demo_refuses_to_wipe_a_folder_that_is_not_a_demo(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "precious.txt").write_text("real data")
    assert run("--demo", "--data-dir", str(tmp_path), "db", "status") == 2
    assert "Nothing was deleted" in capsys.readouterr().err
    assert (tmp_path / "precious.txt").exists()


def test_demo_seeds_a_station_with_users_and_200_plus_rmas(tmp_path: Path) -> None:
    assert run("--demo", "--data-dir", str(tmp_path), "db", "status") == 0
    assert len(rma_numbers(tmp_path / "station.db")) >= 200
    locations = resolve_locations(data_dir=str(tmp_path))
    assert locations.config_file.exists()
    assert run("--demo", "--data-dir", str(tmp_path), "db", "status") == 0


def test_the_demo_reopens_as_it_was_left_unless_asked_to_start_over(tmp_path: Path) -> None:
    assert run("--demo", "--data-dir", str(tmp_path), "db", "status") == 0
    local = make_engine(sqlite_url(tmp_path / "station.db"))
    with local.begin() as connection:
        connection.execute(text("DELETE FROM rma_lines WHERE rma_id IN (SELECT id FROM rmas "
                                "WHERE rma_number = 'RMA-100001')"))
        connection.execute(text("DELETE FROM rmas WHERE rma_number = 'RMA-100001'"))
    local.dispose()
    assert run("--demo", "--data-dir", str(tmp_path), "db", "status") == 0
    assert "RMA-100001" not in rma_numbers(tmp_path / "station.db")  # kept as it was
    assert run("--demo", "--fresh-demo", "--data-dir", str(tmp_path), "db", "status") == 0
    assert "RMA-100001" in rma_numbers(tmp_path / "station.db")  # seeded anew



def test_fresh_demo_alone_means_the_demo_started_over(tmp_path: Path) -> None:
    assert run("--fresh-demo", "--data-dir", str(tmp_path), "db", "status") == 0
    assert "RMA-100001" in rma_numbers(tmp_path / "station.db")  # the demo, not a bare station


def test_a_new_station_without_users_can_import_without_signing_in(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("--data-dir", str(tmp_path), "import-rmas", str(SAMPLE)) == 0
    assert "3 new" in capsys.readouterr().out
    assert rma_numbers(tmp_path / "station.db") == ["RMA-200001", "RMA-200002", "RMA-200003"]


def test_once_a_station_has_users_an_import_needs_a_supervisor(
    station_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("--data-dir", str(station_dir), "import-rmas", str(SAMPLE)) == 1
    assert "--as" in capsys.readouterr().err
    assert rma_numbers(station_dir / "station.db") == []


def test_a_bad_file_is_rejected_before_anyone_is_asked_to_sign_in(
    tmp_path: Path, station_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(SAMPLE.read_text(encoding="utf-8").replace(",1,249.99,", ",0,249.99,"),
                   encoding="utf-8")
    assert run("--data-dir", str(station_dir), "import-rmas", str(bad)) == 1
    assert "line 4" in capsys.readouterr().err
