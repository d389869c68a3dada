"""What the central database accepts, enforced by the database itself.

A bench PC writes its facts straight into the central database, so the checks that decide
whether a fact counts cannot live in the bench's code: anyone holding a station's database
password can skip that code. They are triggers, installed on the central database only
(`install`), one per fact table, from the one table of rules below:

- the fact's station is enrolled and not revoked, and on PostgreSQL it is the station
  whose own database role is inserting it (a station can insert only its own facts);
- its actor is a user of the central database with at least the role its action needs,
  active, or disabled only after the fact happened;
- the facts it depends on are already central (no refund without its unit and its
  disposition, no inspection without its unit), or were recorded there as a conflict a
  supervisor resolves (a unit of a parcel that another station received first).

A refused fact raises an integrity error naming the rule; sync parks it with that message,
and a fact that depends on a parked one is refused in turn, so it is parked with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sqlalchemy import Connection, Engine, text

from station.common.vocabulary import Role
from station.store import schema


@dataclass(frozen=True)
class Dependency:
    """NEW.<column> must name a row of <table> whose <key> equals it."""

    column: str
    table: str
    key: str = "id"
    what: str = ""


@dataclass(frozen=True)
class FactRule:
    table: str
    time_column: str
    actor_column: str | None = None
    role: Role | None = None
    #: A fact with this column set needs `escalated_role` (a held refund's resolution).
    escalate_if: str | None = None
    escalated_role: Role | None = None
    #: The actor may be empty (a failed sign-in has no user); when set it must be a central
    #: user, of any role and standing (an audit event records refusals too).
    actor_optional: bool = False
    dependencies: tuple[Dependency, ...] = ()
    #: A fact without a station of its own (a photo) belongs to its unit's station.
    has_station: bool = True


RULES: Final[tuple[FactRule, ...]] = (
    FactRule("receipts", "received_at", "received_by", Role.CLERK),
    FactRule("units", "created_at", "created_by", Role.CLERK,
             dependencies=(Dependency("receipt_id", "receipts", what="its receipt"),)),
    FactRule("inspections", "completed_at", "grader_id", Role.GRADER,
             dependencies=(Dependency("unit_id", "units", what="its unit"),)),
    FactRule("photos", "taken_at", "taken_by", Role.CLERK, has_station=False,
             dependencies=(Dependency("unit_id", "units", what="its unit"),)),
    FactRule("dispositions", "decided_at", "decided_by", Role.GRADER,
             dependencies=(Dependency("unit_id", "units", what="its unit"),)),
    FactRule("refund_triggers", "created_at", "decided_by", Role.GRADER,
             escalate_if="supersedes_id", escalated_role=Role.SUPERVISOR,
             dependencies=(Dependency("unit_id", "units", what="its unit"),
                           Dependency("unit_id", "dispositions", "unit_id",
                                      what="the disposition of its unit"))),
    FactRule("print_jobs", "requested_at", "requested_by", Role.CLERK,
             dependencies=(Dependency("unit_id", "units", what="its unit"),)),
    FactRule("print_attempts", "attempted_at",
             dependencies=(Dependency("job_id", "print_jobs", what="its print job"),)),
    FactRule("exceptions", "opened_at", "opened_by", Role.CLERK),
    FactRule("exception_resolutions", "resolved_at", "resolved_by", Role.SUPERVISOR,
             dependencies=(Dependency("exception_id", "exceptions", what="its exception"),)),
    FactRule("label_voids", "voided_at", "voided_by", Role.SUPERVISOR,
             dependencies=(Dependency("job_id", "print_jobs", what="its print job"),)),
    FactRule("audit_events", "occurred_at", "actor_id", Role.CLERK, actor_optional=True),
    FactRule("sync_conflicts", "detected_at"),
)
#: The fact tables in RULES' order, where every dependency comes before the facts that
#: need it: the order sync inserts a batch in.
FACT_ORDER: Final = tuple(rule.table for rule in RULES)
#: State a station keeps centrally: only its own row.
STATION_STATE: Final = ("station_sync",)


def roles_at_least(role: Role) -> list[str]:
    return [r.value for r in Role if r.at_least(role)]


def _quoted(values: list[str]) -> str:
    return ", ".join(f"'{value}'" for value in values)  # fixed vocabulary, never user input


# ---------------------------------------------------------------------------- SQLite


def _sqlite_trigger(rule: FactRule) -> str:
    checks = [] if not rule.has_station else [
        "SELECT RAISE(ABORT, 'refused centrally: the fact''s station is not enrolled, or is "
        "revoked (an admin enrols stations: returns-station central enrol-station)') "
        "WHERE NOT EXISTS (SELECT 1 FROM stations WHERE code = NEW.station_code "
        "AND enrolled_at IS NOT NULL AND revoked_at IS NULL);"]
    if rule.actor_column is not None and rule.role is not None:
        actor = f"NEW.{rule.actor_column}"
        roles = _quoted(roles_at_least(rule.role))
        if rule.escalate_if and rule.escalated_role:
            roles_expr = (f"(CASE WHEN NEW.{rule.escalate_if} IS NULL THEN u.role IN ({roles}) "
                          f"ELSE u.role IN ({_quoted(roles_at_least(rule.escalated_role))}) "
                          "END)")
        else:
            roles_expr = f"u.role IN ({roles})"
        standing = (f"{roles_expr} AND (u.active OR u.deactivated_at > "
                    f"NEW.{rule.time_column})")
        optional = f"{actor} IS NOT NULL AND " if rule.actor_optional else ""
        checks.append(
            f"SELECT RAISE(ABORT, 'refused centrally: its actor is not a user of the central "  # noqa: S608 - from the constant RULES
            f"database with the role this needs, or was disabled before it happened') "
            f"WHERE {optional}NOT EXISTS (SELECT 1 FROM users u WHERE u.id = {actor} "
            f"AND {'1' if rule.actor_optional else standing});")
    for dependency in rule.dependencies:
        checks.append(
            f"SELECT RAISE(ABORT, 'refused centrally: {dependency.what} is not in the "  # noqa: S608 - from the constant RULES
            f"central database (parked or not sent)') WHERE NEW.{dependency.column} IS NOT "
            f"NULL AND NOT EXISTS (SELECT 1 FROM {dependency.table} "
            f"WHERE {dependency.key} = NEW.{dependency.column}) AND NOT EXISTS "
            f"(SELECT 1 FROM sync_conflicts WHERE id = NEW.{dependency.column});")
    body = "\n  ".join(checks)
    return (f"CREATE TRIGGER rs_accept_{rule.table} BEFORE INSERT ON {rule.table}\n"
            f"BEGIN\n  {body}\nEND")


# ---------------------------------------------------------------------------- PostgreSQL

_PG_STATION_OF_SESSION: Final = """
CREATE OR REPLACE FUNCTION rs_session_station() RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT code FROM stations WHERE db_role = session_user
$$
"""

_PG_ACCEPT: Final = """
CREATE OR REPLACE FUNCTION rs_accept_fact() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  fact jsonb := to_jsonb(NEW);
  session_station text := rs_session_station();
  actor_column text;
  needed text[];
  time_column text;
  escalate_if text;
  escalated text[];
  actor_optional boolean;
  dependency text;
  parts text[];
  actor_id uuid;
  present boolean;
