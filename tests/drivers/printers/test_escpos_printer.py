"""ESC/POS printers: the bytes a fake network printer receives decode back to the very bitmap
that was rendered and scan to the LPN; every failure ends in its state, within its time."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fake_printer import ESCPOS_READY, FakePrinter
from label_fixtures import (
    assert_same_pixels,
    assert_scans_to_lpn,
    hostile_label,
    make_label,
)
from PIL import Image
from printer_streams import parse_escpos
from sqlalchemy import select
from station_bench import StationUnderTest, inspect_unit

from drivers.printers.escpos_printer import (
    STATUS_QUERY,
    EscposPrinter,
    EscposStatus,
    check_profile,
    escpos_printer,
)
from drivers.printers.label_printers import open_label_printer
from station.common.vocabulary import Grade, Role
from station.labels import print_queue
from station.labels.print_queue import PrintQueue
from station.labels.printers import JobState, PrinterUnavailable, render_label
from station.receiving import parcels as receiving
from station.settings.printer_uri import LABEL_SIZES, PrinterUriError, parse_printer_uri
from station.store.models import Rma

Server = Callable[..., FakePrinter]
QUERY_COMMANDS = ["DLE EOT 1", "DLE EOT 2", "DLE EOT 4"]


def network_printer(server: FakePrinter, query: str = "", **timeouts: float) -> EscposPrinter:
    printer = escpos_printer(parse_printer_uri(f"escpos+tcp://{server.uri_authority}{query}"),
                             **timeouts)
    return printer


@pytest.mark.parametrize(("size_name", "cuts"), [("80mm", True), ("58mm", False)])
def test_received_raster_is_the_rendered_label_pixel_for_pixel_and_scans(
    printer_server: Server, size_name: str, cuts: bool
) -> None:
    server = printer_server()
    printer = network_printer(server, f"?size={size_name}")
    image = render_label(make_label(), LABEL_SIZES[size_name])

    outcome = printer.print_label(image)
    server.wait_closed()

    assert outcome.state is JobState.PRINTED, outcome
    stream = parse_escpos(server.received)
    assert stream.commands[:3] == stream.commands[-3:] == QUERY_COMMANDS
    job = stream.commands[3:-3]
    tail = ["ESC d 6", "GS V cut"] if cuts else ["ESC d 6"]  # the 58 mm model has no cutter
    assert job[0] == "ESC @" and job[-len(tail):] == tail
    assert all(command.startswith("GS v 0 ") for command in job[1 : -len(tail)])
    assert outcome.bytes_sent == len(server.received) - 2 * len(STATUS_QUERY)
    printed = stream.image()
    assert printed.width == printer.width_dots == LABEL_SIZES[size_name].width_dots
    assert_same_pixels(printed, image)
    assert_scans_to_lpn(printed)


def test_hostile_label_text_reaches_the_printer_only_as_pixels(printer_server: Server) -> None:
    server = printer_server()
    printer = network_printer(server)
    image = render_label(hostile_label(), printer.size)

    outcome = printer.print_label(image)
    server.wait_closed()

    assert outcome.state is JobState.PRINTED, outcome
    # The strict parser fails on any byte outside the commands below: no text, no ESC p.
    stream = parse_escpos(server.received)
    kinds = {command.split(" ")[0] + " " + command.split(" ")[1] for command in stream.commands}
    assert kinds <= {"DLE EOT", "ESC @", "GS v", "ESC d", "GS V"}
    assert_scans_to_lpn(stream.image())


def test_paper_out_before_the_job_sends_nothing_but_the_status_query(
    printer_server: Server,
) -> None:
    server = printer_server("paper-out")
    outcome = network_printer(server).print_label(render_label(make_label(), LABEL_SIZES["80mm"]))
    server.wait_closed()

    assert outcome.state is JobState.NOT_READY
    assert "paper out" in outcome.detail and "nothing was sent" in outcome.detail
    assert outcome.bytes_sent == 0
    assert server.received == STATUS_QUERY


def test_refused_connection_is_refused(printer_server: Server) -> None:
    server = printer_server("refuse")
    outcome = network_printer(server).print_label(render_label(make_label(), LABEL_SIZES["80mm"]))
    assert outcome.state is JobState.REFUSED
    assert outcome.bytes_sent == 0


def test_hung_printer_times_out_within_the_status_timeout(printer_server: Server) -> None:
    server = printer_server("hang")
    printer = network_printer(server, status_s=0.5)
    image = render_label(make_label(), LABEL_SIZES["80mm"])

    start = time.perf_counter()
    outcome = printer.print_label(image)
    elapsed = time.perf_counter() - start

    assert outcome.state is JobState.TIMED_OUT
    assert "did not answer the status query within 0.5 s" in outcome.detail
    assert 0.5 <= elapsed < 0.9
    assert outcome.bytes_sent == 0


def test_printer_that_stops_reading_mid_job_gives_up_within_the_write_timeout_and_may_have_printed(
    printer_server: Server,
) -> None:
    server = printer_server("stall")
    printer = network_printer(server, write_s=0.5)
    long_receipt = Image.new("1", (576, 4000), 1)  # 288 kB: more than the socket buffers

    start = time.perf_counter()
    outcome = printer.print_label(long_receipt)
    elapsed = time.perf_counter() - start

    assert outcome.state is JobState.SENT_UNCONFIRMED, outcome
    assert "stopped taking the job after" in outcome.detail
    assert "may have printed part of the label" in outcome.detail
    assert 0 < outcome.bytes_sent < len(printer.job(long_receipt))
    assert elapsed < 1.0


def test_a_printer_reset_part_way_through_a_job_may_have_printed_and_is_not_refused(
    printer_server: Server,
) -> None:
    server = printer_server("reset-mid-job", reset_after=16_384)
    printer = network_printer(server)
    image = render_label(make_label(), LABEL_SIZES["80mm"])
    total = len(printer.job(image))

    outcome = printer.print_label(image)

    assert outcome.state is JobState.SENT_UNCONFIRMED, outcome
    assert 16_384 <= outcome.bytes_sent <= total
    if outcome.bytes_sent < total:  # the usual case; the kernel may have buffered it all
        assert f"of {total:,} bytes had been sent" in outcome.detail
        assert "may have printed part of the label" in outcome.detail


def test_nothing_listening_is_offline_at_once(printer_server: Server) -> None:
    server = printer_server("not-listening")
    start = time.perf_counter()
    outcome = network_printer(server).print_label(render_label(make_label(), LABEL_SIZES["80mm"]))
    assert outcome.state is JobState.OFFLINE
    assert "connection refused" in outcome.detail
    assert time.perf_counter() - start < 0.5
    assert network_printer(server).status().state is JobState.OFFLINE


def test_status_not_answered_after_the_job_is_sent_unconfirmed(printer_server: Server) -> None:
    server = printer_server("mute-after-job")
    printer = network_printer(server, confirm_s=0.3)
    image = render_label(make_label(), LABEL_SIZES["80mm"])

    outcome = printer.print_label(image)
    server.wait_closed()

    assert outcome.state is JobState.SENT_UNCONFIRMED
    assert outcome.bytes_sent == len(printer.job(image))
    assert_same_pixels(parse_escpos(server.received).image(), image)


def test_with_status_off_nothing_is_asked_and_nothing_is_confirmed(
    printer_server: Server,
) -> None:
    server = printer_server()
    printer = network_printer(server, "?status=off")
    outcome = printer.print_label(render_label(make_label(), LABEL_SIZES["80mm"]))
    server.wait_closed()

    assert outcome.state is JobState.SENT_UNCONFIRMED
    assert parse_escpos(server.received).status_queries == []


def test_status_replies_to_dle_eot_inside_raster_data_are_skipped(printer_server: Server) -> None:
    # A printer answers 10 04 04 wherever it occurs, raster data included. Here the "paper"
    # reply says near end and would read as "offline" if taken for the printer status byte.
    server = printer_server(escpos_status={**ESCPOS_READY, 4: 0x1E})
    printer = network_printer(server)
    dots = bytes(255 - b for b in b"\x10\x04\x04" * 3) + b"\xff" * 63  # black = 0 in Pillow
    image = Image.frombytes("1", (576, 8), dots * 8)

    outcome = printer.print_label(image)

    assert outcome.state is JobState.PRINTED, outcome
    assert "paper near its end" in outcome.detail


def test_status_reports_ready_and_paper_out(printer_server: Server) -> None:
    assert network_printer(printer_server()).status().state is JobState.READY
    paper_out = network_printer(printer_server("paper-out")).status()
    assert (paper_out.state, paper_out.detail) == (JobState.NOT_READY,
                                                   "printer not ready: paper out")
    hung = network_printer(printer_server("hang"), status_s=0.2).status()
    assert hung.state is JobState.TIMED_OUT


@pytest.mark.parametrize(
    ("reply", "problems", "warnings"),
    [
        (b"\x12\x12\x12", [], []),
        (b"\x16\x12\x1e", [], ["paper near its end"]),
        (b"\x1a\x32\x72", ["paper out"], []),
        (b"\x1a\x16\x12", ["cover open"], []),
        (b"\x1a\x52\x12", ["printer error (cutter jam, head too hot or a mechanical fault)"], []),
        (b"\x1a\x12\x12", ["offline"], []),
    ],
)
def test_status_bits(reply: bytes, problems: list[str], warnings: list[str]) -> None:
    status = EscposStatus.parse(reply)
    assert status is not None
    assert (status.problems(), status.warnings()) == (problems, warnings)


@pytest.mark.parametrize("reply", [b"", b"\x12\x12", b"\x00\x00\x00", b"\xff\x12\x12", b"OK\n"])
def test_replies_that_are_not_status_bytes_are_not_read_as_status(reply: bytes) -> None:
    assert EscposStatus.parse(reply) is None


def test_image_rendered_for_another_width_is_refused(printer_server: Server) -> None:
    server = printer_server()
    printer = network_printer(server, "?size=58mm")
    outcome = printer.print_label(render_label(make_label(), LABEL_SIZES["80mm"]))
    assert outcome.state is JobState.REFUSED
    assert "576 dots wide" in outcome.detail and "384" in outcome.detail
    assert server.connections == []


class TestProfiles:
    def test_each_receipt_size_has_a_default_profile_of_exactly_its_width(self) -> None:
        for name in ("80mm", "58mm", "80mm@180"):
            uri = parse_printer_uri(f"escpos+tcp://printer?size={name}")
            check_profile(uri.profile, uri.size)

    def test_a_profile_of_another_width_is_refused(self) -> None:
        with pytest.raises(PrinterUriError, match=r"'TM-T88V' prints 512 dots wide but size "
                                                  r"'80mm' is 576.*80mm@180"):
            open_label_printer("escpos+tcp://printer?profile=TM-T88V")

    def test_an_unknown_profile_is_refused_with_the_known_ones(self) -> None:
        with pytest.raises(PrinterUriError, match=r"no printer profile 'TM-X1'.*TM-T20II"):
            open_label_printer("escpos+tcp://printer?profile=TM-X1")


class TestDeviceBackends:
    def test_device_file_gets_the_same_job_and_is_sent_unconfirmed(self, tmp_path: Path) -> None:
        device = tmp_path / "lp0"
        device.write_bytes(b"")
        printer = open_label_printer(f"escpos+file://{device}")
        image = render_label(make_label(), printer.size)

        outcome = printer.print_label(image)

        assert outcome.state is JobState.SENT_UNCONFIRMED
        assert "reports no status" in outcome.detail
        stream = parse_escpos(device.read_bytes())
        assert stream.status_queries == []
        assert_same_pixels(stream.image(), image)
        assert printer.status().state is JobState.READY

    def test_missing_device_file_is_offline(self, tmp_path: Path) -> None:
        printer = open_label_printer(f"escpos+file://{tmp_path}/lp0")
        outcome = printer.print_label(render_label(make_label(), printer.size))
        assert outcome.state is JobState.OFFLINE
        assert not (tmp_path / "lp0").exists()  # never created as a plain file
        assert printer.status().state is JobState.OFFLINE

    def test_serial_printer_answers_status_and_prints(self, serial_device: SerialDevice) -> None:
        printer = open_label_printer(f"escpos+serial://{serial_device.path}?baud=115200")
        image = render_label(make_label(), printer.size)

        outcome = printer.print_label(image)

        assert outcome.state is JobState.PRINTED, outcome
        stream = parse_escpos(serial_device.received_when(len(printer_job(printer, image))))
        assert stream.commands[:3] == QUERY_COMMANDS and stream.commands[-3:] == QUERY_COMMANDS
        assert_same_pixels(stream.image(), image)
        assert_scans_to_lpn(stream.image())

    @pytest.mark.parametrize(("uri", "package"), [
        ("escpos+usb://04b8:0e15", "pyusb"), ("cups://receipts", "pycups"),
        ("win32://EPSON%20TM-T20II", "pywin32"),
    ])
    def test_backend_without_its_library_says_what_to_install(self, uri: str, package: str
                                                               ) -> None:
        module = {"pyusb": "usb.core", "pycups": "cups", "pywin32": "win32print"}[package]
        try:
            __import__(module)
        except ImportError:
            pass
        else:
            pytest.skip(f"{package} is installed here")
        with pytest.raises(PrinterUnavailable, match=f"pip install {package}"):
            open_label_printer(uri)


def printer_job(printer: object, image: Image.Image) -> bytes:
    assert isinstance(printer, EscposPrinter)
    return printer.job(image) + 2 * STATUS_QUERY


class SerialDevice:
    """A pseudo-terminal standing in for a serial ESC/POS printer that answers DLE EOT."""

    def __init__(self) -> None:
        self.master, slave = os.openpty()
        self.path = os.ttyname(slave)
        self._slave = slave  # kept open so the pty stays up between driver connections
        self.received = bytearray()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        import select

        scanned = 0
        while not self._stop.is_set():
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                continue
            self.received += chunk
            data = bytes(self.received)
            index = max(0, scanned - 2)
            while (found := data.find(b"\x10\x04", index)) != -1 and found + 2 < len(data):
                if found + 3 > scanned:
                    os.write(self.master, bytes([ESCPOS_READY[data[found + 2]]])
                             if data[found + 2] in ESCPOS_READY else b"")
                index = found + 3
            scanned = len(data)

    def received_when(self, count: int, timeout: float = 5.0) -> bytes:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return bytes(self.received)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        os.close(self.master)
        os.close(self._slave)


@pytest.fixture
def serial_device() -> Iterator[SerialDevice]:
    device = SerialDevice()
    yield device
    device.close()


def test_the_queue_never_reprints_by_itself_a_job_the_printer_reset_part_way_through(
    printer_server: Server, bench: StationUnderTest,
) -> None:
    server = printer_server("reset-mid-job", reset_after=16_384)
    printer = network_printer(server)
    grader = bench.actors[Role.GRADER]
    with bench.ctx.sessions() as session:
        number = session.scalars(select(Rma.rma_number).order_by(Rma.rma_number)).first()
    view = receiving.receive(bench.ctx, grader, number)
    assert view.receipt_id is not None
    unit = inspect_unit(bench, grader, view.receipt_id, view.lines[0].id, Grade.B)
    job_id = print_queue.request_label(bench.ctx, grader, unit, printer.name)
    queue = PrintQueue()

    def label(_job: object) -> Image.Image:
        return render_label(make_label(), LABEL_SIZES["80mm"])

    [(tried, outcome)] = queue.run_once(bench.ctx, printer, label)
    bench.clock.advance(minutes=10)

    assert tried == job_id and outcome.state is JobState.SENT_UNCONFIRMED
    assert queue.run_once(bench.ctx, printer, label) == []
    assert print_queue.pending_jobs(bench.ctx) == []
    with bench.ctx.sessions() as session:
        assert print_queue.job_state(session, job_id) == "sent_unconfirmed"
    assert len(server.connections) == 1
