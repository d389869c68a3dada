"""indexes for the daily summary at scale: facts by their own timestamp (receipts,
refund triggers, exceptions) and the few correcting facts by what they supersede (partial:
only rows with a supersedes_id, with their timestamp so the lookup is index-only)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

SUPERSEDING = "supersedes_id IS NOT NULL"


def upgrade() -> None:
    op.create_index(op.f("ix_receipts_received_at"), "receipts", ["received_at"],
                    unique=False)
    op.create_index(op.f("ix_refund_triggers_created_at"), "refund_triggers", ["created_at"],
                    unique=False)
    op.create_index(op.f("ix_exceptions_opened_at"), "exceptions", ["opened_at"], unique=False)
    for table, stamp in (("dispositions", "decided_at"), ("refund_triggers", "created_at")):
        op.create_index(f"ix_{table}_supersedes_id", table, ["supersedes_id", stamp],
                        unique=False, postgresql_where=sa.text(SUPERSEDING),
                        sqlite_where=sa.text(SUPERSEDING))


def downgrade() -> None:
    for table in ("dispositions", "refund_triggers"):
        op.drop_index(f"ix_{table}_supersedes_id", table_name=table)
    op.drop_index(op.f("ix_exceptions_opened_at"), table_name="exceptions")
    op.drop_index(op.f("ix_refund_triggers_created_at"), table_name="refund_triggers")
    op.drop_index(op.f("ix_receipts_received_at"), table_name="receipts")
