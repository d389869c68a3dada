"""The corpus README's matching rules as benchmarks/decode.py applies them."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARK = Path(__file__).resolve().parents[3] / "benchmarks" / "decode.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("decode_benchmark", BENCHMARK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("expected", "got", "fmt", "same"),
    [
        ("line one\r\nline two", "line one\nline two", "qrcode", True),
        ("0108903819987659\x1d17310630", "(01)08903819987659(17)310630", "datamatrix", True),
        ("  5030159003930 ", "5030159003930", "ean13", True),
        ("036000291452", "0036000291452", "upca", True),
        ("036000291452", "36000291452", "upca", False),
        ("5030159003930", "7034759003930", "ean13", False),
        ("abc", "+A+B+C", "code39", True),
        ("abc", "+A+B+C", "code128", False),
        ("(not gs1)", "not gs1", "qrcode", False),
    ],
)
def test_matching_rules(bench: ModuleType, expected: str, got: str, fmt: str, same: bool) -> None:
    assert bench.matches(expected, got, fmt) is same


def test_frames_are_1280_by_720(bench: ModuleType) -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    background = bench.to_frame_size(np.zeros((480, 640, 3), np.uint8))
    assert background.shape == (720, 1280, 3)
    framed = bench.in_frame(np.full((960, 1280, 3), 9, np.uint8), background, rng)
    assert framed.shape == (720, 1280, 3)
