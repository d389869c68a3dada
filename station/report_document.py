"""What the print-ready PDF report holds: the daily summary, an optional 14-day trend and the
list of exceptions behind the summary's exception figures.

The core gathers the content (`report_exceptions`) and a `ReportRenderer` (drivers.report_pdf)
draws it; the document carries the summary and trend dicts exactly as `station.reports` and
`station.report_trend` return them, so the paper shows the same figures as the JSON.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.orm import Session, aliased, sessionmaker

from station.evidence import exception_details, exception_kind
from station.models import ExceptionCase, ExceptionResolution, Receipt, RmaLine, Unit, User
from station.reports import zone
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


def _scope_conditions(session: Session, scope: Mapping[str, Any],
                      users: sessionmaker[Session] | None) -> list[ColumnElement[bool]]:
    """The summary's station, grader and category filters, as the summary applies them to
    exceptions: opened at the station, opened by the grader, of a unit (or, without a
    unit, a parcel's RMA) of the category."""
    conditions: list[ColumnElement[bool]] = []
    if scope.get("station") is not None:
        conditions.append(ExceptionCase.station_code == scope["station"])
    if scope.get("grader") is not None:
        wanted = select(User.id).where(User.username == scope["grader"])
        ids: set[uuid.UUID] = set(session.scalars(wanted))
        if users is not None:
            with users() as directory:
                ids.update(directory.scalars(wanted))
        conditions.append(ExceptionCase.opened_by.in_(ids))
    if scope.get("category") is not None:
        of_unit = exists().where(Unit.id == ExceptionCase.unit_id,
                                 RmaLine.id == Unit.rma_line_id,
                                 RmaLine.category == scope["category"])
        of_parcel = exists().where(Receipt.id == ExceptionCase.receipt_id,
                                   RmaLine.rma_id == Receipt.rma_id,
                                   RmaLine.category == scope["category"])
        conditions.append(or_(of_unit, and_(ExceptionCase.unit_id.is_(None), of_parcel)))
    return conditions


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
    start = datetime.fromisoformat(scope["start"])
    end = datetime.fromisoformat(scope["end"])
    as_of = datetime.fromisoformat(scope["as_of"])
    other = aliased(ExceptionResolution)  # the outer query joins the table itself
    resolved_in_time = exists().where(other.exception_id == ExceptionCase.id,
                                      other.resolved_at < as_of)
    closed_in_period = exists().where(other.exception_id == ExceptionCase.id,
                                      other.resolved_at >= start, other.resolved_at < end)
    with sessions() as session:
        conditions = _scope_conditions(session, scope, users)
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
