"""A short recorded "camera" video in which a label passes through the frame."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from station.labels.code128 import encode

WIDTH, HEIGHT = 640, 360


def label(text: str, module_px: int = 2, bar_height: int = 70) -> np.ndarray:
    widths = encode(text)
    quiet = 10 * module_px
    image = np.full((bar_height + 20, sum(widths) * module_px + 2 * quiet), 255, np.uint8)
    x = quiet
    for index, width in enumerate(widths):
        if index % 2 == 0:
            image[10:10 + bar_height, x:x + width * module_px] = 0
        x += width * module_px
    return image


def write_label_video(path: Path, text: str, frames: int = 48, fps: float = 24.0) -> Path:
    """The label slides in from the left, crosses the frame and leaves on the right."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (WIDTH, HEIGHT))
    assert writer.isOpened(), "OpenCV cannot write MJPG video here"
    sticker = label(text)
    h, w = sticker.shape
    travel = WIDTH + w
    for index in range(frames):
        frame = np.full((HEIGHT, WIDTH), 120, np.uint8)
        left = int(index * travel / (frames - 1)) - w
        x0, x1 = max(0, left), min(WIDTH, left + w)
        if x1 > x0:
            top = (HEIGHT - h) // 2
            frame[top:top + h, x0:x1] = sticker[:, x0 - left:x1 - left]
        writer.write(cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR))
    writer.release()
    return path
