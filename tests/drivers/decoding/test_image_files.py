"""image_files: photos (any path), videos frame by frame, each code once, clear errors."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from hostile_files import png_claiming
from synthetic_codes import bgr, code128_label, place, zxing_label

from drivers.decoding import image_files
from drivers.decoding.decode_pipeline import PipelineDecoder
from drivers.decoding.image_files import UnreadableFile, decode_file, read_image, video_frames
from station.ports.decoder import DecodedCode

W, H = 640, 360


def label_photo() -> np.ndarray:
    canvas = np.full((H, W), 210, np.uint8)
    frame, _ = place(canvas, code128_label("RMA-77"), 8, (W / 2, H / 2))
    return bgr(frame)


def write_image(path: Path, image: np.ndarray) -> Path:
    ok, data = cv2.imencode(path.suffix, image)
    assert ok
    path.write_bytes(data.tobytes())
    return path


@pytest.mark.parametrize("name", ["label.png", "label.jpg", "Rücksendung Ø-Ω.png"])
def test_photo_is_decoded_once(tmp_path: Path, pipeline: PipelineDecoder, name: str) -> None:
    path = write_image(tmp_path / name, label_photo())
    result = decode_file(path, pipeline)
    assert result.file == path
    assert [(hit.code.text, hit.frame) for hit in result.results] == [("RMA-77", None)]
    assert result.frames == 1
    assert result.ms > 0


def test_imdecode_takes_over_when_imread_cannot_open_the_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_image(tmp_path / "ünïcödé.png", label_photo())
    monkeypatch.setattr(image_files.cv2, "imread", lambda *args, **kwargs: None)
    assert read_image(path).shape == (H, W, 3)


def test_missing_file(tmp_path: Path, pipeline: PipelineDecoder) -> None:
    with pytest.raises(UnreadableFile, match="no such file"):
        decode_file(tmp_path / "gone.jpg", pipeline)


def test_folder_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile, match="not a file"):
        read_image(tmp_path)


@pytest.mark.parametrize("name", ["broken.jpg", "empty.png"])
def test_unreadable_photo(tmp_path: Path, pipeline: PipelineDecoder, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"" if name.startswith("empty") else b"\xff\xd8 not really a jpeg")
    with pytest.raises(UnreadableFile, match="not an image OpenCV can decode"):
        decode_file(path, pipeline)


def test_unreadable_video(tmp_path: Path, pipeline: PipelineDecoder) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42 garbage")
    with pytest.raises(UnreadableFile, match="neither an image nor a video"):
        decode_file(path, pipeline)


def passing_label_video(path: Path, fourcc: str) -> int:
    """A 36-frame clip: a Code 128 label slides across, then a QR label shows up.

    Returns the first frame in which the Code 128 label is wholly inside the picture.
    """
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), 12, (W, H))
    if not writer.isOpened():
        pytest.skip(f"OpenCV cannot write {fourcc} here")
    label = code128_label("TOTE-0042", module_px=2, height=60)
    qr = zxing_label("LPN:Q-9", "QRCode", 5)
    first_whole = -1
    for index in range(36):
        canvas = np.full((H, W), 190, np.uint8)
        x = -label.shape[1] / 2 + index * 40  # moves 40 px a frame, left to right
        frame, corners = place(canvas, label, 0, (x, H / 2))
        if first_whole < 0 and corners[:, 0].min() >= 0:
            first_whole = index
        if 24 <= index < 32:
            frame, _ = place(frame, qr, 0, (W - 90, 90))
        writer.write(bgr(frame))
    writer.release()
    return first_whole


@pytest.mark.parametrize(("fourcc", "suffix"), [("MJPG", ".avi"), ("mp4v", ".mp4")])
def test_video_reports_each_code_once_with_its_first_frame(
    tmp_path: Path, pipeline: PipelineDecoder, fourcc: str, suffix: str
) -> None:
    path = tmp_path / f"bench{suffix}"
    first_whole = passing_label_video(path, fourcc)
    result = decode_file(path, pipeline)
    hits = {hit.code.text: hit.frame for hit in result.results}
    assert set(hits) == {"TOTE-0042", "LPN:Q-9"}
    # readable once the bars are in (the label's quiet zone may still be cut), not before
    assert first_whole - 1 <= hits["TOTE-0042"] <= first_whole + 3
    assert 24 <= hits["LPN:Q-9"] < 32
    assert result.frames == 36


class CountingDecoder:
    """Sees every frame it is given and reports one code per frame."""

    name = "counting"

    def __init__(self) -> None:
        self.frames = 0

    def decode(self, image: object) -> list[DecodedCode]:
        self.frames += 1
        return [DecodedCode("Code128", "SAME", ((0, 0), (1, 0), (1, 1), (0, 1)))]


def test_every_nth_frame(tmp_path: Path) -> None:
    path = tmp_path / "clip.avi"
    passing_label_video(path, "MJPG")
    decoder = CountingDecoder()
    result = decode_file(path, decoder, every=5)
    assert decoder.frames == result.frames == 8  # frames 0, 5, ..., 35
    assert [(hit.code.text, hit.frame) for hit in result.results] == [("SAME", 0)]
    assert [index for index, _ in video_frames(path, every=10)] == [0, 10, 20, 30]


def test_every_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        list(video_frames(tmp_path / "x.avi", every=0))


@pytest.mark.parametrize(("width", "height"), [(100_000, 100_000), (10_000, 6_500)],
                         ids=["ten-billion-pixels", "just-over-the-limit"])
def test_an_image_claiming_too_many_pixels_is_refused_from_its_header(
    tmp_path: Path, pipeline: PipelineDecoder, width: int, height: int
) -> None:
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(png_claiming(width, height))
    with pytest.raises(UnreadableFile, match=f"{width * height:,} pixels|{width} × {height}"):
        decode_file(bomb, pipeline)


def test_a_file_larger_than_any_photo_is_refused_unread(
    tmp_path: Path, pipeline: PipelineDecoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(image_files, "MAX_IMAGE_FILE_BYTES", 1000)
    big = write_image(tmp_path / "big.png", np.random.default_rng(1).integers(
        0, 255, (100, 100, 3), dtype=np.uint8))
    with pytest.raises(UnreadableFile, match="images of at most"):
        decode_file(big, pipeline)
