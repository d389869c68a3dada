"""The one SQLAlchemy 2 schema shared by the station's local database and the central one.

Facts (receipts, units, inspections, photos, dispositions, refund triggers, print jobs,
exceptions, audit events) are append-only: a correction is a new row that supersedes an
older one, never an UPDATE, which is what makes sync idempotent and the audit honest.
Reference data (stations, users, RMAs) and operational state (outbox, counters) are
mutable. Money is integer minor units beside its ISO 4217 currency.

Kept whole: it is one declarative schema on one `Base.metadata`, which both databases and
the migrations (station/store/migrations/env.py) are built from; tables spread over modules
would make that metadata depend on which modules happened to be imported.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from station.common.ids import uuid7

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on both engines (SQLite would otherwise drop the zone silently)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware UTC datetime")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: UtcDateTime(),
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class Station(Base):
    """A bench PC running the app; `code` is the short name printed on labels."""

    __tablename__ = "stations"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    site: Mapped[str] = mapped_column(String(100))
    lpn_prefix: Mapped[str] = mapped_column(String(4), unique=True)
    created_at: Mapped[datetime]
    #: Centrally: an admin enrolled the station (None: it may not push); revoked_at set:
    #: every push is refused. db_role is the PostgreSQL login role only it pushes with.
    enrolled_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    db_role: Mapped[str | None] = mapped_column(String(63), unique=True)


class User(Base):
    """A person who signs in; the PIN is stored only as an argon2id hash."""

    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))
    pin_hash: Mapped[str] = mapped_column(String(200))
    badge_code: Mapped[str | None] = mapped_column(String(80), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_pin_count: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    #: When the user was last disabled: facts they made before it are still accepted.
    deactivated_at: Mapped[datetime | None]


class Rma(Base):
    """An authorised return from the shop/ERP. Versioned: an import that changes it bumps it."""

    __tablename__ = "rmas"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    rma_number: Mapped[str] = mapped_column(String(64), unique=True)
    order_number: Mapped[str] = mapped_column(String(64))
    order_date: Mapped[date] = mapped_column(Date)
    customer_name: Mapped[str | None] = mapped_column(String(200))
    requested: Mapped[str] = mapped_column(String(16))
    carrier_tracking: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)
    change_seq: Mapped[int] = mapped_column(BigInteger, index=True)
    updated_at: Mapped[datetime]

    lines: Mapped[list[RmaLine]] = relationship(
        back_populates="rma", order_by="RmaLine.line_no", cascade="all, delete-orphan"
    )


class RmaLine(Base):
    __tablename__ = "rma_lines"
    __table_args__ = (UniqueConstraint("rma_id", "line_no"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    rma_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("rmas.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    sku: Mapped[str] = mapped_column(String(64))
    gtin: Mapped[str | None] = mapped_column(String(14))
    description: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(32))
    expected_serial: Mapped[str | None] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(String(32))

    rma: Mapped[Rma] = relationship(back_populates="lines")


class Receipt(Base):
    """Fact: a parcel arrived at a station. `rma_id` is None for an unexpected parcel."""

    __tablename__ = "receipts"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    station_code: Mapped[str] = mapped_column(String(32), index=True)
    scanned_code: Mapped[str] = mapped_column(String(512))
    rma_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    carrier_tracking: Mapped[str | None] = mapped_column(String(64))
    received_by: Mapped[uuid.UUID] = mapped_column(Uuid)
    received_at: Mapped[datetime] = mapped_column(index=True)
    expected: Mapped[bool] = mapped_column(Boolean)

    __table_args__ = (
        Index("uq_receipts_rma_id", "rma_id", unique=True,
              postgresql_where=text("rma_id IS NOT NULL"),
              sqlite_where=text("rma_id IS NOT NULL")),
    )


class Unit(Base):
    """Fact: one physical item with the licence-plate number the station assigned."""

    __tablename__ = "units"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    lpn: Mapped[str] = mapped_column(String(20), unique=True)
    receipt_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    rma_line_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    station_code: Mapped[str] = mapped_column(String(32))
    created_by: Mapped[uuid.UUID] = mapped_column(Uuid)
    created_at: Mapped[datetime]


class Inspection(Base):
    """Fact: the grader's answers, flags and grade for a unit."""

    __tablename__ = "inspections"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    unit_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    grader_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    grade: Mapped[str] = mapped_column(String(1))
    flags: Mapped[list[Any]]
    answers: Mapped[dict[str, Any]]
    notes: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[datetime]
    completed_at: Mapped[datetime] = mapped_column(index=True)
    station_code: Mapped[str] = mapped_column(String(32))
    checklist: Mapped[str] = mapped_column(String(32), default="")
    checklist_version: Mapped[str] = mapped_column(String(32), default="")
    proposed_grade: Mapped[str | None] = mapped_column(String(1))
    override_reason: Mapped[str | None] = mapped_column(Text)
    verification: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: Each answer in order with who gave it, when and how ("key", "fast_path", "check").
    answer_log: Mapped[list[Any]] = mapped_column(default=list, server_default=text("'[]'"))


