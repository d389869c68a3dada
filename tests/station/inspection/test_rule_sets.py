"""Rule sets published centrally by a supervisor, pulled by stations and used at once."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from cli_runner import run
from station_bench import PINS, StationUnderTest, ready_unit

from station.common.permissions import PermissionDenied
from station.common.vocabulary import Disposition, Grade, Role
from station.inspection import finalize as inspection
from station.inspection import rule_sets
from station.inspection.rule_sets import PublishError, current_rule_set
from station.receiving import parcels as receiving
from station.routing.rules import RULES_DIR
from station.sync import exchange as sync

BOOK = "RMA-100006"  # a paperback returned for a change of mind


def stricter(tmp_path: Path, version: str = "2026.12-1") -> Path:
    text = (RULES_DIR / "default.toml").read_text("utf-8")
    path = tmp_path / f"rules-{version}.toml"
    path.write_text(text.replace('version = "2026.11-1"', f'version = "{version}"').replace(
        'allow = ["OPEN_BOX", "LIQUIDATE"]', 'allow = ["LIQUIDATE"]'), encoding="utf-8")
    return path


def decide_book(bench: StationUnderTest) -> inspection.Decision:
    grader = bench.actors[Role.GRADER]
    view = receiving.receive(bench.ctx, grader, BOOK)
    assert view.receipt_id is not None
    work = ready_unit(bench, grader, view.receipt_id, view.lines[0].id, Grade.B)
    return inspection.propose(bench.ctx, work)


def test_a_published_rule_set_reaches_the_station_on_its_next_pull(
    bench: StationUnderTest, tmp_path: Path
) -> None:
    central = bench.opened.central_sessions()
    published = rule_sets.publish(bench.ctx, bench.actors[Role.SUPERVISOR], central,
                                  stricter(tmp_path))
    assert (published.version, published.new) == ("2026.12-1", True)
    assert current_rule_set(bench.ctx).version == "2026.11-1"  # not pulled yet

    pulled = sync.pull(central, bench.ctx.sessions, bench.ctx.station_code)

    assert pulled.rule_sets == 1
    assert current_rule_set(bench.ctx).version == "2026.12-1"
    decision = decide_book(bench)
    assert (decision.rules_version, decision.disposition) == ("2026.12-1", Disposition.LIQUIDATE)


def test_a_published_version_never_changes(bench: StationUnderTest, tmp_path: Path) -> None:
    central = bench.opened.central_sessions()
    supervisor = bench.actors[Role.SUPERVISOR]
    rule_sets.publish(bench.ctx, supervisor, central, stricter(tmp_path))
    assert not rule_sets.publish(bench.ctx, supervisor, central, stricter(tmp_path)).new
    (tmp_path / "other").mkdir()
    other = stricter(tmp_path / "other")
    other.write_text(other.read_text("utf-8").replace("return_window_days = 30",
                                                      "return_window_days = 45"))
    with pytest.raises(PublishError, match="already published with other rules"):
        rule_sets.publish(bench.ctx, supervisor, central, other)
    with pytest.raises(PermissionDenied):
        rule_sets.publish(bench.ctx, bench.actors[Role.GRADER], central, stricter(tmp_path))


def test_a_configured_rules_file_overrides_what_was_published(
    bench: StationUnderTest, tmp_path: Path
) -> None:
    central = bench.opened.central_sessions()
    rule_sets.publish(bench.ctx, bench.actors[Role.SUPERVISOR], central, stricter(tmp_path))
    sync.pull(central, bench.ctx.sessions, bench.ctx.station_code)
    local = dataclasses.replace(bench.ctx, config=dataclasses.replace(
        bench.ctx.config, rules_file=str(RULES_DIR / "default.toml")))
    assert current_rule_set(local).version == "2026.11-1"


def test_rules_publish_from_the_command_line(bench: StationUnderTest, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    (bench.locations.data_dir / "config.toml").write_text(
        '[station]\ncode = "BENCH-01"\nlpn_prefix = "BN"\n', encoding="utf-8")
    path = stricter(tmp_path)
    assert run("--data-dir", str(bench.locations.data_dir), "rules", "publish", str(path),
               "--as", "supervisor", stdin=PINS[Role.SUPERVISOR] + "\n") == 0
    assert "rule set 2026.12-1" in capsys.readouterr().out
    broken = tmp_path / "broken.toml"
    broken.write_text('version = "x"\n', encoding="utf-8")
    assert run("--data-dir", str(bench.locations.data_dir), "rules", "publish", str(broken),
               "--as", "supervisor", stdin=PINS[Role.SUPERVISOR] + "\n") == 1
    assert "broken.toml" in capsys.readouterr().err
