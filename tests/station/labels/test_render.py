"""The disposition label bitmap: scannable at both printer widths, safe with hostile text."""

from __future__ import annotations

import dataclasses
import io
import math
from datetime import datetime
from typing import Any

import pytest
import zxingcpp
from PIL import Image

from station.common.text_hygiene import clean_text
from station.labels.code128 import total_modules
from station.labels.render import (
    DispositionLabel,
    LabelError,
    render_disposition_label,
    to_png_bytes,
)

DPI = 203
PRINTER_WIDTHS = {"80 mm": 576, "58 mm": 384}
HOSTILE = "\x1b@\x1d!\x10\x1bp\x00\u202eKCOTSER\u202a\u2066x\u2069\u200b\ufeff"


def make_label(**changes: Any) -> DispositionLabel:
    label = DispositionLabel(
        disposition="OPEN_BOX",
        destination="A-01",
        lpn="BN0100000042K",
        rma_number="RMA-2024-000123",
        sku="SKU-TSHIRT-BLK-M",
        grade="B",
        printed_at=datetime(2024, 5, 6, 14, 3),
        station="DOCK-1",
        grader_initials="JD",
        refund="FULL 19.99 EUR",
    )
    return dataclasses.replace(label, **changes)


def decoded(image: Image.Image) -> list[zxingcpp.Barcode]:
    return zxingcpp.read_barcodes(image)


def black_runs(row: list[int]) -> list[tuple[int, int]]:
    """(start, end) of each run of black (0) pixels in a row, end exclusive."""
    runs: list[tuple[int, int]] = []
    start = None
    for x, value in enumerate([*row, 1]):
        if value == 0 and start is None:
            start = x
        elif value != 0 and start is not None:
            runs.append((start, x))
            start = None
    return runs


def barcode_row(image: Image.Image, barcode: zxingcpp.Barcode) -> list[int]:
    position = barcode.position
    y = (position.top_left.y + position.bottom_left.y) // 2
    return [int(image.getpixel((x, y)) != 0) for x in range(image.width)]


@pytest.mark.parametrize("width_dots", PRINTER_WIDTHS.values(), ids=PRINTER_WIDTHS.keys())
class TestPrinterWidths:
    def test_lpn_barcode_scans_back_to_the_lpn(self, width_dots: int) -> None:
        image = render_disposition_label(make_label(), width_dots=width_dots, dpi=DPI)
        results = decoded(image)
        assert [(r.format, r.text) for r in results] == [
            (zxingcpp.BarcodeFormat.Code128, "BN0100000042K")
        ]

    def test_bitmap_is_one_bit_at_native_width_and_about_1_1_times_as_tall(
        self, width_dots: int
    ) -> None:
        image = render_disposition_label(make_label(), width_dots=width_dots, dpi=DPI)
        assert image.mode == "1"
        assert image.width == width_dots
        assert 1.05 <= image.height / width_dots <= 1.2

    def test_white_paper_with_black_ink(self, width_dots: int) -> None:
        image = render_disposition_label(make_label(), width_dots=width_dots, dpi=DPI)
        histogram = image.convert("L").histogram()
        white, black = histogram[255], histogram[0]
        assert white + black == image.width * image.height
        assert white > 2 * black
        corners = [(0, 0), (image.width - 1, 0), (0, image.height - 1)]
        assert all(image.getpixel(corner) != 0 for corner in corners)

    def test_bars_are_whole_dots_at_least_two_wide_with_ten_module_quiet_zones(
        self, width_dots: int
    ) -> None:
        image = render_disposition_label(make_label(), width_dots=width_dots, dpi=DPI)
        (barcode,) = decoded(image)
        runs = black_runs(barcode_row(image, barcode))
        first, last = runs[0][0], runs[-1][1]
        module, remainder = divmod(last - first, total_modules("BN0100000042K"))
        assert remainder == 0
        assert module >= 2
        assert first >= 10 * module
        assert width_dots - last >= 10 * module

    def test_bars_are_at_least_12_mm_tall(self, width_dots: int) -> None:
        image = render_disposition_label(make_label(), width_dots=width_dots, dpi=DPI)
        (barcode,) = decoded(image)
        x = black_runs(barcode_row(image, barcode))[0][0]
        column = [int(image.getpixel((x, y)) != 0) for y in range(image.height)]
        tallest = max(end - start for start, end in black_runs(column))
        assert tallest >= math.ceil(12 / 25.4 * DPI)

    def test_hostile_free_text_still_renders_a_scannable_label(self, width_dots: int) -> None:
        hostile = make_label(
            disposition=HOSTILE + "RESTOCK",
            destination=HOSTILE,
            rma_number=HOSTILE + "R" * 10_000,
            sku="\x1d" * 10_000,
            grade=HOSTILE,
            station="W" * 10_000,
            grader_initials=HOSTILE,
            refund=HOSTILE + "\n\r\t" * 3_000,
        )
        image = render_disposition_label(hostile, width_dots=width_dots, dpi=DPI)
        assert image.width == width_dots
        assert [r.text for r in decoded(image)] == ["BN0100000042K"]


