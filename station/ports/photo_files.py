"""Where a photo's files live in the photos folder: named by the SHA-256 of the JPEG kept.

The one place that knows the layout, shared by the photo store (drivers/photos/photo_store.py) and
the retention rule that deletes expired files (station.privacy.retention).
"""

from __future__ import annotations

import re
from pathlib import Path

SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def _checked(sha256: str) -> str:
    if not SHA256_HEX.fullmatch(sha256):
        raise ValueError(f"not a lower-case hex SHA-256: {sha256[:80]!r}")
    return sha256


def photo_path(photos_dir: Path, sha256: str) -> Path:
    """`<photos_dir>/<sha256[:2]>/<sha256>.jpg`; raises ValueError for anything but a hash."""
    sha = _checked(sha256)
    return photos_dir.joinpath(sha[:2], f"{sha}.jpg")


def thumbnail_path(photos_dir: Path, sha256: str) -> Path:
    """`<photos_dir>/<sha256[:2]>/<sha256>.thumb.jpg`; raises ValueError like `photo_path`."""
    sha = _checked(sha256)
    return photos_dir.joinpath(sha[:2], f"{sha}.thumb.jpg")
