"""The trend beside the daily summary: for each of the last N local days, parcels received,
units inspected, units dispositioned and the recovery per currency, counted exactly as the
daily summary counts them (the same queries over the whole range, bucketed by local day),
so a day of the trend always agrees with that day's summary.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import replace
from datetime import date, datetime, timedelta, tzinfo
from typing import Any, Final

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, sessionmaker

from station.reports.daily_summary import (
    _open_scope,
    _receipt_conditions,
    _recovery_of,
    _recovery_rows,
    _rows,
    _Scope,
    period_utc,
    zone_name,
)
from station.store.models import Receipt, UnitSummary

TREND_DAYS: Final = 14


def trend(sessions: sessionmaker[Session], *, end: date, tz: tzinfo, now: datetime,
          days: int = TREND_DAYS, station: str | None = None, grader: str | None = None,
          category: str | None = None, users: sessionmaker[Session] | None = None,
          source: str = "") -> dict[str, Any]:
    """The `days` local days ending with `end` (oldest first) under the same scope options as
    `reports.daily_summary`; `source` is copied into the result for the reader. A read of
    its own: `trend_in` counts it inside a summary's transaction instead."""
    start = end - timedelta(days=days - 1)
    directories = [sessions] if users is None else [sessions, users]
    scope = _open_scope(directories, start=start, end=end, station=station, grader=grader,
                        category=category, tz=tz, now=now)
    with sessions() as session:
        return _count(session, scope, source)


def trend_in(session: Session, summary_scope: _Scope, *, days: int = TREND_DAYS,
             source: str = "") -> dict[str, Any]:
    """The trend of `days` local days ending with the last day of `summary_scope`, under its
    filters, read on `session`: given the session `daily_summary(in_snapshot=...)` hands
    over, the trend sees the database exactly as the summary's figures did. The same as
    `trend` with the summary's options, read then."""
    end = summary_scope.end.astimezone(summary_scope.tz).date() - timedelta(days=1)
    start = end - timedelta(days=days - 1)
    first, _after = period_utc(start, end, summary_scope.tz)
    return _count(session, replace(summary_scope, start=first), source)


def _count(session: Session, scope: _Scope, source: str) -> dict[str, Any]:
    """The trend over `scope`'s days, one entry per local day, read on `session`."""
    local_days = [day for day, _begins in scope.days()]
    parcels: Counter[date] = Counter()
    inspected: Counter[date] = Counter()
    recovery: dict[date, list[Any]] = defaultdict(list)
    for index, count in _by_day(session, scope, Receipt.received_at,
                                _receipt_conditions(scope)):
        parcels[local_days[index]] += count
    for index, count in _by_day(session, scope, UnitSummary.inspected_at,
                                scope.during(UnitSummary.inspected_at)):
        inspected[local_days[index]] += count
    for index, *row in _recovery_rows(session, scope):
        recovery[local_days[index]].append(row)
    series: list[dict[str, Any]] = []
    for day in local_days:
        of_day = _recovery_of(recovery.get(day, []))["by_currency"]
        series.append({
            "date": day.isoformat(), "parcels": parcels.get(day, 0),
            "inspected": inspected.get(day, 0),
            "dispositioned": sum(entry["units"] for entry in of_day.values()),
            "recovery": of_day})
    return {"from": local_days[0].isoformat(), "to": local_days[-1].isoformat(),
            "tz": zone_name(scope.tz), "source": source, "days": series}


def _by_day(session: Session, scope: _Scope, column: Any,
            where: list[ColumnElement[bool]]) -> list[tuple[int, int]]:
    """(local day of the period, rows) of the rows `where` selects, by `column`."""
    day = scope.day_of(column)
    if day is None:
        return [(0, int(_rows(session, select(func.count()).where(*where)).scalar() or 0))]
    return [(int(index), int(count)) for index, count in _rows(
        session, select(day, func.count()).where(*where).group_by(day)).all()]


def main_currency(trend_data: dict[str, Any]) -> str | None:
    """The currency with the most dispositioned units over the trend: the one a single
    recovery-rate line is drawn for (the first by code on a tie); None for no units."""
    units: Counter[str] = Counter()
    for day in trend_data["days"]:
        for currency, entry in day["recovery"].items():
            units[currency] += entry["units"]
    ranked = sorted(units.items(), key=lambda item: (-item[1], item[0]))
    return ranked[0][0] if ranked else None
