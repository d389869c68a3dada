"""Webcam scanning through OpenCV's capture path, fed a recorded video file."""

from __future__ import annotations

import contextlib
import queue
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


def test_a_camera_that_cannot_be_opened_is_reported_and_retried(tmp_path: Path) -> None:
    events: queue.Queue[object] = queue.Queue()
    camera = CameraScanner(str(tmp_path / "unplugged.avi"), PipelineDecoder(), retry_s=0.1)
    camera.start(events.put, events.put)
    try:
        seen = collect(events, 0.6)
    finally:
        camera.stop()
    downs = [s for s in seen if isinstance(s, SourceStatus)
             and s.state == SourceState.DISCONNECTED]
    assert len(downs) >= 2 and "cannot open" in downs[0].detail