class Photo(Base):
    """Fact: a photo of a unit, stored content-addressed by its SHA-256."""

    __tablename__ = "photos"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    unit_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    inspection_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    kind: Mapped[str] = mapped_column(String(32))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    taken_by: Mapped[uuid.UUID] = mapped_column(Uuid)
    taken_at: Mapped[datetime]
    lpn: Mapped[str] = mapped_column(String(20), default="")
    width: Mapped[int] = mapped_column(Integer, default=0)
    height: Mapped[int] = mapped_column(Integer, default=0)


class InspectionDraft(Base):
    """Operational state: an inspection in progress, saved after every step so that a crash
    or power cut loses nothing. Deleted in the transaction that finalizes the unit."""

    __tablename__ = "inspection_drafts"

    lpn: Mapped[str] = mapped_column(String(20), primary_key=True)
    station_code: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    receipt_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    rma_line_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    state: Mapped[dict[str, Any]]
    started_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class DispositionDecision(Base):
    """Fact: where a unit goes and why (rule id, rule-set version, estimates compared)."""

    __tablename__ = "dispositions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    unit_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    disposition: Mapped[str] = mapped_column(String(16))
    destination: Mapped[str] = mapped_column(String(32))
    rule_id: Mapped[str] = mapped_column(String(64))
    rules_version: Mapped[str] = mapped_column(String(64))
    explanation: Mapped[dict[str, Any]]
    decided_by: Mapped[uuid.UUID] = mapped_column(Uuid)
    decided_at: Mapped[datetime] = mapped_column(index=True)
    supersedes_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    station_code: Mapped[str] = mapped_column(String(32))
    override_reason: Mapped[str | None] = mapped_column(Text)
    #: The RMA line as it was when the decision was made (a later import cannot change
    #: it): reports count the unit by these. None only on decisions from an older station.
    line_category: Mapped[str | None] = mapped_column(String(32))
    line_reason: Mapped[str | None] = mapped_column(String(32))
    line_unit_price_minor: Mapped[int | None] = mapped_column(BigInteger)
    line_currency: Mapped[str | None] = mapped_column(String(3))

    __table_args__ = (
        # Reports ask "is this decision superseded (since …)?" per decision: only the few
        # correcting decisions are in it, with their time, so the answer is index-only.
        Index("ix_dispositions_supersedes_id", "supersedes_id", "decided_at",
              postgresql_where=text("supersedes_id IS NOT NULL"),
              sqlite_where=text("supersedes_id IS NOT NULL")),
    )