class TestLpnValidation:
    def test_too_long_lpn_is_refused_on_a_58_mm_printer_rather_than_printed_thin(self) -> None:
        label = make_label(lpn="ABCDEFGHIJKLMNOP")
        with pytest.raises(LabelError, match=r"too long for a \d+ mm label"):
            render_disposition_label(label, width_dots=384, dpi=DPI)

    def test_the_same_lpn_fits_an_80_mm_printer(self) -> None:
        image = render_disposition_label(make_label(lpn="ABCDEFGHIJKLMNOP"), width_dots=576)
        assert [r.text for r in decoded(image)] == ["ABCDEFGHIJKLMNOP"]

    @pytest.mark.parametrize(
        "lpn", ["", "bn0100000042k", "BN 0100", "BN-0100", "BN0100\n", "\x1bBN01", "ÄBC"]
    )
    def test_lpn_must_be_digits_and_capital_letters(self, lpn: str) -> None:
        with pytest.raises(LabelError, match="LPN"):
            render_disposition_label(make_label(lpn=lpn))

    def test_label_error_is_a_value_error(self) -> None:
        assert issubclass(LabelError, ValueError)


class TestRendering:
    def test_same_label_renders_to_the_same_bitmap(self) -> None:
        first = to_png_bytes(render_disposition_label(make_label()))
        assert first == to_png_bytes(render_disposition_label(make_label()))

    def test_png_bytes_round_trip_with_the_printer_dpi(self) -> None:
        image = render_disposition_label(make_label(), width_dots=384, dpi=DPI)
        data = to_png_bytes(image)
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
        with Image.open(io.BytesIO(data)) as loaded:
            assert loaded.size == image.size
            assert loaded.mode == "1"
            assert round(loaded.info["dpi"][0]) == DPI
            assert loaded.tobytes() == image.tobytes()

    def test_different_fields_change_the_bitmap(self) -> None:
        base = render_disposition_label(make_label()).tobytes()
        for field in ("disposition", "destination", "sku", "refund", "grader_initials"):
            changed = render_disposition_label(make_label(**{field: "ZZ9"})).tobytes()
            assert changed != base, field

    def test_timestamp_is_shown_to_the_minute(self) -> None:
        seconds_differ = make_label(printed_at=datetime(2024, 5, 6, 14, 3, 59))
        assert (
            render_disposition_label(seconds_differ).tobytes()
            == render_disposition_label(make_label()).tobytes()
        )

    def test_disposition_without_any_visible_text_is_refused(self) -> None:
        with pytest.raises(LabelError, match="disposition"):
            render_disposition_label(make_label(disposition="\x1b\u202e\x10"))

    @pytest.mark.parametrize(("width_dots", "dpi"), [(0, 203), (576, 0), (-5, 203)])
    def test_nonsense_printer_geometry_is_refused(self, width_dots: int, dpi: int) -> None:
        with pytest.raises(LabelError):
            render_disposition_label(make_label(), width_dots=width_dots, dpi=dpi)


class TestCleanText:
    def test_printer_control_bytes_are_removed(self) -> None:
        assert clean_text("\x1b@A\x1d!B\x10C\x00D\x7f") == "@A!BCD"

    @pytest.mark.parametrize(
        "control",
        [
            "\u202a",
            "\u202b",
            "\u202c",
            "\u202d",
            "\u202e",
            "\u2066",
            "\u2067",
            "\u2068",
            "\u2069",
            "\u200b",
            "\ufeff",
            "\U000e0001",
        ],
    )
    def test_bidi_overrides_and_invisible_format_characters_are_removed(self, control: str) -> None:
        assert clean_text(f"RE{control}STOCK") == "RESTOCK"

    def test_whitespace_controls_become_single_spaces(self) -> None:
        assert clean_text("  FULL\t19.99\r\nEUR\u2028 ") == "FULL 19.99 EUR"

    def test_ordinary_unicode_text_is_kept(self) -> None:
        assert clean_text("Müller-Straße 5, Łódź") == "Müller-Straße 5, Łódź"

    def test_long_text_is_truncated_with_an_ellipsis(self) -> None:
        cleaned = clean_text("X" * 10_000)
        assert len(cleaned) == 60
        assert cleaned == "X" * 59 + "…"

    def test_max_len_is_respected(self) -> None:
        assert clean_text("ABCDEFGH", max_len=5) == "ABCD…"
        assert clean_text("ABCDE", max_len=5) == "ABCDE"

    def test_hostile_text_comes_out_without_any_control_character(self) -> None:
        cleaned = clean_text(HOSTILE * 1_000)
        assert len(cleaned) <= 60
        assert not any(char in cleaned for char in "\x1b\x1d\x10\x00\u202e\u202a\u2066\u2069")

    def test_max_len_must_be_positive(self) -> None:
        with pytest.raises(ValueError, match="max_len"):
            clean_text("x", max_len=0)
