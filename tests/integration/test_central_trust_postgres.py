"""The central PostgreSQL database decides who may make refunds: stations are enrolled by an
admin and push with a login role of their own, holding only the printed grants; people
are central; a rogue bench, a rogue user or a hand-written INSERT mints no refund."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import central_site
import pytest
from cli_runner import run
from sqlalchemy import Engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from station_bench import PINS, StationUnderTest, _template, inspect_unit, make_station

import resources
from station.cli.central import grants_sql
from station.common.vocabulary import Grade, Role
from station.people import users
from station.people.signin import actor_of, sign_in
from station.receiving import parcels as receiving
from station.store import schema
from station.store.database import make_engine, session_factory, sqlite_url
from station.store.models import CentralAuditEvent, OutboxEntry, RefundTrigger, User
from station.sync.pull import pull_rmas

pytestmark = pytest.mark.postgres


@dataclass
class Site:
    owner_url: str
    owner: Engine
    group: str

    def station_url(self, role: str) -> str:
        return make_url(self.owner_url).set(username=role).render_as_string(
            hide_password=False).replace("postgresql+psycopg", "postgresql")

    def pending(self) -> list[tuple[str, str, int]]:
        with self.owner.connect() as connection:
            return [(row.action, row.station_code, row.amount_minor) for row in connection.execute(
                text("SELECT action, station_code, amount_minor FROM refund_triggers_pending"))]

    def refusals(self) -> list[str]:
        with session_factory(self.owner)() as session:
            return [row.subject for row in session.scalars(select(CentralAuditEvent).where(
                CentralAuditEvent.action == "sync.refused"))]


@pytest.fixture
def site(fresh_postgres_url: str, tmp_path: Path) -> Iterator[Site]:
    """A central database set up as the admin guide says: `central init`, then the SQL of
    `central grants` run by the owner (roles are cluster-wide: named per test)."""
    group = f"stations_{uuid.uuid4().hex[:8]}"
    admin_folder = tmp_path / "admin"
    assert run("--data-dir", str(admin_folder), "central", "init", "--url",
               fresh_postgres_url) == 0
    owner = make_engine(fresh_postgres_url)
    with owner.begin() as connection:
        printed = "\n".join(line for line in grants_sql(
            group, f"{group}_refunds", f"{group}_importer").splitlines()
                            if not line.startswith("--"))
        for statement in printed.split(";"):
            if statement.strip():
                connection.execute(text(statement))
    source = make_engine(sqlite_url(_template(12, "BENCH-01") / "central.db"))
    pull_rmas(session_factory(source), session_factory(owner))
    source.dispose()
    yield Site(fresh_postgres_url, owner, group)
    owner.dispose()


def enrol(site: Site, bench_folder: Path, code: str, prefix: str,
          capsys: pytest.CaptureFixture[str]) -> str:
    """The admin enrols the station; returns the token its bench is given."""
    capsys.readouterr()
    assert run("--data-dir", str(bench_folder.parent / "admin"), "central", "enrol-station",
               code, "--site", "Main warehouse", "--lpn-prefix", prefix, "--group-role",
               site.group, "--url", site.owner_url) == 0
    found = re.search(r"returns-station enrol (RSE1\.\S+)", capsys.readouterr().out)
    assert found is not None
    return found.group(1)


def configure(folder: Path, code: str, prefix: str, url: str) -> None:
    (folder / "config.toml").write_text(
        f'[station]\ncode = "{code}"\nlpn_prefix = "{prefix}"\n\n[central]\nurl = "{url}"\n',
        encoding="utf-8")


def enrolled_bench(site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                   code: str, prefix: str) -> tuple[StationUnderTest, str]:
    bench = make_station(tmp_path / code.lower(), station_code=code, lpn_prefix=prefix)
    forget_the_templates_history(bench)
    token = enrol(site, bench.locations.data_dir, code, prefix, capsys)
    central_site.join(session_factory(site.owner), bench.ctx)  # its people, centrally
    role = f"rs_station_{code.lower().replace('-', '_')}"
    configure(bench.locations.data_dir, code, prefix, site.station_url(role))
    assert run("--data-dir", str(bench.locations.data_dir), "enrol", token) == 0
    assert "Enrolled as station" in capsys.readouterr().out
    return bench, role


def forget_the_templates_history(bench: StationUnderTest) -> None:
    """The bench is a copy of a template made as station BENCH-01: its outbox still holds
    BENCH-01's audit entries, which this station's role may not send (and must not): a
    test-only copy's leftovers, dropped from the outbox."""
    with bench.ctx.sessions.begin() as session:
        for entry in session.scalars(select(OutboxEntry).where(
                OutboxEntry.entity == "audit_events", OutboxEntry.sent_at.is_(None))):
            if entry.payload.get("station_code") != bench.ctx.station_code:
                session.delete(entry)


