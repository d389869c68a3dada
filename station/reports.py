"""The daily disposition summary: what a site (or one station, grader or category) received,
inspected, routed and refunded over one local calendar day or a range of days.

`daily_summary` reads the facts through SQLAlchemy with bound parameters and returns one
JSON-ready dict whose keys are documented in the README ("Reports"). Every figure counts
an event in the period `[start 00:00, end + 1 day 00:00)` of the report's time zone,
converted to UTC and compared with the fact's indexed timestamp:

* parcels: `receipts.received_at`;
* inspections (units inspected, grades, reasons, grade overrides, grader-hours):
  `inspections.completed_at`;
* dispositions (units by disposition and destination, recovery, handling time,
  disposition overrides): the unit's *effective* decision, one no later decision
  supersedes, by `dispositions.decided_at`;
* refunds: the unit's *effective* refund trigger (one no later trigger supersedes, so a
  HELD trigger a supervisor resolved counts as the resolution, at the resolution's time)
  by `refund_triggers.created_at`;
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
"""

from __future__ import annotations

import gc
import math
import os
import statistics
import uuid
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any, Final, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Select,
    Text,
    Uuid,
    and_,
    any_,
    bindparam,
    case,
    cast,
    exists,
    func,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, aliased, sessionmaker

from station.errors import UserFacingError
from station.models import (
    Base,
    DispositionDecision,
    ExceptionCase,
    Inspection,
    Receipt,
    RefundTrigger,
    RmaLine,
    SyncConflict,
    Unit,
    User,
)
from station.vocabulary import Category, Disposition, Grade, RefundAction

REPORT_NAME: Final = "daily_disposition_summary"
REPORT_VERSION: Final = 1
SOURCE_CENTRAL: Final = "central"
SOURCE_LOCAL: Final = "local (this station only)"
MAX_DAYS: Final = 366
#: Refund actions that pay the customer money (or credit): the denominator of the
#: recovery rate. EXCHANGE sends goods, DENY pays nothing, HELD has paid nothing yet.
MONEY_ACTIONS: Final = (RefundAction.FULL, RefundAction.PARTIAL, RefundAction.STORE_CREDIT)
#: Not in the schema yet: the supervisor workspace's exception resolutions. When a model
#: with this table name (columns `exception_id`, `resolved_at`) joins `Base.metadata`, the
#: summary counts exceptions closed in the period and leaves resolved ones out of `open`.
RESOLUTIONS_TABLE: Final = "exception_resolutions"
#: How far before the period a correcting fact (an approval, a new disposition) is looked
#: for, by its own timestamp: room for a station whose clock is behind.
SUPERSEDE_MARGIN: Final = timedelta(days=1)


#: Any SELECT, whatever its columns (SQLAlchemy 2.1 types them as a variadic tuple).
AnySelect = Select[*tuple[Any, ...]]
_Q = TypeVar("_Q", bound=AnySelect)


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
        """Conditions on Unit (joined with its RmaLine) for station, grader and category."""
        conditions: list[ColumnElement[bool]] = []
        if self.station is not None:
            conditions.append(Unit.station_code == self.station)
        if self.category is not None:
            conditions.append(RmaLine.category == self.category)
        if self.grader_ids is not None:
            graded = aliased(Inspection)
            conditions.append(exists().where(graded.unit_id == Unit.id,
                                             graded.grader_id.in_(self.grader_ids)))
        return conditions

    def local(self, moment: datetime) -> str:
        return moment.astimezone(self.tz).isoformat()


def _not_superseded(model: type[DispositionDecision] | type[RefundTrigger], scope: _Scope
                    ) -> ColumnElement[bool]:
    """No other fact of the table supersedes this one. A correction is made after the fact
    it corrects, so only facts stamped from a day before the period on count (the day
    allows for a station whose clock is behind). Looked up per fact in the partial index
    of the few correcting facts (`ix_*_supersedes_id`), so the cost follows the period's
    facts, not the years of corrections since."""
    since = scope.start - SUPERSEDE_MARGIN
    if model is DispositionDecision:
        decision = aliased(DispositionDecision)
        return ~exists().where(decision.supersedes_id.is_not(None),
                               decision.supersedes_id == DispositionDecision.id,
                               decision.decided_at >= since)
    trigger = aliased(RefundTrigger)
    return ~exists().where(trigger.supersedes_id.is_not(None),
                           trigger.supersedes_id == RefundTrigger.id,
                           trigger.created_at >= since)


