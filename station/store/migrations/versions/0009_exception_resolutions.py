"""exceptions are closed by a resolution fact (at most one per exception)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exception_resolutions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("exception_id", sa.Uuid(), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("resolved_by", sa.Uuid(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("station_code", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exception_resolutions")),
        sa.UniqueConstraint("exception_id", name=op.f("uq_exception_resolutions_exception_id")),
    )
    op.create_index(op.f("ix_exception_resolutions_resolved_at"), "exception_resolutions",
                    ["resolved_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_exception_resolutions_resolved_at"),
                  table_name="exception_resolutions")
    op.drop_table("exception_resolutions")
