"""The composition root's driver half: which concrete driver serves each port.

Kept free of Qt so headless commands (`returns-station decode`) can use it; ui.app uses
it for the GUI. The only modules that import drivers are this one and ui.app.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from drivers.camera_scanner import CameraScanner
from drivers.decode_pipeline import PipelineDecoder
from drivers.evidence_pdf import ReportLabEvidenceRenderer
from drivers.image_files import UnreadableFile, decode_file
from drivers.label_printers import open_label_printer
from drivers.photo_store import FilePhotoStore
from drivers.report_pdf import ReportLabReportRenderer
from drivers.serial_scanner import SerialScanner
from station.cli.devices import FileDecode, FoundCode
from station.labels.printers import LabelPrinter
from station.ports.decoder import BarcodeDecoder
from station.ports.photos import PhotoStore
from station.ports.scanner import PreviewSource, ScanSource
from station.reports.document import ReportRenderer
from station.settings.config import PhotosConfig, StationConfig
from station.supervision.evidence import EvidenceRenderer


class Hardware:
    @cached_property
    def decoder(self) -> BarcodeDecoder:
        return PipelineDecoder()

    def decode_file(self, path: Path) -> FileDecode:
        try:
            result = decode_file(path, self.decoder)
        except UnreadableFile as error:
            return FileDecode(path, [], 0.0, str(error))
        return FileDecode(result.file, [FoundCode(r.code, r.frame) for r in result.results],
                          result.ms)

    def label_printer(self, uri: str) -> LabelPrinter:
        return open_label_printer(uri)

    def evidence_renderer(self) -> EvidenceRenderer:
        return ReportLabEvidenceRenderer()

    def report_renderer(self) -> ReportRenderer:
        return ReportLabReportRenderer()

    def scan_sources(self, config: StationConfig) -> list[ScanSource]:
        """Scanners besides keyboard-wedge ones (which need no set-up)."""
        if not config.scanner.serial_port:
            return []
        return [SerialScanner(config.scanner.serial_port, config.scanner.serial_baud,
                              config.scanner.serial_terminator)]

    def camera(self, config: StationConfig) -> PreviewSource:
        return CameraScanner(config.camera_source, self.decoder)

    def photo_store(self, folder: Path, config: PhotosConfig) -> PhotoStore:
        return FilePhotoStore(folder, quality=config.jpeg_quality, max_edge=config.max_edge,
                              shared=bool(config.folder))
