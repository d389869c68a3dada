"""Synthetic barcode pictures for the decoder tests: no corpus needed, fully deterministic.

Labels are rendered from the codes' own encoders (station.labels.code128 for Code 128, zxing-cpp's
writer for EAN-13 and QR), then placed on a 1280×720 "bench" background with texture and
printed text, at any angle, with perspective, blur and sensor noise, so the tests exercise
the same path as camera frames.
"""

from __future__ import annotations

import cv2
import numpy as np
import zxingcpp

from station.labels.code128 import encode

FRAME_W, FRAME_H = 1280, 720
Array = np.ndarray


def code128_label(text: str, module_px: int = 3, height: int = 90) -> Array:
    """A white label with a Code 128 symbol and 10-module quiet zones (grey uint8)."""
    widths = encode(text)
    quiet = 10 * module_px
    width = sum(widths) * module_px + 2 * quiet
    label = np.full((height + 2 * quiet // 2, width), 255, np.uint8)
    x = quiet
    for index, w in enumerate(widths):
        if index % 2 == 0:
            label[quiet // 2 : quiet // 2 + height, x : x + w * module_px] = 0
        x += w * module_px
    return label


def zxing_label(text: str, fmt: str, scale: int) -> Array:
    """A label rendered by zxing-cpp's writer (with quiet zones), grey uint8."""
    barcode = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.__members__[fmt])
    image = np.asarray(zxingcpp.write_barcode_to_image(barcode, scale=scale), dtype=np.uint8)
    if fmt in ("EAN13", "UPCA", "EAN8"):
        image = cv2.resize(image, (image.shape[1], image.shape[0] * 2 // 3 + 40),
                           interpolation=cv2.INTER_NEAREST)  # taller bars, as printed
    pad = 4 * scale
    return cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=255)


def background(seed: int, text: bool = True) -> Array:
    """A 1280×720 grey bench: smooth blotches, wood-like streaks, and lines of print."""
    rng = np.random.default_rng(seed)
    base = rng.normal(0, 1, (FRAME_H // 16, FRAME_W // 16)).astype(np.float32)
    base = cv2.resize(base, (FRAME_W, FRAME_H), interpolation=cv2.INTER_CUBIC)
    streaks = cv2.GaussianBlur(rng.normal(0, 1, (FRAME_H, FRAME_W)).astype(np.float32),
                               (0, 0), sigmaX=25, sigmaY=1.5)
    frame = 140 + 25 * base + 60 * streaks + rng.normal(0, 4, (FRAME_H, FRAME_W))
    frame = np.clip(frame, 0, 255).astype(np.uint8)
    if text:
        for row in range(6):
            y = 60 + row * 110 + int(rng.integers(0, 30))
            x = int(rng.integers(20, 300))
            words = " ".join("".join(chr(int(c)) for c in rng.integers(97, 123, 6))
                             for _ in range(5))
            cv2.putText(frame, words, (x, y), cv2.FONT_HERSHEY_SIMPLEX, 1.1,
                        int(rng.integers(10, 60)), 2, cv2.LINE_AA)
    return frame


def place(frame: Array, label: Array, angle: float, centre: tuple[float, float],
          tilt: float = 0.0) -> tuple[Array, Array]:
    """The label pasted on a copy of the frame, turned by `angle`° (counter-clockwise),
    optionally tilted in perspective (`tilt` = fraction by which the far edge shrinks).
    Returns the frame and the label's four corners in frame pixels."""
    h, w = label.shape
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    shrink = tilt * h / 2
    dst = np.array([[shrink, 0], [w - shrink, 0], [w, h], [0, h]], np.float32)
    dst -= np.array([w / 2, h / 2], np.float32)
    theta = np.radians(angle)
    rot = np.array([[np.cos(theta), np.sin(theta)], [-np.sin(theta), np.cos(theta)]], np.float32)
    dst = dst @ rot.T + np.array(centre, np.float32)
    matrix = cv2.getPerspectiveTransform(src, dst)
    out = frame.copy()
    cv2.warpPerspective(label, matrix, (frame.shape[1], frame.shape[0]), dst=out,
                        flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_TRANSPARENT)
    return out, dst


def degrade(frame: Array, blur: float = 0.0, noise: float = 0.0, seed: int = 0) -> Array:
    """Camera-like softness and sensor noise."""
    out = frame.astype(np.float32)
    if blur:
        out = cv2.GaussianBlur(out, (0, 0), blur)
    if noise:
        out += np.random.default_rng(seed).normal(0, noise, out.shape).astype(np.float32)
    return np.clip(out, 0, 255).astype(np.uint8)


def bgr(gray: Array) -> Array:
    return cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
