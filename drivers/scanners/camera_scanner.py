"""Scanning with a webcam: frames grabbed and decoded on a background thread.

The source is a device index, a video file or a stream URL (anything OpenCV's
VideoCapture opens), so recorded video exercises exactly the code a live camera does. A
camera that cannot be opened, or stops giving frames, is reported and retried; a video
file that ends is reopened, so a recorded bench loops. A state is reported (and logged)
when it changes, not at every retry: a bench without its camera shows it once.

OpenCV is imported on the camera's first start (`opencv`), not with this module: it takes
tens of MB and a noticeable part of a second, which a station that never opens its camera
should not pay at start-up; on Linux, a camera by number whose /dev/videoN does not exist
is reported as not opened without loading OpenCV at all. OpenCV's own log (written
straight to stderr, e.g. `[ WARN:0] can't open camera by index` at every attempt) is
limited to errors; the status says what matters once.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

from drivers.scanners.threaded_source import ThreadedSource
from station.codes.holdoff import HoldOff
from station.ports.decoder import BarcodeDecoder
from station.ports.scanner import (
    FrameCallback,
    ScanCallback,
    SourceState,
    SourceStatus,
    StatusCallback,
)

log = logging.getLogger(__name__)


class _NoCapture:
    """What `_open` gives for a camera device that does not exist: never opened."""

    def isOpened(self) -> bool:
        return False

    def release(self) -> None:
        """Nothing to release."""


def opencv() -> ModuleType:
    """OpenCV, with its own logging limited to errors. OPENCV_LOG_LEVEL is read when OpenCV
    loads (a value the person set wins); setLogLevel covers an OpenCV loaded earlier by the
    decoders."""
    if not os.environ.get("OPENCV_LOG_LEVEL"):
        os.environ["OPENCV_LOG_LEVEL"] = "ERROR"
    import cv2

    if os.environ["OPENCV_LOG_LEVEL"] == "ERROR":
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
    return cv2


class CameraScanner(ThreadedSource):
    def __init__(
        self,
        source: int | str,
        decoder: BarcodeDecoder,
        *,
        holdoff_s: float = 1.5,
        retry_s: float = 2.0,
        realtime: bool = True,
        preview_fps: float = 15.0,  # 0: every frame
        on_frame: FrameCallback | None = None,
    ) -> None:
        super().__init__()
        self.name = f"camera {source}"
        self.source = source
        self.decoder = decoder
        self.holdoff = HoldOff(holdoff_s, time.monotonic)
        self.retry_s = retry_s
        self.realtime = realtime
        self.preview_interval = 1.0 / preview_fps if preview_fps > 0 else 0.0
        self.on_frame = on_frame
        self.frames_decoded = 0

    @property
    def is_file_or_stream(self) -> bool:
        return isinstance(self.source, str)

    def _open(self) -> Any:
        if self._device_missing():
            return _NoCapture()
        return opencv().VideoCapture(self.source)

    def _device_missing(self) -> bool:
        """A camera by number on Linux is /dev/videoN: when there is no such device there
        is nothing for OpenCV to open, and no reason to load it (tens of MB)."""
        return (isinstance(self.source, int) and sys.platform.startswith("linux")
                and not Path(f"/dev/video{self.source}").exists())

    def _run(self, on_scan: ScanCallback, on_status: StatusCallback) -> None:
        last: list[SourceStatus] = []

        def status(state: SourceState, detail: str = "") -> None:
            """Report a change of state; the same state again (another failed retry) is
            not news."""
            news = SourceStatus(self.name, state, detail)
            if last and last[0] == news:
                return
            last[:] = [news]
            if state is SourceState.DISCONNECTED:
                log.warning("%s: %s", self.name, detail)
            else:
                log.info("%s: %s", self.name, state.value)
            on_status(news)

        while not self._stop.is_set():
            capture = self._open()
            if not capture.isOpened():
                capture.release()
                status(SourceState.DISCONNECTED, "cannot open; retrying")
                self._stop.wait(self.retry_s)
                continue
            status(SourceState.CONNECTED)
            try:
                self._stream(capture, on_scan)
            finally:
                capture.release()
            if not self._stop.is_set():
                status(SourceState.DISCONNECTED, "no more frames; retrying")
                self._stop.wait(self.retry_s)
        status(SourceState.STOPPED)

    def _stream(self, capture: Any, on_scan: ScanCallback) -> None:
        fps = capture.get(opencv().CAP_PROP_FPS) or 0.0
        frame_time = 1.0 / fps if self.realtime and self.is_file_or_stream and fps > 0 else 0.0
        last_preview = 0.0
        next_due = time.monotonic()
        while not self._stop.is_set():
            ok, frame = capture.read()
            if not ok or frame is None:
                return
            codes = self.decoder.decode(frame)
            self.frames_decoded += 1
            for code in codes:
                if self.holdoff.should_report(code.text):
                    on_scan(code.text)
            now = time.monotonic()
            if self.on_frame is not None and now - last_preview >= self.preview_interval:
                last_preview = now
                self.on_frame(frame, codes)
            if frame_time:
                next_due += frame_time
                delay = next_due - time.monotonic()
                if delay > 0:
                    self._stop.wait(delay)
                else:
                    next_due = time.monotonic()