def _not_lost(column: Any) -> ColumnElement[bool]:
    """The fact did not lose a sync conflict (its id is not in sync_conflicts)."""
    return ~exists().where(SyncConflict.id == column)


def _units(query: _Q, scope: _Scope) -> _Q:
    """`query` (whose FROM has Unit) joined with the unit's RMA line and scope-filtered."""
    return query.outerjoin(RmaLine, RmaLine.id == Unit.rma_line_id).where(
        *scope.unit_filters())


_TUNED: Final = "reports.tuned_transaction"


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while a report reads its tens of thousands
    of rows: each of its full passes walks every object of the process again, which took a
    third of a day's summary. Reference counting still frees everything as usual."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _rows(session: Session, query: AnySelect) -> CursorResult[*tuple[Any, ...]]:
    """Run a report query on the session's connection (plain rows, no ORM bookkeeping;
    take them with `.all()`, far cheaper than iterating the result row by row).

    On PostgreSQL the transaction is first told, once: no JIT compilation (these are short
    index-driven queries whose estimated cost, inflated by correlated subqueries, would
    otherwise buy a compilation that takes longer than the query) and timestamps in UTC
    (what the report computes in, so no row needs converting)."""
    connection = session.connection()
    transaction = session.get_transaction()
    if connection.dialect.name == "postgresql" and session.info.get(_TUNED) is not transaction:
        connection.exec_driver_sql("SET LOCAL jit = off")
        connection.exec_driver_sql("SET LOCAL TimeZone = 'UTC'")
        session.info[_TUNED] = transaction
    return connection.execute(query)


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

    One row per parcel with what its RMA announced (a correlated sum over
    rma_lines.rma_id), its units taken in and those already dispositioned (its units
    joined by units.receipt_id, each probed in dispositions.unit_id): the cost follows the
    period's parcels, not the table's."""
    line_filter: list[ColumnElement[bool]] = [RmaLine.rma_id == Receipt.rma_id]
    unit_join: list[ColumnElement[bool]] = [Unit.receipt_id == Receipt.id]
    if scope.category is not None:
        line_filter.append(RmaLine.category == scope.category)
        of_line = aliased(RmaLine)
        unit_join.append(exists().where(of_line.id == Unit.rma_line_id,
                                        of_line.category == scope.category))
    announced = select(func.sum(RmaLine.quantity)).where(*line_filter).scalar_subquery()
    decided = exists().where(DispositionDecision.unit_id == Unit.id,
                             DispositionDecision.decided_at < scope.as_of)
    receipts = _rows(session, select(
        Receipt.expected, Receipt.received_at, announced.label("announced"),
        func.sum(case((Unit.created_at < scope.as_of, 1), else_=0)).label("units"),
        func.sum(case((decided, 1), else_=0)).label("done"),
    ).outerjoin(Unit, and_(*unit_join)).where(*_receipt_conditions(scope))
        .group_by(Receipt.id)).all()

    expected = [r for r in receipts if r.expected]
    dwell: list[float] = []
    parcels_waiting = 0
    for receipt in expected:
        if receipt.received_at > scope.as_of:
            continue
        waiting = max(0, int(receipt.announced or 0) - int(receipt.done or 0))
        if waiting:
            parcels_waiting += 1
            seconds = max(0.0, (scope.as_of - receipt.received_at).total_seconds())
            dwell.extend([seconds] * waiting)
    received = {
        "parcels": len(receipts),
        "parcels_expected": len(expected),
        "parcels_unexpected": len(receipts) - len(expected),
        "units_expected": sum(int(r.announced or 0) for r in expected),
        "units_taken": sum(int(r.units or 0) for r in receipts),
    }
    return received, {"parcels_waiting": parcels_waiting, "units_waiting": len(dwell),
                      **_durations(dwell)}


@dataclass(frozen=True, slots=True)
class _Inspected:
    unit_id: uuid.UUID
    lpn: str
    station: str
    grader_id: uuid.UUID
    grade: str
    proposed_grade: str | None
    override_reason: str | None
    started_at: datetime
    completed_at: datetime
    category: str | None
    reason: str | None


def _inspections(session: Session, scope: _Scope) -> list[_Inspected]:
    """The latest inspection of each unit among those completed in the period."""
    query = _units(select(
        Inspection.unit_id, Unit.lpn, Unit.station_code, Inspection.grader_id,
        Inspection.grade, Inspection.proposed_grade, Inspection.override_reason,
        Inspection.started_at, Inspection.completed_at, RmaLine.category, RmaLine.reason,
    ).select_from(Inspection).join(Unit, Unit.id == Inspection.unit_id), scope).where(
        Inspection.completed_at >= scope.start, Inspection.completed_at < scope.end)
    latest: dict[uuid.UUID, _Inspected] = {}
    for row in _rows(session, query).all():
        item = _Inspected(*row)  # the columns in the order of the fields
        known = latest.get(item.unit_id)
        if known is None or known.completed_at < item.completed_at:
            latest[item.unit_id] = item
    return sorted(latest.values(), key=lambda i: (i.completed_at, i.lpn))


@dataclass(frozen=True, slots=True)
class _Decided:
    unit_id: uuid.UUID
    lpn: str
    station: str
    disposition: str
    destination: str
    decided_at: datetime
    decided_by: uuid.UUID
    override_reason: str | None
    proposed: str | None
    recovery_minor: int
    currency: str
    received_at: datetime | None


def _decided_in_period(query: _Q, scope: _Scope) -> _Q:
    """`query` over DispositionDecision: effective decisions of the period, scope-filtered."""
    return _units(query.select_from(DispositionDecision).join(
        Unit, Unit.id == DispositionDecision.unit_id), scope).where(
        DispositionDecision.decided_at >= scope.start,
        DispositionDecision.decided_at < scope.end,
        _not_superseded(DispositionDecision, scope))


def _decisions_query(scope: _Scope) -> AnySelect:
    # Parsing a decision's JSON is most of this query's cost: the override's fields are
    # read only where the text has an "override" key at all (a few % of decisions).
    overridden = cast(DispositionDecision.explanation, Text).like('%"override"%')
    recovery = func.coalesce(
        case((overridden, DispositionDecision.explanation[
            ("override", "estimate_minor")].as_integer())),
        DispositionDecision.explanation["expected_recovery_minor"].as_integer(), 0)
    currency = func.coalesce(
        RmaLine.currency, DispositionDecision.explanation[("case", "currency")].as_string())
    return _decided_in_period(select(
        DispositionDecision.unit_id, Unit.lpn, Unit.station_code,
        DispositionDecision.disposition, DispositionDecision.destination,
        DispositionDecision.decided_at, DispositionDecision.decided_by,
        DispositionDecision.override_reason,
        case((overridden, DispositionDecision.explanation[("override", "proposed")]
              .as_string())).label("proposed"),
        recovery.label("recovery_minor"), currency.label("currency"), Receipt.received_at,
    ), scope).outerjoin(Receipt, Receipt.id == Unit.receipt_id)


def _decisions(session: Session, scope: _Scope) -> list[_Decided]:
    """Each unit's effective disposition decision made in the period."""
    latest: dict[uuid.UUID, _Decided] = {}
    for (unit_id, lpn, station, disposition, destination, decided_at, decided_by,
         override_reason, proposed, recovery, currency, received_at) in _rows(
            session, _decisions_query(scope)).all():
        known = latest.get(unit_id)
        if known is None or known.decided_at < decided_at:
            latest[unit_id] = _Decided(unit_id, lpn, station, disposition, destination,
                                       decided_at, decided_by, override_reason, proposed,
                                       int(recovery or 0), str(currency or ""), received_at)
    return list(latest.values())


