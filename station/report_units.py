"""The units behind a figure of the daily summary: the supervisor's click-through.

A `Figure` names one number of the summary (units graded B, units routed to RESTOCK between
14:00 and 15:00, units refunded FULL ...). `units_behind` finds its units with the very
queries that counted it (station.reports), so the list always has as many units as the
figure says, then describes each unit as it stands now: its latest grade, disposition and
effective refund.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Final, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from station.models import DispositionDecision, Inspection, RefundTrigger, RmaLine, Unit
from station.money import format_minor
from station.reports import (
    ReportError,
    _decisions,
    _effective_refunds,
    _inspections,
    _open_scope,
    _Scope,
)
from station.vocabulary import Disposition, Grade, RefundAction

#: Sections of the summary whose units can be listed, and what the list is called.
SECTIONS: Final = {
    "inspected": "Units inspected",
    "grade": "Units graded",
    "reason": "Units returned as",
    "category": "Units of category",
    "dispositioned": "Units dispositioned",
    "disposition": "Units routed to",
    "destination": "Units sent to",
    "refund": "Units refunded",
    "override": "Overrides",
}
#: The longest list shown; the total still says how many units the figure has.
MAX_ROWS: Final = 5000
_CHUNK: Final = 500
_T = TypeVar("_T")


@dataclass(frozen=True)
class Figure:
    """One number of the summary: `section` (a SECTIONS key), the `key` within it (a grade,
    a disposition, a refund action, "grade"/"disposition" for overrides ...) and, for the
    hourly chart, the local `hour` of the day."""

    section: str
    key: str | None = None
    hour: int | None = None

    def title(self) -> str:
        if self.section == "override":
            text = f"Overrides of the {self.key}" if self.key else "Overrides"
        else:
            words = SECTIONS[self.section]
            text = f"{words} {self.key}" if self.key is not None else words
        if self.hour is not None:
            text += f", {self.hour:02d}:00-{self.hour:02d}:59"
        return text


@dataclass(frozen=True)
class UnitRow:
    """A unit as it stands now; `at` is the moment of the event the figure counted."""

    unit_id: uuid.UUID
    lpn: str
    station: str
    at: datetime
    sku: str
    category: str
    reason: str
    grade: str
    disposition: str
    destination: str
    refund: str


@dataclass(frozen=True)
class UnitList:
    title: str
    total: int
    rows: tuple[UnitRow, ...]

    @property
    def truncated(self) -> bool:
        return self.total > len(self.rows)


def _check(figure: Figure) -> None:
    if figure.section not in SECTIONS:
        raise ReportError(f"{figure.section!r} is not a figure with units behind it: "
                          + ", ".join(SECTIONS) + ".")
    allowed: dict[str, set[str]] = {
        "grade": {g.value for g in Grade},
        "disposition": {d.value for d in Disposition},
        "refund": {a.value for a in RefundAction},
        "override": {"grade", "disposition"},
    }
    if figure.section in allowed and figure.key is not None \
            and figure.key not in allowed[figure.section]:
        raise ReportError(f"{figure.key!r} is not one of "
                          + ", ".join(sorted(allowed[figure.section])) + ".")
    if figure.hour is not None and not 0 <= figure.hour <= 23:
        raise ReportError(f"Hour {figure.hour} is not an hour of the day (0-23).")


def _matching(session: Session, scope: _Scope, figure: Figure) -> dict[uuid.UUID, datetime]:
    """The figure's units and the moment of the event that counted each."""
    section, key = figure.section, figure.key
    found: dict[uuid.UUID, datetime] = {}
    if section == "refund":
        return {unit_id: refund.created_at
                for unit_id, refund in _effective_refunds(session, scope).items()
                if key is None or refund.action == key}
    if section in {"inspected", "grade", "reason", "category"} or (
            section == "override" and key != "disposition"):
        for item in _inspections(session, scope):
            value = {"grade": item.grade, "reason": item.reason or "unknown",
                     "category": item.category or "unknown"}.get(section)
            if section == "override":
                if item.override_reason:
                    found[item.unit_id] = item.completed_at
            elif key is None or value == key:
                found[item.unit_id] = item.completed_at
    if section in {"dispositioned", "disposition", "destination"} or (
            section == "override" and key != "grade"):
        for decision in _decisions(session, scope):
            local_hour = decision.decided_at.astimezone(scope.tz).hour
            if figure.hour is not None and local_hour != figure.hour:
                continue
            value = {"disposition": decision.disposition,
                     "destination": decision.destination}.get(section)
            if section == "override":
                if decision.override_reason:
                    found.setdefault(decision.unit_id, decision.decided_at)
            elif key is None or value == key:
                found[decision.unit_id] = decision.decided_at
    return found


