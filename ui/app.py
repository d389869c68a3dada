"""The app start: the Qt application around an opened station, its window and timers.

Called by the composition root (ui.launcher) with the devices it wired; this module knows
no concrete driver.
"""

from __future__ import annotations

import sys

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication

import resources
from station.runtime.bootstrap import OpenStation
from station.sync import exchange as sync
from ui.bench_devices import BenchDevices
from ui.main_window import MainWindow
from ui.retention_timer import RetentionTimer
from ui.sync_worker import SyncWorker


def create_application(argv: list[str] | None = None) -> QApplication:
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(argv or sys.argv[:1])
    app.setApplicationName("Returns Station")
    app.setOrganizationName("returns-station")
    app.setFont(QFont("DejaVu Sans", 11))
    app.setStyleSheet(resources.path("theme", "station.qss").read_text(encoding="utf-8"))
    return app


def build_window(opened: OpenStation, demo: bool, devices: BenchDevices) -> MainWindow:
    config = opened.ctx.config
    identity = sync.StationIdentity.of(config)
    ctx = opened.ctx
    worker = SyncWorker(
        lambda: sync.sync_once(ctx.sessions, opened.central_sessions(), opened.central_engine(),
                               identity, clock=ctx.clock, pepper=ctx.pepper,
                               deadline_s=config.central.sync_deadline_s),
        lambda: sync.waiting(ctx.sessions), config.central.sync_interval_s)
    window = MainWindow(opened.ctx, demo=demo, sources=devices.sources,
                        camera=devices.camera, printer=devices.printer, photos=devices.photos,
                        evidence=devices.evidence,
                        evidence_folder=opened.locations.data_dir / "evidence",
                        sync_worker=worker, central=opened.central_sessions,
                        reports_renderer=devices.reports)
    RetentionTimer(opened, window.tasks, window)
    return window


def run(opened: OpenStation, demo: bool, devices: BenchDevices) -> int:
    app = create_application()
    window = build_window(opened, demo, devices)
    window.showMaximized()
    # Take the keyboard focus even where no window manager gives it (kiosk, Xvfb), so the
    # scanner's keystrokes and the bench's shortcuts reach the app from the first scan.
    window.raise_()
    window.activateWindow()
    return app.exec()
