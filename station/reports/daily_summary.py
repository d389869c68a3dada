"""The daily disposition summary: what a site (or one station, grader or category) received,
inspected, routed and refunded over one local calendar day or a range of days.

`daily_summary` reads through SQLAlchemy with bound parameters and returns one JSON-ready
dict whose keys are documented in docs/reports.md. Every figure counts an event in
the period `[start 00:00, end + 1 day 00:00)` of the report's time zone, converted to UTC
and compared with an indexed timestamp. A unit counts by what its facts say now, read from
its row in `unit_summaries` (kept current by station.store.unit_summaries), so the figures are
sums in SQL over the period's rows of one table:

* parcels: `receipts.received_at`;
* inspections (units inspected, grades, reasons, grade overrides, grader-hours): the
  unit's latest inspection, by its completion (a unit inspected again counts on the day
  of its last inspection);
* dispositions (units by disposition and destination, recovery, handling time,
  disposition overrides): the unit's *effective* decision, the latest one no other
  decision supersedes, by the time it was made;
* refunds: the unit's *effective* refund trigger (the latest one no other trigger
  supersedes, so a HELD trigger a supervisor resolved counts as the resolution, at the
  resolution's time), by its creation;
* exceptions opened: `exceptions.opened_at`.

Snapshot figures (dwell of parcels still waiting, exceptions still open) are taken at
`as_of` = the earlier of `now` and the end of the period, so a report on a past day shows
that day's end and stays the same when made again. Refund states used for the recovery
rate (held, approved) are as the facts stand now.

Facts that lost a sync conflict (a second settling refund of one unit slot, a second receipt
of one RMA) are not counted: centrally they live only in `sync_conflicts`, and locally the
station's copy of its conflicts names them.

The same code reads the central database (every station) or, offline, the station's local
one; the caller says which in `scope_label` (`SOURCE_CENTRAL` or `SOURCE_LOCAL`), and
`summarize` picks the central one and falls back to the local one when it cannot be reached.

Kept whole: every figure is one query over the same `_Scope` (period, filters, the readers
of both databases) and feeds the one JSON document docs/reports.md documents, so its
sections are private steps of `daily_summary` rather than modules of their own.
"""

from __future__ import annotations

import gc
import math
import os
import re
import statistics
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    CursorResult,
    Float,
    Select,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, aliased, sessionmaker

from station.common.errors import UserFacingError
from station.common.vocabulary import Category, Disposition, Grade, RefundAction
from station.store.models import (
    ExceptionCase,
    ExceptionResolution,
    Inspection,
    Receipt,
    RmaLine,
    SyncConflict,
    UnitSummary,
    User,
    UtcDateTime,
)

REPORT_NAME: Final = "daily_disposition_summary"
REPORT_VERSION: Final = 1
SOURCE_CENTRAL: Final = "central"
SOURCE_LOCAL: Final = "local (this station only)"
MAX_DAYS: Final = 366
#: Refund actions that pay the customer money (or credit): the denominator of the
#: recovery rate. EXCHANGE sends goods, DENY pays nothing, HELD has paid nothing yet.
MONEY_ACTIONS: Final = (RefundAction.FULL, RefundAction.PARTIAL, RefundAction.STORE_CREDIT)


#: Any SELECT, whatever its columns (SQLAlchemy 2.1 types them as a variadic tuple).
AnySelect = Select[*tuple[Any, ...]]


class ReportError(UserFacingError):
    """The report cannot be made as asked (unknown grader, bad period); the message says why."""


# ------------------------------------------------------------------------ time zones


def zone(name: str) -> ZoneInfo:
    """The IANA time zone called `name` (e.g. Europe/Berlin); ReportError if unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ReportError(f"{name!r} is not a time zone this machine knows (use an IANA "
                          "name such as Europe/Berlin or UTC).") from None


def local_zone() -> tzinfo:
    """This machine's time zone: $TZ, else /etc/localtime, else the current UTC offset."""
    name = os.environ.get("TZ", "").lstrip(":")
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    localtime = Path("/etc/localtime")
    try:
        target = localtime.resolve()
        if "zoneinfo" in target.parts:
            key = "/".join(target.parts[target.parts.index("zoneinfo") + 1:])
            return ZoneInfo(key)
        with localtime.open("rb") as stream:
            return ZoneInfo.from_file(stream, key="localtime")
    except (OSError, ValueError, ZoneInfoNotFoundError):
        pass
    offset = datetime.now().astimezone().tzinfo
    return offset if offset is not None else UTC


