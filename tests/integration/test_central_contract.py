"""The central database's contract on a real PostgreSQL: `central init`, the station role of
`central grants` (facts inserted, never updated or deleted), and NOTIFY for every new
settling refund trigger."""

from __future__ import annotations

from pathlib import Path

import central_site
import psycopg
import pytest
from cli_runner import run
from sqlalchemy import make_url, text
from sqlalchemy.exc import ProgrammingError
from station_bench import (
    _template,
    inspect_unit,
    make_station,
)

from station.cli.central import grants_sql
from station.common.vocabulary import Grade, Role
from station.receiving import parcels as receiving
from station.store import schema
from station.store.database import make_engine, session_factory, sqlite_url
from station.store.models import RefundTrigger
from station.sync import exchange as sync
from station.sync.pull import pull_rmas

pytestmark = pytest.mark.postgres


def test_central_init_grants_and_notify(fresh_postgres_url: str, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert run("--data-dir", str(tmp_path / "admin"), "central", "init", "--url",
               fresh_postgres_url) == 0
    assert f"→ {schema.head_revision()}" in capsys.readouterr().out
    owner = make_engine(fresh_postgres_url)
    source = make_engine(sqlite_url(_template(12, "BENCH-01") / "central.db"))
    pull_rmas(session_factory(source), session_factory(owner))
    source.dispose()
    role = f"rs_{tmp_path.name[-8:].lower().replace('-', '_')}"
    with owner.begin() as connection:
        for statement in grants_sql(role, f"{role}_shop", f"{role}_import").split(";"):
            body = "\n".join(line for line in statement.splitlines()
                             if not line.startswith("--")).strip()
            if body:
                connection.execute(text(body))
    assert run("--data-dir", str(tmp_path / "admin"), "central", "enrol-station", "BENCH-01",
               "--site", "Main warehouse", "--lpn-prefix", "BN", "--group-role", role,
               "--url", fresh_postgres_url) == 0
    as_station = make_engine(make_url(fresh_postgres_url).set(username="rs_station_bench_01"))

    listener = psycopg.connect(make_url(fresh_postgres_url).set(drivername="postgresql")
                               .render_as_string(hide_password=False), autocommit=True)
    listener.execute("LISTEN refund_triggers")
    bench = make_station(tmp_path / "station")
    grader = bench.actors[Role.GRADER]
    view = receiving.receive(bench.ctx, grader, "RMA-100006")
    assert view.receipt_id is not None
    unit = inspect_unit(bench, grader, view.receipt_id, view.lines[0].id, Grade.A)
    central_site.join(session_factory(owner), bench.ctx)
    identity = sync.StationIdentity("BENCH-01", "Main warehouse", "BN")
    result = sync.push(bench.ctx.sessions, session_factory(as_station), as_station, identity,
                       clock=bench.clock)
    assert result.sent > 0 and result.parked == 0
    notices = [n.payload for n in listener.notifies(timeout=5, stop_after=1)]
    assert notices == [str(unit.refund_trigger_id)]
    listener.close()

    for forbidden in ("UPDATE refund_triggers SET amount_minor = 0", "DELETE FROM units"):
        with pytest.raises(ProgrammingError, match="permission denied"), \
                as_station.begin() as connection:
            connection.execute(text(forbidden))
    with session_factory(owner)() as session:
        trigger = session.get(RefundTrigger, unit.refund_trigger_id)
        assert trigger is not None and trigger.amount_minor > 0
    as_station.dispose()
    owner.dispose()