def finish_one(bench: StationUnderTest, number: str = "RMA-100006") -> None:
    grader = bench.actors[Role.GRADER]
    view = receiving.receive(bench.ctx, grader, number)
    assert view.receipt_id is not None
    inspect_unit(bench, grader, view.receipt_id, view.lines[0].id, Grade.A)


def test_an_enrolled_station_syncs_with_nothing_but_the_printed_grants(
    site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bench, _role = enrolled_bench(site, tmp_path, capsys, "TRUST-01", "T1")
    finish_one(bench)
    assert run("--data-dir", str(bench.locations.data_dir), "sync") == 0, \
        capsys.readouterr().err
    assert "0 parked" in capsys.readouterr().out
    assert [(action, station) for action, station, _amount in site.pending()] == [
        ("FULL", "TRUST-01")]


def test_the_token_enrols_once(
    site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bench = make_station(tmp_path / "once", station_code="ONCE-01", lpn_prefix="O1")
    token = enrol(site, bench.locations.data_dir, "ONCE-01", "O1", capsys)
    configure(bench.locations.data_dir, "ONCE-01", "O1",
              site.station_url("rs_station_once_01"))
    assert run("--data-dir", str(bench.locations.data_dir), "enrol", "RSE1.garbage") == 1
    assert "not an enrolment token" in capsys.readouterr().err
    assert run("--data-dir", str(bench.locations.data_dir), "enrol", token) == 0
    with site.owner.connect() as connection:  # the token's password no longer signs in
        changed = connection.scalar(text(
            "SELECT rolpassword IS NOT NULL FROM pg_authid WHERE rolname = 'rs_station_once_01'"))
    assert changed


def test_a_rogue_bench_with_a_stations_password_and_a_new_code_mints_no_refund(
    site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The issue's attack: the station's database password, a new config with a new station
    code and a fresh data folder whose first user makes itself admin."""
    _bench, role = enrolled_bench(site, tmp_path, capsys, "TRUST-02", "T2")
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    configure(fresh, "ROGUE-9", "RG", site.station_url(role))
    capsys.readouterr()
    assert run("--data-dir", str(fresh), "users", "add", "clerkz", "--name", "Z", "--role",
               "admin", stdin="13572468\n13572468\n") == 1
    assert "people are managed there" in capsys.readouterr().err

    rogue = make_station(tmp_path / "rogue", station_code="ROGUE-9", lpn_prefix="RG")
    configure(rogue.locations.data_dir, "ROGUE-9", "RG", site.station_url(role))
    folder = str(rogue.locations.data_dir)
    finish_one(rogue)  # with people a copied data folder already had
    assert run("--data-dir", folder, "sync") == 1
    assert "ROGUE-9 is not enrolled" in capsys.readouterr().err
    assert site.pending() == []
    assert site.refusals() == ["ROGUE-9"]


def test_a_person_the_central_directory_does_not_know_makes_no_refund(
    site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bench, _role = enrolled_bench(site, tmp_path, capsys, "TRUST-03", "T3")
    with bench.ctx.sessions.begin() as session:  # written into station.db by hand
        made = users.add_user(session, bench.ctx, by=None, username="clerkz",
                              display_name="Z", role=Role.ADMIN, pin="13572468")
        actor = actor_of(made)
    view = receiving.receive(bench.ctx, actor, "RMA-100006")
    assert view.receipt_id is not None
    inspect_unit(bench, actor, view.receipt_id, view.lines[0].id, Grade.A)
    assert run("--data-dir", str(bench.locations.data_dir), "sync") == 1
    err = capsys.readouterr().err
    assert "parked" in err and "not a user of the central database" in err
    assert site.pending() == []
    with site.owner.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(RefundTrigger)) == 0
    with bench.ctx.sessions() as session:  # the sync also withdrew clerkz at this bench
        local = session.scalar(select(User).where(User.username == "clerkz"))
        assert local is not None and not local.active


def test_a_stations_role_cannot_write_another_stations_facts_nor_orphans_nor_enrol_itself(
    site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bench, role = enrolled_bench(site, tmp_path, capsys, "TRUST-04", "T4")
    grader = bench.actors[Role.GRADER]
    as_station = make_engine(site.station_url(role).replace("postgresql://",
                                                            "postgresql+psycopg://"))
    refund = ("INSERT INTO refund_triggers (id, idempotency_key, unit_id, action, amount_minor, "
              "currency, settling, decided_by, created_at, station_code) VALUES (:id, :key, "
              ":unit, 'FULL', 20100, 'EUR', false, :by, now(), :station)")

    def attempt(statement: str, **values: object) -> str:
        try:
            with as_station.begin() as connection:
                connection.execute(text(statement), values)
        except DBAPIError as error:
            return str(error.orig)
        return "accepted"

    try:
        assert "only its own facts" in attempt(
            refund, id=uuid.uuid4(), key="k1", unit=uuid.uuid4(), by=grader.user_id,
            station="OTHER-1")
        assert "not a user of the central database" in attempt(
            refund, id=uuid.uuid4(), key="k2", unit=uuid.uuid4(), by=uuid.uuid4(),
            station="TRUST-04")
        assert "came without its unit" in attempt(
            refund, id=uuid.uuid4(), key="k3", unit=uuid.uuid4(), by=grader.user_id,
            station="TRUST-04")
        assert "permission denied" in attempt(
            "UPDATE stations SET revoked_at = NULL, enrolled_at = now()")
        assert "permission denied" in attempt(
            "INSERT INTO users (id, username, display_name, role, pin_hash, active, "
            "failed_pin_count, created_at) VALUES (:id, 'evil', 'E', 'admin', 'x', true, 0, "
            "now())", id=uuid.uuid4())
        assert "permission denied" in attempt("DELETE FROM central_audit")
    finally:
        as_station.dispose()
    assert site.pending() == []


def test_a_revoked_station_is_refused_and_cannot_sign_in(
    site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bench, _role = enrolled_bench(site, tmp_path, capsys, "TRUST-05", "T5")
    assert run("--data-dir", str(tmp_path / "admin"), "central", "revoke-station",
               "TRUST-05", "--reason", "bench stolen", "--url", site.owner_url) == 0
    finish_one(bench)
    assert run("--data-dir", str(bench.locations.data_dir), "sync") == 1
    assert "revoked" in capsys.readouterr().err
    assert site.pending() == []
    with bench.ctx.sessions() as session:
        assert session.scalar(select(func.count()).select_from(OutboxEntry).where(
            OutboxEntry.sent_at.is_not(None), OutboxEntry.entity == "refund_triggers")) == 0


def test_people_are_managed_centrally_and_reach_the_bench_at_sync(
    site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bench, _role = enrolled_bench(site, tmp_path, capsys, "TRUST-06", "T6")
    admin = str(tmp_path / "admin")
    assert run("--data-dir", admin, "central", "users", "add", "nina", "--name",
               "Nina Grader", "--role", "grader", "--url", site.owner_url,
               stdin="4826\n4826\n") == 0
    assert run("--data-dir", str(bench.locations.data_dir), "sync") == 0
    assert sign_in(bench.ctx, "nina", "4826").role == Role.GRADER
    assert run("--data-dir", admin, "central", "users", "disable", "nina", "--url",
               site.owner_url) == 0
    assert run("--data-dir", str(bench.locations.data_dir), "sync") == 0
    with bench.ctx.sessions() as session:
        nina = session.scalar(select(User).where(User.username == "nina"))
        assert nina is not None and not nina.active
    with session_factory(site.owner)() as session:
        actions = [row.action for row in session.scalars(select(CentralAuditEvent).order_by(
            CentralAuditEvent.occurred_at))]
    assert {"station.enrolled", "user.added", "user.disabled"} <= set(actions)
    assert schema.is_current(site.owner)


def test_rmas_are_imported_with_the_importers_role_and_no_station_may_change_one(
    site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bench, role = enrolled_bench(site, tmp_path, capsys, "TRUST-07", "T7")
    folder = str(bench.locations.data_dir)
    sample = str(resources.path("demo", "sample-rmas.csv"))
    capsys.readouterr()
    assert run("--data-dir", folder, "import-rmas", sample, "--as", "supervisor",
               stdin=f"{PINS[Role.SUPERVISOR]}\n") == 1  # the station's role writes no RMA
    assert "may not write RMAs" in capsys.readouterr().err
    importer = site.station_url(f"{site.group}_importer")
    assert run("--data-dir", folder, "import-rmas", sample, "--as", "supervisor",
               "--central-url", importer, stdin=f"{PINS[Role.SUPERVISOR]}\n") == 0, \
        capsys.readouterr().err
    with site.owner.connect() as connection:
        assert connection.scalar(text(
            "SELECT count(*) FROM rmas WHERE rma_number LIKE 'RMA-2%'")) == 3
        assert connection.scalar(text(
            "SELECT count(*) FROM rma_imports WHERE audited_at IS NOT NULL")) == 1
    as_station = make_engine(site.station_url(role).replace("postgresql://",
                                                            "postgresql+psycopg://"))
    try:
        with pytest.raises(DBAPIError, match="permission denied"), \
                as_station.begin() as connection:
            connection.execute(text("UPDATE rma_lines SET unit_price_minor = 999999"))
    finally:
        as_station.dispose()
    assert run("--data-dir", folder, "sync") == 0, capsys.readouterr().err
