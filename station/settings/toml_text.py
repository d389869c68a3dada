"""TOML text as the station's own files need it: a BOM tolerated, deep nesting refused.

`tomllib` rejects a UTF-8 byte order mark ("Invalid statement (at line 1, column 1)"),
which Windows editors such as Notepad write, and recurses on nested arrays and inline
tables until RecursionError; dotted keys (`a.b.c...`) nest without limit too, and a value
that deep breaks any later `repr` in an error message.

Contract: `parse_toml(text)` is `tomllib.loads` with a leading BOM dropped; a document
nested more than `MAX_DEPTH` tables or arrays deep raises `tomllib.TOMLDecodeError`, so
every caller's existing handling of bad TOML also covers it.
"""

from __future__ import annotations

import tomllib
from typing import Any, Final

#: Far deeper than any configuration, rule set, checklist or label layout we write.
MAX_DEPTH: Final = 32


def _depth_exceeds(document: dict[str, Any], limit: int) -> bool:
    pending: list[tuple[object, int]] = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if depth > limit:
            return True
        if isinstance(value, dict):
            pending.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            pending.extend((item, depth + 1) for item in value)
    return False


def parse_toml(text: str) -> dict[str, Any]:
    """The TOML document in `text`; raises tomllib.TOMLDecodeError for bad or too deep TOML."""
    try:
        document = tomllib.loads(text.removeprefix("\ufeff"))
    except RecursionError:
        raise tomllib.TOMLDecodeError(
            f"nested more than {MAX_DEPTH} levels deep (arrays or tables)") from None
    if _depth_exceeds(document, MAX_DEPTH):
        raise tomllib.TOMLDecodeError(
            f"nested more than {MAX_DEPTH} levels deep (arrays, tables or dotted keys)")
    return document