@dataclass(frozen=True, slots=True)
class _Refund:
    unit_id: uuid.UUID
    action: str
    amount_minor: int
    currency: str
    created_at: datetime


def _effective(rows: Iterable[Any]) -> dict[uuid.UUID, _Refund]:
    """The latest of each unit's refund triggers among `rows` (of `_trigger_columns()`)."""
    latest: dict[uuid.UUID, _Refund] = {}
    for unit_id, action, amount_minor, currency, created_at in rows:
        known = latest.get(unit_id)
        if known is None or known.created_at < created_at:
            latest[unit_id] = _Refund(unit_id, action, int(amount_minor), currency,
                                      created_at)
    return latest


def _trigger_columns() -> AnySelect:
    return select(RefundTrigger.unit_id, RefundTrigger.action, RefundTrigger.amount_minor,
                  RefundTrigger.currency, RefundTrigger.created_at).select_from(
        RefundTrigger).join(Unit, Unit.id == RefundTrigger.unit_id)


def _refunds_in_period(scope: _Scope) -> list[ColumnElement[bool]]:
    return [RefundTrigger.created_at >= scope.start, RefundTrigger.created_at < scope.end,
            _not_lost(RefundTrigger.id)]


def _effective_refunds(session: Session, scope: _Scope) -> dict[uuid.UUID, _Refund]:
    """Each unit's effective refund trigger created in the period, scope-filtered."""
    return _effective(_rows(session, _units(_trigger_columns(), scope).where(
        *_refunds_in_period(scope), _not_superseded(RefundTrigger, scope))).all())


