"""guided inspection: checklist, proposed grade and override on inspections; photo size
and LPN; drafts of inspections in progress

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inspections") as batch:
        batch.add_column(sa.Column("checklist", sa.String(length=32), nullable=False,
                                   server_default=""))
        batch.add_column(sa.Column("checklist_version", sa.String(length=32), nullable=False,
                                   server_default=""))
        batch.add_column(sa.Column("proposed_grade", sa.String(length=1), nullable=True))
        batch.add_column(sa.Column("override_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("verification", sa.JSON(), nullable=False,
                                   server_default="{}"))
    with op.batch_alter_table("photos") as batch:
        batch.add_column(sa.Column("lpn", sa.String(length=20), nullable=False,
                                   server_default=""))
        batch.add_column(sa.Column("width", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("height", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "inspection_drafts",
        sa.Column("lpn", sa.String(length=20), nullable=False),
        sa.Column("station_code", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("receipt_id", sa.Uuid(), nullable=False),
        sa.Column("rma_line_id", sa.Uuid(), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("lpn", name=op.f("pk_inspection_drafts")),
    )
    with op.batch_alter_table("inspection_drafts") as batch:
        batch.create_index(batch.f("ix_inspection_drafts_user_id"), ["user_id"], unique=False)
        batch.create_index(batch.f("ix_inspection_drafts_rma_line_id"), ["rma_line_id"],
                           unique=False)


def downgrade() -> None:
    op.drop_table("inspection_drafts")
    with op.batch_alter_table("photos") as batch:
        for column in ("height", "width", "lpn"):
            batch.drop_column(column)
    with op.batch_alter_table("inspections") as batch:
        for column in ("verification", "override_reason", "proposed_grade",
                       "checklist_version", "checklist"):
            batch.drop_column(column)
