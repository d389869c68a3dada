"""Keeping `unit_summaries` (one row per unit, what the daily summary counts) current.

A unit's row is derived again from its facts whenever one of them arrives: sessions made by
`station.store.database.session_factory` do it as they commit, for the units whose flushes added
a unit, an inspection, a decision, a refund trigger, a sync conflict or a receipt, or
changed an RMA line; the central push, which inserts facts without the ORM, calls
`refresh` itself. The row is the
same whichever order the facts come in, so a late or repeated delivery cannot skew it.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable, Sequence
from itertools import chain
from typing import Any, Final

from sqlalchemy import (
    Connection,
    Select,
    Text,
    and_,
    bindparam,
    case,
    cast,
    delete,
    event,
    exists,
    func,
    insert,
    inspect,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased, sessionmaker
from sqlalchemy.sql.selectable import Subquery

from station.store.models import (
    DispositionDecision,
    Inspection,
    OutboxEntry,
    Receipt,
    RefundTrigger,
    RmaLine,
    SyncConflict,
    Unit,
    UnitSummary,
)

#: Any SELECT, whatever its columns.
AnySelect = Select[*tuple[Any, ...]]
_CHUNK: Final = 500
#: Facts of a unit whose arrival changes its row (besides the unit itself, its receipt, a
#: changed RMA line and a lost sync conflict).
_UNIT_FACTS: Final = (Inspection, DispositionDecision, RefundTrigger)
_UNIT_FACT_TABLES: Final = frozenset(model.__tablename__ for model in _UNIT_FACTS)
_UNIT_IDS: Final = "unit_ids"
#: What the daily summary counts as a unit's recovery and currency when the decision says
#: nothing: no recovery expected, and the currency of the RMA line. A decided unit's
#: category, reason and currency are the line's as its effective decision saw them (its
#: `line_*` snapshot), so a later import that rewrites the line cannot rewrite a report.
_NO_RECOVERY: Final = 0


def _ranked(query: AnySelect, partition: Any, *order: Any) -> Subquery:
    """`query` with a `rank` column (1 = first by `order` within `partition`)."""
    return query.add_columns(func.row_number().over(
        partition_by=partition, order_by=order).label("rank")).subquery()


def _only(query: AnySelect, column: Any, some: bool) -> AnySelect:
    return query.where(column.in_(bindparam(_UNIT_IDS, expanding=True))) if some else query


def summary_rows(some: bool, *, snapshot: bool = True) -> AnySelect:
    """The `unit_summaries` rows derived from the facts, in the table's column order: of the
    units in the expanding parameter `unit_ids` if `some`, else of every unit. `snapshot`
    False: for a schema older than the decisions' line snapshot (migration 0015), whose
    rows count by the RMA line as it is."""
    snapshot_columns = ((DispositionDecision.line_category, DispositionDecision.line_reason,
                         DispositionDecision.line_currency) if snapshot else ())
    inspection = _ranked(_only(select(
        Inspection.unit_id, Inspection.completed_at, Inspection.started_at,
        Inspection.grader_id, Inspection.grade, Inspection.proposed_grade,
        Inspection.override_reason), Inspection.unit_id, some),
        Inspection.unit_id, Inspection.completed_at.desc(), Inspection.id.desc())

    # Reading a decision's JSON is its costly part: the override's fields are read only
    # where the text has an "override" key at all (a few % of decisions).
    explanation = DispositionDecision.explanation
    overridden = cast(explanation, Text).like('%"override"%')
    later_decision = aliased(DispositionDecision)
    decision = _ranked(_only(select(
        DispositionDecision.unit_id, DispositionDecision.decided_at,
        DispositionDecision.disposition, DispositionDecision.destination,
        DispositionDecision.decided_by, DispositionDecision.override_reason,
        case((overridden, explanation[("override", "proposed")].as_string())).label(
            "proposed"),
        func.coalesce(case((overridden, explanation[("override", "estimate_minor")]
                            .as_integer())),
                      explanation["expected_recovery_minor"].as_integer(),
                      _NO_RECOVERY).label("recovery_minor"),
        explanation[("case", "currency")].as_string().label("case_currency"),
        *snapshot_columns,
    ).where(~exists().where(later_decision.supersedes_id == DispositionDecision.id)),
        DispositionDecision.unit_id, some),
        DispositionDecision.unit_id, DispositionDecision.decided_at.desc(),
        DispositionDecision.id.desc())
    first_decision = _only(select(
        DispositionDecision.unit_id, func.min(DispositionDecision.decided_at).label("at")),
        DispositionDecision.unit_id, some).group_by(
        DispositionDecision.unit_id).subquery()

    later_trigger = aliased(RefundTrigger)
    refund = _ranked(_only(select(
        RefundTrigger.unit_id, RefundTrigger.created_at, RefundTrigger.action,
        RefundTrigger.amount_minor, RefundTrigger.currency, RefundTrigger.supersedes_id,
    ).where(~exists().where(later_trigger.supersedes_id == RefundTrigger.id),
            ~exists().where(SyncConflict.id == RefundTrigger.id)),
        RefundTrigger.unit_id, some),
        RefundTrigger.unit_id, RefundTrigger.created_at.desc(), RefundTrigger.id.desc())

    return _only(select(
        Unit.id, Unit.lpn, Unit.station_code, Unit.receipt_id, Unit.created_at,
        func.coalesce(decision.c.line_category, RmaLine.category) if snapshot
        else RmaLine.category,
        func.coalesce(decision.c.line_reason, RmaLine.reason) if snapshot
        else RmaLine.reason, Receipt.received_at,
        inspection.c.completed_at, inspection.c.started_at, inspection.c.grader_id,
        inspection.c.grade, inspection.c.proposed_grade, inspection.c.override_reason,
        first_decision.c.at, decision.c.decided_at, decision.c.disposition,
        decision.c.destination, decision.c.decided_by, decision.c.override_reason,
        decision.c.proposed, decision.c.recovery_minor,
        func.coalesce(decision.c.line_currency, RmaLine.currency, decision.c.case_currency)
        if snapshot else func.coalesce(RmaLine.currency, decision.c.case_currency),
        refund.c.created_at, refund.c.action, refund.c.amount_minor, refund.c.currency,
        refund.c.supersedes_id.is_not(None),
    ).select_from(Unit)
        .outerjoin(RmaLine, RmaLine.id == Unit.rma_line_id)
        .outerjoin(Receipt, Receipt.id == Unit.receipt_id)
        .outerjoin(inspection, and_(inspection.c.unit_id == Unit.id, inspection.c.rank == 1))
        .outerjoin(first_decision, first_decision.c.unit_id == Unit.id)
        .outerjoin(decision, and_(decision.c.unit_id == Unit.id, decision.c.rank == 1))
        .outerjoin(refund, and_(refund.c.unit_id == Unit.id, refund.c.rank == 1)),
        Unit.id, some)


_COLUMNS: Final = [column.key for column in UnitSummary.__table__.columns]


@functools.cache
def _refresh_statement(dialect: str) -> Any:
    """INSERT the derived rows of `unit_ids` … ON CONFLICT (unit_id) DO UPDATE every column:
    built once per database engine (building it costs more than running it)."""
    module = {"postgresql": postgresql, "sqlite": sqlite}.get(dialect)
    if module is None:  # pragma: no cover - the two engines we support
        raise RuntimeError(f"unit summaries do not support the {dialect} database engine")
    statement = module.insert(UnitSummary).from_select(_COLUMNS, summary_rows(True))
    return statement.on_conflict_do_update(
        index_elements=[UnitSummary.unit_id],
        set_={key: statement.excluded[key] for key in _COLUMNS[1:]})


_LOCK: Final = select(UnitSummary.unit_id).where(
    UnitSummary.unit_id.in_(bindparam(_UNIT_IDS, expanding=True))).with_for_update()


def refresh(connection: Connection, unit_ids: Iterable[uuid.UUID]) -> None:
    """Derive the rows of `unit_ids` again from their facts, in the caller's transaction.

    The units' rows are locked first (on PostgreSQL): a concurrent push of facts of the
    same unit then waits for the other to commit and derives its row afresh with both
    pushes' facts, instead of writing a row derived before the other's facts were there."""
    ids = sorted(set(unit_ids))
    statement = _refresh_statement(connection.dialect.name)
    for chunk in (ids[i:i + _CHUNK] for i in range(0, len(ids), _CHUNK)):
        connection.execute(_LOCK, {_UNIT_IDS: chunk})
        connection.execute(statement, {_UNIT_IDS: chunk})


def rebuild(connection: Connection) -> int:
    """Derive every unit's row again (after a migration, or facts loaded in bulk); returns
    the number of rows. Migrations call it too, on the schema of their revision: before
    the decisions' line snapshot (0015) the rows count by the line as it is."""
    connection.execute(delete(UnitSummary))
    if connection.execute(select(Unit.id).limit(1)).first() is None:
        return 0
    snapshot = "line_category" in {column["name"] for column in inspect(connection)
                                   .get_columns(DispositionDecision.__tablename__)}
    connection.execute(insert(UnitSummary).from_select(
        _COLUMNS, summary_rows(False, snapshot=snapshot)))
    return int(connection.execute(select(func.count()).select_from(UnitSummary)).scalar_one())