class RefundTrigger(Base):
    """Fact: the refund decision the shop/ERP acts on; the idempotency key makes it once-only."""

    __tablename__ = "refund_triggers"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    unit_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    rma_line_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    action: Mapped[str] = mapped_column(String(16))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    settling: Mapped[bool] = mapped_column(Boolean)
    decided_by: Mapped[uuid.UUID] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(index=True)
    supersedes_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    station_code: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    #: "<rma line>:<unit slot>" on settling triggers: the central database keeps at most one
    #: settling trigger per key, so one unit of a line is never refunded twice.
    settle_key: Mapped[str | None] = mapped_column(String(80))

    __table_args__ = (
        Index("uq_refund_triggers_settle_key", "settle_key", unique=True,
              postgresql_where=text("settling AND settle_key IS NOT NULL"),
              sqlite_where=text("settling AND settle_key IS NOT NULL")),
        # The same for refund triggers: only the resolving ones (a held refund approved or
        # denied) are in it.
        Index("ix_refund_triggers_supersedes_id", "supersedes_id", "created_at",
              postgresql_where=text("supersedes_id IS NOT NULL"),
              sqlite_where=text("supersedes_id IS NOT NULL")),
    )


class PrintJob(Base):
    """Fact: a label was asked for; attempts and outcomes are recorded as print events."""

    __tablename__ = "print_jobs"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    unit_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    # The receipt or exception a receiving or exception label is for (None for a unit's).
    subject_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    label_kind: Mapped[str] = mapped_column(String(32))
    printer_uri: Mapped[str] = mapped_column(String(200))
    reprint_of: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    reason: Mapped[str | None] = mapped_column(String(200))
    requested_by: Mapped[uuid.UUID] = mapped_column(Uuid)
    requested_at: Mapped[datetime]
    station_code: Mapped[str] = mapped_column(String(32))


class PrintAttempt(Base):
    """Fact: one try at printing a job and what the printer said (a `JobState` value)."""

    __tablename__ = "print_attempts"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("print_jobs.id"), index=True)
    state: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(String(200))
    bytes_sent: Mapped[int] = mapped_column(Integer)
    ms: Mapped[float] = mapped_column(Float)
    attempted_at: Mapped[datetime]
    station_code: Mapped[str] = mapped_column(String(32))


class ExceptionCase(Base):
    """Fact: something a person must resolve (unexpected parcel, wrong item, conflict ...)."""

    __tablename__ = "exceptions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    receipt_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    unit_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    details: Mapped[dict[str, Any]]
    opened_by: Mapped[uuid.UUID] = mapped_column(Uuid)
    opened_at: Mapped[datetime] = mapped_column(index=True)
    station_code: Mapped[str] = mapped_column(String(32))


class ExceptionResolution(Base):
    """Fact: a supervisor closed an exception with an outcome and a reason. An exception is
    resolved at most once (the unique key), so two stations cannot both close it."""

    __tablename__ = "exception_resolutions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    exception_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    outcome: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    resolved_by: Mapped[uuid.UUID] = mapped_column(Uuid)
    resolved_at: Mapped[datetime] = mapped_column(index=True)
    station_code: Mapped[str] = mapped_column(String(32))


class LabelVoid(Base):
    """Fact: a supervisor voided a print job's label with a reason; the queue never prints
    it again. A job is voided at most once (the unique key), whichever station voids it."""

    __tablename__ = "label_voids"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    job_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    unit_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    reason: Mapped[str] = mapped_column(Text)
    voided_by: Mapped[uuid.UUID] = mapped_column(Uuid)
    voided_at: Mapped[datetime] = mapped_column(index=True)
    station_code: Mapped[str] = mapped_column(String(32))


