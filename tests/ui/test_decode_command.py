"""`returns-station decode` reads photos and videos through the app's own decoder."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import pytest
from hostile_files import png_claiming
from label_video import label, write_label_video

from ui import launcher


def test_photos_and_videos_are_decoded_with_format_kind_and_position(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    photo = tmp_path / "label.png"
    cv2.imwrite(str(photo), cv2.copyMakeBorder(label("4006381333931"), 40, 40, 40, 40,
                                               cv2.BORDER_CONSTANT, value=255))
    video = write_label_video(tmp_path / "bench.avi", "RMA-100001")
    assert launcher.main(["--data-dir", str(tmp_path / "station"), "decode", str(photo),
                          str(video)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["file"] for line in lines] == [str(photo), str(video)]
    (code,) = lines[0]["results"]
    assert code["text"] == "4006381333931" and code["format"] == "Code128"
    assert code["kind"] == "gtin" and len(code["position"]) == 4
    assert [r["text"] for r in lines[1]["results"]] == ["RMA-100001"]
    assert lines[1]["results"][0]["kind"] == "rma" and "frame" in lines[1]["results"][0]
    assert all(isinstance(line["ms"], float) for line in lines)


def test_an_unreadable_file_is_reported_and_the_command_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not an image at all")
    assert launcher.main(["decode", str(broken), str(tmp_path / "missing.png")]) == 1
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert all(line["error"] and line["results"] == [] for line in lines)


def test_a_decompression_bomb_is_refused_and_the_next_file_is_still_decoded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(png_claiming(100_000, 100_000))
    photo = tmp_path / "label.png"
    cv2.imwrite(str(photo), cv2.copyMakeBorder(label("4006381333931"), 40, 40, 40, 40,
                                               cv2.BORDER_CONSTANT, value=255))
    assert launcher.main(["--data-dir", str(tmp_path / "station"), "decode", str(bomb),
                          str(photo)]) == 1
    captured = capsys.readouterr()
    first, second = (json.loads(line) for line in captured.out.splitlines())
    assert "10,000,000,000 pixels" in first["error"] and first["results"] == []
    assert [r["text"] for r in second["results"]] == ["4006381333931"]
    assert "Traceback" not in captured.err
