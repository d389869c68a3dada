"""print attempts: one append-only fact per try at printing a job

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "print_attempts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.String(length=200), nullable=False),
        sa.Column("bytes_sent", sa.Integer(), nullable=False),
        sa.Column("ms", sa.Float(), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("station_code", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["print_jobs.id"], name=op.f("fk_print_attempts_job_id_print_jobs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_print_attempts")),
    )
    with op.batch_alter_table("print_attempts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_print_attempts_job_id"), ["job_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("print_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_print_attempts_job_id"))
    op.drop_table("print_attempts")