def _units_of(session: Session, column: Any, keys: set[uuid.UUID], unit: Any = Unit.id
              ) -> set[uuid.UUID]:
    """The units (`unit`) of the rows whose `column` is one of `keys`."""
    found: set[uuid.UUID] = set()
    ordered = sorted(keys)
    for chunk in (ordered[i:i + _CHUNK] for i in range(0, len(ordered), _CHUNK)):
        found.update(session.connection().scalars(select(unit).where(column.in_(chunk))))
    return found


def _touched(session: Session) -> set[uuid.UUID]:
    """The units whose row the objects this flush writes may change."""
    units: set[uuid.UUID] = set()
    receipts: set[uuid.UUID] = set()
    lines: set[uuid.UUID] = set()
    lost: set[uuid.UUID] = set()
    for item in chain(session.new, session.dirty):
        if isinstance(item, Unit):
            units.add(item.id)
        elif isinstance(item, _UNIT_FACTS):
            units.add(item.unit_id)
        elif isinstance(item, SyncConflict):  # a fact of ours that lost: by its id
            lost.add(item.id)
        elif isinstance(item, Receipt):
            receipts.add(item.id)
        elif isinstance(item, RmaLine) and item.id is not None:
            lines.add(item.id)
    if receipts:
        units |= _units_of(session, Unit.receipt_id, receipts)
    if lines:
        units |= _units_of(session, Unit.rma_line_id, lines)
    if lost:
        units |= _units_of(session, RefundTrigger.id, lost, RefundTrigger.unit_id)
    return units


