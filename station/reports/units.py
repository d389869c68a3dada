"""The units behind a figure of the daily summary: the supervisor's click-through.

A `Figure` names one number of the summary (units graded B, units routed to RESTOCK between
14:00 and 15:00, units refunded FULL ...). `units_behind` finds its units by the conditions
that counted it (the period and scope of station.reports.daily_summary on the units' summary
rows), so
the list always has as many units as the figure says, then describes each unit as it
stands now: its latest grade, effective disposition and effective refund.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any, Final

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, sessionmaker

from station.common.money import format_minor
from station.common.vocabulary import Category, Disposition, Grade, Reason, RefundAction
from station.reports.daily_summary import ReportError, _open_scope, _Scope
from station.store.models import RmaLine, Unit, UnitSummary

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
#: Refund actions as people say them (the identifiers stay in the data).
REFUND_WORDS: Final = {
    RefundAction.FULL.value: "full", RefundAction.PARTIAL.value: "partial",
    RefundAction.STORE_CREDIT.value: "store credit", RefundAction.EXCHANGE.value: "exchange",
    RefundAction.DENY.value: "denied", RefundAction.HELD.value: "held",
}
#: The longest list shown; the total still says how many units the figure has.
MAX_ROWS: Final = 5000
_CHUNK: Final = 500


@dataclass(frozen=True)
class Figure:
    """One number of the summary: `section` (a SECTIONS key), the `key` within it (a grade,
    a disposition, a refund action, "grade"/"disposition" for overrides ...) and, for the
    hourly chart, the local `hour` of the day."""

    section: str
    key: str | None = None
    hour: int | None = None

    def title(self) -> str:
        """The list's title for people: its key in words ("open box", never OPEN_BOX)."""
        if self.section == "override":
            text = f"Overrides of the {self.key}" if self.key else "Overrides"
        elif self.key is None:
            text = SECTIONS[self.section]
        elif self.section == "refund":
            text = f"Units whose refund is {in_words('refund', self.key)}"
        else:
            text = f"{SECTIONS[self.section]} {in_words(self.section, self.key)}"
        if self.hour is not None:
            text += f", {self.hour:02d}:00-{self.hour:02d}:59"
        return text


def in_words(section: str, key: str) -> str:
    """How a figure's key (a disposition, reason, category, grade or refund action, as the
    data has it) reads for people: "open box", "home & kitchen", "B (like new / opened)",
    "store credit". A value the vocabulary does not know (an older station's, "unknown")
    reads as itself with spaces; destinations are names already."""
    try:
        if section == "disposition":
            return Disposition(key).label
        if section == "reason":
            return Reason(key).label
        if section == "category":
            return Category(key).label
        if section == "grade":
            return f"{key} ({Grade(key).meaning})"
    except ValueError:
        return key.replace("_", " ")
    if section == "refund":
        return REFUND_WORDS.get(key, key.replace("_", " ").lower())
    return key


@dataclass(frozen=True)
class UnitRow:
    """A unit as it stands now; `at` is the moment of the event the figure counted. Grade,
    category, reason and disposition are the data's identifiers; `refund` is for people
    ("partial 26.99 USD")."""

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


#: Sections counted by the unit's latest inspection, and the column their key is in.
_INSPECTED: Final = {"inspected": None, "grade": UnitSummary.grade,
                     "reason": UnitSummary.reason, "category": UnitSummary.category}
#: Sections counted by the unit's effective decision, and the column their key is in.
_DECIDED: Final = {"dispositioned": None, "disposition": UnitSummary.disposition,
                   "destination": UnitSummary.destination}


def _keyed(column: Any, key: str | None) -> list[ColumnElement[bool]]:
    """`column` is `key` (the summary's "unknown" is no value at all)."""
    if column is None or key is None:
        return []
    return [column.is_(None) if key == "unknown" else column == key]


def _matching(session: Session, scope: _Scope, figure: Figure) -> dict[uuid.UUID, datetime]:
    """The figure's units and the moment of the event that counted each, found by the
    conditions the summary counted it with."""
    section, key = figure.section, figure.key
    if section == "refund":
        column, where = UnitSummary.refund_at, _keyed(UnitSummary.refund_action, key)
    elif section in _INSPECTED or (section, key) == ("override", "grade"):
        column = UnitSummary.inspected_at
        where = ([UnitSummary.grade_override_reason != ""] if section == "override"
                 else _keyed(_INSPECTED[section], key))
    elif section in _DECIDED or (section, key) == ("override", "disposition"):
        column = UnitSummary.decided_at
        where = ([UnitSummary.disposition_override_reason != ""] if section == "override"
                 else _keyed(_DECIDED[section], key))
    else:  # every override, of a grade or a disposition
        return (_matching(session, scope, Figure("override", "disposition"))
                | _matching(session, scope, Figure("override", "grade")))
    found: dict[uuid.UUID, datetime] = {}
    for unit_id, moment in session.execute(select(UnitSummary.unit_id, column).where(
            *scope.during(column), *where)):
        if moment is not None and (
                figure.hour is None or moment.astimezone(scope.tz).hour == figure.hour):
            found[unit_id] = moment
    return found


def _describe(session: Session, units: dict[uuid.UUID, datetime]) -> list[UnitRow]:
    rows: list[UnitRow] = []
    ids = sorted(units, key=lambda unit_id: (units[unit_id], str(unit_id)))
    for chunk in (ids[i:i + _CHUNK] for i in range(0, len(ids), _CHUNK)):
        described: dict[uuid.UUID, tuple[UnitSummary, str | None]] = {
            summary.unit_id: (summary, sku) for summary, sku in session.execute(
                select(UnitSummary, RmaLine.sku)
                .outerjoin(Unit, Unit.id == UnitSummary.unit_id)
                .outerjoin(RmaLine, RmaLine.id == Unit.rma_line_id)
                .where(UnitSummary.unit_id.in_(chunk)))}
        for unit_id in chunk:
            if unit_id not in described:
                continue
            unit, sku = described[unit_id]
            refund = ("" if unit.refund_action is None
                      else f"{in_words('refund', unit.refund_action)} "
                      + format_minor(int(unit.refund_amount_minor or 0),
                                     unit.refund_currency or ""))
            rows.append(UnitRow(
                unit_id, unit.lpn, unit.station_code, units[unit_id], sku or "",
                unit.category or "", unit.reason or "", unit.grade or "",
                unit.disposition or "", unit.destination or "", refund))
    return rows


def units_behind(sessions: sessionmaker[Session], figure: Figure, *, start: date,
                 end: date | None = None, station: str | None = None,
                 grader: str | None = None, category: str | None = None, tz: tzinfo,
                 now: datetime, users: sessionmaker[Session] | None = None,
                 limit: int = MAX_ROWS) -> UnitList:
    """The units behind `figure` in the summary made with the same options (the refund of
    a unit is its effective trigger: a held refund approved later shows the approval)."""
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
