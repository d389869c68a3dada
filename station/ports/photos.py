"""The photo store port: what the core needs from wherever unit photos are kept.

Contract of every `PhotoStore`:

* `store(data)` takes the camera's or a file's bytes (JPEG or PNG), and keeps a clean
  JPEG: upright (EXIF orientation applied), no metadata at all (no EXIF, so no GPS, no
  camera serial, no XMP or comments), at most the configured size, at the configured
  quality. The file is named by the SHA-256 of the bytes kept, so storing the same
  content twice keeps one file and returns the same `StoredPhoto`. A thumbnail for the
  UI is kept beside it. Anything that is not a usable image raises `PhotoError`.
* `thumbnail(sha256)` returns the thumbnail's JPEG bytes; `PhotoError` if the photo is
  not (or no longer) in the store.
* `path(sha256)` is where the photo's file lives (`station.ports.photo_files.photo_path`).

`drivers.photos.photo_store.FilePhotoStore` is the real one (Pillow, a folder that may be a
shared mount); `MemoryPhotoStore` below is the in-memory fake for tests of the core and
the UI. This module imports no imaging library.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from station.common.errors import UserFacingError
from station.ports.photo_files import photo_path


class PhotoError(UserFacingError):
    """A photo that cannot be stored or found; the message says why and what to do."""


@dataclass(frozen=True)
class StoredPhoto:
    """A photo as kept: its content hash and the size of the stored JPEG."""

    sha256: str
    size_bytes: int
    width: int
    height: int


class PhotoStore(Protocol):
    folder: Path  # where the photos live (a shared mount, maybe)

    def store(self, data: bytes) -> StoredPhoto:
        """Keep a clean JPEG of the image in `data`; raises PhotoError for a bad image."""
        ...

    def thumbnail(self, sha256: str) -> bytes:
        """The stored photo's thumbnail (JPEG bytes); PhotoError if the photo is missing."""
        ...

    def path(self, sha256: str) -> Path:
        """Where the photo's file lives; ValueError for anything but a hex SHA-256."""
        ...


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: JPEG start-of-frame markers (baseline, extended, progressive, lossless, ...).
_SOF_MARKERS = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB,
                          0xCD, 0xCE, 0xCF})


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from a JPEG's or PNG's header, without decoding; None if neither."""
    if data.startswith(_PNG_SIGNATURE) and data[12:16] == b"IHDR" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return (width, height) if width and height else None
    if not data.startswith(b"\xff\xd8"):
        return None
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # no length field
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2:pos + 4])
        if marker in _SOF_MARKERS and pos + 9 <= len(data):
            height, width = struct.unpack(">HH", data[pos + 5:pos + 9])
            return (width, height) if width and height else None
        if marker == 0xDA or length < 2:  # start of scan before any frame header
            return None
        pos += 2 + length
    return None


class MemoryPhotoStore:
    """The in-memory fake: keeps the bytes as given (no re-encoding, no thumbnails made).

    It checks only that the bytes start like a JPEG or PNG with a readable size, so tests
    of the core and the UI can use tiny hand-made images; the thumbnail is the photo.
    """

    def __init__(self, folder: Path = Path("/memory/photos")) -> None:
        self.folder = folder
        self.files: dict[str, bytes] = {}

    def store(self, data: bytes) -> StoredPhoto:
        size = image_size(bytes(data))
        if size is None:
            raise PhotoError("That is not a JPEG or PNG photo. Take the photo again.")
        sha = hashlib.sha256(data).hexdigest()
        self.files.setdefault(sha, bytes(data))
        return StoredPhoto(sha, len(data), size[0], size[1])

    def thumbnail(self, sha256: str) -> bytes:
        self.path(sha256)  # the same ValueError for a malformed hash as the real store
        if sha256 not in self.files:
            raise PhotoError(f"Photo {sha256[:12]} is not in the photo store.")
        return self.files[sha256]

    def path(self, sha256: str) -> Path:
        return photo_path(self.folder, sha256)
