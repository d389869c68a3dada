"""Command-line arguments that are not text: refused at the door, before any database.

On POSIX an argument is bytes; Python decodes it as UTF-8 and keeps each byte that is not
UTF-8 as a lone surrogate (\\udc80-\\udcff, PEP 383). That is right for a file name (it
round-trips to the same bytes), but a user name, an LPN, a printer URI or a code with such
a character cannot be stored, compared or printed as UTF-8, and reached SQLite as
UnicodeEncodeError.

Contract: `undecodable_argument(args, parser, paths)` returns None when every text
argument in `args` (an argparse Namespace) is valid Unicode, else a message naming the
first argument that is not and its bytes; arguments whose dest is in `paths`, and
`pathlib.Path` values, are file names and may hold any bytes.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from pathlib import PurePath


def _option_names(parser: argparse.ArgumentParser) -> Iterator[tuple[str, str]]:
    """(dest, how the user wrote it) for every argument of `parser` and its subcommands."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _option_names(sub)
        elif action.option_strings:
            yield action.dest, action.option_strings[-1]
        else:
            yield action.dest, str(action.metavar or action.dest)


def _is_text(value: str) -> bool:
    return not any("\ud800" <= char <= "\udfff" for char in value)


def undecodable_argument(args: argparse.Namespace, parser: argparse.ArgumentParser,
                         paths: frozenset[str]) -> str | None:
    """Why an argument that must be text is not, or None."""
    names = dict(_option_names(parser))
    for dest, value in vars(args).items():
        if dest in paths or isinstance(value, PurePath):
            continue
        values = value if isinstance(value, list) else [value]
        for item in values:
            if isinstance(item, str) and not _is_text(item):
                try:
                    raw = os.fsencode(item)  # the bytes typed, for \udc80-\udcff
                except UnicodeEncodeError:
                    raw = item.encode("utf-8", "surrogatepass")
                shown = raw.decode("ascii", "backslashreplace")[:80]
                return (f"argument {names.get(dest, dest)}: {shown} is not UTF-8 text; "
                        "type it again (or set the terminal to UTF-8)")
    return None
