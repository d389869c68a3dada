"""a printed label is voided by a supervisor's fact (at most one void per print job)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "label_voids",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("voided_by", sa.Uuid(), nullable=False),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("station_code", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_label_voids")),
        sa.UniqueConstraint("job_id", name=op.f("uq_label_voids_job_id")),
    )
    op.create_index(op.f("ix_label_voids_unit_id"), "label_voids", ["unit_id"], unique=False)
    op.create_index(op.f("ix_label_voids_voided_at"), "label_voids", ["voided_at"],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_label_voids_voided_at"), table_name="label_voids")
    op.drop_index(op.f("ix_label_voids_unit_id"), table_name="label_voids")
    op.drop_table("label_voids")
