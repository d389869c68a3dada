"""Running `returns-station` in-process as a script would: arguments, PIN lines on stdin."""

from __future__ import annotations

import io
import sys

from station import cli


def run(*args: str, stdin: str = "") -> int:
    saved = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        return cli.main(list(args))
    finally:
        sys.stdin = saved