BEGIN
  -- The trigger's arguments are read here: they are not set yet where DECLARE runs.
  actor_column := NULLIF(TG_ARGV[0], '');
  needed := string_to_array(NULLIF(TG_ARGV[1], ''), ',');
  time_column := TG_ARGV[2];
  escalate_if := NULLIF(TG_ARGV[3], '');
  escalated := string_to_array(NULLIF(TG_ARGV[4], ''), ',');
  actor_optional := TG_ARGV[5] = 'optional';
  IF NOT fact ? 'station_code' THEN
    NULL;
  ELSIF session_station IS NULL THEN
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = session_user)
       AND session_user <> (SELECT tableowner FROM pg_tables
                            WHERE schemaname = TG_TABLE_SCHEMA AND tablename = TG_TABLE_NAME)
    THEN
      RAISE EXCEPTION 'refused centrally: database role % is not an enrolled station''s',
        session_user USING ERRCODE = 'check_violation';
    END IF;
  ELSIF fact->>'station_code' IS DISTINCT FROM session_station THEN
    RAISE EXCEPTION 'refused centrally: station % may insert only its own facts, not %''s',
      session_station, fact->>'station_code' USING ERRCODE = 'check_violation';
  END IF;
  IF fact ? 'station_code' AND NOT EXISTS (SELECT 1 FROM stations
      WHERE code = fact->>'station_code' AND enrolled_at IS NOT NULL AND revoked_at IS NULL)
  THEN
    RAISE EXCEPTION 'refused centrally: station % is not enrolled, or is revoked',
      fact->>'station_code' USING ERRCODE = 'check_violation';
  END IF;
  IF actor_column IS NOT NULL THEN
    actor_id := (fact->>actor_column)::uuid;
    IF escalate_if IS NOT NULL AND fact->>escalate_if IS NOT NULL THEN
      needed := escalated;
    END IF;
    IF actor_id IS NOT NULL OR NOT actor_optional THEN
      PERFORM 1 FROM users u WHERE u.id = actor_id
        AND (actor_optional OR (u.role = ANY (needed)
             AND (u.active OR u.deactivated_at > (fact->>time_column)::timestamptz)));
      IF NOT FOUND THEN
        RAISE EXCEPTION 'refused centrally: % % of station % was made by %, who is not a user '
          'of the central database with the role it needs (%), or was disabled before it',
          TG_TABLE_NAME, fact->>'id', fact->>'station_code', COALESCE(actor_id::text, 'nobody'),
          array_to_string(needed, '/') USING ERRCODE = 'check_violation';
      END IF;
    END IF;
  END IF;
  FOREACH dependency IN ARRAY TG_ARGV[6:] LOOP
    parts := string_to_array(dependency, ':');
    CONTINUE WHEN fact->>parts[1] IS NULL;
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE %I = $1::uuid) '
                   'OR EXISTS (SELECT 1 FROM sync_conflicts WHERE id = $1::uuid)',
                   parts[2], parts[3])
      INTO present USING fact->>parts[1];
    IF NOT present THEN
      RAISE EXCEPTION 'refused centrally: % % of station % came without % (%): it is parked '
        'or was never sent', TG_TABLE_NAME, fact->>'id', fact->>'station_code', parts[4],
        fact->>parts[1] USING ERRCODE = 'foreign_key_violation';
    END IF;
  END LOOP;
  RETURN NEW;