def _refunds(session: Session, scope: _Scope) -> dict[str, Any]:
    """Effective refund triggers created in the period, by action and currency."""
    in_period = _refunds_in_period(scope)
    effective = _effective_refunds(session, scope)
    by_action: dict[str, dict[str, Any]] = {
        action.value: {"units": 0, "amount_minor": {}} for action in RefundAction}
    money: Counter[str] = Counter()
    for refund in effective.values():
        bucket = by_action.setdefault(refund.action, {"units": 0, "amount_minor": {}})
        bucket["units"] += 1
        amounts: dict[str, int] = bucket["amount_minor"]
        amounts[refund.currency] = amounts.get(refund.currency, 0) + refund.amount_minor
        if refund.action in MONEY_ACTIONS:
            money[refund.currency] += refund.amount_minor
    for bucket in by_action.values():
        bucket["amount_minor"] = dict(sorted(bucket["amount_minor"].items()))
    resolutions = _rows(session, _units(
        select(RefundTrigger.action, func.count(RefundTrigger.id)).select_from(RefundTrigger)
        .join(Unit, Unit.id == RefundTrigger.unit_id), scope).where(
        *in_period, RefundTrigger.supersedes_id.is_not(None))
        .group_by(RefundTrigger.action)).all()
    denied = sum(int(n) for action, n in resolutions if action == RefundAction.DENY.value)
    approved = sum(int(n) for _action, n in resolutions) - denied
    return {"units": len(effective), "by_action": by_action,
            "money_refunded_minor": dict(sorted(money.items())),
            "held_resolutions": {"approved": approved, "denied": denied}}


def _refunds_of_decided(session: Session, scope: _Scope) -> dict[uuid.UUID, _Refund]:
    """The effective refund trigger of each unit dispositioned in the period, whenever made."""
    unit_ids = _decided_in_period(select(DispositionDecision.unit_id), scope)
    return _effective(_rows(session, _trigger_columns().where(
        RefundTrigger.unit_id.in_(unit_ids), _not_superseded(RefundTrigger, scope),
        _not_lost(RefundTrigger.id))).all())


def _recovery(session: Session, scope: _Scope, decided: Sequence[_Decided]
              ) -> dict[str, Any]:
    """Expected recovery of the period's dispositioned units against what they refunded.

    On PostgreSQL the refunds are looked up for the `decided` units themselves (one array
    parameter) instead of finding the period's decisions a second time; the units are the
    same, so are the refunds."""
    if decided and session.connection().dialect.name == "postgresql":
        units = bindparam("decided_units", [unit.unit_id for unit in decided],
                          type_=ARRAY(Uuid))
        refunds = _effective(_rows(session, _trigger_columns().where(
            RefundTrigger.unit_id == any_(units), _not_superseded(RefundTrigger, scope),
            _not_lost(RefundTrigger.id))).all())
    else:
        refunds = _refunds_of_decided(session, scope)
    return _recovery_of(decided, refunds)


def _recovery_of(decided: Iterable[_Decided], refunds: dict[uuid.UUID, _Refund]
                 ) -> dict[str, Any]:
    """Recovery per currency of `decided` units, given each unit's effective refund."""
    by_currency: dict[str, dict[str, Any]] = {}
    for unit in decided:
        entry = by_currency.setdefault(unit.currency, {
            "units": 0, "expected_recovery_minor": 0, "refunded_minor": 0})
        entry["units"] += 1
        entry["expected_recovery_minor"] += unit.recovery_minor
        refund = refunds.get(unit.unit_id)
        if refund is not None and refund.action in MONEY_ACTIONS:
            entry["refunded_minor"] += refund.amount_minor
    for entry in by_currency.values():
        entry["recovery_rate"] = _ratio(entry["expected_recovery_minor"],
                                        entry["refunded_minor"])
    return {"by_currency": dict(sorted(by_currency.items()))}


