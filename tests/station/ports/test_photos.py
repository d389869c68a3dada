"""The photo store port's in-memory fake behaves like the real store where the core sees it."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from PIL import Image

from station.common.vocabulary import PhotoKind
from station.ports.photo_files import photo_path
from station.ports.photos import MemoryPhotoStore, PhotoError, PhotoStore, image_size


def encoded(fmt: str, size: tuple[int, int] = (30, 20), **options: object) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 200, 30)).save(out, fmt, **options)
    return out.getvalue()


@pytest.mark.parametrize(("fmt", "options"), [
    ("JPEG", {}), ("JPEG", {"progressive": True}), ("PNG", {}),
])
def test_image_size_reads_the_header(fmt: str, options: dict[str, object]) -> None:
    assert image_size(encoded(fmt, (30, 20), **options)) == (30, 20)


@pytest.mark.parametrize("data", [b"", b"GIF89a....", b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n"])
def test_image_size_is_none_for_anything_else(data: bytes) -> None:
    assert image_size(data) is None


def test_the_fake_stores_by_hash_once_and_serves_thumbnails() -> None:
    store: PhotoStore = MemoryPhotoStore(Path("/photos"))
    data = encoded("JPEG")
    stored = store.store(data)
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert (stored.size_bytes, stored.width, stored.height) == (len(data), 30, 20)
    assert store.store(data) == stored
    assert store.thumbnail(stored.sha256) == data
    assert store.path(stored.sha256) == photo_path(Path("/photos"), stored.sha256)


def test_the_fake_refuses_what_the_real_store_refuses() -> None:
    store = MemoryPhotoStore()
    with pytest.raises(PhotoError, match="not a JPEG or PNG"):
        store.store(b"garbage")
    with pytest.raises(PhotoError, match="not in the photo store"):
        store.thumbnail("0" * 64)
    with pytest.raises(ValueError):
        store.thumbnail("not-a-hash")


def test_photo_kinds_have_labels_for_the_screen() -> None:
    assert PhotoKind.LABEL_SERIAL.label == "label / serial"
    assert PhotoKind.FRONT.label == "front"
