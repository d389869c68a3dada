"""The configuration file as a Windows editor, a typo or an attacker leaves it: a byte
order mark just works; a device, a huge or deeply nested file, or an RMA pattern that
would hang every scan is refused with the file, the key and the reason."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from hostile_files import nested_toml

from station.codes.scans import MAX_SCAN_LENGTH, inspect_scan
from station.settings.config import ConfigError, load_config


def write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "config.toml"
    path.write_bytes(data)
    return path


def test_a_config_saved_with_a_utf8_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = write(tmp_path, b"\xef\xbb\xbf[station]\ncode = \"BENCH-01\"\n")
    assert load_config(path).station_code == "BENCH-01"


def test_dev_zero_as_the_config_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"/dev/zero: \(file\): cannot be read: it is not a "
                                          "regular file"):
        load_config(Path("/dev/zero"), required=True)


def test_a_config_file_larger_than_a_megabyte_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, b"# padding\n" * 120_000)
    with pytest.raises(ConfigError, match="larger than the 1 MiB"):
        load_config(path)


@pytest.mark.parametrize("text", [
    nested_toml(5000, key="site"),
    "[station]\ncode." + ".".join(["x"] * 5000) + " = 1\n",
    "a = " + "{b = " * 2000 + "1" + "}" * 2000 + "\n",
], ids=["arrays", "dotted-keys", "inline-tables"])
def test_deeply_nested_toml_in_the_config_is_a_syntax_error(tmp_path: Path, text: str) -> None:
    with pytest.raises(ConfigError, match=r"\(syntax\): not valid TOML: nested more than"):
        load_config(write(tmp_path, text.encode()))


@pytest.mark.parametrize("pattern", ["(a+)+$", "([0-9]+)*", "(x.+)*", "(a|aa)+", r"(RMA)-\1",
                                     r"RMA-\d*\d*\d*"])
def test_an_rma_pattern_that_can_backtrack_for_ever_is_refused(tmp_path: Path,
                                                               pattern: str) -> None:
    path = write(tmp_path, f"[rma]\nnumber_pattern = '{pattern}'\n".encode())
    with pytest.raises(ConfigError, match=r"rma\.number_pattern: .*(repeat|alternation|"
                                          r"backreference|repeats in a row)"):
        load_config(path)


@pytest.mark.parametrize("pattern", ["RMA-[0-9]{6}", "RMA-[0-9]{6}|[0-9]+-R[0-9]+",
                                     "(?:RMA|RET)-[0-9]{4,8}", "R\\d{8}", "([A-Z]{3}-?)+",
                                     "[0-9]+(-[0-9]+)*", "(RMA-[0-9]+)+"])
def test_ordinary_rma_patterns_are_accepted_and_classify_a_long_near_miss_at_once(
        tmp_path: Path, pattern: str) -> None:
    config = load_config(write(tmp_path, f"[rma]\nnumber_pattern = '{pattern}'\n".encode()))
    start = time.perf_counter()
    inspect_scan("RMA-" + "1" * (MAX_SCAN_LENGTH - 5) + "!", config.rma_regex)
    assert time.perf_counter() - start < 0.5
    assert config.rma_regex.pattern == re.compile(pattern).pattern