def _productivity(inspected: Sequence[_Inspected], scope: _Scope,
                  names: dict[uuid.UUID, tuple[str, str]]) -> dict[str, Any]:
    """Units per grader-hour: a grader's hours on a local day run from the start of the
    first inspection they completed that day (not before the day began) to their last
    completion that day."""
    spans: dict[tuple[uuid.UUID, date], list[datetime]] = {}
    units: Counter[uuid.UUID] = Counter()
    # The local days of the period and when each began (UTC): a completion's local day is
    # found among them by bisection rather than by converting each one to local time.
    first_day = scope.start.astimezone(scope.tz).date()
    days = [first_day + timedelta(days=n) for n in range(
        (scope.end.astimezone(scope.tz).date() - first_day).days + 1)]
    starts = [datetime.combine(day, time(0), tzinfo=scope.tz).astimezone(UTC) for day in days]
    for item in inspected:
        at = bisect_right(starts, item.completed_at) - 1
        if 0 <= at < len(days) - 1:
            day, day_start = days[at], starts[at]
        else:  # outside the period's days (not from `_inspections`): convert
            day = item.completed_at.astimezone(scope.tz).date()
            day_start = datetime.combine(day, time(0), tzinfo=scope.tz)
        begun = max(item.started_at, day_start)
        span = spans.setdefault((item.grader_id, day), [begun, item.completed_at])
        span[0], span[1] = min(span[0], begun), max(span[1], item.completed_at)
        units[item.grader_id] += 1
    hours: dict[uuid.UUID, float] = defaultdict(float)
    for (grader_id, _day), (first, last) in spans.items():
        hours[grader_id] += max(0.0, (last - first).total_seconds()) / 3600
    graders: list[dict[str, Any]] = []
    for grader_id in units:
        username, display = names.get(grader_id, (None, None))
        graders.append({
            "grader_id": str(grader_id), "username": username, "display_name": display,
            "units": units[grader_id], "hours": round(hours[grader_id], 4),
            "units_per_hour": _ratio(units[grader_id], hours[grader_id])})
    graders.sort(key=lambda g: (-g["units"], g["username"] or "", g["grader_id"]))
    total_hours = sum(hours.values())
    return {"units": len(inspected), "grader_hours": round(total_hours, 4),
            "units_per_grader_hour": _ratio(len(inspected), total_hours),
            "by_grader": graders}


def _resolutions() -> Any:
    table = Base.metadata.tables.get(RESOLUTIONS_TABLE)
    if table is None or not {"exception_id", "resolved_at"} <= set(table.c.keys()):
        return None
    return table


def _exception_conditions(scope: _Scope) -> list[ColumnElement[bool]]:
    """The scope's filters on exceptions: opened at the station, opened by the grader, of a
    unit (or, without a unit, a parcel's RMA) of the category."""
    conditions: list[ColumnElement[bool]] = []
    if scope.station is not None:
        conditions.append(ExceptionCase.station_code == scope.station)
    if scope.grader_ids is not None:
        conditions.append(ExceptionCase.opened_by.in_(scope.grader_ids))
    if scope.category is not None:
        of_unit = exists().where(Unit.id == ExceptionCase.unit_id,
                                 RmaLine.id == Unit.rma_line_id,
                                 RmaLine.category == scope.category)
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
    resolutions = _resolutions()

    def open_at_as_of(exception: Any) -> list[ColumnElement[bool]]:
        """Conditions on `exception` (ExceptionCase or an alias): open at `as_of`."""
        still = [exception.opened_at < scope.as_of]
        if resolutions is not None:
            still.append(~exists().where(resolutions.c.exception_id == exception.id,
                                         resolutions.c.resolved_at < scope.as_of))
        return still

    closed: int | None = None
    if resolutions is not None:
        closed = int(_rows(
            session, select(func.count(func.distinct(resolutions.c.exception_id)))
            .select_from(resolutions).join(ExceptionCase,
                                           ExceptionCase.id == resolutions.c.exception_id)
            .where(*conditions, resolutions.c.resolved_at >= scope.start,
                   resolutions.c.resolved_at < scope.end)).scalar() or 0)
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
            "resolutions_tracked": resolutions is not None,
            "open": sum(open_now.values()), "open_by_kind": open_now}