END
$$
"""

_PG_OWN_STATE: Final = """
CREATE OR REPLACE FUNCTION rs_own_station_state() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  session_station text := rs_session_station();
BEGIN
  IF session_station IS NOT NULL AND NEW.station_code IS DISTINCT FROM session_station THEN
    RAISE EXCEPTION 'refused centrally: station % may change only its own sync state',
      session_station USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END
$$
"""

_PG_CENTRAL_AUDIT: Final = """
CREATE OR REPLACE FUNCTION rs_central_audit_row() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    RAISE EXCEPTION 'the central audit record is append-only' USING ERRCODE = 'check_violation';
  END IF;
  NEW.db_user := session_user;
  RETURN NEW;
END
$$
"""


def _pg_arguments(rule: FactRule) -> str:
    arguments = [
        rule.actor_column or "",
        ",".join(roles_at_least(rule.role)) if rule.role else "",
        rule.time_column,
        rule.escalate_if or "",
        ",".join(roles_at_least(rule.escalated_role)) if rule.escalated_role else "",
        "optional" if rule.actor_optional else "required",
        *(f"{d.column}:{d.table}:{d.key}:{d.what}" for d in rule.dependencies),
    ]
    return ", ".join(f"'{argument}'" for argument in arguments)


def _pg_statements() -> list[str]:
    statements = [_PG_STATION_OF_SESSION, _PG_ACCEPT, _PG_OWN_STATE, _PG_CENTRAL_AUDIT]
    for rule in RULES:
        statements += [
            f"DROP TRIGGER IF EXISTS rs_accept_{rule.table} ON {rule.table}",
            f"CREATE TRIGGER rs_accept_{rule.table} BEFORE INSERT ON {rule.table} "
            f"FOR EACH ROW EXECUTE FUNCTION rs_accept_fact({_pg_arguments(rule)})"]
    for table in STATION_STATE:
        statements += [
            f"DROP TRIGGER IF EXISTS rs_own_{table} ON {table}",
            f"CREATE TRIGGER rs_own_{table} BEFORE INSERT OR UPDATE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION rs_own_station_state()"]
    statements += [
        "DROP TRIGGER IF EXISTS rs_central_audit_row ON central_audit",
        "CREATE TRIGGER rs_central_audit_row BEFORE INSERT OR UPDATE OR DELETE ON "
        "central_audit FOR EACH ROW EXECUTE FUNCTION rs_central_audit_row()",
        "REVOKE ALL ON FUNCTION rs_session_station() FROM PUBLIC",
    ]
    return statements


def _sqlite_statements() -> list[str]:
    statements: list[str] = []
    for rule in RULES:
        statements += [f"DROP TRIGGER IF EXISTS rs_accept_{rule.table}", _sqlite_trigger(rule)]
    statements += [
        "DROP TRIGGER IF EXISTS rs_central_audit_no_update",
        "CREATE TRIGGER rs_central_audit_no_update BEFORE UPDATE ON central_audit BEGIN "
        "SELECT RAISE(ABORT, 'the central audit record is append-only'); END",
        "DROP TRIGGER IF EXISTS rs_central_audit_no_delete",
        "CREATE TRIGGER rs_central_audit_no_delete BEFORE DELETE ON central_audit BEGIN "
        "SELECT RAISE(ABORT, 'the central audit record is append-only'); END",
    ]
    return statements


def install(connection: Connection) -> None:
    """Install (or replace) the acceptance rules on a central database, in the caller's
    transaction. Run by `central init` and when an embedded central database opens."""
    dialect = connection.dialect.name
    statements = _pg_statements() if dialect == "postgresql" else _sqlite_statements()
    for statement in statements:
        connection.execute(text(statement))


def install_on(engine: Engine) -> None:
    with engine.begin() as connection:
        install(connection)


def uninstall(connection: Connection) -> None:
    """Drop the SQLite triggers: SQLite's way of altering a table (copy, drop, rename) fails
    while a trigger of another table names it, so migrations run without them."""
    if connection.dialect.name != "sqlite":
        return
    for rule in RULES:
        connection.execute(text(f"DROP TRIGGER IF EXISTS rs_accept_{rule.table}"))


def upgrade_central(engine: Engine, *, label: str) -> tuple[str | None, str]:
    """Migrate a central database to the head revision and (re)install the rules. An
    embedded central database already at the head with these very rules is only read (it
    is opened at every start of the app and of every command)."""
    if engine.dialect.name == "sqlite" and schema.is_current(engine) and _installed(engine):
        head = schema.head_revision()
        return head, head
    with engine.begin() as connection:
        uninstall(connection)
    migrated = schema.upgrade(engine, label=label)
    install_on(engine)
    return migrated


def _installed(engine: Engine) -> bool:
    """Whether the SQLite triggers in place are exactly the ones these rules make."""
    wanted = {f"rs_accept_{rule.table}": _sqlite_trigger(rule) for rule in RULES}
    with engine.connect() as connection:
        found: dict[str, str] = {str(name): str(sql) for name, sql in connection.execute(
            text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                 "AND name LIKE 'rs_accept_%'"))}
    return found == wanted
