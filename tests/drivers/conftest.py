"""Fixtures for the driver tests: one decoder pipeline per session (it builds several
decoders), and fake network printers."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fake_printer import FakePrinter

from drivers.decoding.decode_pipeline import PipelineDecoder


@pytest.fixture(scope="session")
def pipeline() -> PipelineDecoder:
    return PipelineDecoder()


@pytest.fixture
def printer_server() -> Iterator[Callable[..., FakePrinter]]:
    """Start fake raw-port printers on 127.0.0.1: printer_server("paper-out", ...)."""
    started: list[FakePrinter] = []

    def start(mode: str = "normal", **options: object) -> FakePrinter:
        printer = FakePrinter(mode, **options).start()  # type: ignore[arg-type]
        started.append(printer)
        return printer

    yield start
    for printer in started:
        printer.stop()
