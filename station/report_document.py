"""What the print-ready PDF report holds: the daily summary, an optional 14-day trend and the
list of exceptions behind the summary's exception figures.

The core gathers the content (`report_exceptions`) and a `ReportRenderer` (drivers.report_pdf)
draws it; the document carries the summary and trend dicts exactly as `station.reports` and
`station.report_trend` return them, so the paper shows the same figures as the JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session, aliased, sessionmaker

from station.evidence import exception_details, exception_kind
from station.models import ExceptionCase, ExceptionResolution
from station.reports import _exception_conditions, _open_scope, zone
from station.text_hygiene import clean_text
from station.vocabulary import ExceptionOutcome

#: Longest resolution reason kept on paper.
REASON_LEN = 300


@dataclass(frozen=True)
class ReportException:
    """One exception as the report lists it; `opened_at` is in the report's time zone."""

    kind: str  # in words: "unexpected parcel"
    station: str
    opened_at: datetime
    details: str  # `key: value; ...`, nothing that may name the customer
    outcome: str | None  # None: still open at the report's `as_of`; else "outcome: reason"


@dataclass(frozen=True)
class ReportDocument:
    summary: Mapping[str, Any]  # station.reports.daily_summary output
    trend: Mapping[str, Any] | None  # station.report_trend.trend output; None: no trend page
    exceptions: tuple[ReportException, ...]
    generated_by: str


class ReportRenderer(Protocol):
    def render(self, document: ReportDocument) -> bytes:
        """A print-ready PDF; never raises for odd text."""
        ...


def _outcome(resolution: ExceptionResolution) -> str:
    try:
        outcome = ExceptionOutcome(resolution.outcome).label
    except ValueError:
        outcome = clean_text(resolution.outcome.replace("_", " "), 40)
    return f"{outcome}: {clean_text(resolution.reason, REASON_LEN)}"


def report_exceptions(sessions: sessionmaker[Session], summary: Mapping[str, Any],
                      limit: int = 500, *, users: sessionmaker[Session] | None = None,
                      ) -> tuple[ReportException, ...]:
    """The exceptions behind the summary's figures, oldest first (at most `limit`): those
    opened in the period, those closed in it and those still open at `scope.as_of`, in the
    summary's scope.

    Read from `sessions`, the database the summary came from; `users` (the station's local
    database) also knows a `--grader` the central database does not. An exception counts
    as resolved, with its outcome and reason, only if it was resolved before `as_of`, as
    in the summary's `exceptions.open`.
    """
    scope = summary["scope"]
    tz = zone(scope["tz"])
    directories = [sessions] if users is None else [sessions, users]
    # The summary's own scope again (its `as_of` is its `now`), so that its filters apply.
    filters = _open_scope(directories, start=date.fromisoformat(scope["from"]),
                          end=date.fromisoformat(scope["to"]), station=scope.get("station"),
                          grader=scope.get("grader"), category=scope.get("category"), tz=tz,
                          now=datetime.fromisoformat(scope["as_of"]))
    start, end, as_of = filters.start, filters.end, filters.as_of
    other = aliased(ExceptionResolution)  # the outer query joins the table itself
    resolved_in_time = exists().where(other.exception_id == ExceptionCase.id,
                                      other.resolved_at < as_of)
    closed_in_period = exists().where(other.exception_id == ExceptionCase.id,
                                      other.resolved_at >= start, other.resolved_at < end)
    with sessions() as session:
        conditions = _exception_conditions(filters)
        rows = session.execute(
            select(ExceptionCase, ExceptionResolution)
            .outerjoin(ExceptionResolution, and_(
                ExceptionResolution.exception_id == ExceptionCase.id,
                ExceptionResolution.resolved_at < as_of))
            .where(*conditions, or_(
                and_(ExceptionCase.opened_at >= start, ExceptionCase.opened_at < end),
                closed_in_period,
                and_(ExceptionCase.opened_at < as_of, ~resolved_in_time)))
            .order_by(ExceptionCase.opened_at, ExceptionCase.id).limit(limit)).all()
        return tuple(
            ReportException(
                kind=exception_kind(case.kind), station=clean_text(case.station_code, 32),
                opened_at=case.opened_at.astimezone(tz),
                details=exception_details(case.details),
                outcome=None if resolution is None else _outcome(resolution))
            for case, resolution in rows)
