"""The trend beside the daily summary: for each of the last N local days, parcels received,
units inspected, units dispositioned and the recovery per currency, counted exactly as the
daily summary counts them (the same queries over the whole range, bucketed by local day),
so a day of the trend always agrees with that day's summary.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta, tzinfo
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from station.models import Receipt
from station.reports import (
    _Decided,
    _decisions,
    _inspections,
    _open_scope,
    _receipt_conditions,
    _recovery_of,
    _refunds_of_decided,
    zone_name,
)

TREND_DAYS: Final = 14


def trend(sessions: sessionmaker[Session], *, end: date, tz: tzinfo, now: datetime,
          days: int = TREND_DAYS, station: str | None = None, grader: str | None = None,
          category: str | None = None, users: sessionmaker[Session] | None = None,
          source: str = "") -> dict[str, Any]:
    """The `days` local days ending with `end` (oldest first) under the same scope options as
    `reports.daily_summary`; `source` is copied into the result for the reader."""
    start = end - timedelta(days=days - 1)
    directories = [sessions] if users is None else [sessions, users]
    scope = _open_scope(directories, start=start, end=end, station=station, grader=grader,
                        category=category, tz=tz, now=now)
    with sessions() as session:
        received = session.scalars(select(Receipt.received_at)
                                   .where(*_receipt_conditions(scope))).all()
        inspected = _inspections(session, scope)
        decided = _decisions(session, scope)
        refunds = _refunds_of_decided(session, scope)

    def local_day(moment: datetime) -> date:
        return moment.astimezone(tz).date()

    parcels = Counter(local_day(moment) for moment in received)
    units = Counter(local_day(item.completed_at) for item in inspected)
    decided_by_day: dict[date, list[_Decided]] = defaultdict(list)
    for item in decided:
        decided_by_day[local_day(item.decided_at)].append(item)
    series: list[dict[str, Any]] = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        on_day: Sequence[_Decided] = decided_by_day.get(day, [])
        series.append({
            "date": day.isoformat(), "parcels": parcels.get(day, 0),
            "inspected": units.get(day, 0), "dispositioned": len(on_day),
            "recovery": _recovery_of(on_day, refunds)["by_currency"]})
    return {"from": start.isoformat(), "to": end.isoformat(), "tz": zone_name(tz),
            "source": source, "days": series}


def main_currency(trend_data: dict[str, Any]) -> str | None:
    """The currency with the most dispositioned units over the trend: the one a single
    recovery-rate line is drawn for (the first by code on a tie); None for no units."""
    units: Counter[str] = Counter()
    for day in trend_data["days"]:
        for currency, entry in day["recovery"].items():
            units[currency] += entry["units"]
    ranked = sorted(units.items(), key=lambda item: (-item[1], item[0]))
    return ranked[0][0] if ranked else None
