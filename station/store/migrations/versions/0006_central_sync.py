"""central sync: one settling refund per unit slot of a line, one receipt per RMA, conflicts
kept with their losing fact, stations' sync state, refund acknowledgements, parked outbox
entries

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("refund_triggers") as batch:
        batch.add_column(sa.Column("settle_key", sa.String(length=80), nullable=True))
    op.create_index("uq_refund_triggers_settle_key", "refund_triggers", ["settle_key"],
                    unique=True,
                    postgresql_where=sa.text("settling AND settle_key IS NOT NULL"),
                    sqlite_where=sa.text("settling AND settle_key IS NOT NULL"))
    op.create_index("uq_receipts_rma_id", "receipts", ["rma_id"], unique=True,
                    postgresql_where=sa.text("rma_id IS NOT NULL"),
                    sqlite_where=sa.text("rma_id IS NOT NULL"))
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("parked_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("error", sa.Text(), nullable=True))
    op.create_table(
        "sync_conflicts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("station_code", sa.String(length=32), nullable=False),
        sa.Column("winner_id", sa.Uuid(), nullable=True),
        sa.Column("winner_station", sa.String(length=32), nullable=False),
        sa.Column("winner_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("subject", sa.String(length=100), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("change_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_conflicts")),
    )
    op.create_index(op.f("ix_sync_conflicts_station_code"), "sync_conflicts",
                    ["station_code"], unique=False)
    op.create_index(op.f("ix_sync_conflicts_change_seq"), "sync_conflicts", ["change_seq"],
                    unique=False)
    op.create_table(
        "station_sync",
        sa.Column("station_code", sa.String(length=32), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_push_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("schema_revision", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("station_code", name=op.f("pk_station_sync")),
    )
    op.create_table(
        "refund_acks",
        sa.Column("trigger_id", sa.Uuid(), nullable=False),
        sa.Column("acked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("consumer", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("trigger_id", name=op.f("pk_refund_acks")),
    )


def downgrade() -> None:
    op.drop_table("refund_acks")
    op.drop_table("station_sync")
    op.drop_index(op.f("ix_sync_conflicts_change_seq"), table_name="sync_conflicts")
    op.drop_index(op.f("ix_sync_conflicts_station_code"), table_name="sync_conflicts")
    op.drop_table("sync_conflicts")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("error")
        batch.drop_column("parked_at")
    op.drop_index("uq_receipts_rma_id", table_name="receipts")
    op.drop_index("uq_refund_triggers_settle_key", table_name="refund_triggers")
    with op.batch_alter_table("refund_triggers") as batch:
        batch.drop_column("settle_key")
