"""The load generator against a real PostgreSQL central database: four station processes
pushing at once, checked by SQL."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cli_runner import run

pytestmark = pytest.mark.postgres


def simulate(capsys: pytest.CaptureFixture[str], url: str, *args: str) -> tuple[int, Any]:
    capsys.readouterr()
    code = run("simulate", "--central", url, "--json", *args)
    return code, json.loads(capsys.readouterr().out)


def test_four_stations_ten_units_each_nothing_lost_or_duplicated(
    fresh_postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, summary = simulate(capsys, fresh_postgres_url, "--stations", "4", "--units", "10")
    assert code == 0, summary
    assert summary["units"] == 40 and summary["errors"] == 0
    checks = summary["checks"]
    assert checks["lost"] == 0 and checks["duplicated"] == 0
    assert checks["outbox_pending"] == 0 and checks["outbox_parked"] == 0
    assert checks["central"] == checks["facts"] == summary["facts_pushed"]
    assert summary["latency_ms"]["count"] == 40
    assert summary["central"].startswith("postgresql+psycopg://")


def test_racing_stations_on_postgresql_settle_each_unit_slot_once(
    fresh_postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, summary = simulate(capsys, fresh_postgres_url, "--stations", "4", "--units", "6",
                             "--contention", "0.5", "--push-every", "2", "--seed", "5")
    assert code == 0, summary
    checks = summary["checks"]
    assert summary["conflicts"] > 0
    assert checks["lost"] == 0 and checks["duplicated_settle_keys"] == 0
    assert checks["in_both"] == 0 and checks["in_sync_conflicts"] == summary["conflicts"]
