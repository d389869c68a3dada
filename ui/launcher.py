"""The composition root: the one place that chooses concrete drivers and starts the station.

`returns-station` (the console script) lands in `main`. With a command, it runs headless
through station.cli with this machine's `Hardware`; without one, it opens the station
(station.cli.open_for_app, the same messages as a command) and starts the Qt app
(ui.app.run) with the devices `Hardware` wires for it. The core never calls back into the
UI; nothing else in ui/ imports a driver (an import-linter contract); Qt is imported only
when the app starts, so `returns-station db upgrade` needs no display.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path

from drivers.decoding.decode_pipeline import PipelineDecoder
from drivers.decoding.image_files import UnreadableFile, decode_file
from drivers.documents.evidence_pdf import ReportLabEvidenceRenderer
from drivers.documents.report_pdf import ReportLabReportRenderer
from drivers.photos.photo_store import FilePhotoStore
from drivers.printers.label_printers import open_label_printer
from drivers.scanners.camera_scanner import CameraScanner
from drivers.scanners.serial_scanner import SerialScanner
from station.cli import main as cli
from station.cli.devices import FileDecode, FoundCode
from station.cli.opening import wants_demo
from station.labels.printers import LabelPrinter, PrinterUnavailable
from station.ports.decoder import BarcodeDecoder
from station.ports.photos import PhotoStore
from station.ports.scanner import PreviewSource, ScanSource
from station.reports.document import ReportRenderer
from station.runtime.bootstrap import OpenStation
from station.settings.config import PhotosConfig, StationConfig
from station.settings.printer_uri import PrinterUriError
from station.supervision.evidence import EvidenceRenderer
from ui.bench_devices import BenchDevices

log = logging.getLogger(__name__)


class Hardware:
    """Which concrete driver serves each port on this machine (station.cli.devices for the
    headless commands, `bench_devices` for the app)."""

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

    def bench_devices(self, opened: OpenStation) -> BenchDevices:
        """The devices the app's window uses. A printer that cannot be set up is logged and
        left out: the bench still works, and its labels wait in the print queue."""
        config = opened.ctx.config
        printer = None
        if config.printer_uri:
            try:
                printer = self.label_printer(config.printer_uri)
            except (PrinterUriError, PrinterUnavailable) as error:
                log.error("printer %s not usable: %s", config.printer_uri, error)
        return BenchDevices(
            printer=printer,
            photos=self.photo_store(opened.locations.photos_folder(config), config.photos),
            sources=self.scan_sources(config), camera=self.camera(config),
            evidence=self.evidence_renderer(), reports=self.report_renderer())


def main(argv: Sequence[str] | None = None) -> int:
    args = cli.parse_arguments(argv)
    if isinstance(args, int):
        return args
    hardware = Hardware()
    if not cli.wants_app(args):
        return cli.run(args, devices=hardware)
    opened = cli.open_for_app(args)
    if isinstance(opened, int):
        return opened
    try:
        from ui import app  # Qt loads only when the app starts

        return app.run(opened, wants_demo(args), hardware.bench_devices(opened))
    finally:
        opened.close()


if __name__ == "__main__":
    sys.exit(main())
