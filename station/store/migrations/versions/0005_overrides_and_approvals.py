"""disposition overrides keep their reason; refund triggers keep a supervisor's note

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dispositions") as batch:
        batch.add_column(sa.Column("override_reason", sa.Text(), nullable=True))
    with op.batch_alter_table("refund_triggers") as batch:
        batch.add_column(sa.Column("note", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("refund_triggers") as batch:
        batch.drop_column("note")
    with op.batch_alter_table("dispositions") as batch:
        batch.drop_column("override_reason")
