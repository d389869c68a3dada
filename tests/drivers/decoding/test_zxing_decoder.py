"""ZxingDecoder: format names, text forms (UPC-A, UPC-E, GS1, control characters), corners."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import zxingcpp
from synthetic_codes import code128_label, zxing_label

from drivers.decoding.zxing_decoder import ZxingDecoder


def rendered(text: str, fmt: str, scale: int = 3, **options: object) -> np.ndarray:
    barcode = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.__members__[fmt], **options)
    image = np.asarray(zxingcpp.write_barcode_to_image(barcode, scale=scale), dtype=np.uint8)
    return np.pad(image, 20, constant_values=255)


@pytest.mark.parametrize(
    ("text", "fmt", "expected_format", "expected_text"),
    [
        ("5901234123457", "EAN13", "EAN13", "5901234123457"),
        ("036000291452", "UPCA", "UPCA", "036000291452"),
        ("01234565", "UPCE", "UPCE", "01234565"),
        ("96385074", "EAN8", "EAN8", "96385074"),
        ("CODE39-42", "Code39", "Code39", "CODE39-42"),
        ("12345678901231", "ITF", "ITF", "12345678901231"),
        ("LPN:ABC123", "QRCode", "QRCode", "LPN:ABC123"),
        ("dm text", "DataMatrix", "DataMatrix", "dm text"),
        ("pdf417 text", "PDF417", "PDF417", "pdf417 text"),
    ],
)
def test_formats_are_named_as_zxing_cpp_names_them(
    text: str, fmt: str, expected_format: str, expected_text: str
) -> None:
    found = ZxingDecoder().decode(rendered(text, fmt))
    assert [(code.format, code.text) for code in found] == [(expected_format, expected_text)]


def test_upc_a_is_ean13_with_a_leading_zero_when_upca_is_not_asked_for() -> None:
    found = ZxingDecoder(("EAN13",)).decode(rendered("036000291452", "UPCA"))
    assert [(code.format, code.text) for code in found] == [("EAN13", "0036000291452")]


def test_code128_from_the_station_encoder_reads_back_with_corners_around_it() -> None:
    label = np.pad(code128_label("RMA-2024-00042"), 40, constant_values=255)
    [code] = ZxingDecoder().decode(label)
    assert (code.format, code.text) == ("Code128", "RMA-2024-00042")
    assert len(code.position) == 4
    xs = [x for x, _ in code.position]
    assert min(xs) >= 40 and max(xs) <= label.shape[1] - 40


def test_gs1_data_comes_in_bracketed_form() -> None:
    image = rendered("(01)09501101530003(17)251231(10)ABC123", "DataMatrix", scale=6)
    [code] = ZxingDecoder().decode(image)
    assert code.text == "(01)09501101530003(17)251231(10)ABC123"


def test_control_characters_are_kept_as_they_are() -> None:
    message = "[)>\x1e06\x1d25PLEIBMAQ7\x1dS44AA\x1e\x04"
    [code] = ZxingDecoder().decode(rendered(message, "DataMatrix", scale=6))
    assert code.text == message


def test_colour_and_grey_images_give_the_same_reads() -> None:
    grey = zxing_label("5901234123457", "EAN13", 3)
    colour = np.dstack([grey, grey, grey])
    decoder = ZxingDecoder()
    assert decoder.decode(grey) == decoder.decode(colour)


@pytest.mark.parametrize(
    "image",
    [None, "not an image", np.zeros((0, 0), np.uint8), np.zeros((4, 4), np.uint8),
     np.zeros((50, 50), np.float32), np.zeros((50, 50, 2), np.uint8)],
)
def test_bad_pixels_give_no_code_and_no_exception(image: object) -> None:
    assert ZxingDecoder().decode(image) == []


def test_unknown_format_or_binarizer_is_refused() -> None:
    with pytest.raises(ValueError, match="Code11"):
        ZxingDecoder(("Code11",))
    with pytest.raises(ValueError, match="binarizer"):
        ZxingDecoder(binarizer="Magic")


_STILL_HELD_AT_EXIT = """
import ctypes
import numpy as np
from drivers.decoding.decode_pipeline import PipelineDecoder

decoder = PipelineDecoder()
decoder.decode(np.zeros((120, 160, 3), np.uint8))
# As Qt does with a window's Python objects: a reference from C++ that outlives the
# interpreter's clean-up.
ctypes.pythonapi.Py_IncRef(ctypes.py_object(decoder))
"""


def test_a_decoder_alive_at_exit_leaves_no_nanobind_leak_warnings() -> None:
    """zxing-cpp is a nanobind extension, which lists every instance of its types still alive
    when the interpreter ends ("nanobind: leaked 5 instances!", issue #17). The decoders keep
    only Python values and make zxing-cpp's objects per read, so none outlives a read."""
    done = subprocess.run([sys.executable, "-c", _STILL_HELD_AT_EXIT], capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "nanobind" not in done.stderr
