"""`returns-station users …` and `returns-station audit verify`, as an admin would use them."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_runner import run
from sqlalchemy import select, text

from station.cli import main as cli
from station.store.database import make_engine, session_factory, sqlite_url
from station.store.models import AuditEvent, User

PIN = "13792468"




@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "station"
    assert run("--data-dir", str(folder), "users", "add", "boss", "--name", "Bea Boss",
               "--role", "admin", stdin=f"{PIN}\n") == 0
    return folder


def users_in(folder: Path) -> dict[str, User]:
    engine = make_engine(sqlite_url(folder / "station.db"))
    with session_factory(engine)() as session:
        found = {u.username: u for u in session.scalars(select(User))}
    engine.dispose()
    return found


def test_the_first_admin_needs_no_sign_in_but_must_be_an_admin(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]
                                                               ) -> None:
    folder = tmp_path / "fresh"
    assert run("--data-dir", str(folder), "users", "add", "gus", "--name", "Gus", "--role",
               "grader", stdin=f"{PIN}\n") == 1
    assert "must be an admin" in capsys.readouterr().err
    assert run("--data-dir", str(folder), "users", "add", "ada", "--name", "Ada", "--role",
               "admin", stdin=f"{PIN}\n") == 0
    assert users_in(folder)["ada"].pin_hash.startswith("pepper1$")


def test_after_the_first_admin_every_change_needs_an_admin_with_the_right_pin(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ("--data-dir", str(folder), "users")
    assert run(*base, "add", "gus", "--name", "Gus Grader", "--role", "grader",
               stdin="4826\n") == 1
    assert "--as" in capsys.readouterr().err
    assert run(*base, "add", "gus", "--name", "Gus Grader", "--role", "grader", "--as",
               "boss", stdin="9999\n4826\n") == 1
    assert "Wrong PIN" in capsys.readouterr().err
    assert run(*base, "add", "gus", "--name", "Gus Grader", "--role", "grader", "--as",
               "boss", stdin=f"{PIN}\n4826\n") == 0
    assert run(*base, "set-role", "gus", "supervisor", "--as", "boss",
               stdin=f"{PIN}\n482613\n") == 0
    assert "needs a new PIN: a supervisor's PIN has 6 to 12 digits" in capsys.readouterr().err
    assert run(*base, "disable", "gus", "--as", "boss", stdin=f"{PIN}\n") == 0
    assert run(*base, "reset-pin", "gus", "--as", "boss", stdin=f"{PIN}\n593712\n") == 0
    assert run(*base, "list", "--as", "boss", stdin=f"{PIN}\n") == 0
    out = capsys.readouterr().out
    assert "gus" in out and "supervisor" in out and "disabled" in out
    gus = users_in(folder)["gus"]
    assert gus.role == "supervisor" and gus.active is False


def test_a_grader_cannot_manage_users_from_the_command_line_either(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ("--data-dir", str(folder), "users")
    assert run(*base, "add", "gus", "--name", "Gus Grader", "--role", "grader", "--as",
               "boss", stdin=f"{PIN}\n4826\n") == 0
    assert run(*base, "reset-pin", "boss", "--as", "gus", stdin="4826\n1111\n") == 1
    assert "may not manage users" in capsys.readouterr().err


def test_pins_are_never_arguments() -> None:
    parser = cli.build_parser()
    for action in ("add", "reset-pin"):
        with pytest.raises(SystemExit):
            parser.parse_args(["users", action, "gus", "--pin", "1234"])


def test_the_last_admin_cannot_be_disabled_or_demoted(folder: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    base = ("--data-dir", str(folder), "users")
    assert run(*base, "set-role", "boss", "clerk", "--as", "boss", stdin=f"{PIN}\n") == 1
    assert "last active admin" in capsys.readouterr().err


def test_audit_verify_passes_on_an_untouched_trail_and_fails_after_an_edit(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("--data-dir", str(folder), "audit", "verify") == 0
    assert "chain intact" in capsys.readouterr().out
    engine = make_engine(sqlite_url(folder / "station.db"))
    with engine.begin() as connection:
        connection.execute(text("UPDATE audit_events SET actor_name = 'mallory' WHERE seq = 2"))
    engine.dispose()
    assert run("--data-dir", str(folder), "audit", "verify") == 1
    out = capsys.readouterr().out
    assert "BROKEN at entry 2" in out and "edited" in out


def test_a_config_change_is_audited_once(folder: Path) -> None:
    config = folder / "config.toml"
    config.write_text("[security]\nidle_lock_minutes = 3\n", encoding="utf-8")
    for _ in range(2):
        assert run("--data-dir", str(folder), "db", "status") == 0
    engine = make_engine(sqlite_url(folder / "station.db"))
    with session_factory(engine)() as session:
        changes = list(session.scalars(select(AuditEvent.subject).where(
            AuditEvent.action == "config.changed")))
    engine.dispose()
    assert changes == ["defaults", str(config)[-100:]]
