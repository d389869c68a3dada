"""The daily summary as CSV: one row per figure, in long format, for spreadsheets.

Columns `section,key,value`. `section` is a top-level key of the JSON summary (`scope`,
`received`, `refunds` ...; the report's name and version are in section `report`); `key`
is the path to the figure inside that section, its parts joined with `.`, list items
numbered from 1 (`by_action.FULL.amount_minor.EUR`, `1.reason` in `reasons`), except the
hours of `by_hour`, keyed by the local hour they count (`by_hour.14.units`: 14:00-14:59),
as their `hour` says, so no one reads an hour off by one. Money stays in minor units under
the JSON's `amount_minor` keys, as the JSON has it. `value` is
the figure: whole numbers as they are, decimals with a `.`, true/false, and an empty cell
for null (a figure that cannot be computed, e.g. a median of no values). Text that a
spreadsheet would run as a formula (a reason typed as `=HYPERLINK(...)`: text starting with
`=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading `'`. An empty map or
list (no amounts for an action, no overrides) has no rows. The rows come in the JSON's
order, so the sections read top to bottom as in docs/reports.md.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from typing import Any

HEADER = ("section", "key", "value")


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return str(value)


def _hour(item: Any) -> int | None:
    """The local hour (0-23) a `by_hour` entry counts, or None for an entry without one."""
    hour = item.get("hour") if isinstance(item, Mapping) else None
    return hour if isinstance(hour, int) and not isinstance(hour, bool) else None


def _flatten(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _flatten(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for number, item in enumerate(value, start=1):
            label = _hour(item) if path.split(".")[-1] == "by_hour" else None
            index = number if label is None else label
            yield from _flatten(item, f"{path}.{index}" if path else str(index))
    else:
        yield path, _cell(value)


def rows(summary: Mapping[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(section, key, value) for every figure of the summary."""
    for section, body in summary.items():
        if isinstance(body, Mapping | list):
            for key, value in _flatten(body, ""):
                yield section, key, value
        else:
            yield "report", section, _cell(body)


def to_csv(summary: Mapping[str, Any]) -> str:
    """The CSV text (with a header row; lines end in CRLF as RFC 4180 says)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(rows(summary))
    return buffer.getvalue()