def zone_name(tz: tzinfo) -> str:
    return str(getattr(tz, "key", None) or tz)


def period_utc(start: date, end: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """[start 00:00, end + 1 day 00:00) in `tz`, as aware UTC datetimes."""
    first = datetime.combine(start, time(0), tzinfo=tz).astimezone(UTC)
    after = datetime.combine(end + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return first, after


# ------------------------------------------------------------------------ statistics


def median(values: Sequence[float]) -> float | None:
    """The middle value (the mean of the two middle ones for an even count); None if empty."""
    return round(float(statistics.median(values)), 1) if values else None


def nearest_rank(values: Sequence[float], pct: float) -> float | None:
    """The pct-th percentile by the nearest-rank method: the smallest value with at least
    pct % of the values at or below it (p90 of 6 values is the 6th, of 10 the 9th)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return round(float(ordered[rank - 1]), 1)


def _durations(values: Sequence[float]) -> dict[str, Any]:
    return {"median_seconds": median(values), "p90_seconds": nearest_rank(values, 90),
            "max_seconds": round(max(values), 1) if values else None}


def _ratio(numerator: float, denominator: float) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


# ------------------------------------------------------------------------ the scope


@dataclass(frozen=True)
class _Scope:
    start: datetime  # inclusive, UTC
    end: datetime  # exclusive, UTC
    as_of: datetime
    tz: tzinfo
    station: str | None
    grader_ids: frozenset[uuid.UUID] | None
    category: str | None

    def unit_filters(self) -> list[ColumnElement[bool]]:
        """Conditions on a unit's summary row for station, grader and category."""
        conditions: list[ColumnElement[bool]] = []
        if self.station is not None:
            conditions.append(UnitSummary.station_code == self.station)
        if self.category is not None:
            conditions.append(UnitSummary.category == self.category)
        if self.grader_ids is not None:
            conditions.append(exists().where(Inspection.unit_id == UnitSummary.unit_id,
                                             Inspection.grader_id.in_(self.grader_ids)))
        return conditions

    def during(self, column: Any) -> list[ColumnElement[bool]]:
        """Conditions: `column` (a unit summary's timestamp) in the period, scope-filtered."""
        return [column >= self.start, column < self.end, *self.unit_filters()]

    def local(self, moment: datetime) -> str:
        return moment.astimezone(self.tz).isoformat()

    def days(self) -> list[tuple[date, datetime]]:
        """The local days of the period and when each begins (UTC)."""
        first = self.start.astimezone(self.tz).date()
        count = (self.end.astimezone(self.tz).date() - first).days
        return [(day, datetime.combine(day, time(0), tzinfo=self.tz).astimezone(UTC))
                for day in (first + timedelta(days=n) for n in range(count))]

    def day_of(self, column: Any) -> ColumnElement[int] | None:
        """Which local day of the period (0 = the first) `column`, a time in the period,
        falls on, reckoned in SQL; None for a period of one day."""
        starts = [begins for _day, begins in self.days()[1:]]
        if not starts:
            return None
        return case(*[(column >= begins, index) for index, begins
                      in reversed(list(enumerate(starts, 1)))], else_=0)


def _not_lost(column: Any) -> ColumnElement[bool]:
    """The fact did not lose a sync conflict (its id is not in sync_conflicts)."""
    return ~exists().where(SyncConflict.id == column)


#: Figures by time of day are counted per quarter of an hour (UTC, since 1970) in SQL: every
#: time zone's offset is a whole number of quarters, so each local hour and each local day
#: is a set of whole quarters.
QUARTER_SECONDS: Final = 900


def _on_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _quarter(session: Session, column: Any) -> ColumnElement[int]:
    """The quarter of an hour `column` falls in, as a whole number since 1970 (UTC)."""
    if _on_postgresql(session):  # date_part: double precision, far cheaper than numeric
        seconds = cast(func.floor(func.date_part("epoch", column)), BigInteger)
    else:
        seconds = cast(func.strftime("%s", column), BigInteger)
    return seconds // QUARTER_SECONDS


def quarter_start(quarter: int) -> datetime:
    """When the quarter `_quarter` numbered began (aware, UTC)."""
    return datetime.fromtimestamp(int(quarter) * QUARTER_SECONDS, UTC)


def _seconds_between(session: Session, later: Any, earlier: Any) -> ColumnElement[Any]:
    if _on_postgresql(session):  # date_part: double precision, far cheaper than numeric
        return func.date_part("epoch", later - earlier, type_=Float)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


_TUNED: Final = "reports.tuned_transaction"


def _rows(session: Session, query: AnySelect) -> CursorResult[*tuple[Any, ...]]:
    """Run a report query on the session's connection (plain rows, no ORM bookkeeping;
    take them with `.all()`, far cheaper than iterating the result row by row).

    On PostgreSQL the transaction is first told, once: no JIT compilation (these are short
    index-driven queries whose estimated cost, inflated by correlated subqueries, would
    otherwise buy a compilation that takes longer than the query), no parallel workers
    (the summary already reads on two connections at once, see `_two_readers`), room to
    hash the exception resolutions in memory, and timestamps in UTC (what the report
    computes in, so no row needs converting)."""
    connection = session.connection()
    transaction = session.get_transaction()
    if connection.dialect.name == "postgresql" and session.info.get(_TUNED) is not transaction:
        connection.exec_driver_sql("SET LOCAL jit = off")
        connection.exec_driver_sql("SET LOCAL max_parallel_workers_per_gather = 0")
        connection.exec_driver_sql("SET LOCAL work_mem = '16MB'")
        connection.exec_driver_sql("SET LOCAL TimeZone = 'UTC'")
        session.info[_TUNED] = transaction
    return connection.execute(query)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while a report reads its rows: each of its
    full passes walks every object of the process again, which took a fifth of a day's
    summary. Reference counting still frees everything as usual."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


_SNAPSHOT_ID: Final = re.compile(r"[0-9A-F]+-[0-9A-F]+(-[0-9]+)?")


@contextmanager
def _two_readers(sessions: sessionmaker[Session]) -> Iterator[tuple[Session, Session | None]]:
    """Two sessions that read one and the same snapshot of the database, so the summary's
    queries can run on two server processes at once and still agree with each other.

    On PostgreSQL both are REPEATABLE READ transactions, the second importing the first's
    exported snapshot; elsewhere (the station's SQLite file) one session and None."""
    with sessions() as first:
        connection = first.connection(
            execution_options={"isolation_level": "REPEATABLE READ"}
            if _on_postgresql(first) else None)
        if connection.dialect.name != "postgresql":
            yield first, None
            return
        snapshot = str(connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar())
        if not _SNAPSHOT_ID.fullmatch(snapshot):
            raise ReportError(f"The database gave an unexpected snapshot id {snapshot!r}.")
        with sessions() as second:
            second.connection(execution_options={"isolation_level": "REPEATABLE READ"}
                              ).exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
            yield first, second


# ------------------------------------------------------------------------ users


def _user_ids(session_makers: Iterable[sessionmaker[Session]], username: str
              ) -> frozenset[uuid.UUID]:
    found: set[uuid.UUID] = set()
    for sessions in session_makers:
        with sessions() as session:
            found.update(session.scalars(select(User.id).where(User.username == username)))
    return frozenset(found)


def _user_names(session_makers: Iterable[sessionmaker[Session]],
                ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, tuple[str, str]]:
    wanted = sorted(set(ids))
    names: dict[uuid.UUID, tuple[str, str]] = {}
    for sessions in session_makers:
        missing = [i for i in wanted if i not in names]
        for chunk in (missing[i:i + 500] for i in range(0, len(missing), 500)):
            with sessions() as session:
                for row in session.execute(select(User.id, User.username, User.display_name)
                                           .where(User.id.in_(chunk))):
                    names[row.id] = (row.username, row.display_name)
    return names


# ------------------------------------------------------------------------ the figures


def _receipt_conditions(scope: _Scope) -> list[ColumnElement[bool]]:
    """Parcels received in the period that count (not a lost duplicate), scope-filtered."""
    conditions: list[ColumnElement[bool]] = [
        Receipt.received_at >= scope.start, Receipt.received_at < scope.end,
        _not_lost(Receipt.id)]
    if scope.station is not None:
        conditions.append(Receipt.station_code == scope.station)
    if scope.grader_ids is not None:
        conditions.append(Receipt.received_by.in_(scope.grader_ids))
    if scope.category is not None:
        conditions.append(exists().where(RmaLine.rma_id == Receipt.rma_id,
                                         RmaLine.category == scope.category))
    return conditions


def _received(session: Session, scope: _Scope) -> tuple[dict[str, Any], dict[str, Any]]:
    """Parcels received in the period, and the dwell of their units still waiting.

    One row of numbers per parcel: what its RMA announced (a correlated sum over
    rma_lines.rma_id), its units taken in and those already dispositioned (the summary
    rows of the units received in the period, counted by parcel): the cost follows the
    period's parcels, not the table's."""
    line_filter: list[ColumnElement[bool]] = [RmaLine.rma_id == Receipt.rma_id]
    of_period: list[ColumnElement[bool]] = [UnitSummary.received_at >= scope.start,
                                            UnitSummary.received_at < scope.end]
    if scope.category is not None:
        line_filter.append(RmaLine.category == scope.category)
        of_period.append(UnitSummary.category == scope.category)
    announced = select(func.sum(RmaLine.quantity)).where(*line_filter).scalar_subquery()
    taken = select(
        UnitSummary.receipt_id,
        func.sum(case((UnitSummary.created_at < scope.as_of, 1), else_=0)).label("units"),
        func.sum(case((UnitSummary.first_decided_at < scope.as_of, 1), else_=0)).label("done"),
    ).where(*of_period).group_by(UnitSummary.receipt_id).subquery()
    as_of = bindparam("as_of", scope.as_of, type_=UtcDateTime())
    receipts = _rows(session, select(
        Receipt.expected, _seconds_between(session, as_of, Receipt.received_at),
        announced, func.coalesce(taken.c.units, 0), func.coalesce(taken.c.done, 0),
    ).outerjoin(taken, taken.c.receipt_id == Receipt.id)
        .where(*_receipt_conditions(scope))).all()

    dwell: list[float] = []
    parcels_waiting = units_expected = units_taken = parcels_expected = 0
    for expected, seconds, announced_units, units, done in receipts:
        units_taken += int(units)
        if not expected:
            continue
        parcels_expected += 1
        units_expected += int(announced_units or 0)
        waiting = max(0, int(announced_units or 0) - int(done))
        if waiting and seconds >= 0:  # not received after `as_of`
            parcels_waiting += 1
            dwell.extend([max(0.0, float(seconds))] * waiting)
    received = {
        "parcels": len(receipts),
        "parcels_expected": parcels_expected,
        "parcels_unexpected": len(receipts) - parcels_expected,
        "units_expected": units_expected,
        "units_taken": units_taken,
    }
    return received, {"parcels_waiting": parcels_waiting, "units_waiting": len(dwell),
                      **_durations(dwell)}


@dataclass(frozen=True, slots=True)
class _Override:
    kind: str  # "grade" or "disposition"
    lpn: str
    station: str
    at: datetime
    by: uuid.UUID
    proposed: str | None
    chosen: str
    reason: str


@dataclass(frozen=True, slots=True)
class _GraderDay:
    """A grader's inspections completed on one local day of the period."""

    grader_id: uuid.UUID
    day: int  # 0 = the period's first
    first_started: datetime
    last_completed: datetime
    units: int


@dataclass
class _Inspected:
    """Units whose latest inspection was completed in the period."""

    units: int = 0
    grades: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    categories: Counter[str] = field(default_factory=Counter)
    by_grader: list[_GraderDay] = field(default_factory=list)
    overrides: list[_Override] = field(default_factory=list)


def _inspections(session: Session, scope: _Scope) -> _Inspected:
    """Units by the latest inspection: counted by grade, reason and category, by grader
    and local day (for grader-hours), and the grade overrides among them."""
    during = scope.during(UnitSummary.inspected_at)
    found = _Inspected()
    for grade, reason, category, units in _rows(session, select(
            UnitSummary.grade, UnitSummary.reason, UnitSummary.category, func.count())
            .where(*during).group_by(UnitSummary.grade, UnitSummary.reason,
                                     UnitSummary.category)).all():
        found.units += units
        found.grades[grade] += units
        found.reasons[reason or "unknown"] += units
        found.categories[category or "unknown"] += units
    day = scope.day_of(UnitSummary.inspected_at)
    keys = [UnitSummary.grader_id] + ([] if day is None else [day])
    found.by_grader = [_GraderDay(*row) for row in _rows(session, select(
        UnitSummary.grader_id, literal_column("0") if day is None else day,
        func.min(UnitSummary.inspection_started_at), func.max(UnitSummary.inspected_at),
        func.count()).where(*during).group_by(*keys)).all()]
    found.overrides = [
        _Override("grade", *row) for row in _rows(session, select(
            UnitSummary.lpn, UnitSummary.station_code, UnitSummary.inspected_at,
            UnitSummary.grader_id, UnitSummary.proposed_grade, UnitSummary.grade,
            UnitSummary.grade_override_reason)
            .where(*during, UnitSummary.grade_override_reason.is_not(None),
                   UnitSummary.grade_override_reason != "")).all()]
    return found


@dataclass
class _Decided:
    """Units whose effective decision was made in the period."""

    units: int = 0
    dispositions: Counter[str] = field(default_factory=Counter)
    destinations: Counter[str] = field(default_factory=Counter)
    by_quarter: Counter[tuple[int, str]] = field(default_factory=Counter)
    #: (currency, units, expected recovery, money refunded) rows for `_recovery_of`.
    recovery: list[tuple[str, int, int, int]] = field(default_factory=list)
    handling: list[float] = field(default_factory=list)
    overrides: list[_Override] = field(default_factory=list)


def _decisions(session: Session, scope: _Scope) -> _Decided:
    """Units by their effective decision: by disposition, destination, quarter of an hour
    and currency (with their recovery), their handling times (receipt to decision) and the
    disposition overrides."""
    during = scope.during(UnitSummary.decided_at)
    quarter = _quarter(session, UnitSummary.decided_at)
    found = _Decided()
    keys = (UnitSummary.disposition, UnitSummary.destination, quarter, UnitSummary.currency)
    for disposition, destination, at, currency, units, recovery, refunded in _rows(
            session, select(*keys, func.count(), func.sum(UnitSummary.recovery_minor),
                            func.sum(_money_refunded())).where(*during).group_by(*keys)).all():
        found.units += units
        found.dispositions[disposition] += units
        found.destinations[destination] += units
        found.by_quarter[(int(at), disposition)] += units
        found.recovery.append((currency, units, recovery, refunded))
    found.handling = [max(0.0, float(seconds)) for seconds in _rows(session, select(
        _seconds_between(session, UnitSummary.decided_at, UnitSummary.received_at))
        .where(*during, UnitSummary.received_at.is_not(None))).scalars().all()]
    found.overrides = [
        _Override("disposition", *row) for row in _rows(session, select(
            UnitSummary.lpn, UnitSummary.station_code, UnitSummary.decided_at,
            UnitSummary.decided_by, UnitSummary.proposed_disposition,
            UnitSummary.disposition, UnitSummary.disposition_override_reason)
            .where(*during, UnitSummary.disposition_override_reason.is_not(None),
                   UnitSummary.disposition_override_reason != "")).all()]
    return found


def _refunds(session: Session, scope: _Scope) -> dict[str, Any]:
    """Units by their effective refund trigger created in the period, by action and
    currency; among them the held refunds a supervisor resolved (approved or denied)."""
    by_action: dict[str, dict[str, Any]] = {
        action.value: {"units": 0, "amount_minor": {}} for action in RefundAction}
    money: Counter[str] = Counter()
    units_refunded = 0
    approved = denied = 0
    for action, currency, resolves_held, units, amount in _rows(session, select(
            UnitSummary.refund_action, UnitSummary.refund_currency,
            UnitSummary.refund_resolves_held, func.count(),
            func.sum(UnitSummary.refund_amount_minor))
            .where(*scope.during(UnitSummary.refund_at))
            .group_by(UnitSummary.refund_action, UnitSummary.refund_currency,
                      UnitSummary.refund_resolves_held)).all():
        bucket = by_action.setdefault(action, {"units": 0, "amount_minor": {}})
        bucket["units"] += units
        amounts: dict[str, int] = bucket["amount_minor"]
        amounts[currency] = amounts.get(currency, 0) + int(amount or 0)
        units_refunded += units
        if action in MONEY_ACTIONS:
            money[currency] += int(amount or 0)
        if resolves_held and action == RefundAction.DENY.value:
            denied += units
        elif resolves_held:
            approved += units
    for bucket in by_action.values():
        bucket["amount_minor"] = dict(sorted(bucket["amount_minor"].items()))
    return {"units": units_refunded, "by_action": by_action,
            "money_refunded_minor": dict(sorted(money.items())),
            "held_resolutions": {"approved": approved, "denied": denied}}


def _money_refunded() -> ColumnElement[Any]:
    """What a unit's effective refund paid in money or credit (the recovery rate's
    denominator; the refund is the unit's effective one, whenever it was made)."""
    return case((UnitSummary.refund_action.in_([a.value for a in MONEY_ACTIONS]),
                 UnitSummary.refund_amount_minor), else_=0)


def _recovery_rows(session: Session, scope: _Scope) -> list[Any]:
    """Day of the period, currency, units, expected recovery and money refunded of the
    units whose effective decision was made in the period (for the trend)."""
    day = scope.day_of(UnitSummary.decided_at)
    keys: list[Any] = [UnitSummary.currency] if day is None else [day, UnitSummary.currency]
    return list(_rows(session, select(
        literal_column("0") if day is None else day, UnitSummary.currency, func.count(),
        func.sum(UnitSummary.recovery_minor), func.sum(_money_refunded()))
        .where(*scope.during(UnitSummary.decided_at)).group_by(*keys)).all())


def _recovery_of(rows: Iterable[Any]) -> dict[str, Any]:
    """Recovery per currency from rows of (currency, units, recovery, refunded)."""
    by_currency: dict[str, dict[str, Any]] = {}
    for currency, units, recovery, refunded in rows:
        entry = by_currency.setdefault(str(currency or ""), {
            "units": 0, "expected_recovery_minor": 0, "refunded_minor": 0})
        entry["units"] += int(units)
        entry["expected_recovery_minor"] += int(recovery or 0)
        entry["refunded_minor"] += int(refunded or 0)
    for entry in by_currency.values():
        entry["recovery_rate"] = _ratio(entry["expected_recovery_minor"],
                                        entry["refunded_minor"])
    return {"by_currency": dict(sorted(by_currency.items()))}


def _productivity(inspected: _Inspected, scope: _Scope,
                  names: dict[uuid.UUID, tuple[str, str]]) -> dict[str, Any]:
    """Units per grader-hour: a grader's hours on a local day run from the start of the
    first inspection they completed that day (not before the day began) to their last
    completion that day."""
    days = scope.days()
    hours: dict[uuid.UUID, float] = defaultdict(float)
    units: Counter[uuid.UUID] = Counter()
    for item in inspected.by_grader:
        begun = max(item.first_started, days[item.day][1])
        hours[item.grader_id] += max(0.0, (item.last_completed - begun).total_seconds()) / 3600
        units[item.grader_id] += item.units
    graders: list[dict[str, Any]] = []
    for grader_id in units:
        username, display = names.get(grader_id, (None, None))
        graders.append({
            "grader_id": str(grader_id), "username": username, "display_name": display,
            "units": units[grader_id], "hours": round(hours[grader_id], 4),
            "units_per_hour": _ratio(units[grader_id], hours[grader_id])})
    graders.sort(key=lambda g: (-g["units"], g["username"] or "", g["grader_id"]))
    total_hours = sum(hours.values())
    return {"units": inspected.units, "grader_hours": round(total_hours, 4),
            "units_per_grader_hour": _ratio(inspected.units, total_hours),
            "by_grader": graders}


def _exception_conditions(scope: _Scope) -> list[ColumnElement[bool]]:
    """The scope's filters on exceptions: opened at the station, opened by the grader, of a
    unit (or, without a unit, a parcel's RMA) of the category."""
    conditions: list[ColumnElement[bool]] = []
    if scope.station is not None:
        conditions.append(ExceptionCase.station_code == scope.station)
    if scope.grader_ids is not None:
        conditions.append(ExceptionCase.opened_by.in_(scope.grader_ids))
    if scope.category is not None:
        of_unit = exists().where(UnitSummary.unit_id == ExceptionCase.unit_id,
                                 UnitSummary.category == scope.category)
        of_parcel = exists().where(Receipt.id == ExceptionCase.receipt_id,
                                   RmaLine.rma_id == Receipt.rma_id,
                                   RmaLine.category == scope.category)
        conditions.append(or_(of_unit, and_(ExceptionCase.unit_id.is_(None), of_parcel)))
    return conditions


def _exceptions(session: Session, scope: _Scope) -> dict[str, Any]:
    """Exceptions opened and closed in the period, and those open at `as_of`."""
    conditions = _exception_conditions(scope)

    def by_kind(*where: ColumnElement[bool]) -> dict[str, int]:
        rows = _rows(session, select(ExceptionCase.kind, func.count(ExceptionCase.id))
                     .where(*conditions, *where).group_by(ExceptionCase.kind)).all()
        return {kind: int(n) for kind, n in sorted(rows)}

    opened = by_kind(ExceptionCase.opened_at >= scope.start,
                     ExceptionCase.opened_at < scope.end)

    def open_at_as_of(exception: Any) -> list[ColumnElement[bool]]:
        """Conditions on `exception` (ExceptionCase or an alias): open at `as_of`."""
        return [exception.opened_at < scope.as_of,
                ~exists().where(ExceptionResolution.exception_id == exception.id,
                                ExceptionResolution.resolved_at < scope.as_of)]

    closed = int(_rows(session, select(func.count(func.distinct(
        ExceptionResolution.exception_id))).join(
        ExceptionCase, ExceptionCase.id == ExceptionResolution.exception_id).where(
        *conditions, ExceptionResolution.resolved_at >= scope.start,
        ExceptionResolution.resolved_at < scope.end)).scalar() or 0)
    if scope.category is not None:
        # A category needs a look at each exception's unit or parcel: done for the
        # exceptions still open only, not for every exception ever opened; those are found
        # first, in a subquery the planner keeps apart (OFFSET 0).
        candidate = aliased(ExceptionCase)
        unresolved = select(candidate.id).where(*open_at_as_of(candidate)).offset(0)
        open_now = by_kind(ExceptionCase.id.in_(unresolved))
    else:
        open_now = by_kind(*open_at_as_of(ExceptionCase))
    return {"opened": sum(opened.values()), "opened_by_kind": opened, "closed": closed,
            "resolutions_tracked": True,
            "open": sum(open_now.values()), "open_by_kind": open_now}


def _username(names: dict[uuid.UUID, tuple[str, str]], user_id: uuid.UUID) -> str:
    """The user's username, or their id where no database at hand knows them."""
    return names[user_id][0] if user_id in names else str(user_id)


def _overrides(inspected: _Inspected, decided: _Decided, scope: _Scope,
               names: dict[uuid.UUID, tuple[str, str]]) -> dict[str, Any]:
    items = sorted([*inspected.overrides, *decided.overrides],
                   key=lambda item: (item.at, item.lpn, item.kind))
    reasons = Counter((item.kind, item.reason) for item in items)
    return {
        "grade": len(inspected.overrides),
        "disposition": len(decided.overrides),
        "by_reason": [{"kind": kind, "reason": reason, "count": count} for (kind, reason), count
                      in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))],
        "items": [{"kind": item.kind, "lpn": item.lpn, "station": item.station,
                   "at": scope.local(item.at), "by": _username(names, item.by),
                   "proposed": item.proposed, "chosen": item.chosen, "reason": item.reason}
                  for item in items],
    }


