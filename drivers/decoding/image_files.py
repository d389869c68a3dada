"""Decoding barcodes from files: photos once, videos frame by frame, for `returns-station decode`.

Contract: `decode_file(path, decoder, every=1)` returns a `FileResult` with each distinct
code (same format and text) once, with the index of the first video frame it was seen in
(None for a still image), and the milliseconds the whole file took, reading included.
A missing, unreadable or undecodable file raises `UnreadableFile` naming the file and why.

Before any image is decoded its size is read from its header (Pillow reads only the
header) and a file larger than MAX_IMAGE_FILE_BYTES or an image of more than
MAX_IMAGE_PIXELS pixels is refused as UnreadableFile, so a small PNG that claims
100000 × 100000 pixels (a decompression bomb) never reaches a decoder; any OpenCV error
also becomes UnreadableFile, so one bad file never stops the files after it.

Images are read with cv2.imread; when that fails (OpenCV on Windows cannot open non-ASCII
paths, e.g. "Rücksendung.jpg") the bytes are read by NumPy and decoded with cv2.imdecode.
Videos go through cv2.VideoCapture; with `every` > 1 the frames in between are only
grabbed, not decoded, which is much cheaper on long clips.
"""

from __future__ import annotations

import re
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final, NoReturn

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, UnidentifiedImageError

from station.ports.decoder import BarcodeDecoder, DecodedCode

Frame = npt.NDArray[np.uint8]

IMAGE_SUFFIXES: Final = frozenset(
    {".jpg", ".jpeg", ".jpe", ".png", ".bmp", ".tif", ".tiff", ".webp", ".pgm", ".ppm",
     ".pbm", ".pnm"}
)


#: A phone photo has 12-50 million pixels; a decoded image takes three bytes per pixel.
MAX_IMAGE_PIXELS: Final = 64_000_000
MAX_IMAGE_FILE_BYTES: Final = 256 * 1024 * 1024


class UnreadableFile(ValueError):
    """A file that is missing, unreadable, or not an image or video OpenCV can decode."""


@dataclass(frozen=True)
class FileCode:
    """A code found in a file; `frame` is the first video frame showing it (None: a photo)."""

    code: DecodedCode
    frame: int | None


@dataclass(frozen=True)
class FileResult:
    """Every distinct code in one file, in order of discovery, and the time it took."""

    file: Path
    results: list[FileCode]
    ms: float
    frames: int  # frames decoded: 1 for a photo


def _check_exists(path: Path) -> None:
    if not path.exists():
        raise UnreadableFile(f"{path}: no such file")
    if not path.is_file():
        raise UnreadableFile(f"{path}: not a file")


def _check_image_size(path: Path) -> None:
    """Refuse a file too large to read, or an image whose header claims too many pixels."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise UnreadableFile(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    if size > MAX_IMAGE_FILE_BYTES:
        raise UnreadableFile(f"{path}: the file is {size:,} bytes; images of at most "
                             f"{MAX_IMAGE_FILE_BYTES // (1024 * 1024)} MiB are read")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:  # reads the header only
                width, height = image.size
    except Image.DecompressionBombError as exc:  # Pillow's own, higher limit said so
        claimed = re.search(r"\((\d+) pixels\)", str(exc))
        _refuse_pixels(path, f"{int(claimed.group(1)):,} pixels" if claimed else
                       "more pixels than Pillow allows")
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return  # not an image Pillow knows: OpenCV decides, under its own pixel limit
    if width * height > MAX_IMAGE_PIXELS:
        _refuse_pixels(path, f"{width} × {height} pixels")


def _refuse_pixels(path: Path, claimed: str) -> NoReturn:
    raise UnreadableFile(f"{path}: the image claims {claimed}; at most "
                         f"{MAX_IMAGE_PIXELS // 1_000_000} million pixels are decoded")


def _cv_problem(error: cv2.error) -> str:
    text = " ".join(str(error).split())
    return text[text.rfind("error:"):][:200] if "error:" in text else text[:200]


def _imdecode(path: Path) -> Frame | None:
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as exc:
        raise UnreadableFile(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    if data.size == 0:
        return None
    image = cv2.imdecode(data, cv2.IMREAD_COLOR)
    return None if image is None else np.asarray(image, dtype=np.uint8)


def read_image(path: Path) -> Frame:
    """The photo as a BGR array; UnreadableFile when it is missing or not an image."""
    path = Path(path)
    _check_exists(path)
    _check_image_size(path)
    try:
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            image = _imdecode(path)
    except cv2.error as exc:
        raise UnreadableFile(f"{path}: OpenCV cannot decode it ({_cv_problem(exc)})") from None
    if image is None:
        raise UnreadableFile(f"{path}: not an image OpenCV can decode (JPEG, PNG, BMP, TIFF, "
                             "WebP, PNM)")
    return np.asarray(image, dtype=np.uint8)


def video_frames(path: Path, every: int = 1) -> Iterator[tuple[int, Frame]]:
    """(index, BGR frame) for frames 0, every, 2×every, …; UnreadableFile if it won't open.

    A file that opens but gives no frame at all is unreadable too.
    """
    path = Path(path)
    if every < 1:
        raise ValueError("every must be at least 1")
    _check_exists(path)
    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise UnreadableFile(f"{path}: not a video OpenCV can open")
        index = 0
        while capture.grab():
            if index % every == 0:
                ok, frame = capture.retrieve()
                if ok and frame is not None:
                    yield index, np.asarray(frame, dtype=np.uint8)
            index += 1
        if index == 0:
            raise UnreadableFile(f"{path}: the video holds no frame OpenCV can decode")
    finally:
        capture.release()


def _is_image(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES


def _decode_file(path: Path, decoder: BarcodeDecoder, every: int) -> FileResult:
    path = Path(path)
    _check_exists(path)
    start = time.perf_counter()
    found: dict[tuple[str, str], FileCode] = {}
    frames = 0
    if _is_image(path):
        for code in decoder.decode(read_image(path)):
            found.setdefault((code.format, code.text), FileCode(code, None))
        frames = 1
    else:
        try:
            for index, frame in video_frames(path, every):
                frames += 1
                for code in decoder.decode(frame):
                    found.setdefault((code.format, code.text), FileCode(code, index))
        except UnreadableFile as video_error:
            # Not a video OpenCV knows: perhaps a photo with an unusual name.
            try:
                image = read_image(path)
            except UnreadableFile:
                raise UnreadableFile(
                    f"{path}: neither an image nor a video OpenCV can decode") from video_error
            for code in decoder.decode(image):
                found.setdefault((code.format, code.text), FileCode(code, None))
            frames = 1
    ms = (time.perf_counter() - start) * 1000
    return FileResult(path, list(found.values()), ms, frames)


def decode_file(path: Path, decoder: BarcodeDecoder, every: int = 1) -> FileResult:
    """Every distinct code in a photo (decoded once) or a video (every `every`-th frame);
    UnreadableFile for a file that cannot be read or decoded, OpenCV's errors included."""
    try:
        return _decode_file(path, decoder, every)
    except cv2.error as exc:
        raise UnreadableFile(f"{path}: OpenCV cannot decode it ({_cv_problem(exc)})") from None
