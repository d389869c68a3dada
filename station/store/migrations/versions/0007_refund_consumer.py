"""the refund-trigger consumer contract: a view of settling triggers not yet acknowledged,
and on PostgreSQL a NOTIFY on channel refund_triggers for each new settling trigger

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

PENDING_VIEW = """
CREATE VIEW refund_triggers_pending AS
SELECT t.id, t.action, t.amount_minor, t.currency, t.station_code, t.created_at,
       t.rma_line_id, t.unit_id, t.supersedes_id, t.note,
       r.rma_number, r.order_number, l.line_no, l.sku, u.lpn
FROM refund_triggers t
LEFT JOIN rma_lines l ON l.id = t.rma_line_id
LEFT JOIN rmas r ON r.id = l.rma_id
LEFT JOIN units u ON u.id = t.unit_id
WHERE t.settling
  AND NOT EXISTS (SELECT 1 FROM refund_acks a WHERE a.trigger_id = t.id)
"""

NOTIFY_FUNCTION = """
CREATE OR REPLACE FUNCTION returns_station_notify_refund() RETURNS trigger AS $$
BEGIN
    IF NEW.settling THEN
        PERFORM pg_notify('refund_triggers', NEW.id::text);
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql
"""

NOTIFY_TRIGGER = """
CREATE TRIGGER refund_triggers_notify AFTER INSERT ON refund_triggers
FOR EACH ROW EXECUTE FUNCTION returns_station_notify_refund()
"""


def upgrade() -> None:
    op.execute(PENDING_VIEW)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(NOTIFY_FUNCTION)
        op.execute(NOTIFY_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS refund_triggers_notify ON refund_triggers")
        op.execute("DROP FUNCTION IF EXISTS returns_station_notify_refund()")
    op.execute("DROP VIEW IF EXISTS refund_triggers_pending")
