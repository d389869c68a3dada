"""The central database from the command line: sync, the refund consumer contract (pending,
ack), and the least-privilege grants."""

from __future__ import annotations

import json
import uuid

import pytest
from cli_runner import run
from sqlalchemy import select
from station_bench import StationUnderTest, inspect_unit

from station.cli.central import FACT_TABLES, grants_sql
from station.common.vocabulary import Grade, Role
from station.receiving import parcels as receiving
from station.store.models import CentralAuditEvent


@pytest.fixture
def synced(bench: StationUnderTest) -> StationUnderTest:
    """A station with one finished unit (a full refund) and a config file naming it."""
    (bench.locations.data_dir / "config.toml").write_text(
        '[station]\ncode = "BENCH-01"\nlpn_prefix = "BN"\n', encoding="utf-8")
    grader = bench.actors[Role.GRADER]
    view = receiving.receive(bench.ctx, grader, "RMA-100006")
    assert view.receipt_id is not None
    inspect_unit(bench, grader, view.receipt_id, view.lines[0].id, Grade.A)
    return bench


def cli(bench: StationUnderTest, *args: str) -> int:
    return run("--data-dir", str(bench.locations.data_dir), *args)


def test_sync_pushes_every_fact_and_says_what_it_did(
    synced: StationUnderTest, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(synced, "sync") == 0
    out = capsys.readouterr().out
    assert "pushed" in out and "0 conflict(s), 0 parked" in out
    assert cli(synced, "sync") == 0
    assert "pushed 0 fact(s)" in capsys.readouterr().out


def test_pending_refunds_are_listed_and_acknowledged_once(
    synced: StationUnderTest, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(synced, "sync") == 0
    capsys.readouterr()
    assert cli(synced, "refunds", "pending", "--format", "json") == 0
    [pending] = json.loads(capsys.readouterr().out)
    assert (pending["action"], pending["rma_number"], pending["line_no"]) == (
        "FULL", "RMA-100006", 1)
    assert pending["lpn"].startswith("BN") and pending["station"] == "BENCH-01"

    assert cli(synced, "refunds", "ack", pending["id"], "--as", "erp") == 0
    assert "acknowledged 1" in capsys.readouterr().out
    assert cli(synced, "refunds", "ack", pending["id"], "--as", "erp") == 0  # idempotent
    assert "0 refund trigger(s); 1 already were" in capsys.readouterr().out
    assert cli(synced, "refunds", "pending") == 0
    assert json.loads(capsys.readouterr().out) == []
    with synced.opened.central_sessions()() as session:
        recorded = session.scalars(select(CentralAuditEvent).where(
            CentralAuditEvent.action == "refund.acknowledged")).all()
    assert [(row.actor, uuid.UUID(row.subject)) for row in recorded] == [
        ("erp", uuid.UUID(pending["id"]))]


def test_an_acknowledgement_must_say_who_acted_on_the_refund(
    synced: StationUnderTest, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(synced, "sync") == 0
    assert cli(synced, "refunds", "pending") == 0
    capsys.readouterr()
    with pytest.raises(SystemExit):
        cli(synced, "refunds", "ack", str(uuid.uuid4()))
    assert "--as" in capsys.readouterr().err
    assert cli(synced, "refunds", "ack", str(uuid.uuid4()), "--as", "\x1b[2J") == 1


def test_acknowledging_an_unknown_id_acknowledges_nothing(
    synced: StationUnderTest, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(synced, "sync") == 0
    capsys.readouterr()
    assert cli(synced, "refunds", "pending") == 0
    [pending] = json.loads(capsys.readouterr().out)
    assert cli(synced, "refunds", "ack", pending["id"], str(uuid.uuid4()), "--as", "erp") == 1
    assert "nothing acknowledged" in capsys.readouterr().err
    assert cli(synced, "refunds", "ack", "not-a-uuid", "--as", "erp") == 1
    assert cli(synced, "refunds", "pending") == 0
    assert len(json.loads(capsys.readouterr().out)) == 1


def test_the_grants_give_stations_no_update_or_delete_on_any_fact() -> None:
    sql = grants_sql("returns_station", "returns_refunds")
    for table in FACT_TABLES:
        assert f"GRANT SELECT, INSERT ON {table} TO returns_station;" in sql
        assert f"GRANT SELECT, INSERT, UPDATE ON {table} " not in sql
    assert "REVOKE UPDATE, DELETE, TRUNCATE ON" in sql
    assert "GRANT SELECT, INSERT ON refund_acks TO returns_refunds;" in sql
    assert "CREATE ROLE returns_station NOLOGIN;" in sql  # stations log in as themselves
    assert "GRANT SELECT ON rule_sets TO returns_station;" in sql
    assert "ON stations TO returns_station;" in sql and \
        "INSERT, UPDATE ON stations" not in sql  # a station cannot enrol itself
