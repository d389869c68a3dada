"""The devices a bench's window works with, as the composition root (ui.launcher) wires them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from station.labels.printers import LabelPrinter
from station.ports.photos import PhotoStore
from station.ports.scanner import PreviewSource, ScanSource

if TYPE_CHECKING:  # loaded with the first PDF, not at start
    from station.reports.document import ReportRenderer
    from station.supervision.evidence import EvidenceRenderer


@dataclass(frozen=True)
class BenchDevices:
    """`printer` is None when none is configured or it could not be set up."""

    printer: LabelPrinter | None
    photos: PhotoStore
    sources: list[ScanSource]
    camera: PreviewSource
    evidence: EvidenceRenderer
    reports: ReportRenderer