class UnitSummary(Base):
    """Derived, not a fact: one row per unit with what the daily summary counts about it,
    kept current by station.store.unit_summaries as facts arrive, so a day's figures are sums
    over one indexed table rather than joins over years of facts. Each database derives
    its own rows; they are never synced.

    The latest inspection (by completion), the effective decision and the effective refund
    trigger (the latest one no other supersedes and that lost no sync conflict) are the
    unit's as the facts stand now; `first_decided_at` is its first decision of all."""

    __tablename__ = "unit_summaries"

    unit_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    lpn: Mapped[str] = mapped_column(String(20))
    station_code: Mapped[str] = mapped_column(String(32))
    receipt_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    created_at: Mapped[datetime]
    category: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(String(32))
    received_at: Mapped[datetime | None] = mapped_column(index=True)
    inspected_at: Mapped[datetime | None] = mapped_column(index=True)
    inspection_started_at: Mapped[datetime | None]
    grader_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    grade: Mapped[str | None] = mapped_column(String(1))
    proposed_grade: Mapped[str | None] = mapped_column(String(1))
    grade_override_reason: Mapped[str | None] = mapped_column(Text)
    first_decided_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None] = mapped_column(index=True)
    disposition: Mapped[str | None] = mapped_column(String(16))
    destination: Mapped[str | None] = mapped_column(String(32))
    decided_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    disposition_override_reason: Mapped[str | None] = mapped_column(Text)
    proposed_disposition: Mapped[str | None] = mapped_column(String(16))
    recovery_minor: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3))
    refund_at: Mapped[datetime | None] = mapped_column(index=True)
    refund_action: Mapped[str | None] = mapped_column(String(16))
    refund_amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    refund_currency: Mapped[str | None] = mapped_column(String(3))
    #: The effective refund trigger resolves a held one (a supervisor approved or denied).
    refund_resolves_held: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        # The few overridden units of a day, found without reading the others.
        Index("ix_unit_summaries_grade_overrides", "inspected_at",
              postgresql_where=text("grade_override_reason IS NOT NULL"),
              sqlite_where=text("grade_override_reason IS NOT NULL")),
        Index("ix_unit_summaries_disposition_overrides", "decided_at",
              postgresql_where=text("disposition_override_reason IS NOT NULL"),
              sqlite_where=text("disposition_override_reason IS NOT NULL")),
    )


class AuditEvent(Base):
    """Fact: who did what, when, where; hash-chained per station so edits are detectable."""

    __tablename__ = "audit_events"
    __table_args__ = (UniqueConstraint("station_code", "seq"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    station_code: Mapped[str] = mapped_column(String(32))
    seq: Mapped[int] = mapped_column(BigInteger)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    actor_name: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(100))
    data: Mapped[dict[str, Any]]
    occurred_at: Mapped[datetime]
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    #: HMAC-SHA256 of `hash` under the station's signing key (station.audit.signing);
    #: None only for entries recorded before the station had a key.
    signature: Mapped[str | None] = mapped_column(String(64))


class AuditAnchor(Base):
    """Central, append-only: the head of a station's audit chain as one push batch left it
    (station.audit.anchors). A later rewrite, deletion or truncation of anything up to an
    anchored entry no longer matches its anchor."""

    __tablename__ = "audit_anchors"

    station_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    #: The last outbox entry of the push batch that carried this head.
    outbox_seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    head_hash: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str | None] = mapped_column(String(64))
    anchored_at: Mapped[datetime]


class StationKey(Base):
    """Central: each station's audit signing key, registered once; stations cannot read it."""

    __tablename__ = "station_keys"

    station_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    key_hex: Mapped[str] = mapped_column(String(64))
    registered_at: Mapped[datetime]


class StationAlarm(Base):
    """A station stopped syncing (restored backup, cloned disk, changed key…) until an admin
    resolves it (station.sync.halts). Central, with a copy in the station's own database."""

    __tablename__ = "station_alarms"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    station_code: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    details: Mapped[dict[str, Any]]
    raised_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    resolution: Mapped[str | None] = mapped_column(String(500))


