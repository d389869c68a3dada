"""The composition root: the one place that chooses concrete drivers and starts the station.

`returns-station` (the console script) lands in `main`. With a command, it runs headless
through station.cli with this machine's `Hardware`; without one, it opens the station
(station.cli.open_for_app, the same messages as a command) and starts the Qt app
(ui.app.run) with the devices `Hardware` wires for it. The core never calls back into the
UI; nothing else in ui/ imports a driver (an import-linter contract); Qt is imported only
when the app starts, so `returns-station db upgrade` needs no display.

Start-up time and memory (issue #17, benchmarks/startup.py): the drivers are imported where
they are first used, not here, and the app's PDF renderers and barcode decoder are
stand-ins that import theirs on first use. ReportLab, OpenCV, NumPy and the barcode
libraries take about a second to import and tens of MB, and none of them is needed to show
the sign-in screen; a bench that never prints a PDF or opens the camera never loads them.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from station.cli import main as cli
from station.cli.devices import FileDecode, FoundCode
from station.cli.opening import wants_demo
from station.labels.printers import LabelPrinter
from station.ports.decoder import BarcodeDecoder, DecodedCode, Image
from station.ports.photos import PhotoStore
from station.ports.scanner import PreviewSource, ScanSource
from station.runtime.bootstrap import OpenStation
from station.settings.config import PhotosConfig, StationConfig
from ui.bench_devices import BenchDevices
from ui.native_memory import limit_heap_growth

if TYPE_CHECKING:  # the report and evidence modules load with the first PDF, not at start
    from station.reports.document import ReportDocument, ReportRenderer
    from station.supervision.evidence import EvidenceRenderer, EvidenceSheet

log = logging.getLogger(__name__)


class LazyDecoder:
    """The barcode decoder pipeline, built (OpenCV, NumPy, ZXing, ZBar imported) on the first
    image it is given, which is on the camera's thread once a camera gives frames."""

    name = "pipeline"

    def __init__(self) -> None:
        self._decoder: BarcodeDecoder | None = None

    @property
    def loaded(self) -> BarcodeDecoder:
        if self._decoder is None:
            from drivers.decoding.decode_pipeline import PipelineDecoder

            self._decoder = PipelineDecoder()
        return self._decoder

    def decode(self, image: Image) -> list[DecodedCode]:
        return self.loaded.decode(image)


class LazyEvidenceRenderer:
    """ReportLab's evidence sheet renderer, imported on the first sheet."""

    def render(self, sheet: EvidenceSheet) -> bytes:
        from drivers.documents.evidence_pdf import ReportLabEvidenceRenderer

        return ReportLabEvidenceRenderer().render(sheet)


class LazyReportRenderer:
    """ReportLab's daily summary renderer, imported on the first report."""

    def render(self, document: ReportDocument) -> bytes:
        from drivers.documents.report_pdf import ReportLabReportRenderer

        return ReportLabReportRenderer().render(document)


class Hardware:
    """Which concrete driver serves each port on this machine (station.cli.devices for the
    headless commands, `bench_devices` for the app)."""

    @cached_property
    def decoder(self) -> BarcodeDecoder:
        return LazyDecoder()

    def decode_file(self, path: Path) -> FileDecode:
        from drivers.decoding.image_files import UnreadableFile, decode_file

        try:
            result = decode_file(path, self.decoder)
        except UnreadableFile as error:
            return FileDecode(path, [], 0.0, str(error))
        return FileDecode(result.file, [FoundCode(r.code, r.frame) for r in result.results],
                          result.ms)

    def label_printer(self, uri: str) -> LabelPrinter:
        from drivers.printers.label_printers import open_label_printer

        return open_label_printer(uri)

    def evidence_renderer(self) -> EvidenceRenderer:
        return LazyEvidenceRenderer()

    def report_renderer(self) -> ReportRenderer:
        return LazyReportRenderer()

    def scan_sources(self, config: StationConfig) -> list[ScanSource]:
        """Scanners besides keyboard-wedge ones (which need no set-up)."""
        if not config.scanner.serial_port:
            return []
        from drivers.scanners.serial_scanner import SerialScanner

        return [SerialScanner(config.scanner.serial_port, config.scanner.serial_baud,
                              config.scanner.serial_terminator)]

    def camera(self, config: StationConfig) -> PreviewSource:
        from drivers.scanners.camera_scanner import CameraScanner

        return CameraScanner(config.camera_source, self.decoder)

    def photo_store(self, folder: Path, config: PhotosConfig) -> PhotoStore:
        from drivers.photos.photo_store import FilePhotoStore

        return FilePhotoStore(folder, quality=config.jpeg_quality, max_edge=config.max_edge,
                              shared=bool(config.folder))

    def bench_devices(self, opened: OpenStation) -> BenchDevices:
        """The devices the app's window uses. A printer that cannot be set up is logged and
        left out: the bench still works, and its labels wait in the print queue."""
        from station.labels.printers import PrinterUnavailable
        from station.settings.printer_uri import PrinterUriError

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
    limit_heap_growth()  # before any thread starts (ui.native_memory)
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
