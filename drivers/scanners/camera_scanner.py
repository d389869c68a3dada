"""Scanning with a webcam: frames grabbed and decoded on a background thread.

The source is a device index, a video file or a stream URL (anything OpenCV's
VideoCapture opens), so recorded video exercises exactly the code a live camera does. A
camera that cannot be opened, or stops giving frames, is reported and retried; a video
file that ends is reopened, so a recorded bench loops.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import cv2

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
        return cv2.VideoCapture(self.source)

    def _run(self, on_scan: ScanCallback, on_status: StatusCallback) -> None:
        def status(state: SourceState, detail: str = "") -> None:
            on_status(SourceStatus(self.name, state, detail))

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
        fps = capture.get(cv2.CAP_PROP_FPS) or 0.0
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
