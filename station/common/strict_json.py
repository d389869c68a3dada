"""JSON from outside the station, read strictly: one meaning per file or a clear refusal.

Python's `json` module accepts things a careful reader must not: an object with the same
key twice (the last one silently wins, so two readers of the file can disagree), NaN and
Infinity (not JSON), lone UTF-16 surrogates such as "\\ud800" (not characters: they cannot
be printed or stored as UTF-8), and nesting deep enough to raise RecursionError.

Contract: `parse_json(text)` returns the document, or raises `JsonInputError` whose
`message` says what is wrong, whose `line`/`column` (1-based, when known) say where, and
whose `syntax` holds the json module's words when the text is not JSON at all.
Nesting deeper than `max_depth` is refused by a scan before parsing. The Shopify import
and `route` case files both read JSON through here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, Final

MAX_DEPTH: Final = 64

_TOKEN: Final = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)


class JsonInputError(ValueError):
    """Why a JSON text was refused, and where when known."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None,
                 *, syntax: str | None = None) -> None:
        where = f"line {line}" + (f", column {column}" if column is not None else "") \
            if line is not None else ""
        super().__init__(f"{where}: {message}" if where else message)
        self.message = message
        self.line = line
        self.column = column
        #: For text that is not JSON at all: the json module's own words, e.g. "Extra data".
        self.syntax = syntax


class _DuplicateKey(ValueError):
    pass


def too_deep_at(text: str, max_depth: int = MAX_DEPTH) -> int | None:
    """The offset where nesting first exceeds `max_depth`, or None; strings are skipped."""
    depth = 0
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token in ("{", "["):
            depth += 1
            if depth > max_depth:
                return match.start()
        elif token in ("}", "]"):
            depth -= 1
    return None


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not a number JSON allows")


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(f"an object has the key {key!r} twice")
        result[key] = value
    return result


def _surrogate_in(document: object) -> str | None:
    """The first text (key or value) holding a lone surrogate, or None; no recursion."""
    pending: list[object] = [document]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            texts = [value]
        elif isinstance(value, dict):
            texts = list(value)
            pending.extend(value.values())
        elif isinstance(value, list):
            texts = []
            pending.extend(value)
        else:
            continue
        for text in texts:
            if any("\ud800" <= char <= "\udfff" for char in text):
                return text
    return None


def parse_json(text: str, *, max_depth: int = MAX_DEPTH,
               parse_float: Callable[[str], Any] = float) -> Any:
    """The JSON document in `text` (a leading BOM is ignored), or JsonInputError."""
    text = text.removeprefix("\ufeff")
    deep = too_deep_at(text, max_depth)
    if deep is not None:
        raise JsonInputError(f"the JSON is nested more than {max_depth} levels deep",
                             text.count("\n", 0, deep) + 1)
    try:
        document = json.loads(text, parse_float=parse_float, parse_constant=_no_constant,
                              object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as error:
        raise JsonInputError(f"not valid JSON: {error.msg}", error.lineno, error.colno,
                             syntax=error.msg) from None
    except _DuplicateKey as error:
        raise JsonInputError(f"the JSON is ambiguous: {error}") from None
    except ValueError as error:  # NaN/Infinity, or an integer with thousands of digits
        raise JsonInputError(f"the JSON holds an unusable value: {error}") from None
    except RecursionError:  # too_deep_at stops this first; kept as the last guard
        raise JsonInputError("the JSON is nested too deeply") from None
    bad = _surrogate_in(document)
    if bad is not None:
        shown = bad.encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace")
        raise JsonInputError(f"the text '{shown[:60]}' holds half of a UTF-16 surrogate "
                             "pair (\\ud800-\\udfff alone), which is not a character")
    return document
