"""Running `returns-station` in-process as a script would: arguments, PIN lines on stdin."""

from __future__ import annotations

import io
import sys

from station.cli import main as cli
from station.cli.devices import Devices


def run(*args: str, stdin: str = "", devices: Devices | None = None) -> int:
    saved = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        return cli.main(list(args), devices=devices)
    finally:
        sys.stdin = saved
