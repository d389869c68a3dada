"""What the print-ready PDF report holds: the daily summary, an optional 14-day trend and the
list of exceptions behind the summary's exception figures.

The core gathers the content (`summary_with_exceptions`: the summary, its exception list
and its trend in one database transaction, so every figure of one export is of one moment)
and a `ReportRenderer` (drivers.documents.report_pdf) draws it; the document carries the
summary and trend dicts exactly as `station.reports.daily_summary` and `station.reports.trend`
return them, so the paper shows the same figures as the JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased, sessionmaker

from station.common.text_hygiene import clean_text
from station.common.vocabulary import ExceptionOutcome
from station.reports.daily_summary import (
    _exception_conditions,
    _open_scope,
    _Scope,
    summarize,
    zone,
)
from station.reports.trend import trend_in
from station.store.models import ExceptionCase, ExceptionResolution
from station.supervision.evidence import exception_details, exception_kind

#: Longest resolution reason kept on paper.
REASON_LEN = 300
#: Most exceptions listed on paper (the oldest first); the document says when there are more.
MAX_LISTED = 500


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
    summary: Mapping[str, Any]  # station.reports.daily_summary.daily_summary output
    trend: Mapping[str, Any] | None  # station.reports.trend.trend output; None: no trend page
    exceptions: tuple[ReportException, ...]
    generated_by: str
    #: How many exceptions there are in all when `exceptions` holds only the oldest of
    #: them (`report_exception_count`); None: all are listed.
    exceptions_total: int | None = None


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


def _scope_of(sessions: sessionmaker[Session], summary: Mapping[str, Any],
              users: sessionmaker[Session] | None) -> _Scope:
    """The summary's own scope again (its `as_of` is its `now`), so that its filters apply."""
    scope = summary["scope"]
    directories = [sessions] if users is None else [sessions, users]
    return _open_scope(directories, start=date.fromisoformat(scope["from"]),
                       end=date.fromisoformat(scope["to"]), station=scope.get("station"),
                       grader=scope.get("grader"), category=scope.get("category"),
                       tz=zone(scope["tz"]), now=datetime.fromisoformat(scope["as_of"]))


def _listing(filters: _Scope) -> list[ColumnElement[bool]]:
    """The conditions on ExceptionCase that pick the exceptions behind the figures."""
    start, end, as_of = filters.start, filters.end, filters.as_of
    other = aliased(ExceptionResolution)  # the listing joins the table itself
    resolved_in_time = exists().where(other.exception_id == ExceptionCase.id,
                                      other.resolved_at < as_of)
    closed_in_period = exists().where(other.exception_id == ExceptionCase.id,
                                      other.resolved_at >= start, other.resolved_at < end)
    return [*_exception_conditions(filters), or_(
        and_(ExceptionCase.opened_at >= start, ExceptionCase.opened_at < end),
        closed_in_period,
        and_(ExceptionCase.opened_at < as_of, ~resolved_in_time))]


def _listed(session: Session, filters: _Scope, limit: int) -> tuple[ReportException, ...]:
    as_of = filters.as_of
    rows = session.execute(
        select(ExceptionCase, ExceptionResolution)
        .outerjoin(ExceptionResolution, and_(
            ExceptionResolution.exception_id == ExceptionCase.id,
            ExceptionResolution.resolved_at < as_of))
        .where(*_listing(filters))
        .order_by(ExceptionCase.opened_at, ExceptionCase.id).limit(limit)).all()
    return tuple(
        ReportException(
            kind=exception_kind(case.kind), station=clean_text(case.station_code, 32),
            opened_at=case.opened_at.astimezone(filters.tz),
            details=exception_details(case.details),
            outcome=None if resolution is None else _outcome(resolution))
        for case, resolution in rows)


def _counted(session: Session, filters: _Scope) -> int:
    return int(session.scalar(select(func.count(ExceptionCase.id))
                              .where(*_listing(filters))) or 0)


