"""ZPL printers: the ^GFA field a fake Zebra receives decompresses to the rendered label pixel
for pixel and scans; ~HS is read before and after; failures end in their states."""

from __future__ import annotations

import random
import time
from collections.abc import Callable

import pytest
from fake_printer import FakePrinter, zpl_host_status
from label_fixtures import assert_same_pixels, assert_scans_to_lpn, hostile_label, make_label
from PIL import Image
from printer_streams import decompress_gfa, parse_zpl

from drivers.printers.label_printers import open_label_printer
from drivers.printers.zpl_printer import (
    HOST_STATUS,
    HostStatus,
    ZplPrinter,
    compress_row,
    graphic_field,
)
from station.labels.printers import JobState, render_label
from station.settings.printer_uri import LABEL_SIZES, parse_printer_uri

Server = Callable[..., FakePrinter]


def zebra(server: FakePrinter, query: str = "", **timeouts: float) -> ZplPrinter:
    printer = open_label_printer(f"zpl+tcp://{server.uri_authority}{query}", **timeouts)
    assert isinstance(printer, ZplPrinter)
    return printer


def job_part(received: bytes) -> bytes:
    """The ZPL job between the status queries before and after it."""
    assert received.startswith(HOST_STATUS)
    return received[len(HOST_STATUS) :].split(HOST_STATUS)[0]


@pytest.mark.parametrize("size_name", ["4x6@203", "4x6@300"])
def test_graphic_field_is_the_rendered_label_pixel_for_pixel_and_scans(
    printer_server: Server, size_name: str
) -> None:
    server = printer_server()
    printer = zebra(server, f"?size={size_name}")
    size = LABEL_SIZES[size_name]
    image = render_label(make_label(), size)

    outcome = printer.print_label(image)
    server.wait_closed()

    assert outcome.state is JobState.PRINTED, outcome
    assert server.received.endswith(HOST_STATUS)
    job = parse_zpl(job_part(server.received))
    assert outcome.bytes_sent == len(job_part(server.received))
    assert (job.print_width, job.label_length) == (size.width_dots, size.height_dots)
    assert job.commands == ["^XA", "^PW", "^LL", "^LH", "^FO", "^GF", "^FS", "^PQ", "^XZ"]
    assert image.size == (size.width_dots, size.height_dots)
    assert_same_pixels(job.image, image)
    assert_scans_to_lpn(job.image)
    assert outcome.bytes_sent < len(image.tobytes())  # compressed below the raw bitmap


def test_hostile_label_text_reaches_the_printer_only_as_pixels(printer_server: Server) -> None:
    server = printer_server()
    printer = zebra(server)
    image = render_label(hostile_label(), printer.size)

    outcome = printer.print_label(image)
    server.wait_closed()

    assert outcome.state is JobState.PRINTED
    job_text = job_part(server.received)
    job = parse_zpl(job_text)  # only the allowed commands; no ^FD field data
    assert job_text.count(b"^") == 9 and b"~" not in job_text
    assert_scans_to_lpn(job.image)


def test_paper_out_before_the_job_sends_nothing_but_the_status_query(
    printer_server: Server,
) -> None:
    server = printer_server("paper-out")
    printer = zebra(server)
    outcome = printer.print_label(render_label(make_label(), printer.size))
    server.wait_closed()

    assert outcome.state is JobState.NOT_READY
    assert outcome.detail == "printer not ready: paper (labels) out; nothing was sent"
    assert server.received == HOST_STATUS


def test_refused_hung_and_absent_printers(printer_server: Server) -> None:
    image = render_label(make_label(), LABEL_SIZES["4x6@203"])
    assert zebra(printer_server("refuse")).print_label(image).state is JobState.REFUSED

    start = time.perf_counter()
    hung = zebra(printer_server("hang"), status_s=0.4).print_label(image)
    assert hung.state is JobState.TIMED_OUT
    assert 0.4 <= time.perf_counter() - start < 0.8

    start = time.perf_counter()
    absent = zebra(printer_server("not-listening")).print_label(image)
    assert absent.state is JobState.OFFLINE
    assert time.perf_counter() - start < 0.5


def test_status_not_answered_after_the_job_is_sent_unconfirmed(printer_server: Server) -> None:
    server = printer_server("mute-after-job")
    printer = zebra(server, confirm_s=0.3)
    image = render_label(make_label(), printer.size)
    outcome = printer.print_label(image)
    assert outcome.state is JobState.SENT_UNCONFIRMED
    assert outcome.bytes_sent == len(printer.job(image))


def test_printer_still_busy_at_the_deadline_is_sent_unconfirmed(printer_server: Server) -> None:
    server = printer_server(zpl_status=zpl_host_status(formats=1, labels=1))
    outcome = zebra(server, confirm_s=0.3).print_label(render_label(make_label(),
                                                                    LABEL_SIZES["4x6@203"]))
    assert outcome.state is JobState.SENT_UNCONFIRMED
    assert "still had 1 format(s) and 1 label(s) to go" in outcome.detail
    assert server.received.count(HOST_STATUS) >= 3  # polled


