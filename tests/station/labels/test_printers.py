"""Printer URIs, label sizes and fitting the rendered label on them (pure core)."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import pytest
import zxingcpp
from PIL import Image

from station.labels.printers import JobState, PrintOutcome, fit_to_size, render_label
from station.labels.render import DispositionLabel, LabelError
from station.settings.printer_uri import (
    LABEL_SIZES,
    Backend,
    PrinterUriError,
    label_size,
    parse_printer_uri,
)


def make_label(**changes: object) -> DispositionLabel:
    label = DispositionLabel(
        disposition="OPEN_BOX", destination="A-01", lpn="BN0100000042K",
        rma_number="RMA-2024-000123", sku="SKU-1", grade="B",
        printed_at=datetime(2024, 5, 6, 14, 3), station="DOCK-1", grader_initials="JD",
        refund="FULL 19.99 EUR",
    )
    return dataclasses.replace(label, **changes)  # type: ignore[arg-type]


class TestSizes:
    @pytest.mark.parametrize(("name", "width", "height", "dpi"), [
        ("80mm", 576, None, 203), ("58mm", 384, None, 203), ("80mm@180", 512, None, 180),
        ("4x6@203", 812, 1218, 203), ("4x6@300", 1200, 1800, 300),
        ("2x1@203", 406, 203, 203), ("2x1@300", 600, 300, 300),
    ])
    def test_table(self, name: str, width: int, height: int | None, dpi: int) -> None:
        size = label_size(name)
        assert (size.width_dots, size.height_dots, size.dpi) == (width, height, dpi)
        assert size.continuous is (height is None)

    def test_unknown_size_lists_the_known_ones(self) -> None:
        with pytest.raises(PrinterUriError, match="known sizes: 80mm, 58mm"):
            label_size("A4")

    @pytest.mark.parametrize("name", ["80mm", "58mm", "80mm@180", "4x6@203", "4x6@300"])
    def test_the_label_fits_every_size_but_2x1_at_its_width(self, name: str) -> None:
        size = LABEL_SIZES[name]
        image = render_label(make_label(), size)
        assert image.mode == "1" and image.width == size.width_dots
        if size.height_dots is not None:
            assert image.height == size.height_dots
            assert image.info["dpi"] == (size.dpi, size.dpi)

    @pytest.mark.parametrize("name", ["2x1@203", "2x1@300"])
    def test_2x1_labels_get_the_compact_layout_at_exactly_their_size(self, name: str) -> None:
        size = LABEL_SIZES[name]
        image = render_label(make_label(), size)
        assert image.size == (size.width_dots, size.height_dots)
        assert [r.text for r in zxingcpp.read_barcodes(image)] == [make_label().lpn]

    @pytest.mark.parametrize("name", ["2x1@203", "2x1@300"])
    def test_a_bitmap_too_long_for_the_label_is_refused_with_the_reason(self, name: str) -> None:
        size = LABEL_SIZES[name]
        too_long = Image.new("1", (size.width_dots, size.height_dots + 1), 1)
        with pytest.raises(LabelError, match=r"needs \d+ dots \(\d+ mm\) of length with a "
                                             r"scannable barcode, but a 2×1 in label"):
            fit_to_size(too_long, size)

    def test_a_barcode_too_dense_for_the_width_is_refused(self) -> None:
        with pytest.raises(LabelError, match="too long for a 48 mm label"):
            render_label(make_label(lpn="BN01ABCDEFGHIJKLMNOPQRSTUV"), LABEL_SIZES["58mm"])

    def test_fit_pads_fixed_labels_with_white_and_never_scales(self) -> None:
        size = LABEL_SIZES["4x6@203"]
        image = Image.new("1", (812, 100), 0)
        placed = fit_to_size(image, size)
        assert placed.size == (812, 1218)
        assert placed.crop((0, 0, 812, 100)).convert("L").getextrema() == (0, 0)
        assert placed.crop((0, 100, 812, 1218)).convert("L").getextrema() == (255, 255)
        with pytest.raises(LabelError, match="rendered 576 dots wide"):
            fit_to_size(Image.new("1", (576, 100), 1), size)
        with pytest.raises(LabelError, match="1-bit"):
            fit_to_size(Image.new("L", (812, 100), 255), size)
        receipt = Image.new("1", (576, 5000), 1)
        assert fit_to_size(receipt, LABEL_SIZES["80mm"]) is receipt


class TestUris:
    @pytest.mark.parametrize(("text", "expected"), [
        ("escpos+tcp://192.168.1.50:9100",
         {"backend": Backend.ESCPOS_TCP, "host": "192.168.1.50", "port": 9100,
          "profile": "TM-T20II", "size": "80mm", "query_status": True}),
        ("escpos+tcp://printer-1.local", {"host": "printer-1.local", "port": 9100}),
        ("escpos+tcp://[fe80::1]:9101", {"host": "fe80::1", "port": 9101}),
        ("ESCPOS+TCP://Host:9100/?size=58mm&status=off",
         {"host": "Host", "size": "58mm", "profile": "POS-5890", "query_status": False}),
        ("escpos+tcp://p?size=80mm@180&profile=TM-T88V", {"size": "80mm@180",
                                                          "profile": "TM-T88V"}),
        ("escpos+usb://04b8:0e15", {"backend": Backend.ESCPOS_USB, "usb_vendor": 0x04B8,
                                    "usb_product": 0x0E15, "usb_in_ep": None}),
        ("escpos+usb://0x0416:0x5011?in_ep=0x81&out_ep=03",
         {"usb_vendor": 0x0416, "usb_product": 0x5011, "usb_in_ep": 0x81, "usb_out_ep": 3}),
        ("escpos+serial:///dev/ttyUSB0?baud=115200",
         {"backend": Backend.ESCPOS_SERIAL, "path": "/dev/ttyUSB0", "baud": 115200}),
        ("escpos+serial:///dev/ttyS0", {"path": "/dev/ttyS0", "baud": 9600}),
        ("escpos+serial:///com3", {"path": "COM3"}),
        ("escpos+file:///dev/usb/lp0", {"backend": Backend.ESCPOS_FILE, "path": "/dev/usb/lp0"}),
        ("cups://receipt_80mm", {"backend": Backend.CUPS, "queue": "receipt_80mm"}),
        ("win32://EPSON%20TM-T20II%20Receipt", {"backend": Backend.WIN32,
                                                "queue": "EPSON TM-T20II Receipt"}),
        ("zpl+tcp://10.0.0.9", {"backend": Backend.ZPL_TCP, "host": "10.0.0.9", "port": 9100,
                                "size": "4x6@203", "profile": ""}),
        ("zpl+tcp://zebra:6101?size=4x6@300", {"port": 6101, "size": "4x6@300"}),
        ("pdf:///srv/labels/", {"backend": Backend.PDF, "path": "/srv/labels/",
                                "size": "4x6@203"}),
        ("pdf:///srv/labels/last.pdf?size=80mm", {"path": "/srv/labels/last.pdf",
                                                  "size": "80mm"}),
        ("pdf:///C:/Labels/", {"path": "C:/Labels/"}),
    ])
    def test_valid_forms(self, text: str, expected: dict[str, object]) -> None:
        uri = parse_printer_uri(text)
        assert str(uri) == text
        for key, value in expected.items():
            actual = uri.size.name if key == "size" else getattr(uri, key)
            assert actual == value, key

    def test_directory_and_language(self) -> None:
        assert parse_printer_uri("pdf:///srv/labels/").is_directory
        assert not parse_printer_uri("pdf:///srv/labels/a.pdf").is_directory
        assert parse_printer_uri("cups://q").language == "escpos"
        assert parse_printer_uri("zpl+tcp://z").language == "zpl"

    @pytest.mark.parametrize(("text", "message"), [
        ("", "the printer URI is empty"),
        ("192.168.1.50:9100", "is not a URI of the form SCHEME://"),
        ("lpt://x", "unknown scheme 'lpt'; write one of escpos+tcp://HOST:9100"),
        ("escpos+tcp://", "needs a host"),
        ("escpos+tcp://host:", "the port after ':' is missing"),
        ("escpos+tcp://host:70000", "port '70000' is not a number from 1 to 65535"),
        ("escpos+tcp://admin:secret@host", "carries no user name or password"),
        ("escpos+tcp://host/queue", "a network printer URI has no path"),
        ("escpos+tcp://bad_host", "'bad_host' is not a host name or IPv4 address"),
        ("escpos+tcp://10.0.0.300", "'10.0.0.300' is not an IPv4 address"),
        ("escpos+tcp://[fe80::zz]", "is not a bracketed IPv6 address"),
        ("escpos+tcp://host?size=4x6@203", "is not receipt media for escpos+tcp://"),
        ("zpl+tcp://host?size=58mm", "is not label media for zpl+tcp://"),
        ("escpos+tcp://host?size=A4", "unknown size 'A4'"),
        ("escpos+tcp://host?profile=default", "'default' profile has no known paper width"),
        ("escpos+tcp://host?profile=../../etc", "is not a python-escpos profile name"),
        ("escpos+tcp://host?timeout=5", "unknown parameter 'timeout'"),
        ("zpl+tcp://host?profile=TM-T20II", "unknown parameter 'profile' for zpl+tcp://"),
        ("escpos+tcp://host?size=58mm&size=80mm", "parameter 'size' is given twice"),
        ("escpos+tcp://host?size=", "parameter 'size' has no value"),
        ("escpos+tcp://host?status=maybe", "write status=on or status=off"),
        ("escpos+tcp://host#x", "no '#fragment'"),
        ("escpos+tcp://ho\x1bst", "holds a control character"),
        ("escpos+usb://04b8", "needs vendor and product id as VID:PID"),
        ("escpos+usb://04b8:lp0", "product id 'lp0' is not a hexadecimal USB id"),
        ("escpos+usb://0000:0e15", "vendor id '0000' is not a hexadecimal USB id"),
        ("escpos+usb://04b8:0e15?in_ep=x", "in_ep='x' is not a USB endpoint"),
        ("escpos+serial://dev/ttyUSB0", "write three slashes"),
        ("escpos+serial:///dev/ttyUSB0?baud=9601", "baud='9601' is not one of 1200"),
        ("escpos+serial:///", "needs an absolute device path"),
        ("escpos+file:///dev/usb/", "needs an absolute device path"),
        ("cups://", "needs the CUPS queue name"),
        ("cups://receipt printer", "a CUPS queue name has no '/' or spaces"),
        ("cups://host/queue", "unexpected path '/queue'"),
        ("win32://", "needs the Windows printer name"),
        ("pdf://labels/", "write three slashes"),
        ("pdf:///srv/labels/label.png", "a single file must end in .pdf"),
    ])
    def test_bad_forms_say_what_is_wrong(self, text: str, message: str) -> None:
        with pytest.raises(PrinterUriError) as raised:
            parse_printer_uri(text)
        assert message in str(raised.value)


def test_outcome_timing_and_ok() -> None:
    import time

    start = time.perf_counter()
    outcome = PrintOutcome(JobState.PRINTED, "printed", 10).since(start)
    assert outcome.ok and outcome.bytes_sent == 10 and outcome.ms >= 0
    assert PrintOutcome(JobState.READY, "ready").ok
    assert not PrintOutcome(JobState.SENT_UNCONFIRMED, "sent").ok
