"""The composition root: builds the Qt application around an opened station and runs it.

The only place that knows which concrete drivers a station uses.
"""

from __future__ import annotations

import sys

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication

import resources
from drivers.serial_scanner import SerialScanner
from station.bootstrap import OpenStation
from station.config import StationConfig
from station.scanner_port import ScanSource
from ui.main_window import MainWindow
from ui.retention_timer import RetentionTimer


def create_application(argv: list[str] | None = None) -> QApplication:
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(argv or sys.argv[:1])
    app.setApplicationName("Returns Station")
    app.setOrganizationName("returns-station")
    app.setFont(QFont("DejaVu Sans", 11))
    app.setStyleSheet(resources.path("theme", "station.qss").read_text(encoding="utf-8"))
    return app


def scan_sources(config: StationConfig) -> list[ScanSource]:
    """The scanners this station has besides keyboard-wedge ones (which need no set-up)."""
    sources: list[ScanSource] = []
    if config.scanner.serial_port:
        sources.append(SerialScanner(config.scanner.serial_port, config.scanner.serial_baud,
                                     config.scanner.serial_terminator))
    return sources


def build_window(opened: OpenStation, demo: bool) -> MainWindow:
    window = MainWindow(opened.ctx, demo=demo, sources=scan_sources(opened.ctx.config))
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
