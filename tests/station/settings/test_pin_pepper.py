"""A stolen station database alone cannot test PINs; supervisors and admins need longer PINs.

PIN hashes are sealed with a per-station pepper kept outside the data folder (the OS keyring,
or a 0600 file in the secrets folder; the tests point RETURNS_STATION_SECRETS_DIR at a
throw-away folder, tests/conftest.py).
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import keyring
import pytest
from cli_runner import run
from keyring.backends.fail import Keyring as FailKeyring
from memory_keyring import MemoryKeyring
from sqlalchemy import delete, select, update
from station_bench import PINS, StationUnderTest

from station.common.vocabulary import Role
from station.people import signin, users
from station.people.pins import (
    MIN_ADMIN_PIN_LENGTH,
    MIN_PIN_LENGTH,
    MIN_SUPERVISOR_PIN_LENGTH,
    PinPolicyError,
    check_pin_policy,
    hash_pin,
    verify_pin,
)
from station.people.signin import SignInError
from station.runtime.bootstrap import open_station
from station.runtime.pin_sealing import PEPPER_COUNTER
from station.settings.config import StationConfig, resolve_locations
from station.settings.pin_pepper import PepperError, PinPepper, load_or_create_pepper
from station.settings.secrets_folder import SECRETS_DIR_ENV, SecretsFolderError
from station.store.database import make_engine, session_factory, sqlite_url
from station.store.models import AuditEvent, Counter, User


def stored_pins(database: Path) -> dict[str, str]:
    engine = make_engine(sqlite_url(database))
    try:
        with session_factory(engine)() as session:
            return {u.username: u.pin_hash for u in session.scalars(select(User))}
    finally:
        engine.dispose()


def steal(bench: StationUnderTest, thief: Path) -> Path:
    """What a thief takes: the data folder's files, not the secrets folder."""
    bench.opened.close()
    shutil.copytree(bench.locations.data_dir, thief)
    return thief


def test_a_stolen_station_db_holds_no_pin_hash_a_pin_can_be_tested_against(
    bench: StationUnderTest, tmp_path: Path,
) -> None:
    stolen = stored_pins(steal(bench, tmp_path / "thief") / "station.db")
    username_of = {role: role.value for role in PINS}
    for role, pin in PINS.items():
        stored = stolen[username_of[role]]
        assert stored.startswith("pepper1$")
        assert pin not in stored
        assert not verify_pin(stored, pin)


