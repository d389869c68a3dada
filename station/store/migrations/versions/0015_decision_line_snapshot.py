"""decisions keep the RMA line data they were made on; RMA imports are recorded centrally
and staged, so they commit with their record and never hold a database for long

* dispositions get line_category, line_reason, line_unit_price_minor, line_currency: the
  RMA line as the grader's decision saw it. Existing decisions take the case their routing
  explanation recorded (exactly what the decision saw), else the line as it is now. The
  unit summaries are derived again from them.
* rma_imports: one row per import, committed with the RMAs it makes count (the audit
  record of the import) and how far its application got.
* rma_import_rows: the staged RMAs of an import not yet applied.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_SNAPSHOT = (("line_category", sa.String(length=32)), ("line_reason", sa.String(length=32)),
             ("line_unit_price_minor", sa.BigInteger()), ("line_currency", sa.String(length=3)))


def _backfill() -> None:
    """Each existing decision's snapshot: its routing case, else its unit's line now."""
    bind = op.get_bind()
    meta = sa.MetaData()
    dispositions = sa.Table("dispositions", meta, autoload_with=bind)
    units = sa.Table("units", meta, autoload_with=bind)
    lines = sa.Table("rma_lines", meta, autoload_with=bind)
    case = dispositions.c.explanation["case"]
    def of_line(column: sa.Column[object]) -> sa.ScalarSelect[object]:
        return (sa.select(column).select_from(units.join(lines, units.c.rma_line_id == lines.c.id))
                .where(units.c.id == dispositions.c.unit_id).scalar_subquery())

    bind.execute(dispositions.update().values(
        line_category=sa.func.coalesce(case["category"].as_string(), of_line(lines.c.category)),
        line_reason=sa.func.coalesce(case["reason"].as_string(), of_line(lines.c.reason)),
        line_unit_price_minor=sa.func.coalesce(case["price_minor"].as_integer(),
                                               of_line(lines.c.unit_price_minor)),
        line_currency=sa.func.coalesce(case["currency"].as_string(), of_line(lines.c.currency)),
    ))


def upgrade() -> None:
    stamp = sa.DateTime(timezone=True)
    with op.batch_alter_table("dispositions") as batch:
        for name, kind in _SNAPSHOT:
            batch.add_column(sa.Column(name, kind, nullable=True))
    _backfill()
    op.create_table(
        "rma_imports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("station_code", sa.String(length=32), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("actor_name", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("rmas", sa.Integer(), nullable=False),
        sa.Column("applied_through", sa.Integer(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("refused", sa.Integer(), nullable=False),
        sa.Column("started_at", stamp, nullable=False),
        sa.Column("committed_at", stamp, nullable=True),
        sa.Column("applied_at", stamp, nullable=True),
        sa.Column("audited_at", stamp, nullable=True),
        sa.Column("refusals", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rma_imports")),
    )
    op.create_index("ix_rma_imports_station_code_audited_at", "rma_imports",
                    ["station_code", "audited_at"], unique=False)
    op.create_table(
        "rma_import_rows",
        sa.Column("import_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("rma_number", sa.String(length=64), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("import_id", "seq", name=op.f("pk_rma_import_rows")),
    )
    from station.store import unit_summaries

    unit_summaries.rebuild(op.get_bind())


def downgrade() -> None:
    op.drop_table("rma_import_rows")
    op.drop_index("ix_rma_imports_station_code_audited_at", table_name="rma_imports")
    op.drop_table("rma_imports")
    with op.batch_alter_table("dispositions") as batch:
        for name, _kind in reversed(_SNAPSHOT):
            batch.drop_column(name)
