"""The load generator (`returns-station simulate`) against an SQLite central database file:
separate station processes, nothing lost, nothing settled twice, reproducible choices."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cli_runner import run

from station.loadgen.simulate import FreeRma, deal_units, percentile


def simulate(capsys: pytest.CaptureFixture[str], central: Path, *args: str) -> tuple[int, Any]:
    capsys.readouterr()
    code = run("simulate", "--central", f"sqlite:///{central}", "--json", *args)
    out = capsys.readouterr().out
    return code, json.loads(out) if out.strip() else None


def test_two_stations_five_units_each_nothing_lost_or_duplicated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, summary = simulate(capsys, tmp_path / "central.db", "--stations", "2", "--units", "5",
                             "--work-dir", str(tmp_path / "work"))
    assert code == 0, summary
    assert summary["units"] == 10 and summary["errors"] == 0
    checks = summary["checks"]
    assert checks["lost"] == 0 and checks["duplicated"] == 0
    assert checks["outbox_pending"] == 0 and checks["outbox_parked"] == 0
    assert checks["facts"] == summary["facts_pushed"] > 10 * 8  # every fact of every unit
    assert summary["conflicts"] == 0 and summary["parked"] == 0
    assert summary["latency_ms"]["count"] == 10 and summary["latency_ms"]["p99"] is not None
    stations = summary["per_station"]
    assert [s["code"] for s in stations] == ["SIM-01", "SIM-02"]
    assert not set(stations[0]["rmas"]) & set(stations[1]["rmas"])  # disjoint by default
    assert (tmp_path / "work" / "SIM-01" / "station.db").exists()  # --work-dir is kept


def test_the_same_seed_chooses_the_same_rmas_grades_and_flags(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def choices(name: str, seed: str) -> list[tuple[Any, ...]]:
        code, summary = simulate(capsys, tmp_path / f"{name}.db", "--stations", "2",
                                 "--units", "3", "--seed", seed)
        assert code == 0, summary
        return [(s["code"], s["rmas"], s["grades"], s["flags"])
                for s in summary["per_station"]]

    first = choices("one", "42")
    assert choices("two", "42") == first
    assert choices("three", "43") != first


def test_full_contention_races_for_every_slot_yet_nothing_is_settled_twice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, summary = simulate(capsys, tmp_path / "central.db", "--stations", "3", "--units", "2",
                             "--contention", "1.0")
    assert code == 0, summary
    assert summary["units"] == 6
    assert summary["conflicts"] > 0
    assert summary["conflicts_by_kind"].get("duplicate_receipt", 0) >= 2  # one RMA, 3 benches
    checks = summary["checks"]
    assert checks["in_sync_conflicts"] == summary["conflicts"]
    assert checks["lost"] == 0 and checks["duplicated_settle_keys"] == 0
    assert checks["duplicated"] == 0
    rmas = {tuple(s["rmas"]) for s in summary["per_station"]}
    assert len(rmas) == 1  # every station worked through the same RMAs


def test_a_second_run_on_the_same_central_takes_new_stations_and_fresh_rmas(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    central = tmp_path / "central.db"
    _, first = simulate(capsys, central, "--stations", "1", "--units", "3")
    code, second = simulate(capsys, central, "--stations", "1", "--units", "3", "--rmas", "60")
    assert code == 0, second
    assert second["per_station"][0]["code"] == "SIM-02"
    assert not set(first["per_station"][0]["rmas"]) & set(second["per_station"][0]["rmas"])
    assert second["conflicts"] == 0 and second["checks"]["lost"] == 0


def test_the_summary_for_people_ends_with_the_verdict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    code = run("simulate", "--central", f"sqlite:///{tmp_path / 'c.db'}", "--stations", "1",
               "--units", "2", "--pace-ms", "10")
    captured = capsys.readouterr()
    assert code == 0
    assert captured.out.rstrip().endswith("OK: 0 lost, 0 duplicated")
    assert "finalize → visible centrally: p50" in captured.out
    assert "1 station(s) set up" in captured.err


@pytest.mark.parametrize(("args", "problem"), [
    (("--stations", "0", "--units", "1"), "--stations"),
    (("--stations", "1", "--units", "1", "--contention", "1.5"), "--contention"),
    (("--stations", "1", "--units", "1", "--push-every", "0"), "--push-every"),
])
def test_bad_options_are_refused_before_anything_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], problem: str
) -> None:
    central = tmp_path / "central.db"
    assert run("simulate", "--central", f"sqlite:///{central}", *args) == 2
    assert problem in capsys.readouterr().err
    assert not central.exists()


def test_a_central_url_that_is_not_a_database_is_refused(
    capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("simulate", "--central", "http://example.org/db", "--stations", "1",
               "--units", "1") == 1
    assert "--central must be" in capsys.readouterr().err


def test_too_few_rmas_for_the_units_asked_is_said_plainly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("simulate", "--central", f"sqlite:///{tmp_path / 'c.db'}", "--stations", "2",
               "--units", "50", "--rmas", "3") == 1
    assert "--rmas" in capsys.readouterr().err


def pool(count: int) -> list[FreeRma]:
    return [FreeRma(f"RMA-{100001 + i}", ((1, 1), (2, 2))) for i in range(count)]


def test_dealing_is_disjoint_without_contention_and_shared_with_it() -> None:
    plans = deal_units(pool(40), stations=4, units=6, seed=7, contention=0.0)
    taken = [{(u.rma_number, u.line_no) for u in plan} for plan in plans]
    assert all(len(plan) == 6 for plan in plans)
    assert all(not a & b for i, a in enumerate(taken) for b in taken[i + 1:])
    assert deal_units(pool(40), stations=4, units=6, seed=7, contention=0.0) == plans
    shared = deal_units(pool(40), stations=4, units=6, seed=7, contention=1.0)
    assert all(plan == [
        type(u)(u.rma_number, u.line_no, u.grade, u.flags, True) for u in plan]
        for plan in shared)
    assert len({tuple((u.rma_number, u.line_no) for u in plan) for plan in shared}) == 1


def test_the_grade_mix_is_roughly_the_documented_one() -> None:
    [plan] = deal_units(pool(2000), stations=1, units=4000, seed=3, contention=0.0)
    grades = {grade: sum(1 for u in plan if u.grade == grade) / len(plan) for grade in "ABCDX"}
    assert grades["A"] == pytest.approx(0.35, abs=0.03)
    assert grades["X"] == pytest.approx(0.05, abs=0.02)
    flagged = sum(1 for u in plan if "used_worn" in u.flags) / len(plan)
    assert flagged == pytest.approx(0.03, abs=0.015)


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == 50
    assert percentile(values, 0.99) == 99
    assert percentile([7.0], 0.99) == 7
    assert percentile([], 0.5) is None


def test_a_password_in_the_central_url_is_refused_and_never_echoed(
    capsys: pytest.CaptureFixture[str]
) -> None:
    word = "hunter2"
    url = "postgresql://sim:" + word + "@127.0.0.1:1/db"  # built: the repo holds no secret
    assert run("simulate", "--central", url, "--stations", "1", "--units", "1") == 2
    captured = capsys.readouterr()
    assert "must not contain a password" in captured.err
    assert word not in captured.err + captured.out
