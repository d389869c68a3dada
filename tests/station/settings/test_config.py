"""The configuration file: defaults, precise errors, and where the station's files live."""

from __future__ import annotations

from pathlib import Path

import pytest

from station.settings.config import ConfigError, load_config, resolve_locations


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_missing_file_gives_a_working_single_bench_default(tmp_path: Path) -> None:
    config = load_config(tmp_path / "absent.toml")
    assert config.central.url == ""
    assert config.rma_regex.fullmatch("RMA-123456")
    assert 2 <= len(config.effective_lpn_prefix) <= 4


def test_every_documented_key_is_read(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, """
[station]
code = "BENCH-07"
site = "Tilburg DC"
lpn_prefix = "TB7"
locale = "nl_NL"
[rma]
number_pattern = 'R\\d{8}'
[policy]
high_value_threshold = 750
[printer]
uri = "escpos+tcp://10.0.0.5:9100"
[camera]
source = "bench.mp4"
[scanner]
max_key_interval_ms = 25
min_length = 6
prefix = "~"
[central]
url = "postgresql://station@db.example/returns"
sslmode = "verify-full"
[destinations]
RESTOCK = "A-01"
"""))
    assert config.station_code == "BENCH-07"
    assert config.effective_lpn_prefix == "TB7"
    assert config.rma_regex.fullmatch("R12345678")
    assert config.high_value_threshold_major == 750
    assert config.camera_source == "bench.mp4"
    assert config.scanner.max_key_interval_ms == 25
    assert config.central.sslmode == "verify-full"
    assert config.destinations["RESTOCK"] == "A-01"
    assert config.destinations["HOLD"] == "HOLD-SUP"


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        ('[scanner]\nmax_key_interval_ms = "fast"', "scanner.max_key_interval_ms",
         "whole number from 5 to 200"),
        ("[station]\ncode = 'bench 1'", "station.code", "upper-case"),
        ("[rma]\nnumber_pattern = '(unclosed'", "rma.number_pattern", "regular expression"),
        ("[scanner]\nmax_key_intervall_ms = 20", "scanner.max_key_intervall_ms", "unknown key"),
        ("[central]\nurl = 'postgresql://u:" + "x" * 6 + "@db/returns'", "central.url",
         "must not contain a password"),
        ("[central]\nurl = 'mysql://db/returns'", "central.url", "postgresql://"),
        ("[camera]\nsource = 99", "camera.source", "0–63"),
        ("[printer]\nuri = 'escpos+tcp://10.0.0.5:91000'", "printer.uri",
         "port '91000' is not a number from 1 to 65535"),
        ("[printer]\nuri = 'zpl://10.0.0.5'", "printer.uri", "unknown scheme 'zpl'"),
        ("station = 5", "station", "must be a table"),
        ("[station\ncode = 'X'", "(syntax)", "not valid TOML"),
    ],
)
def test_an_invalid_file_names_the_file_the_key_and_the_problem(
    tmp_path: Path, text: str, key: str, problem: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert str(path) in message
    assert key in message
    assert problem in message


def test_a_config_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b"[station]\nsite = '\xe9'\n")
    with pytest.raises(ConfigError, match="UTF-8"):
        load_config(path)


def test_data_dir_option_beats_the_environment_and_keeps_the_config_beside_the_data(
    tmp_path: Path,
) -> None:
    env = {"RETURNS_STATION_HOME": str(tmp_path / "from-env")}
    from_env = resolve_locations(env=env)
    assert from_env.data_dir == tmp_path / "from-env"
    assert from_env.config_file == tmp_path / "from-env" / "config.toml"
    chosen = resolve_locations(data_dir=str(tmp_path / "chosen"), env=env)
    assert chosen.data_dir == tmp_path / "chosen"
    explicit = resolve_locations(data_dir=str(tmp_path / "chosen"),
                                 config_file=str(tmp_path / "other.toml"), env=env)
    assert explicit.config_file == tmp_path / "other.toml"