def _latest(rows: Iterable[tuple[uuid.UUID, datetime, _T]]) -> dict[uuid.UUID, _T]:
    newest: dict[uuid.UUID, tuple[datetime, _T]] = {}
    for unit_id, moment, value in rows:
        if unit_id not in newest or newest[unit_id][0] < moment:
            newest[unit_id] = (moment, value)
    return {unit_id: value for unit_id, (_moment, value) in newest.items()}


def _describe(session: Session, units: dict[uuid.UUID, datetime]) -> list[UnitRow]:
    rows: list[UnitRow] = []
    ids = sorted(units, key=lambda unit_id: (units[unit_id], str(unit_id)))
    for chunk in (ids[i:i + _CHUNK] for i in range(0, len(ids), _CHUNK)):
        grades = _latest(
            (row.unit_id, row.completed_at, row.grade) for row in session.execute(
                select(Inspection.unit_id, Inspection.completed_at, Inspection.grade)
                .where(Inspection.unit_id.in_(chunk))))
        decisions = _latest(
            (row.unit_id, row.decided_at, (row.disposition, row.destination))
            for row in session.execute(
                select(DispositionDecision.unit_id, DispositionDecision.decided_at,
                       DispositionDecision.disposition, DispositionDecision.destination)
                .where(DispositionDecision.unit_id.in_(chunk))))
        refunds = _latest(
            (row.unit_id, row.created_at, f"{row.action} "
             + format_minor(int(row.amount_minor), row.currency))
            for row in session.execute(
                select(RefundTrigger.unit_id, RefundTrigger.created_at, RefundTrigger.action,
                       RefundTrigger.amount_minor, RefundTrigger.currency)
                .where(RefundTrigger.unit_id.in_(chunk))))
        described = {row.id: row for row in session.execute(
            select(Unit.id, Unit.lpn, Unit.station_code, RmaLine.sku, RmaLine.category,
                   RmaLine.reason).outerjoin(RmaLine, RmaLine.id == Unit.rma_line_id)
            .where(Unit.id.in_(chunk)))}
        for unit_id in chunk:
            unit = described.get(unit_id)
            if unit is None:
                continue
            disposition, destination = decisions.get(unit_id, ("", ""))
            rows.append(UnitRow(
                unit_id, unit.lpn, unit.station_code, units[unit_id], unit.sku or "",
                unit.category or "", unit.reason or "", grades.get(unit_id, ""),
                disposition, destination, refunds.get(unit_id, "")))
    return rows


def units_behind(sessions: sessionmaker[Session], figure: Figure, *, start: date,
                 end: date | None = None, station: str | None = None,
                 grader: str | None = None, category: str | None = None, tz: tzinfo,
                 now: datetime, users: sessionmaker[Session] | None = None,
                 limit: int = MAX_ROWS) -> UnitList:
    """The units behind `figure` in the summary made with the same options (the refund of
    a unit is its latest trigger: a held refund approved later shows the approval)."""
    _check(figure)
    directories: Sequence[sessionmaker[Session]] = (
        [sessions] if users is None else [sessions, users])
    scope = _open_scope(directories, start=start, end=end or start, station=station,
                        grader=grader, category=category, tz=tz, now=now)
    with sessions() as session:
        found = _matching(session, scope, figure)
        ordered = dict(sorted(found.items(), key=lambda kv: (kv[1], str(kv[0])))[:limit])
        rows = _describe(session, ordered)
    return UnitList(figure.title(), len(found), tuple(rows))
