"""`returns-station label render LPN` writes the very bitmap a printer would receive."""

from __future__ import annotations

from pathlib import Path

import pytest
import zxingcpp
from cli_runner import run
from PIL import Image
from station_bench import StationUnderTest, inspect_unit

from station.common.vocabulary import Grade, Role
from station.receiving import parcels as receiving


def finished_lpn(bench: StationUnderTest) -> str:
    grader = bench.actors[Role.GRADER]
    view = receiving.receive(bench.ctx, grader, "RMA-100001")
    assert view.receipt_id is not None
    return inspect_unit(bench, grader, view.receipt_id, view.lines[0].id, Grade.B).lpn


@pytest.mark.parametrize(("size", "width"), [("80mm", 576), ("58mm", 384), ("4x6@203", 812)])
def test_a_units_label_renders_at_each_size_and_scans(
    bench: StationUnderTest, tmp_path: Path, size: str, width: int,
    capsys: pytest.CaptureFixture[str],
) -> None:
    lpn = finished_lpn(bench)
    bench.opened.close()
    out = tmp_path / "label.png"
    assert run("--data-dir", str(bench.locations.data_dir), "label", "render", lpn, "--size",
               size, "--out", str(out)) == 0
    image = Image.open(out)
    assert image.width == width
    assert [r.text for r in zxingcpp.read_barcodes(image.convert("L"))] == [lpn]


def test_an_unknown_lpn_or_size_is_refused_with_a_reason(
    bench: StationUnderTest, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bench.opened.close()
    base = ("--data-dir", str(bench.locations.data_dir), "label", "render")
    assert run(*base, "BN00000099Z", "--out", str(tmp_path / "x.png")) == 1
    assert "No unit has the LPN" in capsys.readouterr().err
    assert run(*base, "BN00000099Z", "--size", "A4", "--out", str(tmp_path / "x.png")) == 1
    assert "known sizes" in capsys.readouterr().err


@pytest.mark.parametrize(("where", "reason"), [
    ("missing-folder/x.png", "the folder it should go in does not exist"),
    ("a-folder", "that is a folder; give a file name"),
])
def test_a_label_that_cannot_be_written_there_is_refused_with_the_reason(
    bench: StationUnderTest, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    where: str, reason: str,
) -> None:
    lpn = finished_lpn(bench)
    bench.opened.close()
    (tmp_path / "a-folder").mkdir()
    out = tmp_path / where
    assert run("--data-dir", str(bench.locations.data_dir), "label", "render", lpn,
               "--out", str(out)) == 1
    err = capsys.readouterr().err
    assert err == f"{out}: cannot write the label: {reason}\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "station") == ["a-folder"]
    assert list((tmp_path / "a-folder").iterdir()) == []


def test_a_label_replaces_an_existing_file_whole(
    bench: StationUnderTest, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lpn = finished_lpn(bench)
    bench.opened.close()
    out = tmp_path / "label.png"
    out.write_bytes(b"an older label")
    assert run("--data-dir", str(bench.locations.data_dir), "label", "render", lpn,
               "--out", str(out)) == 0
    with Image.open(out) as image:
        assert image.width == 576
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.parametrize("name", ["label.jpg", "label.jpeg", "label.bmp", "label"])
def test_a_label_is_written_only_as_a_png_and_another_file_name_is_refused(
    bench: StationUnderTest, tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    lpn = finished_lpn(bench)
    bench.opened.close()
    out = tmp_path / name
    assert run("--data-dir", str(bench.locations.data_dir), "label", "render", lpn,
               "--out", str(out)) == 1
    err = capsys.readouterr().err
    assert err == (f"{out}: a label is written only as PNG, exactly the printer's dots (a JPEG "
                   "would blur the bars); give a file name ending in .png\n")
    assert not out.exists()


def test_a_label_file_name_ending_in_upper_case_png_is_a_png(
    bench: StationUnderTest, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lpn = finished_lpn(bench)
    bench.opened.close()
    out = tmp_path / "LABEL.PNG"
    assert run("--data-dir", str(bench.locations.data_dir), "label", "render", lpn,
               "--out", str(out)) == 0
    with Image.open(out) as image:
        assert image.format == "PNG"


def test_a_label_for_a_folder_that_does_not_exist_is_refused_without_a_traceback(
    bench: StationUnderTest, capsys: pytest.CaptureFixture[str]
) -> None:
    lpn = finished_lpn(bench)
    bench.opened.close()
    assert run("--data-dir", str(bench.locations.data_dir), "label", "render", lpn,
               "--out", "/nonexistent/x.png") == 1
    err = capsys.readouterr().err
    assert err == ("/nonexistent/x.png: cannot write the label: the folder it should go in "
                   "does not exist\n")