def test_a_label_that_does_not_fit_the_stock_is_refused_before_connecting(
    printer_server: Server,
) -> None:
    server = printer_server()
    printer = zebra(server, "?size=2x1@203")
    compact = render_label(make_label(), printer.size)  # the compact layout fits 2×1 exactly
    assert compact.size == (406, 203)
    assert_scans_to_lpn(compact)
    too_long = Image.new("1", (406, 600), 1)
    outcome = printer.print_label(too_long)
    assert outcome.state is JobState.REFUSED
    assert "needs 600 dots" in outcome.detail
    assert server.connections == []


class TestHostStatus:
    def test_ready(self) -> None:
        status = HostStatus.parse(zpl_host_status())
        assert status is not None and status.problems() == [] and not status.busy

    @pytest.mark.parametrize(("flags", "problem"), [
        ({"paper_out": True}, "paper (labels) out"),
        ({"paused": True}, "paused (press PAUSE on the printer)"),
        ({"head_up": True}, "print head open"),
    ])
    def test_problems(self, flags: dict[str, bool], problem: str) -> None:
        status = HostStatus.parse(zpl_host_status(**flags))
        assert status is not None and status.problems() == [problem]

    def test_ribbon_out_matters_only_in_thermal_transfer_mode(self) -> None:
        direct = (b"\x02030,0,0,1218,000,0,0,0,000,0,0,0\x03\r\n"
                  b"\x02001,0,0,1,0,2,6,0,00000000,1,000\x03\r\n")
        transfer = direct.replace(b"001,0,0,1,0,", b"001,0,0,1,1,")
        assert HostStatus.parse(direct).problems() == []  # type: ignore[union-attr]
        assert HostStatus.parse(transfer).problems() == ["ribbon out"]  # type: ignore[union-attr]

    @pytest.mark.parametrize("reply", [b"", b"OK", b"\x02030,0,0\x03\r\n",
                                       b"\x02a,b,c,d,e,f,g,h,i,j,k,l\x03\x02a,b,c,d,e,f,g,h,i,j,k\x03"])
    def test_garbage_is_not_status(self, reply: bytes) -> None:
        assert HostStatus.parse(reply) is None


class TestCompression:
    def test_known_rows(self) -> None:
        assert compress_row("0000") == ","
        assert compress_row("FFFF") == "!"
        assert compress_row("F0F0") == "F0F,"
        assert compress_row("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" + "B") == "hHAB"  # 42 A
        assert compress_row("0" * 3 + "1" + "0" * 4) == "I01,"
        assert compress_row("1" * 500 + "2") == "zY1jG12"  # 419 + 81 (j = 80, G = 1)

    def test_random_and_striped_bitmaps_round_trip(self) -> None:
        rng = random.Random(20240506)
        for width, height in ((1200, 40), (812, 40), (13, 5)):
            image = Image.new("1", (width, height), 1)
            pixels = image.load()
            assert pixels is not None
            for y in range(height):
                kind = y % 4
                for x in range(width):
                    if kind == 0:
                        black = rng.random() < 0.5
                    elif kind == 1:
                        black = (x // 37) % 2 == 0
                    elif kind == 2:
                        black = x > width // 3
                    else:
                        black = False
                    pixels[x, y] = 0 if black else 1
            image.paste(image.crop((0, 0, width, 1)), (0, height - 1))  # a repeated row
            data, total, row_bytes = graphic_field(image)
            raw = decompress_gfa(data, row_bytes, total)
            decoded = Image.frombytes("1", (row_bytes * 8, height), bytes(255 - b for b in raw))
            assert_same_pixels(decoded.crop((0, 0, width, height)), image)
            padding = [raw[r * row_bytes + row_bytes - 1] & ((1 << (-width % 8)) - 1)
                       for r in range(height)]
            assert not any(padding), "padding dots beyond the width must stay white"


def test_zpl_uri_defaults_to_4x6_at_203_dpi() -> None:
    uri = parse_printer_uri("zpl+tcp://zebra-1")
    assert (uri.host, uri.port, uri.size.name) == ("zebra-1", 9100, "4x6@203")


def test_status_reports_ready_paper_out_and_hung(printer_server: Server) -> None:
    assert zebra(printer_server()).status().state is JobState.READY
    paper_out = zebra(printer_server("paper-out")).status()
    assert (paper_out.state, paper_out.detail) == (JobState.NOT_READY, "paper (labels) out")
    assert zebra(printer_server("hang"), status_s=0.2).status().state is JobState.TIMED_OUT
    assert zebra(printer_server("not-listening")).status().state is JobState.OFFLINE
