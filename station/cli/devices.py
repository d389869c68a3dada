"""What the headless commands need from the hardware side, without importing any driver.

The composition root supplies an implementation (ui.launcher.Hardware); the core only sees this.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from station.labels.printers import LabelPrinter
from station.ports.decoder import DecodedCode

if TYPE_CHECKING:  # the app's start does not load the report and evidence modules
    from station.reports.document import ReportRenderer
    from station.supervision.evidence import EvidenceRenderer


@dataclass(frozen=True)
class FoundCode:
    code: DecodedCode
    frame: int | None  # the first video frame showing it; None for a photo


@dataclass(frozen=True)
class FileDecode:
    file: Path
    found: list[FoundCode]
    ms: float
    error: str | None = None


class Devices(Protocol):
    def decode_file(self, path: Path) -> FileDecode:
        """Every distinct code in a photo or video, through the app's decoder; never raises
        for a bad file (the error is in the result)."""
        ...

    def label_printer(self, uri: str) -> LabelPrinter:
        """The printer a URI names; raises PrinterUriError / PrinterUnavailable."""
        ...

    def evidence_renderer(self) -> EvidenceRenderer:
        """What turns a unit's evidence sheet into a PDF."""
        ...

    def report_renderer(self) -> ReportRenderer:
        """What turns the daily summary report into a PDF."""
        ...