def test_a_stolen_data_folder_opened_elsewhere_signs_nobody_in_with_the_right_pin(
    bench: StationUnderTest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    thief = steal(bench, tmp_path / "thief")
    monkeypatch.setenv(SECRETS_DIR_ENV, str(tmp_path / "thief-secrets"))
    opened = open_station(StationConfig(station_code="BENCH-01", lpn_prefix="BN"),
                          resolve_locations(data_dir=str(thief), env={}))
    try:
        for role, pin in PINS.items():
            with pytest.raises(SignInError, match="PIN key") as refused:
                signin.sign_in(opened.ctx, role.value, pin)
            assert "administrator must reset the PIN" in str(refused.value)
        with opened.ctx.sessions() as session:
            admin = session.scalar(select(User).where(User.username == "admin"))
            assert admin is not None and admin.failed_pin_count == 0
            assert admin.locked_until is None
            actions = list(session.scalars(select(AuditEvent.action)))
        assert actions.count("signin.pin_unreadable") == len(PINS)
        assert "signin.ok" not in actions[-len(PINS):]
    finally:
        opened.close()


def test_the_station_with_its_own_pepper_still_signs_everyone_in(
    bench: StationUnderTest,
) -> None:
    for role, pin in PINS.items():
        assert signin.sign_in(bench.ctx, role.value, pin).role is role


def test_a_lost_pepper_is_a_clear_message_on_the_command_line_not_a_traceback(
    bench: StationUnderTest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = steal(bench, tmp_path / "restored")
    (folder / "config.toml").write_text('[station]\ncode = "BENCH-01"\nlpn_prefix = "BN"\n',
                                        encoding="utf-8")
    monkeypatch.setenv(SECRETS_DIR_ENV, str(tmp_path / "new-secrets"))
    assert run("--data-dir", str(folder), "users", "list", "--as", "admin",
               stdin=f"{PINS[Role.ADMIN]}\n") == 1
    err = capsys.readouterr().err
    assert "does not open the PIN of" in err
    assert "the station's PIN key" in err and "Traceback" not in err


def test_plain_hashes_from_before_the_pepper_are_sealed_once_at_start_up_and_audited(
    bench: StationUnderTest,
) -> None:
    locations, config = bench.locations, bench.opened.ctx.config
    with bench.ctx.sessions.begin() as session:
        for role, pin in PINS.items():
            session.execute(update(User).where(User.username == role.value)
                            .values(pin_hash=hash_pin(pin, Role.CLERK)))
        session.execute(delete(Counter).where(Counter.name == PEPPER_COUNTER))
    bench.opened.close()

    for _ in range(2):
        opened = open_station(config, locations)
        opened.close()
    stored = stored_pins(locations.local_db)
    assert all(value.startswith("pepper1$") for value in stored.values())
    opened = open_station(config, locations)
    try:
        with opened.ctx.sessions() as session:
            sealed = list(session.scalars(
                select(AuditEvent).where(AuditEvent.action == "users.pins_sealed")))
        assert [e.data for e in sealed] == [{"count": len(PINS)}]
        assert signin.sign_in(opened.ctx, "admin", PINS[Role.ADMIN]).role is Role.ADMIN
    finally:
        opened.close()


def test_a_plain_hash_written_into_a_sealed_database_signs_nobody_in(
    bench: StationUnderTest, capsys: pytest.CaptureFixture[str],
) -> None:
    """Someone who can write station.db puts in a hash of a PIN they know: it is not sealed
    for them at the next start, it is reported, and it does not sign in."""
    locations, config = bench.locations, bench.opened.ctx.config
    with bench.ctx.sessions.begin() as session:
        session.execute(update(User).where(User.username == "admin")
                        .values(pin_hash=hash_pin("24681357", Role.ADMIN)))
    bench.opened.close()
    opened = open_station(config, locations)
    try:
        assert "The PIN of admin was not set by this station" in capsys.readouterr().err
        with pytest.raises(SignInError, match="not set on this station"):
            signin.sign_in(opened.ctx, "admin", "24681357")
        assert stored_pins(locations.local_db)["admin"].startswith("$argon2id$")
    finally:
        opened.close()


def test_the_pepper_file_is_private_and_outside_the_data_folder(
    bench: StationUnderTest, secrets_folder: Path,
) -> None:
    keys = list(secrets_folder.glob("pin-pepper-*.key"))
    assert keys
    assert stat.S_IMODE(secrets_folder.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(k.stat().st_mode) == 0o600 for k in keys)
    assert not list(bench.locations.data_dir.rglob("*.key"))


def test_a_secrets_folder_inside_the_data_folder_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "station"
    with pytest.raises(SecretsFolderError, match="inside the data folder"):
        load_or_create_pepper("00000000000000ab", data_dir=data,
                              env={SECRETS_DIR_ENV: str(data / "keys")})
    assert not (data / "keys").exists()


def test_one_key_id_gives_the_same_pepper_every_time(tmp_path: Path) -> None:
    env = {SECRETS_DIR_ENV: str(tmp_path / "secrets")}
    first = load_or_create_pepper("00000000000000ab", data_dir=tmp_path / "data", env=env)
    again = load_or_create_pepper("00000000000000ab", data_dir=tmp_path / "data", env=env)
    other = load_or_create_pepper("00000000000000cd", data_dir=tmp_path / "data", env=env)
    assert first == again and first.key != other.key
    assert again.open(first.seal("$argon2id$x")) == "$argon2id$x"


def test_a_sealed_hash_opens_only_with_its_own_pepper() -> None:
    mine, other = PinPepper(b"k" * 32), PinPepper(b"o" * 32)
    argon = hash_pin("2468", Role.CLERK)
    sealed = mine.seal(argon)
    assert sealed != mine.seal(argon)  # a fresh nonce each time
    assert mine.open(sealed) == argon
    assert "kkkk" not in repr(mine)
    with pytest.raises(PepperError, match="missing or not the one it was set with"):
        other.open(sealed)
    for damaged in (sealed[:-4], "pepper1$", "pepper1$abc$def$ghi", "pepper1$!!$??", argon):
        with pytest.raises(PepperError):
            mine.open(damaged)


@pytest.mark.parametrize(("role", "shortest"), [
    (Role.CLERK, MIN_PIN_LENGTH), (Role.GRADER, MIN_PIN_LENGTH),
    (Role.SUPERVISOR, MIN_SUPERVISOR_PIN_LENGTH), (Role.ADMIN, MIN_ADMIN_PIN_LENGTH),
])
def test_each_role_has_its_shortest_pin(role: Role, shortest: int) -> None:
    assert (MIN_PIN_LENGTH, MIN_SUPERVISOR_PIN_LENGTH, MIN_ADMIN_PIN_LENGTH) == (4, 6, 8)
    check_pin_policy("2468013579"[:shortest], role)
    with pytest.raises(PinPolicyError, match=f"PIN has {shortest} to 12 digits"):
        check_pin_policy("2468013579"[:shortest - 1], role)


def test_a_supervisor_with_a_four_digit_pin_is_refused_with_the_rule(
    bench: StationUnderTest,
) -> None:
    admin = bench.actors[Role.ADMIN]
    with pytest.raises(users.UserError, match="a supervisor's PIN has 6 to 12 digits"):
        users.create_user(bench.ctx, admin, username="sue", display_name="Sue",
                          role=Role.SUPERVISOR, pin="4826")
    with pytest.raises(users.UserError, match="an admin's PIN has 8 to 12 digits"):
        users.reset_pin(bench.ctx, admin, "admin", "482613")
    assert users.create_user(bench.ctx, admin, username="sue", display_name="Sue",
                             role=Role.SUPERVISOR, pin="482613").role is Role.SUPERVISOR


def test_a_promotion_needs_a_new_pin_long_enough_for_the_new_role(
    bench: StationUnderTest,
) -> None:
    admin = bench.actors[Role.ADMIN]
    with pytest.raises(users.NewPinRequired, match="an admin's PIN has 8 to 12 digits"):
        users.set_role(bench.ctx, admin, "clerk", Role.ADMIN)
    with pytest.raises(users.UserError, match="an admin's PIN has 8 to 12 digits"):
        users.set_role(bench.ctx, admin, "clerk", Role.ADMIN, new_pin="482613")
    assert signin.sign_in(bench.ctx, "clerk", PINS[Role.CLERK]).role is Role.CLERK
    assert users.set_role(bench.ctx, admin, "clerk", Role.ADMIN,
                          new_pin="48261357").role is Role.ADMIN
    assert signin.sign_in(bench.ctx, "clerk", "48261357").role is Role.ADMIN
    assert users.set_role(bench.ctx, admin, "grader", Role.CLERK).role is Role.CLERK
    assert signin.sign_in(bench.ctx, "grader", PINS[Role.GRADER]).role is Role.CLERK


def test_an_existing_short_pin_keeps_working_until_it_is_reset(
    bench: StationUnderTest,
) -> None:
    """A supervisor whose 4-digit PIN was set before the rule still signs in with it."""
    with bench.ctx.sessions.begin() as session:
        session.execute(update(User).where(User.username == "supervisor").values(
            pin_hash=bench.ctx.pepper.seal(hash_pin("4826", Role.CLERK))))
    assert signin.sign_in(bench.ctx, "supervisor", "4826").role is Role.SUPERVISOR


def test_the_command_line_asks_a_promoted_user_for_a_longer_pin_and_states_the_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    base = ("--data-dir", str(tmp_path / "station"), "users")
    assert run(*base, "add", "boss", "--name", "Bea Boss", "--role", "admin",
               stdin="1379\n") == 1
    assert "an admin's PIN has 8 to 12 digits" in capsys.readouterr().err
    assert run(*base, "add", "boss", "--name", "Bea Boss", "--role", "admin",
               stdin="13792468\n") == 0
    assert run(*base, "add", "gus", "--name", "Gus", "--role", "grader", "--as", "boss",
               stdin="13792468\n4826\n") == 0
    capsys.readouterr()
    assert run(*base, "set-role", "gus", "admin", "--as", "boss",
               stdin="13792468\n482613\n") == 1
    err = capsys.readouterr().err
    assert "Making gus admin needs a new PIN: an admin's PIN has 8 to 12 digits" in err
    assert "Traceback" not in err
    assert run(*base, "list", "--as", "gus", stdin="4826\n") == 1
    assert "may not manage users" in capsys.readouterr().err


@pytest.fixture
def no_secrets_dir_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No RETURNS_STATION_SECRETS_DIR: the keyring first, the platform's folder after."""
    monkeypatch.delenv(SECRETS_DIR_ENV)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config-home"))
    return tmp_path / "config-home" / "returns-station" / "keys"


def test_where_a_keyring_works_the_pepper_lives_there_and_in_no_file(
    tmp_path: Path, no_secrets_dir_set: Path,
) -> None:
    saved = keyring.get_keyring()
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    try:
        first = load_or_create_pepper("00000000000000ef", data_dir=tmp_path / "data")
        again = load_or_create_pepper("00000000000000ef", data_dir=tmp_path / "data")
    finally:
        keyring.set_keyring(saved)
    assert first == again
    assert list(memory.entries) == [("returns-station", "pin-pepper-00000000000000ef")]
    assert not no_secrets_dir_set.exists()


def test_without_a_keyring_the_pepper_is_a_private_file_in_the_user_config_folder(
    tmp_path: Path, no_secrets_dir_set: Path,
) -> None:
    saved = keyring.get_keyring()
    keyring.set_keyring(FailKeyring())
    try:
        first = load_or_create_pepper("00000000000000ef", data_dir=tmp_path / "data")
    finally:
        keyring.set_keyring(saved)
    key_file = no_secrets_dir_set / "pin-pepper-00000000000000ef.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(no_secrets_dir_set.stat().st_mode) == 0o700
    assert load_or_create_pepper("00000000000000ef", data_dir=tmp_path / "data",
                                 env={SECRETS_DIR_ENV: str(no_secrets_dir_set)}) == first


def test_with_a_secrets_folder_set_keyring_is_never_imported(tmp_path: Path) -> None:
    # A fresh interpreter: this one has keyring imported. Finding a keyring backend takes
    # 0.1-0.3 s of the app's start (issue #17), wasted where the secrets folder is the store.
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from station.audit import signing\n"
        "from station.settings.pin_pepper import load_or_create_pepper\n"
        "data = Path(sys.argv[1])\n"
        "load_or_create_pepper('00000000000000ef', data_dir=data)\n"
        "assert signing.load('KEYRING-TEST') is None\n"
        "assert 'keyring' not in sys.modules, 'keyring imported'\n"
    )
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "data")], check=True,
                   timeout=60, env={**os.environ, SECRETS_DIR_ENV: str(tmp_path / "keys")})
