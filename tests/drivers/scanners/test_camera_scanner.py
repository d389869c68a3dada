"""Webcam scanning through OpenCV's capture path, fed a recorded video file."""

from __future__ import annotations

import contextlib
import os
import queue
import subprocess
import sys
import time
from pathlib import Path

from label_video import write_label_video

from drivers.decoding.decode_pipeline import PipelineDecoder
from drivers.scanners.camera_scanner import CameraScanner
from station.ports.scanner import SourceState, SourceStatus


def collect(events: queue.Queue[object], seconds: float) -> list[object]:
    deadline = time.monotonic() + seconds
    seen: list[object] = []
    while time.monotonic() < deadline:
        with contextlib.suppress(queue.Empty):
            seen.append(events.get(timeout=0.05))
    return seen


def test_a_label_passing_through_the_frame_is_reported_once(tmp_path: Path) -> None:
    video = write_label_video(tmp_path / "bench.avi", "RMA-100001")
    events: queue.Queue[object] = queue.Queue()
    frames: list[int] = []
    camera = CameraScanner(str(video), PipelineDecoder(), realtime=False, retry_s=30,
                           preview_fps=0,
                           on_frame=lambda frame, codes: frames.append(len(codes)))
    camera.start(events.put, events.put)
    try:
        seen = collect(events, 4.0)
    finally:
        camera.stop()
    scans = [item for item in seen if isinstance(item, str)]
    assert scans == ["RMA-100001"]
    states = [item.state for item in seen if isinstance(item, SourceStatus)]
    assert states[0] == SourceState.CONNECTED
    assert SourceState.DISCONNECTED in states  # the video ended: reported, then retried
    assert camera.frames_decoded == 48
    assert max(frames) == 1  # the preview got the outline of the code


class _Unpluggable(CameraScanner):
    """A camera that never opens, counting how often it was tried."""

    def __init__(self) -> None:
        super().__init__(0, PipelineDecoder(), retry_s=0.05)
        self.attempts = 0

    def _open(self) -> object:
        self.attempts += 1
        return super()._open()


def test_a_missing_camera_is_reported_once_while_it_is_retried(tmp_path: Path) -> None:
    """The bench's status says so once, not every retry (issue #17: every 2 s)."""
    events: queue.Queue[object] = queue.Queue()
    camera = _Unpluggable()
    camera.source = str(tmp_path / "unplugged.avi")
    camera.start(events.put, events.put)
    try:
        seen = collect(events, 0.6)
    finally:
        camera.stop()
    downs = [s for s in seen if isinstance(s, SourceStatus)
             and s.state == SourceState.DISCONNECTED]
    assert camera.attempts >= 3
    assert len(downs) == 1 and "cannot open" in downs[0].detail


_NO_CAMERA = """
import queue, sys
from drivers.scanners.camera_scanner import CameraScanner
from station.ports.decoder import DecodedCode

class NoDecoder:
    name = "none"
    def decode(self, image: object) -> list[DecodedCode]:
        return []

class AskOpenCV(CameraScanner):
    def _device_missing(self) -> bool:  # OpenCV tries /dev/video63 even on Linux
        return False

events: queue.Queue[object] = queue.Queue()
camera = AskOpenCV(63, NoDecoder(), retry_s=0.05)
camera.start(events.put, events.put)
print(events.get(timeout=30))
camera.stop()
"""


def test_opencv_keeps_its_warnings_about_a_missing_camera_off_the_terminal() -> None:
    """OpenCV writes `[ WARN:0@...] can't open camera by index` to stderr itself (not through
    Python) at every attempt; the status already says so."""
    done = subprocess.run([sys.executable, "-c", _NO_CAMERA], capture_output=True, text=True,
                          timeout=60, check=False, env={**os.environ, "OPENCV_LOG_LEVEL": ""})
    assert done.returncode == 0, done.stderr
    assert "cannot open" in done.stdout
    assert "WARN" not in done.stderr


def test_a_camera_number_with_no_device_is_not_opened_without_loading_opencv() -> None:
    """On Linux a camera number is /dev/videoN; with none there, OpenCV stays unloaded."""
    code = (_NO_CAMERA.replace("camera = AskOpenCV(", "camera = CameraScanner(")
            .replace("camera.stop()", "camera.stop()\nprint('cv2' in sys.modules)"))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    if sys.platform.startswith("linux") and not Path("/dev/video63").exists():
        assert done.stdout.split()[-1] == "False"