def report_exceptions(sessions: sessionmaker[Session], summary: Mapping[str, Any],
                      limit: int = MAX_LISTED, *, users: sessionmaker[Session] | None = None,
                      ) -> tuple[ReportException, ...]:
    """The exceptions behind the summary's figures, oldest first (at most `limit`): those
    opened in the period, those closed in it and those still open at `scope.as_of`, in the
    summary's scope.

    Read from `sessions`, the database the summary came from; `users` (the station's local
    database) also knows a `--grader` the central database does not. An exception counts
    as resolved, with its outcome and reason, only if it was resolved before `as_of`, as
    in the summary's `exceptions.open`. This is a later read than the summary's: a fact
    stamped before `as_of` that arrived since shows here and not in the figures, so an
    export takes both from `summary_with_exceptions`.
    """
    filters = _scope_of(sessions, summary, users)
    with sessions() as session:
        return _listed(session, filters, limit)


def report_exception_count(sessions: sessionmaker[Session], summary: Mapping[str, Any], *,
                           users: sessionmaker[Session] | None = None) -> int:
    """How many exceptions `report_exceptions` would list without a limit."""
    filters = _scope_of(sessions, summary, users)
    with sessions() as session:
        return _counted(session, filters)


@dataclass(frozen=True)
class SummaryWithExceptions:
    """A daily summary, the exceptions behind it and (when asked for) its 14-day trend,
    read in one database transaction."""

    summary: dict[str, Any]
    exceptions: tuple[ReportException, ...]
    #: As `ReportDocument.exceptions_total`: None when every exception is listed.
    exceptions_total: int | None
    #: `station.reports.trend` output for the days up to the summary's last; None when
    #: `summary_with_exceptions` was not asked for one.
    trend: dict[str, Any] | None = None

    def document(self, trend: Mapping[str, Any] | None, generated_by: str) -> ReportDocument:
        """The document to render, with `trend` (normally `self.trend`, read with the
        figures; None: no trend page)."""
        return ReportDocument(self.summary, trend, self.exceptions, generated_by,
                              self.exceptions_total)


def summary_with_exceptions(central: Callable[[], sessionmaker[Session]] | None,
                            local: sessionmaker[Session], *, trend_days: int | None = None,
                            **options: Any) -> SummaryWithExceptions:
    """`summarize` (central, else local; options as it takes them) together with its
    exception list (the oldest `MAX_LISTED`, and how many there are when that is not all)
    and, with `trend_days`, the trend of that many days up to the period's last, all read
    on the summary's own transaction: one snapshot for every figure of one export, even
    while exceptions are closed, units finished or stations sync."""
    listing: list[tuple[tuple[ReportException, ...], int | None, dict[str, Any] | None]] = []

    def read_more(session: Session, filters: _Scope) -> None:
        listing.clear()  # a failed try at the central database may have read already
        listed = _listed(session, filters, MAX_LISTED)
        total = _counted(session, filters) if len(listed) >= MAX_LISTED else None
        days = (None if trend_days is None
                else trend_in(session, filters, days=trend_days))
        listing.append((listed, total, days))

    summary = summarize(central, local, in_snapshot=read_more, **options)
    (listed, total, days), = listing
    if days is not None:
        days["source"] = summary["scope"]["source"]
    return SummaryWithExceptions(summary, listed, total, days)


def document_for(sessions: sessionmaker[Session], summary: Mapping[str, Any],
                 trend: Mapping[str, Any] | None, generated_by: str, *,
                 users: sessionmaker[Session] | None = None) -> ReportDocument:
    """The document for `summary` read from `sessions`: its exceptions (the oldest
    `MAX_LISTED`, and how many there are when that is not all of them), read now; for a
    summary being counted, `summary_with_exceptions` reads both in one snapshot."""
    listed = report_exceptions(sessions, summary, MAX_LISTED, users=users)
    total = (report_exception_count(sessions, summary, users=users)
             if len(listed) >= MAX_LISTED else None)
    return ReportDocument(summary, trend, listed, generated_by, total)
