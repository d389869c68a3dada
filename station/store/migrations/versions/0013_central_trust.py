"""central trust: stations are enrolled (and revocable) with a database role of their own,
people carry when they were disabled, and the central database keeps an append-only record
of what happened there (enrolments, people, refused pushes, refund acknowledgements).
Stations already known centrally stay enrolled, so an upgrade stops no working site.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    stamp = sa.DateTime(timezone=True)
    with op.batch_alter_table("stations") as batch:
        batch.add_column(sa.Column("enrolled_at", stamp, nullable=True))
        batch.add_column(sa.Column("revoked_at", stamp, nullable=True))
        batch.add_column(sa.Column("db_role", sa.String(length=63), nullable=True))
        batch.create_unique_constraint(op.f("uq_stations_db_role"), ["db_role"])
    op.execute(sa.text("UPDATE stations SET enrolled_at = created_at"))
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("deactivated_at", stamp, nullable=True))
    op.create_table(
        "central_audit",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("occurred_at", stamp, nullable=False),
        sa.Column("db_user", sa.String(length=63), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=100), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_central_audit")),
    )
    op.create_index(op.f("ix_central_audit_occurred_at"), "central_audit", ["occurred_at"])
    op.create_index(op.f("ix_central_audit_action"), "central_audit", ["action"])


def downgrade() -> None:
    op.drop_index(op.f("ix_central_audit_action"), table_name="central_audit")
    op.drop_index(op.f("ix_central_audit_occurred_at"), table_name="central_audit")
    op.drop_table("central_audit")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("deactivated_at")
    with op.batch_alter_table("stations") as batch:
        batch.drop_constraint(op.f("uq_stations_db_role"), type_="unique")
        batch.drop_column("db_role")
        batch.drop_column("revoked_at")
        batch.drop_column("enrolled_at")