# ------------------------------------------------------------------------ the summary


def _open_scope(directories: Sequence[sessionmaker[Session]], *, start: date, end: date,
                station: str | None, grader: str | None, category: str | None, tz: tzinfo,
                now: datetime) -> _Scope:
    """The checked scope of a report on the local days `start`..`end`; ReportError if the
    period, category or grader (looked up in `directories`) is not one there can be."""
    if end < start:
        raise ReportError(f"The period ends ({end}) before it starts ({start}).")
    if (end - start).days + 1 > MAX_DAYS:
        raise ReportError(f"A report covers at most {MAX_DAYS} days.")
    if category is not None and category not in {c.value for c in Category}:
        raise ReportError(f"{category!r} is not a category: "
                          + ", ".join(c.value for c in Category) + ".")
    if now.tzinfo is None:
        raise ReportError("`now` must be an aware datetime.")
    grader_ids = None
    if grader is not None:
        grader_ids = _user_ids(directories, grader)
        if not grader_ids:
            raise ReportError(f"There is no user {grader!r}.")
    first, after = period_utc(start, end, tz)
    return _Scope(first, after, min(now.astimezone(UTC), after), tz, station, grader_ids,
                  category)


#: Reads more on the summary's own transaction (`daily_summary(in_snapshot=...)`).
SnapshotReader = Callable[[Session, _Scope], None]


