"""The composition root: builds the Qt application around an opened station and runs it.

The only place that knows which concrete drivers a station uses.
"""

from __future__ import annotations

import logging
import sys

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication

import resources
from station.labels.printers import PrinterUnavailable
from station.runtime.bootstrap import OpenStation
from station.settings.printer_uri import PrinterUriError
from station.sync import exchange as sync
from ui.hardware import Hardware
from ui.main_window import MainWindow
from ui.retention_timer import RetentionTimer
from ui.sync_worker import SyncWorker

log = logging.getLogger(__name__)


def create_application(argv: list[str] | None = None) -> QApplication:
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(argv or sys.argv[:1])
    app.setApplicationName("Returns Station")
    app.setOrganizationName("returns-station")
    app.setFont(QFont("DejaVu Sans", 11))
    app.setStyleSheet(resources.path("theme", "station.qss").read_text(encoding="utf-8"))
    return app


def build_window(opened: OpenStation, demo: bool) -> MainWindow:
    hardware = Hardware()
    config = opened.ctx.config
    printer = None
    if config.printer_uri:
        try:
            printer = hardware.label_printer(config.printer_uri)
        except (PrinterUriError, PrinterUnavailable) as error:
            log.error("printer %s not usable: %s", config.printer_uri, error)
    photos = hardware.photo_store(opened.locations.photos_folder(config), config.photos)
    identity = sync.StationIdentity.of(config)
    ctx = opened.ctx
    worker = SyncWorker(
        lambda: sync.sync_once(ctx.sessions, opened.central_sessions(), opened.central_engine(),
                               identity, clock=ctx.clock, pepper=ctx.pepper,
                               deadline_s=config.central.sync_deadline_s),
        lambda: sync.waiting(ctx.sessions), config.central.sync_interval_s)
    window = MainWindow(opened.ctx, demo=demo, sources=hardware.scan_sources(config),
                        camera=hardware.camera(config), printer=printer, photos=photos,
                        evidence=hardware.evidence_renderer(),
                        evidence_folder=opened.locations.data_dir / "evidence",
                        sync_worker=worker, central=opened.central_sessions,
                        reports_renderer=hardware.report_renderer())
    RetentionTimer(opened, window.background, window)
    return window


def run(opened: OpenStation, demo: bool) -> int:
    app = create_application()
    window = build_window(opened, demo)
    window.showMaximized()
    # Take the keyboard focus even where no window manager gives it (kiosk, Xvfb), so the
    # scanner's keystrokes and the bench's shortcuts reach the app from the first scan.
    window.raise_()
    window.activateWindow()
    return app.exec()
