"""barcode_regions: finds a code where it is, at its angle, and nothing on plain surfaces."""

from __future__ import annotations

import numpy as np
import pytest
from synthetic_codes import background, code128_label, place, zxing_label

from drivers.decoding.barcode_regions import find_regions


def angle_gap(a: float, b: float) -> float:
    """Difference of two reading directions, modulo 180°."""
    return abs((a - b + 90.0) % 180.0 - 90.0)


@pytest.mark.parametrize("angle", [0, 17, 33, 45, 71, 90, 120])
def test_linear_code_found_with_its_angle(angle: int) -> None:
    frame, corners = place(background(angle, text=False), code128_label("TOTE-0042"), angle,
                           (640, 360))
    linear = [r for r in find_regions(frame) if r.kind == "linear"]
    assert linear, "no linear region"
    best = linear[0]
    # image y points down, `place` turns counter-clockwise: the reading direction is -angle
    assert angle_gap(best.angle, -angle) < 5
    centre = best.corners.mean(axis=0)
    assert np.linalg.norm(centre - corners.mean(axis=0)) < 40


def test_matrix_code_found() -> None:
    frame, corners = place(background(4, text=False), zxing_label("dm", "DataMatrix", 8), 10,
                           (300, 300))
    matrix = [r for r in find_regions(frame) if r.kind == "matrix"]
    assert any(np.linalg.norm(r.corners.mean(axis=0) - corners.mean(axis=0)) < 40
               for r in matrix)


@pytest.mark.parametrize("image", [np.full((720, 1280), 200, np.uint8),
                                   np.zeros((5, 5), np.uint8)])
def test_nothing_on_a_plain_surface(image: np.ndarray) -> None:
    assert find_regions(image) == []
