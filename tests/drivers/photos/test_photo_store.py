"""The photo store: clean, upright JPEGs without metadata, named by SHA-256, with thumbnails."""

from __future__ import annotations

import hashlib
import io
import os
import stat
from pathlib import Path

import pytest
from PIL import ExifTags, Image, ImageCms

from drivers.photos import photo_store
from drivers.photos.photo_store import FilePhotoStore
from station.ports.photo_files import photo_path, thumbnail_path
from station.ports.photos import PhotoError, PhotoStore

SECRETS = (b"SpyCam", b"SN-0042-SECRET", b"Ada Lovelace", b"WGS-84", b"secret-xmp",
           b"bench comment")
RED, BLUE = (220, 20, 20), (20, 20, 220)


def picture(width: int, height: int) -> Image.Image:
    """Left half red, right half blue, with noise so the JPEG is not trivially small."""
    image = Image.new("RGB", (width, height), RED)
    image.paste(BLUE, (width // 2, 0, width, height))
    noise = Image.effect_noise((width, height), 24).convert("RGB")
    return Image.blend(image, noise, 0.15)


def camera_jpeg(width: int = 640, height: int = 480, *, orientation: int = 1) -> bytes:
    """A JPEG as a phone writes it: EXIF with camera, owner and GPS position, XMP, a
    comment and an ICC profile."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SpyCam"
    exif[ExifTags.Base.Model] = "SpyCam Pro"
    exif[ExifTags.Base.Artist] = "Ada Lovelace"
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (51.0, 33.0, 12.5),
        ExifTags.GPS.GPSLongitudeRef: "E", ExifTags.GPS.GPSLongitude: (5.0, 4.0, 3.25),
        ExifTags.GPS.GPSMapDatum: "WGS-84",
    }
    exif[ExifTags.IFD.Exif] = {ExifTags.Base.BodySerialNumber: "SN-0042-SECRET"}
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    picture(width, height).save(out, "JPEG", quality=92, exif=exif, icc_profile=srgb,
                                xmp=b"<x:xmpmeta>secret-xmp</x:xmpmeta>",
                                comment=b"bench comment")
    return out.getvalue()


def jpeg_markers(data: bytes) -> list[int]:
    """The markers of a JPEG's header segments, up to the start of the scan."""
    assert data[:2] == b"\xff\xd8"
    markers, pos = [], 2
    while data[pos] == 0xFF:
        marker = data[pos + 1]
        markers.append(marker)
        if marker == 0xDA:
            break
        pos += 2 + int.from_bytes(data[pos + 2:pos + 4], "big")
    return markers


def opened(path: Path) -> Image.Image:
    """The image in a file, read whole (so no file is left open)."""
    return Image.open(io.BytesIO(path.read_bytes()))


@pytest.fixture
def store(tmp_path: Path) -> FilePhotoStore:
    return FilePhotoStore(tmp_path / "photos")


def stored_files(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.rglob("*") if path.is_file())


def test_the_real_store_is_a_photo_store(store: FilePhotoStore) -> None:
    port: PhotoStore = store
    assert port is store


def test_the_source_photo_really_carries_gps_and_camera_data() -> None:
    source = camera_jpeg()
    exif = Image.open(io.BytesIO(source)).getexif()
    assert exif.get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSMapDatum] == "WGS-84"
    assert all(secret in source for secret in SECRETS)


def test_a_stored_photo_keeps_no_metadata_at_all(store: FilePhotoStore) -> None:
    stored = store.store(camera_jpeg())
    data = store.path(stored.sha256).read_bytes()
    image = Image.open(io.BytesIO(data))
    assert dict(image.getexif()) == {}
    assert image.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
    assert not {"exif", "xmp", "comment", "icc_profile"} & set(image.info)
    # No APP1 (EXIF, XMP), APP2 (ICC) or COM segment; only the JFIF header (APP0).
    assert not {0xE1, 0xE2, 0xFE} & set(jpeg_markers(data))
    assert b"Exif" not in data and b"GPS" not in data and b"http://ns.adobe.com" not in data
    assert not [secret for secret in SECRETS if secret in data]
    thumb = store.thumbnail(stored.sha256)
    assert b"Exif" not in thumb and not [secret for secret in SECRETS if secret in thumb]


def test_a_photo_is_named_by_the_sha256_of_the_stored_bytes(store: FilePhotoStore) -> None:
    stored = store.store(camera_jpeg())
    path = store.path(stored.sha256)
    assert path == photo_path(store.folder, stored.sha256)
    data = path.read_bytes()
    assert hashlib.sha256(data).hexdigest() == stored.sha256
    assert stored.size_bytes == len(data)
    assert (stored.width, stored.height) == (640, 480) == opened(path).size


def test_the_same_photo_stored_twice_is_one_file(store: FilePhotoStore) -> None:
    source = camera_jpeg()
    first = store.store(source)
    written = store.path(first.sha256).stat().st_mtime_ns
    second = store.store(source)
    assert second == first
    assert stored_files(store.folder) == [f"{first.sha256}.jpg", f"{first.sha256}.thumb.jpg"]
    assert store.path(first.sha256).stat().st_mtime_ns == written  # not written again


def test_a_thumbnail_is_kept_beside_the_photo(store: FilePhotoStore) -> None:
    stored = store.store(camera_jpeg(1200, 800))
    assert thumbnail_path(store.folder, stored.sha256).is_file()
    thumb = Image.open(io.BytesIO(store.thumbnail(stored.sha256)))
    assert thumb.format == "JPEG"
    assert max(thumb.size) == 320 and thumb.size == (320, 213)


def test_a_missing_thumbnail_is_made_again(store: FilePhotoStore) -> None:
    stored = store.store(camera_jpeg())
    thumbnail_path(store.folder, stored.sha256).unlink()
    assert max(Image.open(io.BytesIO(store.thumbnail(stored.sha256))).size) == 320
    assert thumbnail_path(store.folder, stored.sha256).is_file()


def test_the_thumbnail_of_an_unknown_photo_is_a_clear_error(store: FilePhotoStore) -> None:
    with pytest.raises(PhotoError, match="is not in the photo folder"):
        store.thumbnail("ab" * 32)
    with pytest.raises(ValueError, match="not a lower-case hex SHA-256"):
        store.thumbnail("../../etc/passwd")


def test_an_oversized_photo_is_scaled_down_to_the_maximum_edge(store: FilePhotoStore) -> None:
    stored = store.store(camera_jpeg(2600, 1300))
    assert (stored.width, stored.height) == (2048, 1024)
    assert opened(store.path(stored.sha256)).size == (2048, 1024)


def test_quality_and_size_are_configurable(tmp_path: Path) -> None:
    source = camera_jpeg(1200, 900)
    small = FilePhotoStore(tmp_path / "small", quality=50, max_edge=400).store(source)
    large = FilePhotoStore(tmp_path / "large", quality=95).store(source)
    assert (small.width, small.height) == (400, 300)
    assert small.size_bytes < large.size_bytes


def test_the_exif_orientation_is_applied(store: FilePhotoStore) -> None:
    # Orientation 6: the camera was turned; the picture must be turned 90° clockwise,
    # so the left (red) half of the sensor image ends up on top.
    stored = store.store(camera_jpeg(400, 200, orientation=6))
    assert (stored.width, stored.height) == (200, 400)
    image = opened(store.path(stored.sha256)).convert("RGB")
    top, bottom = image.getpixel((100, 60)), image.getpixel((100, 340))
    assert isinstance(top, tuple) and isinstance(bottom, tuple)
    assert top[0] > 150 > top[2] and bottom[2] > 150 > bottom[0]


def test_a_png_is_stored_as_jpeg_with_transparency_on_white(store: FilePhotoStore) -> None:
    image = Image.new("RGBA", (80, 60), (0, 0, 0, 0))
    image.paste((0, 128, 0, 255), (0, 0, 40, 60))
    out = io.BytesIO()
    image.save(out, "PNG")
    stored = store.store(out.getvalue())
    result = opened(store.path(stored.sha256))
    assert result.format == "JPEG" and result.mode == "RGB"
    right = result.getpixel((70, 30))
    assert isinstance(right, tuple) and min(right) > 240


@pytest.mark.parametrize(("data", "message"), [
    (b"", "empty"),
    (b"this is not a photo at all", "not a JPEG or PNG"),
    (b"GIF89a" + b"\x00" * 64, "not a JPEG or PNG"),
    (b"\xff\xd8\xff\xe0" + b"\x00" * 40, "damaged or incomplete|not a JPEG or PNG"),
])
def test_what_is_not_a_photo_is_refused(
    store: FilePhotoStore, data: bytes, message: str,
) -> None:
    with pytest.raises(PhotoError, match=message):
        store.store(data)
    assert stored_files(store.folder) == []


def test_a_real_gif_is_refused_too(store: FilePhotoStore) -> None:
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, "GIF")
    with pytest.raises(PhotoError, match="not a JPEG or PNG"):
        store.store(out.getvalue())


