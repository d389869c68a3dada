"""The photo store on disk: clean JPEGs named by their SHA-256, with thumbnails for the UI.

`FilePhotoStore(folder, quality=85, max_edge=2048)` implements `station.ports.photos.PhotoStore`.
`store(data)`:

1. opens the bytes with Pillow as JPEG or PNG only (anything else is refused before any
   decoder runs), and refuses images of more than `max_pixels` pixels before decoding
   them (a small file can declare a huge image);
2. turns the image upright by its EXIF orientation, converts it to sRGB (through its ICC
   profile when it has one), and flattens any transparency onto white;
3. scales it down so its longer edge is at most `max_edge` pixels;
4. copies the pixels into a new image, so no metadata of the original survives: no EXIF
   (so no GPS position, camera serial or owner name), no XMP, no comments, no ICC profile;
5. encodes it as JPEG at `quality`, names it by the SHA-256 of those bytes and writes it
   to `station.ports.photo_files.photo_path(folder, sha)`, plus a thumbnail of at most
   `thumbnail_edge` pixels at `thumbnail_path`.

A private store (`shared=False`, the photos folder inside the data folder) makes its folders
0700 and its files 0600: photos show customers' goods and sometimes their labels. A shared
mount (`shared=True`, `photos.folder` set) keeps files 0644 so the other stations read them;
securing the mount is the admin's part.

Files are written to a temporary file in the same folder, flushed to disk and renamed into
place, so a reader (or another station on a shared mount) never sees half a photo. Storing
the same content again finds the file already there, checks its hash and writes nothing.
Encoding is deterministic, so the same photo stored twice gets the same name.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import struct
import tempfile
from pathlib import Path
from typing import Final

from PIL import Image, ImageOps, UnidentifiedImageError

from station.ports.photo_files import photo_path, thumbnail_path
from station.ports.photos import PhotoError, StoredPhoto
from station.settings.private_files import make_private_dirs

try:
    from PIL import ImageCms
except ImportError:  # pragma: no cover - Pillow built without LittleCMS
    ImageCms = None  # type: ignore[assignment]

DEFAULT_QUALITY: Final = 85
DEFAULT_MAX_EDGE: Final = 2048
DEFAULT_MAX_PIXELS: Final = 50_000_000  # a 50 MP camera; Pillow's own bomb limit is ~89 MP
DEFAULT_MAX_BYTES: Final = 40 * 1024 * 1024
THUMBNAIL_EDGE: Final = 320
THUMBNAIL_QUALITY: Final = 80
ACCEPTED_FORMATS: Final = ("JPEG", "PNG")


class FilePhotoStore:
    """Photos in a folder (local or a shared mount), laid out by `station.privacy.retention`."""

    def __init__(
        self, folder: Path, *, quality: int = DEFAULT_QUALITY, max_edge: int = DEFAULT_MAX_EDGE,
        max_pixels: int = DEFAULT_MAX_PIXELS, max_bytes: int = DEFAULT_MAX_BYTES,
        thumbnail_edge: int = THUMBNAIL_EDGE, shared: bool = False,
    ) -> None:
        if not 30 <= quality <= 95:
            raise ValueError(f"quality must be 30 to 95, not {quality}")
        if not 64 <= thumbnail_edge <= max_edge <= 16_384:
            raise ValueError(f"need 64 <= thumbnail_edge ({thumbnail_edge}) <= max_edge "
                             f"({max_edge}) <= 16384")
        if not 1 <= max_pixels <= (Image.MAX_IMAGE_PIXELS or max_pixels):
            raise ValueError(f"max_pixels must be 1 to {Image.MAX_IMAGE_PIXELS} (Pillow's "
                             f"decompression-bomb limit), not {max_pixels}")
        self.folder = Path(folder)
        self.quality = quality
        self.max_edge = max_edge
        self.max_pixels = max_pixels
        self.max_bytes = max_bytes
        self.thumbnail_edge = thumbnail_edge
        self.shared = shared

    # -- the PhotoStore protocol

    def store(self, data: bytes) -> StoredPhoto:
        if not data:
            raise PhotoError("The photo is empty. Take it again.")
        if len(data) > self.max_bytes:
            raise PhotoError(f"The photo file is {len(data) // (1024 * 1024)} MB; at most "
                             f"{self.max_bytes // (1024 * 1024)} MB is accepted.")
        image = self._clean_image(bytes(data))
        photo = _encode(image, self.quality)
        sha = hashlib.sha256(photo).hexdigest()
        target = photo_path(self.folder, sha)
        if not _holds(target, sha):
            self._write(target, photo)
        thumb_target = thumbnail_path(self.folder, sha)
        if not thumb_target.is_file():
            self._write(thumb_target, self._thumbnail_of(image))
        return StoredPhoto(sha256=sha, size_bytes=len(photo), width=image.width,
                           height=image.height)

    def thumbnail(self, sha256: str) -> bytes:
        thumb = thumbnail_path(self.folder, sha256)
        try:
            return thumb.read_bytes()
        except FileNotFoundError:
            pass
        except OSError as error:
            raise PhotoError(f"The thumbnail of photo {sha256[:12]} cannot be read "
                             f"({error.strerror}).") from None
        try:  # the photo without its thumbnail (e.g. copied in by hand): make it again
            photo = photo_path(self.folder, sha256).read_bytes()
        except FileNotFoundError:
            raise PhotoError(
                f"Photo {sha256[:12]} is not in the photo folder {self.folder}: it was "
                "deleted by the retention rule, or the shared folder is not connected."
            ) from None
        except OSError as error:
            raise PhotoError(f"Photo {sha256[:12]} cannot be read ({error.strerror}).") \
                from None
        data = self._thumbnail_of(self._clean_image(photo))
        self._write(thumb, data)
        return data

    def path(self, sha256: str) -> Path:
        return photo_path(self.folder, sha256)

    # -- decoding and cleaning

    def _clean_image(self, data: bytes) -> Image.Image:
        """The upright, sRGB, metadata-free image, no larger than max_edge."""
        try:
            with Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS) as source:
                width, height = source.size
                if width * height > self.max_pixels:
                    raise PhotoError(
                        f"The image is {width} × {height} pixels; at most "
                        f"{self.max_pixels / 1e6:g} million pixels are accepted."
                    )
                if source.format == "JPEG":  # decode at 1/2, 1/4, 1/8 size when that suffices
                    source.draft("RGB", (self.max_edge, self.max_edge))
                source.load()
                upright = ImageOps.exif_transpose(source)
                rgb = _to_srgb(upright, source.info.get("icc_profile"))
        except UnidentifiedImageError:
            raise PhotoError("That is not a JPEG or PNG photo. Take the photo again.") from None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise PhotoError("The image has far too many pixels to be a photo.") from None
        except (OSError, ValueError, SyntaxError, EOFError, struct.error):
            raise PhotoError("The photo is damaged or incomplete. Take it again.") from None
        if max(rgb.size) > self.max_edge:
            scale = self.max_edge / max(rgb.size)
            size = (max(1, round(rgb.width * scale)), max(1, round(rgb.height * scale)))
            rgb = rgb.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
        # New pixels, new image: nothing of the original's info (EXIF, XMP, ICC, comments).
        return Image.frombytes("RGB", rgb.size, rgb.tobytes())

    def _thumbnail_of(self, image: Image.Image) -> bytes:
        thumb = image.copy()
        thumb.thumbnail((self.thumbnail_edge, self.thumbnail_edge), Image.Resampling.LANCZOS)
        return _encode(thumb, THUMBNAIL_QUALITY)

    # -- writing

    def _write(self, target: Path, data: bytes) -> None:
        try:
            _write_atomically(target, data, shared=self.shared)
        except OSError as error:
            raise PhotoError(
                f"The photo cannot be saved in {self.folder} ({error.strerror or error}). "
                "Check that the photo folder (or shared drive) is connected and not full."
            ) from None


def _to_srgb(image: Image.Image, icc: object) -> Image.Image:
    """RGB in sRGB: colour-managed when the image has a profile, transparency on white."""
    if image.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        image = image.convert("I").point(lambda value: value / 256).convert("L")
    if isinstance(icc, bytes) and icc and ImageCms is not None \
            and image.mode in ("RGB", "RGBA", "CMYK", "L"):
        with contextlib.suppress(ImageCms.PyCMSError, OSError, ValueError, TypeError):
            converted = ImageCms.profileToProfile(
                image, ImageCms.ImageCmsProfile(io.BytesIO(icc)), ImageCms.createProfile("sRGB"),
                outputMode="RGBA" if image.mode == "RGBA" else "RGB",
            )
            if converted is not None:
                image = converted
    if image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or (
            image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")


def _encode(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality, optimize=True)
    return out.getvalue()


def _holds(target: Path, sha256: str) -> bool:
    """Whether the file is there with exactly the content its name promises."""
    try:
        return hashlib.sha256(target.read_bytes()).hexdigest() == sha256
    except OSError:
        return False


def _write_atomically(target: Path, data: bytes, *, shared: bool) -> None:
    """Temporary file in the same folder, fsync, rename over the target, fsync the folder."""
    if shared:
        target.parent.mkdir(parents=True, exist_ok=True)
    else:
        make_private_dirs(target.parent)
    fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                                     dir=target.parent)
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if os.name == "posix" and shared:
            os.chmod(temp, 0o644)  # other stations on a shared mount read it too
        try:
            os.replace(temp, target)
        except PermissionError:
            # Windows refuses to replace a file someone has open; if it is already the
            # same content (another station stored the same photo), that is fine.
            if target.read_bytes() != data:
                raise
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
    _fsync_folder(target.parent)


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where folders cannot be opened."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):  # some network file systems refuse it
            os.fsync(fd)
    finally:
        os.close(fd)
