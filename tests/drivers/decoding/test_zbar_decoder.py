"""ZbarDecoder: the app's format names, and a clean DecoderUnavailable without libzbar."""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

import numpy as np
import pytest
from synthetic_codes import code128_label, zxing_label

from drivers.decoding import zbar_decoder
from drivers.decoding.decode_pipeline import PipelineDecoder
from drivers.decoding.decoder_errors import DecoderUnavailable
from drivers.decoding.zbar_decoder import ZbarDecoder


def zbar_or_skip() -> ZbarDecoder:
    try:
        return ZbarDecoder()
    except DecoderUnavailable as exc:
        pytest.skip(str(exc))


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        (zxing_label("5901234123457", "EAN13", 3), ("EAN13", "5901234123457")),
        (zxing_label("036000291452", "UPCA", 3), ("UPCA", "036000291452")),
        (code128_label("RMA-2024-00042"), ("Code128", "RMA-2024-00042")),
        (zxing_label("12345678901231", "ITF", 3), ("ITF", "12345678901231")),
        (zxing_label("LPN:ABC123", "QRCode", 6), ("QRCode", "LPN:ABC123")),
    ],
)
def test_reads_with_zxing_cpp_format_names(label: np.ndarray, expected: tuple[str, str]) -> None:
    image = np.pad(label, 30, constant_values=255)
    found = zbar_or_skip().decode(image)
    assert [(code.format, code.text) for code in found] == [expected]
    [code] = found
    assert len(code.position) == 4


def test_corners_follow_the_reading_direction_of_a_vertical_code() -> None:
    label = np.pad(code128_label("VERTICAL-1"), 30, constant_values=255)
    upright = zbar_or_skip().decode(label)[0].position
    turned = zbar_or_skip().decode(np.ascontiguousarray(np.rot90(label, -1)))[0].position
    assert upright[1][0] > upright[0][0]  # reads left to right
    assert turned[1][1] > turned[0][1]  # turned clockwise: reads top to bottom


def test_bad_pixels_give_no_code() -> None:
    assert zbar_or_skip().decode(np.zeros((3, 3, 7), np.uint8)) == []


def test_missing_pyzbar_gives_decoder_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyzbar.pyzbar", None)  # import now raises ImportError
    with pytest.raises(DecoderUnavailable, match="libzbar0") as caught:
        ZbarDecoder()
    assert isinstance(caught.value.__cause__, ImportError)


def test_missing_libzbar_gives_decoder_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_library(name: str) -> ModuleType:
        if name == "pyzbar.pyzbar":
            raise ImportError("Unable to find zbar shared library")
        return importlib.import_module(name)

    monkeypatch.setattr(zbar_decoder.importlib, "import_module", no_library)
    with pytest.raises(DecoderUnavailable) as caught:
        ZbarDecoder()
    message = str(caught.value)
    assert "Unable to find zbar shared library" in message
    assert "sudo apt install libzbar0" in message


def test_broken_library_load_is_reported_too(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(name: str) -> ModuleType:
        raise OSError("libzbar.so.0: cannot open shared object file")

    monkeypatch.setattr(zbar_decoder.importlib, "import_module", broken)
    with pytest.raises(DecoderUnavailable, match="cannot open shared object"):
        ZbarDecoder()


def test_pipeline_works_on_without_zbar(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "pyzbar.pyzbar", None)
    decoder = PipelineDecoder()
    assert "decoding without ZBar" in caplog.text
    label = np.pad(zxing_label("5901234123457", "EAN13", 3), 30, constant_values=255)
    assert [code.text for code in decoder.decode(label)] == ["5901234123457"]
