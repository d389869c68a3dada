"""The app start: the Qt application around an opened station, its window and timers.

Called by the composition root (ui.launcher) with the devices it wired; this module knows
no concrete driver. Besides the window it attaches the bench's event log (ui.event_log:
sign-in, units, prints, sync in the station's log file) and gives memory back between
units (ReleaseAfterWork, issue #17).

Start-up diagnostic: with `RETURNS_STATION_STARTUP_MARK=FILE` in the environment, the app
appends one line to FILE once the window's first frame is painted, the events queued
behind it are handled and a widget has the keyboard focus, i.e. when the first screen
takes keys: `first-frame <seconds> screen=<class> focus=<class>`, the seconds from
`time.monotonic()` (one clock for every process on the machine, so a parent that started
the app can subtract its own reading). benchmarks/startup.py measures the launch with it;
nothing else reads it."""

from __future__ import annotations

import gc
import logging
import os
import sys
import time
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QWidget

import resources
from station import __version__
from station.runtime.bootstrap import OpenStation
from station.sync import exchange as sync
from ui.bench_devices import BenchDevices
from ui.event_log import EventLog
from ui.main_window import MainWindow
from ui.native_memory import release_freed_memory
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
    EventLog(window)
    ReleaseAfterWork(window)
    return window


class ReleaseAfterWork(QObject):
    """Gives memory back shortly after the bench's screen changes, at most once every
    RELEASE_EVERY_S: between units, when the grader waits on nothing, so resident memory
    stays level over a day of photos. First Python's cycle collector over what was made
    since start-up (the objects of start-up itself are frozen out of its way by `run`, so
    this takes milliseconds, not a pass over the whole app), then the C heap's free pages
    (ui.native_memory)."""

    RELEASE_EVERY_S = 5.0
    #: Keyboard quiet needed first: the collection pauses the event loop for milliseconds
    #: (more on a loaded PC), and a pause in the middle of a wedge scan would split it.
    QUIET_MS = 1000

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._last = 0.0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(self.QUIET_MS)
        self._timer.timeout.connect(self._release)
        window.stack.currentChanged.connect(lambda _index: self._timer.start())
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """A key while a release is pending puts it off until the keyboard is quiet."""
        if event.type() in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease) \
                and self._timer.isActive():
            self._timer.start()
        return False

    def _release(self) -> None:
        now = time.monotonic()
        if now - self._last >= self.RELEASE_EVERY_S:
            self._last = now
            gc.collect()
            release_freed_memory()


STARTUP_MARK_VARIABLE = "RETURNS_STATION_STARTUP_MARK"
log = logging.getLogger("returns_station.app")


class StartupMark(QObject):
    """Writes the start-up diagnostic line (module docstring) once: on the window's first
    paint it queues a zero-delay timer, which fires only after the events already waiting
    (the rest of that paint, layouts) are handled; if no widget has the keyboard focus yet
    (the window system has not activated the window), it looks again every few ms until
    one has. So the mark means "idle and taking keys", not merely "mapped"."""

    GIVE_UP_S = 10.0

    def __init__(self, window: MainWindow, path: Path) -> None:
        super().__init__(window)
        self._window = window
        self._path = path
        self._painted = 0.0
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if not self._painted and watched is self._window and event.type() == QEvent.Type.Paint:
            self._painted = time.monotonic()
            self._window.removeEventFilter(self)
            QTimer.singleShot(0, self._write)
        return False

    def _write(self) -> None:
        now = time.monotonic()
        focus = QApplication.focusWidget()
        if focus is None and now - self._painted < self.GIVE_UP_S:
            QTimer.singleShot(5, self._write)
            return
        screen = self._window.stack.currentWidget()
        line = (f"first-frame {now:.6f} screen={_class_name(screen)} "
                f"focus={_class_name(focus)}\n")
        with self._path.open("a", encoding="utf-8") as mark:
            mark.write(line)


def _class_name(widget: QWidget | None) -> str:
    return "none" if widget is None else type(widget).__name__


def show(window: MainWindow) -> None:
    """Show the station's window as the app does at start-up: maximized, taking the
    keyboard focus, with the start-up mark when asked for, and start-up's objects frozen
    out of the cycle collector's way (ReleaseAfterWork)."""
    if mark := os.environ.get(STARTUP_MARK_VARIABLE):
        StartupMark(window, Path(mark))
    # What start-up made lives as long as the app: no collector pass goes over it again
    # (the few of those objects that later become cyclic garbage stay: a one-off).
    gc.freeze()
    window.showMaximized()
    # Take the keyboard focus even where no window manager gives it (kiosk, Xvfb), so the
    # scanner's keystrokes and the bench's shortcuts reach the app from the first scan.
    window.raise_()
    window.activateWindow()


def run(opened: OpenStation, demo: bool, devices: BenchDevices) -> int:
    log.info("app %s starting: station %s%s, data folder %s", __version__,
             opened.ctx.station_code, " (demo)" if demo else "", opened.locations.data_dir)
    app = create_application()
    show(build_window(opened, demo, devices))
    status = app.exec()
    log.info("app closed (exit status %d)", status)
    return status