def test_a_truncated_photo_is_refused(store: FilePhotoStore) -> None:
    source = camera_jpeg()
    with pytest.raises(PhotoError, match="damaged or incomplete"):
        store.store(source[: len(source) // 2])


def test_an_image_with_too_many_pixels_is_refused_before_decoding(tmp_path: Path) -> None:
    store = FilePhotoStore(tmp_path / "photos", max_pixels=100_000)
    with pytest.raises(PhotoError, match=r"640 × 480 pixels; at most 0\.1 million"):
        store.store(camera_jpeg(640, 480))


def test_a_failed_write_leaves_nothing_behind(
    store: FilePhotoStore, monkeypatch: pytest.MonkeyPatch,
) -> None:
    def full_disk(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(photo_store.os, "replace", full_disk)
    with pytest.raises(PhotoError, match="No space left on device"):
        store.store(camera_jpeg())
    assert stored_files(store.folder) == []


def test_a_damaged_file_in_the_store_is_replaced(store: FilePhotoStore) -> None:
    source = camera_jpeg()
    stored = store.store(source)
    store.path(stored.sha256).write_bytes(b"half a photo")
    assert store.store(source) == stored
    assert hashlib.sha256(store.path(stored.sha256).read_bytes()).hexdigest() == stored.sha256


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_on_a_shared_mount_stored_files_are_readable_by_other_stations(tmp_path: Path) -> None:
    store = FilePhotoStore(tmp_path / "shared", shared=True)
    stored = store.store(camera_jpeg())
    assert store.path(stored.sha256).stat().st_mode & 0o444 == 0o444


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_in_the_data_folder_photos_are_readable_by_this_user_only(tmp_path: Path) -> None:
    store = FilePhotoStore(tmp_path / "photos")
    stored = store.store(camera_jpeg())
    for made in (store.path(stored.sha256), thumbnail_path(store.folder, stored.sha256)):
        assert stat.S_IMODE(made.stat().st_mode) == 0o600
        folder = made.parent
        while folder != tmp_path:
            assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
            folder = folder.parent


@pytest.mark.parametrize("bad", [
    {"quality": 100}, {"quality": 10}, {"max_edge": 100}, {"max_pixels": 10**12},
])
def test_settings_out_of_range_are_refused(tmp_path: Path, bad: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        FilePhotoStore(tmp_path, **bad)
