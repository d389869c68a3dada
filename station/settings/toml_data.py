"""Data files in TOML (checklists, routing rules): errors that name file, line and key.

`Table` opens one TOML table at a key path and refuses unknown keys at once; its readers
check each value's type and range. Every problem becomes a `DataFileError` subclass that
reads `file:line: key: problem`, the line found by `KeyLines` from the text itself, since
`tomllib` does not say where a value came from.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar

from station.common.text_hygiene import clean_text
from station.common.vocabulary import Flag, Grade
from station.settings.config import ConfigError

TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")
IDENTIFIER = re.compile(r"[a-z][a-z0-9_]{0,39}")


class DataFileError(ConfigError):
    """A problem in a data file: `file:line: key: problem` (line when known)."""

    what: ClassVar[str] = "data file"

    def __init__(self, file: Path | None, line: int | None, key: str, problem: str) -> None:
        super().__init__(file, key, problem)
        self.line = line
        where = str(file) if file else self.what
        if line is not None:
            where = f"{where}:{line}"
        self.args = (f"{where}: {key}: {problem}",)


_BARE_OR_QUOTED = re.compile(r"[A-Za-z0-9_-]+|\"(?:[^\"\\]|\\.)*\"|'[^']*'")
_HEADER = re.compile(r"^\s*(\[\[|\[)\s*([^\[\]]+?)\s*(\]\]|\])\s*(?:#.*)?$")
_KEY_LINE = re.compile(
    r"^\s*((?:[A-Za-z0-9_-]+|\"(?:[^\"\\]|\\.)*\"|'[^']*')"
    r"(?:\s*\.\s*(?:[A-Za-z0-9_-]+|\"(?:[^\"\\]|\\.)*\"|'[^']*'))*)\s*="
)


def _key_parts(text: str) -> list[str]:
    return [part.strip("\"'") for part in _BARE_OR_QUOTED.findall(text)]


class KeyLines:
    """Which line of a TOML text defines each key path (`questions[3].when.question`).

    A light scan of table headers and `key =` lines, enough for the files we write; a
    path it cannot place falls back to its nearest placed parent (an inline table's key,
    the `[[questions]]` header), so an error still points close to the problem.
    """

    def __init__(self, text: str) -> None:
        self.lines: dict[str, int] = {}
        counts: dict[str, int] = {}
        table = ""
        in_string: str | None = None
        for number, line in enumerate(text.splitlines(), start=1):
            if in_string is not None:  # inside a multi-line string
                if line.count(in_string) % 2 == 1:
                    in_string = None
                continue
            header = _HEADER.match(line)
            if header:
                parts = _key_parts(header.group(2))
                path = ""
                for index, part in enumerate(parts):
                    path = f"{path}.{part}" if path else part
                    if index < len(parts) - 1 and path in counts:
                        path = f"{path}[{counts[path] - 1}]"
                if header.group(1) == "[[":
                    counts[path] = counts.get(path, 0) + 1
                    self.lines.setdefault(path, number)
                    path = f"{path}[{counts[path] - 1}]"
                table = path
                self.lines.setdefault(path, number)
                continue
            key = _KEY_LINE.match(line)
            if key:
                path = ".".join(_key_parts(key.group(1)))
                self.lines.setdefault(f"{table}.{path}" if table else path, number)
                rest = line[key.end():]
                for quote in ('"""', "'''"):
                    if rest.count(quote) % 2 == 1:
                        in_string = quote
                        break

    def line_of(self, path: str) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            cut = max(path.rfind("."), path.rfind("["))
            if cut <= 0:
                return None
            path = path[:cut]
        return None


def one_of(values: Iterable[str]) -> str:
    return ", ".join(values)


class Source:
    error_type: ClassVar[type[DataFileError]] = DataFileError

    def __init__(self, path: Path | None, text: str) -> None:
        self.path = path
        self.lines = KeyLines(text)

    def error(self, key: str, problem: str) -> DataFileError:
        return self.error_type(self.path, self.lines.line_of(key), key, problem)


