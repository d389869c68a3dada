"""initial schema

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-24 00:26:44.270891
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("station_code", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("actor_name", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=100), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
        sa.UniqueConstraint("station_code", "seq", name=op.f("uq_audit_events_station_code")),
    )
    op.create_table(
        "counters",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_counters")),
    )
    op.create_table(
        "dispositions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("disposition", sa.String(length=16), nullable=False),
        sa.Column("destination", sa.String(length=32), nullable=False),
        sa.Column("rule_id", sa.String(length=64), nullable=False),
        sa.Column("rules_version", sa.String(length=64), nullable=False),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.Column("decided_by", sa.Uuid(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("supersedes_id", sa.Uuid(), nullable=True),
        sa.Column("station_code", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispositions")),
    )
    with op.batch_alter_table("dispositions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dispositions_decided_at"), ["decided_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_dispositions_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "exceptions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("receipt_id", sa.Uuid(), nullable=True),
        sa.Column("unit_id", sa.Uuid(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("opened_by", sa.Uuid(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("station_code", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exceptions")),
    )
    with op.batch_alter_table("exceptions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_exceptions_kind"), ["kind"], unique=False)

    op.create_table(
        "inspections",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("grader_id", sa.Uuid(), nullable=False),
        sa.Column("grade", sa.String(length=1), nullable=False),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("station_code", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspections")),
    )
    with op.batch_alter_table("inspections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inspections_completed_at"), ["completed_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_inspections_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "outbox",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.Uuid(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_outbox")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_sent_at"), ["sent_at"], unique=False)

    op.create_table(
        "photos",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("inspection_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("taken_by", sa.Uuid(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_photos")),
    )
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_photos_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "print_jobs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=True),
        sa.Column("label_kind", sa.String(length=32), nullable=False),
        sa.Column("printer_uri", sa.String(length=200), nullable=False),
        sa.Column("reprint_of", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("requested_by", sa.Uuid(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("station_code", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_print_jobs")),
    )
    with op.batch_alter_table("print_jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_print_jobs_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "receipts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("station_code", sa.String(length=32), nullable=False),
        sa.Column("scanned_code", sa.String(length=512), nullable=False),
        sa.Column("rma_id", sa.Uuid(), nullable=True),
        sa.Column("carrier_tracking", sa.String(length=64), nullable=True),
        sa.Column("received_by", sa.Uuid(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expected", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receipts")),
    )
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_receipts_rma_id"), ["rma_id"], unique=False)
        batch_op.create_index("ix_receipts_scanned_code", ["scanned_code"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_receipts_station_code"), ["station_code"], unique=False
        )

    op.create_table(
        "refund_triggers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=100), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("rma_line_id", sa.Uuid(), nullable=True),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("settling", sa.Boolean(), nullable=False),
        sa.Column("decided_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("supersedes_id", sa.Uuid(), nullable=True),
        sa.Column("station_code", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refund_triggers")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_refund_triggers_idempotency_key")),
    )
    with op.batch_alter_table("refund_triggers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_refund_triggers_rma_line_id"), ["rma_line_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_refund_triggers_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "rmas",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("rma_number", sa.String(length=64), nullable=False),
        sa.Column("order_number", sa.String(length=64), nullable=False),
        sa.Column("order_date", sa.Date(), nullable=False),
        sa.Column("customer_name", sa.String(length=200), nullable=True),
        sa.Column("requested", sa.String(length=16), nullable=False),
        sa.Column("carrier_tracking", sa.String(length=64), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("change_seq", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rmas")),
        sa.UniqueConstraint("rma_number", name=op.f("uq_rmas_rma_number")),
    )
    with op.batch_alter_table("rmas", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rmas_change_seq"), ["change_seq"], unique=False)

    op.create_table(
        "stations",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("site", sa.String(length=100), nullable=False),
        sa.Column("lpn_prefix", sa.String(length=4), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_stations")),
        sa.UniqueConstraint("lpn_prefix", name=op.f("uq_stations_lpn_prefix")),
    )
    op.create_table(
        "units",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("lpn", sa.String(length=20), nullable=False),
        sa.Column("receipt_id", sa.Uuid(), nullable=False),
        sa.Column("rma_line_id", sa.Uuid(), nullable=True),
        sa.Column("station_code", sa.String(length=32), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_units")),
        sa.UniqueConstraint("lpn", name=op.f("uq_units_lpn")),
    )
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_units_receipt_id"), ["receipt_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_units_rma_line_id"), ["rma_line_id"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("pin_hash", sa.String(length=200), nullable=False),
        sa.Column("badge_code", sa.String(length=80), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_pin_count", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("badge_code", name=op.f("uq_users_badge_code")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "rma_lines",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("rma_id", sa.Uuid(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("gtin", sa.String(length=14), nullable=True),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("expected_serial", sa.String(length=64), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["rma_id"], ["rmas.id"], name=op.f("fk_rma_lines_rma_id_rmas")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rma_lines")),
        sa.UniqueConstraint("rma_id", "line_no", name=op.f("uq_rma_lines_rma_id")),
    )
    with op.batch_alter_table("rma_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rma_lines_rma_id"), ["rma_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("rma_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rma_lines_rma_id"))

    op.drop_table("rma_lines")
    op.drop_table("users")
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_units_rma_line_id"))
        batch_op.drop_index(batch_op.f("ix_units_receipt_id"))

    op.drop_table("units")
    op.drop_table("stations")
    with op.batch_alter_table("rmas", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rmas_change_seq"))

    op.drop_table("rmas")
    with op.batch_alter_table("refund_triggers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_refund_triggers_unit_id"))
        batch_op.drop_index(batch_op.f("ix_refund_triggers_rma_line_id"))

    op.drop_table("refund_triggers")
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_receipts_station_code"))
        batch_op.drop_index("ix_receipts_scanned_code")
        batch_op.drop_index(batch_op.f("ix_receipts_rma_id"))

    op.drop_table("receipts")
    with op.batch_alter_table("print_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_print_jobs_unit_id"))

    op.drop_table("print_jobs")
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_photos_unit_id"))

    op.drop_table("photos")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_sent_at"))

    op.drop_table("outbox")
    with op.batch_alter_table("inspections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inspections_unit_id"))
        batch_op.drop_index(batch_op.f("ix_inspections_completed_at"))

    op.drop_table("inspections")
    with op.batch_alter_table("exceptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exceptions_kind"))

    op.drop_table("exceptions")
    with op.batch_alter_table("dispositions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dispositions_unit_id"))
        batch_op.drop_index(batch_op.f("ix_dispositions_decided_at"))

    op.drop_table("dispositions")
    op.drop_table("counters")
    op.drop_table("audit_events")
