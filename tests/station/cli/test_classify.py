"""`returns-station classify` prints one JSON object per code and never needs a station."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from station.cli import main as cli


def classify(capsys: pytest.CaptureFixture[str], tmp_path: Path, *codes: str) -> tuple[int, list]:
    status = cli.main(["--data-dir", str(tmp_path / "nowhere"), "classify", *codes])
    lines = capsys.readouterr().out.splitlines()
    return status, [json.loads(line) for line in lines]


def test_each_code_gets_its_kind_value_validity_fields_and_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    status, rows = classify(capsys, tmp_path, "RMA-100001", "1Z999AA10123456784",
                            "4006381333931", "(01)09501101530003(17)251231(10)ABC123",
                            "CMD:GRADE:A", "SN-7F3K2Q9X1")
    assert status == 0
    assert [r["kind"] for r in rows] == ["rma", "tracking", "gtin", "gs1", "command",
                                          "free_text"]
    assert all(set(r) == {"input", "kind", "value", "valid", "fields", "error"} for r in rows)
    assert rows[1]["fields"]["carrier"] == "ups"
    assert rows[3]["fields"]["expiry"] == "2025-12-31" and rows[3]["fields"]["10"] == "ABC123"
    assert not (tmp_path / "nowhere").exists()


def test_a_normalised_rma_number_says_what_it_was_read_as_and_from_what(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    status, rows = classify(capsys, tmp_path, "rma-100002", "RMA\u2010100002")
    assert status == 0
    assert [(r["kind"], r["value"], r["valid"]) for r in rows] == [("rma", "RMA-100002", True)] * 2
    assert rows[0]["fields"] == {"normalised_from": "rma-100002",
                                 "note": "read as RMA-100002 (from 'rma-100002')"}
    assert rows[1]["fields"]["note"] == "read as RMA-100002 (from 'RMA\u2010100002')"


@pytest.mark.parametrize("hostile", ["4006381333932", "A\x1b@B", "x" * 600, "\u202eRMA"])
def test_bad_codes_are_reported_with_a_reason_and_exit_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, hostile: str
) -> None:
    status, rows = classify(capsys, tmp_path, hostile)
    assert status == 1
    assert rows[0]["valid"] is False and rows[0]["error"]
