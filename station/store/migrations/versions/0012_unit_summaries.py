"""one derived row per unit with what the daily summary counts (its scope, latest
inspection, effective decision and refund), so a day's figures are read from one indexed
table; filled from the facts already there

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-09
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_INDEXED = ("receipt_id", "received_at", "inspected_at", "decided_at", "refund_at")
#: Partial indexes of the overridden units: (name, timestamp, the override's column).
_OVERRIDES = (("grade_overrides", "inspected_at", "grade_override_reason"),
              ("disposition_overrides", "decided_at", "disposition_override_reason"))


def upgrade() -> None:
    stamp = sa.DateTime(timezone=True)
    op.create_table(
        "unit_summaries",
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("lpn", sa.String(length=20), nullable=False),
        sa.Column("station_code", sa.String(length=32), nullable=False),
        sa.Column("receipt_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", stamp, nullable=False),
        sa.Column("category", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("received_at", stamp, nullable=True),
        sa.Column("inspected_at", stamp, nullable=True),
        sa.Column("inspection_started_at", stamp, nullable=True),
        sa.Column("grader_id", sa.Uuid(), nullable=True),
        sa.Column("grade", sa.String(length=1), nullable=True),
        sa.Column("proposed_grade", sa.String(length=1), nullable=True),
        sa.Column("grade_override_reason", sa.Text(), nullable=True),
        sa.Column("first_decided_at", stamp, nullable=True),
        sa.Column("decided_at", stamp, nullable=True),
        sa.Column("disposition", sa.String(length=16), nullable=True),
        sa.Column("destination", sa.String(length=32), nullable=True),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("disposition_override_reason", sa.Text(), nullable=True),
        sa.Column("proposed_disposition", sa.String(length=16), nullable=True),
        sa.Column("recovery_minor", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("refund_at", stamp, nullable=True),
        sa.Column("refund_action", sa.String(length=16), nullable=True),
        sa.Column("refund_amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("refund_currency", sa.String(length=3), nullable=True),
        sa.Column("refund_resolves_held", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("unit_id", name=op.f("pk_unit_summaries")),
    )
    for column in _INDEXED:
        op.create_index(op.f(f"ix_unit_summaries_{column}"), "unit_summaries", [column],
                        unique=False)
    for name, timestamp, reason in _OVERRIDES:
        only = sa.text(f"{reason} IS NOT NULL")
        op.create_index(f"ix_unit_summaries_{name}", "unit_summaries", [timestamp], unique=False,
                        postgresql_where=only, sqlite_where=only)
    # The rows of the units already recorded, derived by the code that keeps them current
    # (nothing to derive in a new database, so its statement never meets an older table).
    from station.store import unit_summaries

    unit_summaries.rebuild(op.get_bind())


def downgrade() -> None:
    for name, _stamp, _reason in _OVERRIDES:
        op.drop_index(f"ix_unit_summaries_{name}", table_name="unit_summaries")
    for column in reversed(_INDEXED):
        op.drop_index(op.f(f"ix_unit_summaries_{column}"), table_name="unit_summaries")
    op.drop_table("unit_summaries")
