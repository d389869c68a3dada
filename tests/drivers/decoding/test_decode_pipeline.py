"""PipelineDecoder on camera-like frames: any angle, tilt, blur, noise; nothing from no code."""

from __future__ import annotations

import functools

import cv2
import numpy as np
import pytest
from synthetic_codes import (
    FRAME_H,
    FRAME_W,
    background,
    bgr,
    code128_label,
    degrade,
    place,
    zxing_label,
)

from drivers.decoding.decode_pipeline import PipelineDecoder

LABELS = {
    "Code128": ("RMA-2024-00042", lambda: code128_label("RMA-2024-00042")),
    "EAN13": ("5901234123457", lambda: zxing_label("5901234123457", "EAN13", 3)),
    "QRCode": ("LPN:ABC123/4", lambda: zxing_label("LPN:ABC123/4", "QRCode", 6)),
}
ANGLES = (17, 33, 45, 71)


def centre_inside(position: tuple[tuple[int, int], ...], corners: np.ndarray) -> bool:
    centre = np.mean(np.array(position, np.float32), axis=0)
    contour = corners.reshape(-1, 1, 2).astype(np.float32)
    return cv2.pointPolygonTest(contour, (float(centre[0]), float(centre[1])), False) >= 0


@pytest.mark.parametrize("angle", ANGLES)
@pytest.mark.parametrize("fmt", LABELS)
def test_reads_a_label_held_at_any_angle(
    pipeline: PipelineDecoder, fmt: str, angle: int
) -> None:
    text, make = LABELS[fmt]
    frame, corners = place(background(angle), make(), angle, (700, 380))
    found = pipeline.decode(bgr(frame))
    assert [(code.format, code.text) for code in found] == [(fmt, text)]
    assert centre_inside(found[0].position, corners)


@pytest.mark.parametrize("angle", ANGLES)
@pytest.mark.parametrize("fmt", LABELS)
def test_reads_through_tilt_blur_and_noise(
    pipeline: PipelineDecoder, fmt: str, angle: int
) -> None:
    text, make = LABELS[fmt]
    frame, corners = place(background(100 + angle), make(), angle + 180, (520, 330), tilt=0.25)
    frame = degrade(frame, blur=1.2, noise=6.0, seed=angle)
    found = pipeline.decode(frame)  # grey input is fine too
    assert [code.text for code in found] == [text]
    assert centre_inside(found[0].position, corners)


def test_position_covers_the_code(pipeline: PipelineDecoder) -> None:
    text, make = LABELS["EAN13"]
    label = make()
    frame, corners = place(background(7), label, 33, (640, 360))
    [code] = pipeline.decode(frame)
    assert code.text == text
    reported = np.array(code.position, np.float32)
    # the reported quadrilateral spans most of the label's length
    span = np.linalg.norm(reported[1] - reported[0])
    assert span > 0.7 * (label.shape[1] - 2 * 12)
    assert all(
        cv2.pointPolygonTest(corners.reshape(-1, 1, 2), (float(x), float(y)), True) > -15
        for x, y in reported
    )


def test_two_codes_in_one_frame_are_both_reported(pipeline: PipelineDecoder) -> None:
    frame, _ = place(background(3), code128_label("TOTE-0007"), 0, (400, 250))
    frame, _ = place(frame, zxing_label("LPN:XYZ", "QRCode", 6), 20, (950, 450))
    assert sorted(code.text for code in pipeline.decode(frame)) == ["LPN:XYZ", "TOTE-0007"]


def test_small_photo_at_an_odd_angle(pipeline: PipelineDecoder) -> None:
    label = zxing_label("4006381333931", "EAN13", 2)
    canvas = np.full((420, 560), 200, np.uint8)
    frame, _ = place(canvas, label, 38, (280, 210))
    assert [code.text for code in pipeline.decode(frame)] == ["4006381333931"]


@functools.cache
def no_code_frames() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(11)
    noise = rng.integers(0, 256, (FRAME_H, FRAME_W), dtype=np.uint8)
    stripes = np.tile((np.sin(np.arange(FRAME_W) / 2.3) * 90 + 128).astype(np.uint8),
                      (FRAME_H, 1))
    stripes = degrade(stripes, blur=0.8, noise=10, seed=2)
    woven = degrade((np.indices((FRAME_H, FRAME_W)).sum(axis=0) % 9 < 4).astype(np.uint8)
                    * 120 + 60, blur=1.0, noise=8, seed=3)
    return {
        "flat": np.full((FRAME_H, FRAME_W, 3), 128, np.uint8),
        "noise": noise,
        "bench with print": background(5),
        "stripes": stripes,
        "woven": woven,
        "small noise photo": rng.integers(0, 256, (300, 400), dtype=np.uint8),
    }


@pytest.mark.parametrize("name", list(no_code_frames()))
def test_no_code_no_false_positive(pipeline: PipelineDecoder, name: str) -> None:
    assert pipeline.decode(no_code_frames()[name]) == []


@pytest.mark.parametrize("image", [None, np.zeros((2, 2), np.uint8), np.ones((9, 9, 5), np.uint8)])
def test_bad_pixels(pipeline: PipelineDecoder, image: object) -> None:
    assert pipeline.decode(image) == []