def _username(names: dict[uuid.UUID, tuple[str, str]], user_id: uuid.UUID) -> str:
    """The user's username, or their id where no database at hand knows them."""
    return names[user_id][0] if user_id in names else str(user_id)


def _overrides(inspected: Sequence[_Inspected], decided: Sequence[_Decided], scope: _Scope,
               names: dict[uuid.UUID, tuple[str, str]]) -> dict[str, Any]:
    items: list[dict[str, Any]] = []
    for inspection in inspected:
        if inspection.override_reason:
            items.append({
                "kind": "grade", "lpn": inspection.lpn, "station": inspection.station,
                "at": inspection.completed_at,
                "by": _username(names, inspection.grader_id),
                "proposed": inspection.proposed_grade, "chosen": inspection.grade,
                "reason": inspection.override_reason})
    for decision in decided:
        if decision.override_reason:
            items.append({
                "kind": "disposition", "lpn": decision.lpn, "station": decision.station,
                "at": decision.decided_at,
                "by": _username(names, decision.decided_by),
                "proposed": decision.proposed, "chosen": decision.disposition,
                "reason": decision.override_reason})
    items.sort(key=lambda item: (item["at"], item["lpn"], item["kind"]))
    reasons = Counter((item["kind"], item["reason"]) for item in items)
    return {
        "grade": sum(1 for item in items if item["kind"] == "grade"),
        "disposition": sum(1 for item in items if item["kind"] == "disposition"),
        "by_reason": [{"kind": kind, "reason": reason, "count": count} for (kind, reason), count
                      in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))],
        "items": [{**item, "at": scope.local(item["at"])} for item in items],
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


def _by_hour(decided: Iterable[_Decided], tz: tzinfo) -> list[dict[str, Any]]:
    """Effective dispositions by the local hour of the day they were decided (0-23)."""
    counts: dict[int, Counter[str]] = {hour: Counter() for hour in range(24)}
    for item in decided:
        counts[item.decided_at.astimezone(tz).hour][item.disposition] += 1
    return [{"hour": hour, "units": sum(counter.values()),
             "by_disposition": {d.value: counter.get(d.value, 0) for d in Disposition}}
            for hour, counter in counts.items()]


def daily_summary(sessions: sessionmaker[Session], *, start: date, end: date | None = None,
                  station: str | None = None, grader: str | None = None,
                  category: str | None = None, tz: tzinfo, now: datetime,
                  scope_label: str, users: sessionmaker[Session] | None = None
                  ) -> dict[str, Any]:
    """The summary of the local days `start`..`end` (inclusive) in `tz`, from the facts
    `sessions` reads; `users` (the station's local database) names graders the central
    database does not know. `grader` is a username; `category` a category identifier."""
    end = end or start
    directories = [sessions] if users is None else [sessions, users]
    scope = _open_scope(directories, start=start, end=end, station=station, grader=grader,
                        category=category, tz=tz, now=now)
    first, after = scope.start, scope.end
    with _gc_paused(), sessions() as session:
        received, dwell = _received(session, scope)
        inspected = _inspections(session, scope)
        decided = _decisions(session, scope)
        refunds = _refunds(session, scope)
        recovery = _recovery(session, scope, decided)
        exceptions = _exceptions(session, scope)
    names = _user_names(directories, {i.grader_id for i in inspected}
                        | {d.decided_by for d in decided})
    grades = Counter(item.grade for item in inspected)
    reasons = Counter(item.reason or "unknown" for item in inspected)
    categories = Counter(item.category or "unknown" for item in inspected)
    dispositions = Counter(item.disposition for item in decided)
    destinations = Counter(item.destination for item in decided)
    handling = [max(0.0, (d.decided_at - d.received_at).total_seconds())
                for d in decided if d.received_at is not None]
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
        "inspected": {"units": len(inspected), "by_category": dict(sorted(categories.items()))},
        "dispositions": {
            "units": len(decided),
            "by_disposition": {d.value: dispositions.get(d.value, 0) for d in Disposition}
            | {k: v for k, v in sorted(dispositions.items())
               if k not in {d.value for d in Disposition}},
            "by_destination": dict(sorted(destinations.items())),
            "by_hour": _by_hour(decided, tz),
        },
        "grades": {g.value: grades.get(g.value, 0) for g in Grade},
        "reasons": [{"reason": reason, "units": n} for reason, n in
                    sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))],
        "refunds": refunds,
        "recovery": recovery,
        "handling_time": {"units": len(handling), **_durations(handling)},
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