class SyncConflict(Base):
    """Central fact: a station's fact that lost to another station's (a second settling
    refund for one unit of a line, a parcel received twice). The losing fact's payload is
    kept here, never in its own table, and reaches its station on the next pull."""

    __tablename__ = "sync_conflicts"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)  # the losing fact's id
    kind: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(32))
    station_code: Mapped[str] = mapped_column(String(32), index=True)
    winner_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    winner_station: Mapped[str] = mapped_column(String(32))
    winner_at: Mapped[datetime | None]
    subject: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]]
    detected_at: Mapped[datetime]
    change_seq: Mapped[int] = mapped_column(BigInteger, index=True)


class PublishedRuleSet(Base):
    """Reference data: a routing rule set a supervisor published centrally; stations pull
    it and decide with the newest one unless their configuration names a file."""

    __tablename__ = "rule_sets"

    version: Mapped[str] = mapped_column(String(32), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(String(200))
    published_at: Mapped[datetime]
    published_by: Mapped[uuid.UUID] = mapped_column(Uuid)
    change_seq: Mapped[int] = mapped_column(BigInteger, index=True)


class StationSync(Base):
    """Central state: each station that ever synced, its last applied outbox entry."""

    __tablename__ = "station_sync"

    station_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    registered_at: Mapped[datetime]
    last_push_at: Mapped[datetime | None]
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    schema_revision: Mapped[str] = mapped_column(String(32))


class RefundAck(Base):
    """Central state: the shop's side has acted on a settling refund trigger."""

    __tablename__ = "refund_acks"

    trigger_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    acked_at: Mapped[datetime]
    consumer: Mapped[str] = mapped_column(String(64))


class OutboxEntry(Base):
    """A fact waiting to be pushed to the central database; `seq` is the push order."""

    __tablename__ = "outbox"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None] = mapped_column(index=True)
    parked_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)


class RmaImport(Base):
    """Central record of one RMA import (station.receiving.rma_import): committed in the same
    transaction that makes its RMAs count, so RMAs never arrive without the record of who
    imported them. `state` goes staging -> committed -> applied; `applied_through` is the
    last staged row applied (a committed import is finished by whoever finds it so)."""

    __tablename__ = "rma_imports"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    station_code: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    actor_name: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(16))
    rmas: Mapped[int] = mapped_column(Integer, default=0)
    applied_through: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    refused: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime]
    committed_at: Mapped[datetime | None]
    applied_at: Mapped[datetime | None]
    #: When the importing station's own audit chain got its `rmas.imported` event.
    audited_at: Mapped[datetime | None]
    #: The RMAs kept as they were because the import would have changed a line with
    #: inspected units (at most the first 200, each {rma, line, fields, units}).
    refusals: Mapped[list[Any]] = mapped_column(default=list)

    __table_args__ = (Index("ix_rma_imports_station_code_audited_at", "station_code",
                            "audited_at"),)


class RmaImportRow(Base):
    """One staged RMA (its record as JSON) of an import not yet applied; deleted once the
    import is applied, or with an import abandoned before its commit."""

    __tablename__ = "rma_import_rows"

    import_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    rma_number: Mapped[str] = mapped_column(String(64))
    record: Mapped[dict[str, Any]]


class CentralAuditEvent(Base):
    """Central record of what happened at the central database itself, not at a bench:
    enrolments and revocations, people managed centrally, refused pushes, refund
    acknowledgements. Append-only: no role but the owner may change or delete a row;
    `db_user` is the database role that wrote it (forced by the database on PostgreSQL)."""

    __tablename__ = "central_audit"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    occurred_at: Mapped[datetime] = mapped_column(index=True)
    db_user: Mapped[str] = mapped_column(String(63))
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    subject: Mapped[str] = mapped_column(String(100))
    data: Mapped[dict[str, Any]]


class Counter(Base):
    """Station-local sequences (LPN numbers, sync watermarks); never synced."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


Index("ix_receipts_scanned_code", Receipt.scanned_code)
