"""`returns-station report daily` on a central PostgreSQL database filled by
`returns-station simulate`, compared figure by figure with SQL written here from the
definitions in docs/reports.md (not with the report's own queries)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cli_runner import run
from sqlalchemy import Engine, create_engine, text

from drivers.documents.report_pdf import ReportLabReportRenderer

pytestmark = pytest.mark.postgres

#: Effective facts: no later fact of the table names them in supersedes_id.
EFFECTIVE_DECISIONS = """
    SELECT d.* FROM dispositions d
    WHERE d.decided_at >= :start AND d.decided_at < :end
      AND NOT EXISTS (SELECT 1 FROM dispositions later WHERE later.supersedes_id = d.id)
"""
EFFECTIVE_TRIGGERS = """
    SELECT t.* FROM refund_triggers t
    WHERE t.created_at >= :start AND t.created_at < :end
      AND NOT EXISTS (SELECT 1 FROM refund_triggers later WHERE later.supersedes_id = t.id)
"""


@pytest.fixture
def simulated(fresh_postgres_url: str, tmp_path: Path,
              capsys: pytest.CaptureFixture[str]) -> Iterator[tuple[str, Path]]:
    """Five stations, 16 units each, a quarter of them racing for the same RMA lines."""
    code = run("simulate", "--central", fresh_postgres_url, "--stations", "5", "--units",
               "16", "--contention", "0.25", "--seed", "11", "--work-dir",
               str(tmp_path / "sim"), "--json")
    summary = json.loads(capsys.readouterr().out)
    assert code == 0, summary
    assert summary["conflicts"] > 0  # some facts lost a race: they must not be counted
    office = tmp_path / "office"
    office.mkdir()
    (office / "config.toml").write_text(
        '[station]\ncode = "OFFICE-01"\nlpn_prefix = "OF"\n\n'
        f'[central]\nurl = "{fresh_postgres_url}"\n', encoding="utf-8")
    yield fresh_postgres_url, office


def _report(office: Path, tmp_path: Path, day: str) -> dict[str, Any]:
    out = tmp_path / "day.json"
    assert run("--data-dir", str(office), "report", "daily", "--date", day, "--tz", "UTC",
               "--format", "json", "--out", str(out)) == 0
    report: dict[str, Any] = json.loads(out.read_text("utf-8"))
    return report


class _RendererOnly:
    """Devices with nothing but the real report renderer."""

    def report_renderer(self) -> ReportLabReportRenderer:
        return ReportLabReportRenderer()


def _rows(engine: Engine, sql: str, **params: Any) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(text(sql), params))


def test_the_report_agrees_with_sql_on_a_simulated_day(
    simulated: tuple[str, Path], tmp_path: Path
) -> None:
    url, office = simulated
    today = datetime.now(UTC).date()
    start = datetime.combine(today, datetime.min.time(), tzinfo=UTC)
    period = {"start": start, "end": start + timedelta(days=1)}
    report = _report(office, tmp_path, today.isoformat())
    assert report["scope"]["source"] == "central"
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        (parcels,) = _rows(engine, "SELECT count(*) FROM receipts WHERE received_at >= :start"
                                   " AND received_at < :end", **period)[0]
        assert report["received"]["parcels"] == parcels > 0

        units = _rows(engine, "SELECT count(DISTINCT unit_id) FROM inspections WHERE "
                              "completed_at >= :start AND completed_at < :end", **period)[0][0]
        assert report["inspected"]["units"] == units == 80

        grades = dict(_rows(engine, """
            SELECT grade, count(*) FROM (
                SELECT DISTINCT ON (unit_id) unit_id, grade FROM inspections
                WHERE completed_at >= :start AND completed_at < :end
                ORDER BY unit_id, completed_at DESC) latest GROUP BY grade""", **period))
        assert {g: n for g, n in report["grades"].items() if n} == grades

        dispositions = dict(_rows(engine, f"SELECT disposition, count(*) FROM "
                                          f"({EFFECTIVE_DECISIONS}) d GROUP BY disposition",
                                  **period))
        assert {d: n for d, n in report["dispositions"]["by_disposition"].items() if n} == \
            dispositions
        by_hour = dict(_rows(engine, f"SELECT extract(hour FROM decided_at)::int, count(*) "
                                     f"FROM ({EFFECTIVE_DECISIONS}) d GROUP BY 1", **period))
        assert {h["hour"]: h["units"] for h in report["dispositions"]["by_hour"]
                if h["units"]} == by_hour

        refunds: dict[str, dict[str, Any]] = {}
        for action, currency, count, amount in _rows(engine, f"""
                SELECT action, currency, count(*), sum(amount_minor)
                FROM ({EFFECTIVE_TRIGGERS}) t GROUP BY action, currency""", **period):
            bucket = refunds.setdefault(action, {"units": 0, "amount_minor": {}})
            bucket["units"] += count
            bucket["amount_minor"][currency] = int(amount)
        assert {a: b for a, b in report["refunds"]["by_action"].items() if b["units"]} == \
            refunds
        money = dict(_rows(engine, f"""
            SELECT currency, sum(amount_minor) FROM ({EFFECTIVE_TRIGGERS}) t
            WHERE action IN ('FULL', 'PARTIAL', 'STORE_CREDIT') GROUP BY currency""",
                           **period))
        assert report["refunds"]["money_refunded_minor"] == {c: int(n) for c, n in
                                                              sorted(money.items())}

        median, p90 = _rows(engine, f"""
            SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds),
                   percentile_disc(0.9) WITHIN GROUP (ORDER BY seconds)
            FROM (SELECT greatest(0, extract(epoch FROM d.decided_at - r.received_at))
                         AS seconds
                  FROM ({EFFECTIVE_DECISIONS}) d JOIN units u ON u.id = d.unit_id
                  JOIN receipts r ON r.id = u.receipt_id) handling""", **period)[0]
        assert report["handling_time"]["median_seconds"] == round(float(median), 1)
        assert report["handling_time"]["p90_seconds"] == round(float(p90), 1)

        opened = dict(_rows(engine, "SELECT kind, count(*) FROM exceptions WHERE opened_at >= "
                                    ":start AND opened_at < :end GROUP BY kind", **period))
        assert report["exceptions"]["opened_by_kind"] == opened
        conflicts = _rows(engine, "SELECT count(*) FROM sync_conflicts")[0][0]
        assert conflicts > 0

        # The PDF lists its exceptions on the summary's own PostgreSQL snapshot.
        pdf = tmp_path / "day.pdf"
        assert run("--data-dir", str(office), "report", "daily", "--date", today.isoformat(),
                   "--tz", "UTC", "--format", "pdf", "--out", str(pdf),
                   devices=_RendererOnly()) == 0
        assert pdf.read_bytes().startswith(b"%PDF")
    finally:
        engine.dispose()
