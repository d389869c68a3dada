"""`returns-station print-test` against a printer on 127.0.0.1: the label arrives and scans."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import zxingcpp
from fake_printer import FakePrinter
from printer_streams import parse_escpos

from ui import launcher


def test_a_test_print_reaches_the_printer_and_scans_to_its_lpn(
    printer_server: Callable[..., FakePrinter], capsys: pytest.CaptureFixture[str]
) -> None:
    printer = printer_server()
    uri = f"escpos+tcp://{printer.uri_authority}"
    assert launcher.main(["print-test", "--printer", uri, "--lpn", "TS00000042"]) == 0
    assert "printed" in capsys.readouterr().out
    printer.wait_closed()
    image = parse_escpos(printer.received).image()
    assert [r.text for r in zxingcpp.read_barcodes(image.convert("L"))] == ["TS00000042"]


def test_a_printer_out_of_paper_is_reported_and_the_command_fails(
    printer_server: Callable[..., FakePrinter], capsys: pytest.CaptureFixture[str]
) -> None:
    printer = printer_server("paper-out")
    uri = f"escpos+tcp://{printer.uri_authority}"
    assert launcher.main(["print-test", "--printer", uri]) == 1
    assert "paper out" in capsys.readouterr().out


def test_a_bad_uri_says_what_to_write(capsys: pytest.CaptureFixture[str]) -> None:
    assert launcher.main(["print-test", "--printer", "lpt1"]) == 2
    assert "escpos+tcp://HOST:9100" in capsys.readouterr().err