def units_of_entries(session: Session, entries: Sequence[OutboxEntry]) -> set[uuid.UUID]:
    """The units whose rows the outbox entries' facts may change (a receipt: its units
    already here, should they have come first): what the central push derives again."""
    units: set[uuid.UUID] = set()
    receipts: set[uuid.UUID] = set()
    for entry in entries:
        if entry.entity == Unit.__tablename__:
            units.add(uuid.UUID(str(entry.entity_id)))
        elif entry.entity in _UNIT_FACT_TABLES and entry.payload.get("unit_id"):
            units.add(uuid.UUID(str(entry.payload["unit_id"])))
        elif entry.entity == Receipt.__tablename__:
            receipts.add(uuid.UUID(str(entry.entity_id)))
    return units | _units_of(session, Unit.receipt_id, receipts)


_TOUCHED: Final = "unit_summaries.touched"


def _after_flush(session: Session, _context: Any) -> None:
    session.info.setdefault(_TOUCHED, set()).update(_touched(session))


def _before_commit(session: Session) -> None:
    session.flush()
    units = session.info.pop(_TOUCHED, None)
    if units:
        refresh(session.connection(), units)


def _after_rollback(session: Session) -> None:
    session.info.pop(_TOUCHED, None)


def keep_current(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """Make every session of `sessions` derive again, just before it commits, the rows of
    the units its flushes touched (once per transaction, however many flushes it made)."""
    event.listen(sessions, "after_flush", _after_flush)
    event.listen(sessions, "before_commit", _before_commit)
    event.listen(sessions, "after_rollback", _after_rollback)
    return sessions