def _by_hour(decided: _Decided, tz: tzinfo) -> list[dict[str, Any]]:
    """Effective dispositions by the local hour of the day they were decided (0-23)."""
    counts: dict[int, Counter[str]] = {hour: Counter() for hour in range(24)}
    for (quarter, disposition), units in decided.by_quarter.items():
        counts[quarter_start(quarter).astimezone(tz).hour][disposition] += units
    return [{"hour": hour, "units": sum(counter.values()),
             "by_disposition": {d.value: counter.get(d.value, 0) for d in Disposition}}
            for hour, counter in counts.items()]


def daily_summary(sessions: sessionmaker[Session], *, start: date, end: date | None = None,
                  station: str | None = None, grader: str | None = None,
                  category: str | None = None, tz: tzinfo, now: datetime,
                  scope_label: str, users: sessionmaker[Session] | None = None,
                  in_snapshot: SnapshotReader | None = None) -> dict[str, Any]:
    """The summary of the local days `start`..`end` (inclusive) in `tz`, from the facts
    `sessions` reads; `users` (the station's local database) names graders the central
    database does not know. `grader` is a username; `category` a category identifier.

    `in_snapshot`, when given, is called with a session still inside the transaction the
    figures were read in and the summary's scope, so whatever else it reads (the PDF's
    exception list) sees the database exactly as the figures did."""
    end = end or start
    directories = [sessions] if users is None else [sessions, users]
    scope = _open_scope(directories, start=start, end=end, station=station, grader=grader,
                        category=category, tz=tz, now=now)
    first, after = scope.start, scope.end
    def parcels_and_exceptions(session: Session) -> tuple[Any, ...]:
        return *_received(session, scope), _exceptions(session, scope)

    with _gc_paused(), _two_readers(sessions) as (session, other), \
            ThreadPoolExecutor(1) as worker:
        parcels = (worker.submit(parcels_and_exceptions, other) if other is not None
                   else None)
        inspected = _inspections(session, scope)
        decided = _decisions(session, scope)
        refunds = _refunds(session, scope)
        received, dwell, exceptions = (parcels.result() if parcels is not None
                                       else parcels_and_exceptions(session))
        if in_snapshot is not None:
            in_snapshot(session, scope)
    names = _user_names(directories, {item.grader_id for item in inspected.by_grader}
                        | {item.by for item in inspected.overrides + decided.overrides})
    return {
        "report": REPORT_NAME,
        "version": REPORT_VERSION,
        "scope": {
            "from": start.isoformat(), "to": end.isoformat(), "tz": zone_name(tz),
            "start": scope.local(first), "end": scope.local(after),
            "station": station, "grader": grader, "category": category,
            "source": scope_label, "generated_at": scope.local(now),
            "as_of": scope.local(scope.as_of), "central_error": None,
        },
        "received": received,
        "inspected": {"units": inspected.units,
                      "by_category": dict(sorted(inspected.categories.items()))},
        "dispositions": {
            "units": decided.units,
            "by_disposition": {d.value: decided.dispositions.get(d.value, 0)
                               for d in Disposition}
            | {k: v for k, v in sorted(decided.dispositions.items())
               if k not in {d.value for d in Disposition}},
            "by_destination": dict(sorted(decided.destinations.items())),
            "by_hour": _by_hour(decided, tz),
        },
        "grades": {g.value: inspected.grades.get(g.value, 0) for g in Grade},
        "reasons": [{"reason": reason, "units": n} for reason, n in
                    sorted(inspected.reasons.items(), key=lambda kv: (-kv[1], kv[0]))],
        "refunds": refunds,
        "recovery": _recovery_of(decided.recovery),
        "handling_time": {"units": len(decided.handling), **_durations(decided.handling)},
        "dwell": dwell,
        "productivity": _productivity(inspected, scope, names),
        "exceptions": exceptions,
        "overrides": _overrides(inspected, decided, scope, names),
    }



#: Errors that mean "the central database cannot be reached now" rather than a bug.
UNREACHABLE: Final = (OperationalError, InterfaceError)


def summarize(central: Callable[[], sessionmaker[Session]] | None,
              local: sessionmaker[Session], **options: Any) -> dict[str, Any]:
    """`daily_summary` from the central database (every station), or from the local one
    (labelled "this station only") when `central` is None or cannot be reached; then
    `scope.central_error` says why. Options are those of `daily_summary` but
    `scope_label` and `users`."""
    if central is not None:
        try:
            summary = daily_summary(central(), scope_label=SOURCE_CENTRAL, users=local,
                                    **options)
        except UNREACHABLE as error:
            reason = str(getattr(error, "orig", None) or error).strip().splitlines()
            problem = f"{error.__class__.__name__}: {reason[0] if reason else ''}".strip()
        else:
            return summary
    else:
        problem = None
    summary = daily_summary(local, scope_label=SOURCE_LOCAL, **options)
    summary["scope"]["central_error"] = problem
    return summary
