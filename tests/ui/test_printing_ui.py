"""Confirming a unit prints its label; a printer that is off keeps the job until it is back."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import zxingcpp
from fake_printer import FakePrinter
from printer_streams import parse_escpos, parse_zpl
from pytestqt.qtbot import QtBot
from sqlalchemy import select
from station_bench import StationUnderTest
from ui_steps import finish_inspection, sign_in, write_photo

from drivers.printers.label_printers import open_label_printer
from station.common.vocabulary import Role
from station.labels.printers import JobState
from station.store.models import AuditEvent, PrintAttempt, PrintJob, Rma
from ui.app import create_application
from ui.main_window import MainWindow


@pytest.fixture
def printer() -> Iterator[FakePrinter]:
    fake = FakePrinter().start()
    yield fake
    fake.stop()


def walk_to_label(bench: StationUnderTest, window: MainWindow, qtbot: QtBot) -> str:
    """A clerk receives the first RMA (its tote label), then a grader takes its first line
    to the label."""
    photo_dir = Path(tempfile.mkdtemp(prefix="photos-"))
    with bench.ctx.sessions() as session:
        number = session.scalars(select(Rma.rma_number).order_by(Rma.rma_number)).first()
    assert number is not None
    sign_in(window, qtbot, Role.CLERK)
    window.scan.submit(number)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.rma)
    window.rma.act()
    qtbot.waitUntil(lambda: window.rma.view is not None and window.rma.view.receipt_id is not None)
    window.tasks.wait_idle()
    window.sign_out()
    sign_in(window, qtbot, Role.GRADER)
    window.scan.submit(number)  # two lines open: the grader chooses the first
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.rma
                    and "Choose the line" in window.rma.message.text(), timeout=10_000)
    window.rma.act()
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.inspection)
    finish_inspection(window, qtbot, write_photo(photo_dir))
    window.decision.confirm()
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.label, timeout=10_000)
    assert window.label.unit is not None
    return window.label.unit.lpn


def make_window(bench: StationUnderTest, qtbot: QtBot, uri: str) -> MainWindow:
    create_application()
    printer = open_label_printer(uri)
    window = MainWindow(bench.ctx, printer=printer)
    qtbot.addWidget(window)
    window.show()
    return window


def test_receiving_prints_the_tote_label_and_confirming_prints_the_units_label(
    bench: StationUnderTest, qtbot: QtBot, printer: FakePrinter
) -> None:
    window = make_window(bench, qtbot, f"escpos+tcp://{printer.uri_authority}")
    lpn = walk_to_label(bench, window, qtbot)
    qtbot.waitUntil(lambda: "Label printed" in window.label.message.text(), timeout=10_000)
    printer.wait_closed()
    image = parse_escpos(printer.received).image()
    texts = [r.text for r in zxingcpp.read_barcodes(image.convert("L"))]
    assert sorted(texts) == sorted(["RMA-100001", lpn])
    window.tasks.wait_idle()


def test_an_offline_printer_keeps_the_job_and_reprints_are_recorded_with_a_reason(
    bench: StationUnderTest, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = make_window(bench, qtbot, "escpos+tcp://127.0.0.1:9")
    walk_to_label(bench, window, qtbot)
    qtbot.waitUntil(lambda: "offline" in window.label.message.text(), timeout=10_000)
    assert "stays queued" in window.label.message.text()
    monkeypatch.setattr(window, "_ask_reason", lambda _question: "label smudged")
    window.reprint()
    window.tasks.wait_idle()
    qtbot.waitUntil(lambda: "queued" in window.label.message.text()
                    or "offline" in window.label.message.text())
    with bench.ctx.sessions() as session:
        jobs = list(session.scalars(select(PrintJob).where(PrintJob.label_kind == "disposition")
                                    .order_by(PrintJob.requested_at)))
        assert len(jobs) == 2 and jobs[1].reprint_of == jobs[0].id
        assert jobs[1].reason == "label smudged"
        states = set(session.scalars(select(PrintAttempt.state)))
        assert states <= {JobState.OFFLINE.value}
        assert "label.reprint" in set(session.scalars(select(AuditEvent.action)))
    window.tasks.wait_idle()


def test_receiving_a_parcel_and_setting_one_aside_print_their_labels(
    bench: StationUnderTest, qtbot: QtBot, printer: FakePrinter
) -> None:
    window = make_window(bench, qtbot, f"zpl+tcp://{printer.uri_authority}?size=4x6@203")
    sign_in(window, qtbot, Role.CLERK)
    window.scan.submit("RMA-100001")
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.rma)
    window.rma.act()
    qtbot.waitUntil(lambda: window.rma.view is not None and window.rma.view.receipt_id is not None)
    window.rma.back.emit()
    window.scan.submit("PARCEL-4711")  # code-like: one F2 receives it
    qtbot.waitUntil(lambda: window.scan.unexpected_button.isVisible())
    window.scan.unexpected_button.click()

    def printed() -> bool:
        with bench.ctx.sessions() as session:
            return set(session.scalars(select(PrintAttempt.state))) == {JobState.PRINTED.value} \
                and len(list(session.scalars(select(PrintAttempt)))) == 2
    qtbot.waitUntil(printed, timeout=10_000)
    stream = printer.received
    jobs = [parse_zpl(stream[start:stream.index(b"^XZ", start) + 3])
            for start in range(len(stream)) if stream.startswith(b"^XA", start)]
    texts = [r.text for job in jobs for r in zxingcpp.read_barcodes(job.image.convert("L"))]
    assert texts[0] == "RMA-100001" and texts[1].startswith("EX-")
    window.tasks.wait_idle()


def test_scanning_an_lpn_reprints_that_units_label_with_a_reason(
    bench: StationUnderTest, qtbot: QtBot, printer: FakePrinter, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = make_window(bench, qtbot, f"escpos+tcp://{printer.uri_authority}")
    lpn = walk_to_label(bench, window, qtbot)
    window.label.new_parcel.emit()
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.scan)
    monkeypatch.setattr(window, "_ask_reason", lambda _question: "fell off the box")
    window.on_scan(lpn)
    qtbot.waitUntil(lambda: f"Reprint of {lpn} queued" in window.scan.message.text())
    with bench.ctx.sessions() as session:
        reasons = list(session.scalars(select(PrintJob.reason).where(
            PrintJob.reprint_of.is_not(None))))
    assert reasons == ["fell off the box"]
    window.tasks.wait_idle()
