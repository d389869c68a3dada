"""Reading PINs for headless commands: never from the command line, where `ps` shows them.

From a terminal the PIN is typed without echo; from a pipe or file it is read as one line
per PIN, so scripts can feed them on standard input.
"""

from __future__ import annotations

import getpass
import sys
from typing import TextIO

from station.common.errors import UserFacingError


class PinInputError(UserFacingError):
    pass


class PinReader:
    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream if stream is not None else sys.stdin

    @property
    def interactive(self) -> bool:
        isatty = getattr(self._stream, "isatty", None)
        return bool(isatty and isatty())

    def read(self, prompt: str, *, confirm: bool = False) -> str:
        if self.interactive:
            pin = getpass.getpass(prompt, stream=sys.stderr)
            if confirm and getpass.getpass("Again: ", stream=sys.stderr) != pin:
                raise PinInputError("The two PINs differ; nothing was changed.")
            return pin
        line = self._stream.readline()
        if not line:
            raise PinInputError(
                f"{prompt.strip().rstrip(':')}: no PIN on standard input (one line per PIN)."
            )
        return line.rstrip("\r\n")