class Table:
    """One TOML table at a key path; unknown keys are refused as soon as it is opened."""

    def __init__(self, raw: Any, key: str, source: Source, allowed: tuple[str, ...]) -> None:
        if not isinstance(raw, dict):
            raise source.error(key, "must be a table")
        self.raw: dict[str, Any] = raw
        self.key = key
        self.source = source
        for name in raw:
            if name not in allowed:
                close = difflib.get_close_matches(name, allowed, n=1)
                hint = f"did you mean '{close[0]}'? " if close else ""
                raise self.error(name, f"unknown key; {hint}allowed here: {one_of(allowed)}")

    def path(self, name: str) -> str:
        return f"{self.key}.{name}" if self.key else name

    def error(self, name: str, problem: str) -> DataFileError:
        return self.source.error(self.path(name), problem)

    def has(self, name: str) -> bool:
        return name in self.raw

    def text(self, name: str, *, required: bool = False, max_len: int = 200) -> str:
        if name not in self.raw:
            if required:
                raise self.error(name, "is required")
            return ""
        value = self.raw[name]
        if not isinstance(value, str):
            raise self.error(name, f"must be text in quotes (got {value!r})")
        cleaned = clean_text(value, max_len=max(1, 4 * len(value)))
        if required and not cleaned:
            raise self.error(name, "must not be empty")
        if len(cleaned) > max_len:
            raise self.error(name, f"must be at most {max_len} characters (has {len(cleaned)})")
        return cleaned

    def identifier(self, name: str, pattern: re.Pattern[str] = IDENTIFIER,
                   example: str = "powers_on") -> str:
        value = self.text(name, required=True, max_len=40)
        if not pattern.fullmatch(value):
            allowed = "-" if "-" in pattern.pattern else "_"
            raise self.error(name, f"must be lower-case letters, digits and {allowed} "
                                   f"starting with a letter, e.g. {example} (got {value!r})")
        return value

    def boolean(self, name: str, default: bool) -> bool:
        value = self.raw.get(name, default)
        if not isinstance(value, bool):
            raise self.error(name, f"must be true or false (got {value!r})")
        return value

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        value = self.raw.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.error(name, f"must be a whole number from {low} to {high} (got {value!r})")
        return value

    def number(self, name: str) -> int | float | None:
        if name not in self.raw:
            return None
        value = self.raw[name]
        if isinstance(value, bool) or not isinstance(value, int | float) or (
                isinstance(value, float) and not math.isfinite(value)):
            raise self.error(name, f"must be a number (got {value!r})")
        return value

    def grade(self, name: str) -> Grade | None:
        if name not in self.raw:
            return None
        value = self.raw[name]
        if not isinstance(value, str) or value not in Grade.__members__:
            raise self.error(name, f"must be a grade: {one_of(Grade)} (got {value!r})")
        return Grade(value)

    def strings(self, name: str) -> list[str]:
        value = self.raw.get(name, [])
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise self.error(name, f'must be a list of texts, e.g. ["a", "b"] (got {value!r})')
        return value

    def flags(self, name: str) -> frozenset[Flag]:
        flags: set[Flag] = set()
        for value in self.strings(name):
            if value not in {flag.value for flag in Flag}:
                raise self.error(name, f"unknown flag '{value}'; flags are: {one_of(Flag)}")
            flags.add(Flag(value))
        return frozenset(flags)

    def table(self, name: str, allowed: tuple[str, ...]) -> Table | None:
        if name not in self.raw:
            return None
        return Table(self.raw[name], self.path(name), self.source, allowed)

    def tables(self, name: str, allowed: tuple[str, ...]) -> list[Table]:
        value = self.raw.get(name, [])
        if not isinstance(value, list):
            raise self.error(name, f"must be written as [[{self.path(name)}]] tables")
        return [Table(item, f"{self.path(name)}[{index}]", self.source, allowed)
                for index, item in enumerate(value)]


