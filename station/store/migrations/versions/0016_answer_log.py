"""inspections keep who gave each answer, when and how (a key, the fast path, a scan)

* inspections get answer_log: a JSON list, one entry per answer in order:
  {"question", "value", "at", "by", "via"}. Inspections recorded before have an empty log
  (their answers are in `answers`, their grader and time in grader_id and completed_at).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inspections") as batch:
        batch.add_column(sa.Column("answer_log", sa.JSON(), nullable=False,
                                   server_default=sa.text("'[]'")))


def downgrade() -> None:
    with op.batch_alter_table("inspections") as batch:
        batch.drop_column("answer_log")
