"""What opening a station does reaches its log file (issue #17: the log held only Alembic's
lines, because logging started after the station was opened)."""

from __future__ import annotations

import argparse
import logging
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from station.cli.opening import open_for_command


@pytest.fixture
def root_handlers() -> Iterator[None]:
    """The handlers opening adds to the root logger are removed again after the test."""
    root = logging.getLogger()
    before, level = list(root.handlers), root.level
    yield
    for handler in root.handlers[:]:
        if handler not in before:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


@pytest.mark.usefixtures("root_handlers")
def test_opening_a_new_station_logs_the_keys_it_made_and_that_it_opened(tmp_path: Path) -> None:
    code = f"LOG-{uuid.uuid4().hex[:8].upper()}"  # its own keys in the shared secrets folder
    config = tmp_path / "config.toml"
    config.write_text(f'[station]\ncode = "{code}"\n', encoding="utf-8")
    args = argparse.Namespace(config=str(config), data_dir=str(tmp_path / "station"),
                              demo=False, fresh_demo=False)
    opened = open_for_command(args)
    opened.close()
    text = (tmp_path / "station" / "logs" / "returns-station.log").read_text(encoding="utf-8")
    assert "made a new PIN key" in text
    assert f"made a new audit signing key for {code}" in text
    assert f"opened station {code}" in text
