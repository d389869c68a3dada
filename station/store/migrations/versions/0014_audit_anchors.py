"""audit anchors: each push's chain head kept centrally, append-only; signed audit entries;
the stations' signing keys; alarms that stop a restored or cloned station

On PostgreSQL the database checks what it is given (pgcrypto's hmac): an audit entry or an
anchor not signed with its station's registered key is refused, an audit entry that does not
follow the station's previous entry held centrally is refused, and audit entries and anchors
cannot be updated, deleted or truncated except by a superuser. Stations cannot read the keys;
they register theirs once through `rs_register_station_key`.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

REGISTER_KEY = """
CREATE OR REPLACE FUNCTION rs_register_station_key(p_code text, p_key text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  own text;
  held text;
  inserted integer;
BEGIN
  IF p_key IS NULL OR p_key !~ '^[0-9a-f]{64}$' THEN
    RAISE EXCEPTION 'refused centrally: that is not a station signing key'
      USING ERRCODE = 'check_violation';
  END IF;
  SELECT s.code INTO own FROM stations s WHERE s.db_role = session_user;
  IF own IS NOT NULL AND own IS DISTINCT FROM p_code THEN
    RAISE EXCEPTION 'refused centrally: station % may register only its own signing key', own
      USING ERRCODE = 'check_violation';
  END IF;
  INSERT INTO station_keys (station_code, key_hex, registered_at)
    VALUES (p_code, p_key, now()) ON CONFLICT DO NOTHING;
  GET DIAGNOSTICS inserted = ROW_COUNT;
  IF inserted = 1 THEN
    RETURN 'registered';
  END IF;
  SELECT k.key_hex INTO held FROM station_keys k WHERE k.station_code = p_code;
  IF held IS NULL THEN
    RAISE EXCEPTION 'another session is registering this station''s key'
      USING ERRCODE = 'serialization_failure';
  END IF;
  RETURN CASE WHEN held = p_key THEN 'same' ELSE 'different' END;
END
$$
"""

ACCEPT_EVENT = """
CREATE OR REPLACE FUNCTION rs_accept_audit_event() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  key_hex text;
  previous text;
BEGIN
  SELECT k.key_hex INTO key_hex FROM station_keys k WHERE k.station_code = NEW.station_code;
  IF key_hex IS NOT NULL AND NEW.signature IS DISTINCT FROM
      encode(hmac(convert_to(NEW.hash, 'UTF8'), decode(key_hex, 'hex'), 'sha256'), 'hex') THEN
    RAISE EXCEPTION 'refused centrally: audit entry % of station % is not signed with the '
      'station''s registered key (forged, or re-signed elsewhere)', NEW.seq, NEW.station_code
      USING ERRCODE = 'check_violation';
  END IF;
  IF NEW.seq = 1 THEN
    previous := repeat('0', 64);
  ELSE
    SELECT e.hash INTO previous FROM audit_events e
      WHERE e.station_code = NEW.station_code AND e.seq = NEW.seq - 1;
  END IF;
  IF previous IS NULL THEN
    RAISE EXCEPTION 'refused centrally: audit entry % of station % came before entry %, '
      'which the central database does not hold', NEW.seq, NEW.station_code, NEW.seq - 1
      USING ERRCODE = 'foreign_key_violation';
  ELSIF previous <> NEW.prev_hash THEN
    RAISE EXCEPTION 'refused centrally: audit entry % of station % does not follow the '
      'entry % held centrally (another chain: a restored or cloned station)', NEW.seq,
      NEW.station_code, NEW.seq - 1 USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END
$$
"""

ACCEPT_ANCHOR = """
CREATE OR REPLACE FUNCTION rs_accept_audit_anchor() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  key_hex text;
  own text;
  held text;
BEGIN
  SELECT s.code INTO own FROM stations s WHERE s.db_role = session_user;
  IF own IS NOT NULL AND own IS DISTINCT FROM NEW.station_code THEN
    RAISE EXCEPTION 'refused centrally: station % may anchor only its own audit chain', own
      USING ERRCODE = 'check_violation';
  END IF;
  SELECT k.key_hex INTO key_hex FROM station_keys k WHERE k.station_code = NEW.station_code;
  IF key_hex IS NOT NULL AND NEW.signature IS DISTINCT FROM
      encode(hmac(convert_to(NEW.head_hash, 'UTF8'), decode(key_hex, 'hex'), 'sha256'),
             'hex') THEN
    RAISE EXCEPTION 'refused centrally: the audit anchor of station % at entry % is not signed '
      'with the station''s registered key', NEW.station_code, NEW.seq
      USING ERRCODE = 'check_violation';
  END IF;
  SELECT e.hash INTO held FROM audit_events e
    WHERE e.station_code = NEW.station_code AND e.seq = NEW.seq;
  IF held IS DISTINCT FROM NEW.head_hash THEN
    RAISE EXCEPTION 'refused centrally: the audit anchor of station % names entry %, which the '
      'central database holds with another hash or not at all', NEW.station_code, NEW.seq
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END
$$
"""

OWN_ALARM = """
CREATE OR REPLACE FUNCTION rs_accept_station_alarm() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  own text;
BEGIN
  SELECT s.code INTO own FROM stations s WHERE s.db_role = session_user;
  IF own IS NOT NULL AND own IS DISTINCT FROM NEW.station_code THEN
    RAISE EXCEPTION 'refused centrally: station % may raise alarms only about itself', own
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END
$$
"""

APPEND_ONLY = """
CREATE OR REPLACE FUNCTION rs_audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NOT COALESCE((SELECT rolsuper FROM pg_roles WHERE rolname = current_user), false) THEN
    RAISE EXCEPTION '% is append-only: % refused for role %', TG_TABLE_NAME, TG_OP,
      current_user USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NEW;
END
$$
"""

_TRIGGERS = (
    ("rs_accept_audit_event", "audit_events",
     "BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION rs_accept_audit_event()"),
    ("rs_accept_audit_anchor", "audit_anchors",
     "BEFORE INSERT ON audit_anchors FOR EACH ROW EXECUTE FUNCTION rs_accept_audit_anchor()"),
    ("rs_accept_station_alarm", "station_alarms",
     "BEFORE INSERT ON station_alarms FOR EACH ROW "
     "EXECUTE FUNCTION rs_accept_station_alarm()"),
    *((f"rs_{table}_append_only", table,
       f"BEFORE UPDATE OR DELETE ON {table} FOR EACH ROW "
       "EXECUTE FUNCTION rs_audit_append_only()") for table in ("audit_events", "audit_anchors")),
    *((f"rs_{table}_no_truncate", table,
       f"BEFORE TRUNCATE ON {table} FOR EACH STATEMENT "
       "EXECUTE FUNCTION rs_audit_append_only()") for table in ("audit_events", "audit_anchors")),
)
_FUNCTIONS = ("rs_register_station_key(text, text)", "rs_accept_audit_event()",
              "rs_accept_audit_anchor()", "rs_accept_station_alarm()",
              "rs_audit_append_only()")


def upgrade() -> None:
    stamp = sa.DateTime(timezone=True)
    with op.batch_alter_table("audit_events") as batch:
        batch.add_column(sa.Column("signature", sa.String(length=64), nullable=True))
    op.create_table(
        "audit_anchors",
        sa.Column("station_code", sa.String(length=32), nullable=False),
        sa.Column("outbox_seq", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.String(length=64), nullable=True),
        sa.Column("anchored_at", stamp, nullable=False),
        sa.PrimaryKeyConstraint("station_code", "outbox_seq", name=op.f("pk_audit_anchors")),
    )
    op.create_table(
        "station_keys",
        sa.Column("station_code", sa.String(length=32), nullable=False),
        sa.Column("key_hex", sa.String(length=64), nullable=False),
        sa.Column("registered_at", stamp, nullable=False),
        sa.PrimaryKeyConstraint("station_code", name=op.f("pk_station_keys")),
    )
    op.create_table(
        "station_alarms",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("station_code", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("raised_at", stamp, nullable=False),
        sa.Column("resolved_at", stamp, nullable=True),
        sa.Column("resolved_by", sa.String(length=64), nullable=True),
        sa.Column("resolution", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_station_alarms")),
    )
    op.create_index(op.f("ix_station_alarms_station_code"), "station_alarms",
                    ["station_code"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pgcrypto")
        for function in (REGISTER_KEY, ACCEPT_EVENT, ACCEPT_ANCHOR, OWN_ALARM, APPEND_ONLY):
            op.execute(function)
        for name, table, definition in _TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            op.execute(f"CREATE TRIGGER {name} {definition}")
        op.execute("REVOKE ALL ON station_keys FROM PUBLIC")
        op.execute("REVOKE ALL ON FUNCTION rs_register_station_key(text, text) FROM PUBLIC")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, table, _definition in _TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        for function in _FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {function}")
        # pgcrypto stays: other objects of the site's database may use it.
    op.drop_index(op.f("ix_station_alarms_station_code"), table_name="station_alarms")
    op.drop_table("station_alarms")
    op.drop_table("station_keys")
    op.drop_table("audit_anchors")
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_column("signature")
