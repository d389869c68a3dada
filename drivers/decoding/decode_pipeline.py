"""The decoder the app uses: zxing-cpp first, then aimed extra effort, never a wrong number.

Contract (the `BarcodeDecoder` port): grey/BGR/BGRA uint8 in, every code found out, formats
named as zxing-cpp names them, corners in frame pixels; [] for no code or bad pixels.

Stages, cheapest first; each runs only when the ones before found nothing:

1. First pass. A photo of up to 0.35 MP goes whole to zxing-cpp (station formats, 90°
   rotations): 1-2 ms. A camera frame is bigger and mostly background, so zxing-cpp reads
   QR codes on the whole frame (cheap) and everything else only inside the regions
   `barcode_regions` finds (~3 ms): each linear region cropped, turned a quarter if
   vertical (lossless) or resampled upright if more than 10° off the axes (zxing-cpp alone
   reads 90° steps only), and read without zxing-cpp's own rotation; each compact matrix
   region cropped for Data Matrix.
2. Regions on a photo: the same aimed crops, for codes at odd angles.
3. Fallbacks, only where a region says a code may be: contrast equalisation, ZBar,
   inversion, 2× upscale, sharpening, adaptive threshold, with both engines, stopping at
   the first that yields an accepted read. On a photo they run on the whole photo; on a
   camera frame on the best two linear regions scoring at least 40 (size × contrast ×
   coherence) and under 0.6 MP, for at most 100 ms. So an empty frame whose regions do
   not look like a code costs the first pass only.

Every read goes through `read_checks`: check digits and lengths, and for weakly checked
codes (EAN/UPC, Code 39, ITF) and anything a fallback found, a vote of both engines over
several views of the code's own crop.

Measured on one core with benchmarks/decode.py (535 real photos): 86.7 % read, 0 wrong
(zxing-cpp then ZBar: 81.9 %); a 1280×720 frame with a code ~9-10 ms median, an empty one
~5 ms median.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from drivers.decoding.barcode_regions import Region, find_regions
from drivers.decoding.decoder_errors import DecoderUnavailable
from drivers.decoding.image_ops import (
    IDENTITY,
    Gray,
    adaptive_binary,
    as_gray,
    axis_crop,
    clahe,
    compose,
    invert,
    inverted,
    quarter_turn,
    resized,
    sharpened,
    upright_crop,
)
from drivers.decoding.read_checks import ReadFn, SecondOpinion, needs_opinion, plausible
from drivers.decoding.reads import LINEAR, Affine, Read
from drivers.decoding.zbar_decoder import ZbarDecoder
from drivers.decoding.zxing_decoder import DEFAULT_FORMATS, LINEAR_FORMATS, ZxingDecoder
from station.ports.decoder import DecodedCode, Image

log = logging.getLogger(__name__)

SMALL_IMAGE_PIXELS: Final = 700 * 500
AXIS_TOLERANCE: Final = 10.0  # degrees: closer to 0°/90° than this, crop without resampling
MIN_FALLBACK_SCORE: Final = 40.0  # region score below which no fallback is tried on it
MARGIN_ALONG: Final = 0.12  # crops grow by this share of a region's length at each end
MAX_FALLBACK_PIXELS: Final = 600_000  # bigger places get no fallback (surfaces, not codes)
MAX_UPSCALED_PIXELS: Final = 640 * 480  # bigger places are not upscaled (cost grows 4×)

Transform = Callable[[Gray], tuple[Gray, Affine]]


@dataclass(frozen=True)
class Effort:
    """How much work a frame may cost; the defaults meet the bench's time budget."""

    linear_regions: int = 4
    matrix_regions: int = 3
    fallback_regions: int = 2
    #: Wall-clock cap on the fallback stage of a camera frame, in ms (None: no cap), so a
    #: live view never stalls: it bites on stripy surfaces filling the view (0.3-0.8 s
    #: without it), rarely on a code. Photos (up to 0.35 MP) have no cap: their fallbacks
    #: are bounded by their size (~0.2 s at worst) and a photo is decoded once.
    frame_fallback_ms: float | None = 100.0


def _same(gray: Gray) -> tuple[Gray, Affine]:
    return gray, IDENTITY


def _filter(fn: Callable[[Gray], Gray]) -> Transform:
    return lambda gray: (fn(gray), IDENTITY)


def _upscaled(gray: Gray) -> tuple[Gray, Affine]:
    return resized(gray, 2.0)


def _upscaled_sharp(gray: Gray) -> tuple[Gray, Affine]:
    up, affine = resized(gray, 2.0)
    return sharpened(up, 1.5), affine


_UPSCALES: Final = (_upscaled, _upscaled_sharp)


def _off_axis(angle: float) -> bool:
    return abs((angle + 45.0) % 90.0 - 45.0) > AXIS_TOLERANCE


def _dedupe(reads: list[Read]) -> list[Read]:
    seen: set[str] = set()
    out = []
    for read in reads:
        if read.identity() not in seen:
            seen.add(read.identity())
            out.append(read)
    return out


class PipelineDecoder:
    """zxing-cpp, aimed by a region finder, backed by ZBar and fallbacks, checked by a vote."""

    name = "pipeline"

    def __init__(self, *, use_zbar: bool = True, effort: Effort | None = None) -> None:
        self._effort = effort or Effort()
        self._whole = ZxingDecoder(DEFAULT_FORMATS)
        self._qr = ZxingDecoder(("QRCode",))
        self._matrix = ZxingDecoder(("DataMatrix",))
        self._linear_upright = ZxingDecoder((*LINEAR_FORMATS, "PDF417"), try_rotate=False)
        self._zbar: ZbarDecoder | None = None
        if use_zbar:
            try:
                self._zbar = ZbarDecoder()
            except DecoderUnavailable as exc:
                log.warning("decoding without ZBar: %s", exc)
        upright_engines: list[ReadFn] = [ZxingDecoder(LINEAR_FORMATS, try_rotate=False).read]
        if self._zbar is not None:
            upright_engines.insert(0, ZbarDecoder(LINEAR_FORMATS).read)
        self._opinion = SecondOpinion(upright_engines)
        self._fallbacks = self._fallback_plan()

    def _fallback_plan(self) -> list[tuple[Transform, ReadFn]]:
        zx = self._whole.read
        plan: list[tuple[Transform, ReadFn | None]] = [
            (_filter(clahe), zx),
            (_same, self._zbar_read),
            (_filter(inverted), zx),
            (_upscaled, zx),
            (_filter(clahe), self._zbar_read),
            (_filter(inverted), self._zbar_read),
            (_filter(sharpened), zx),
            (_upscaled_sharp, zx),
            (_upscaled, self._zbar_read),
            (_upscaled_sharp, self._zbar_read),
            (_filter(adaptive_binary), self._zbar_read),
        ]
        return [(transform, engine) for transform, engine in plan if engine is not None]

    @property
    def _zbar_read(self) -> ReadFn | None:
        return None if self._zbar is None else self._zbar.read

    def decode(self, image: Image) -> list[DecodedCode]:
        """Every code found in the image (empty list when none); never raises on bad pixels."""
        gray = as_gray(image)
        if gray is None:
            return []
        return [read.to_decoded() for read in _dedupe(self._decode_gray(gray))]

    def _decode_gray(self, gray: Gray) -> list[Read]:
        small = gray.shape[0] * gray.shape[1] <= SMALL_IMAGE_PIXELS
        if small:
            found = self._accepted(gray, self._whole.read(gray), first_pass=True)
            if found:
                return found
            regions = find_regions(gray, self._effort.linear_regions, 0)
            if not regions:
                return []
            found, _ = self._read_regions(gray, regions)
            if found:
                return found
            return self._fall_back([(gray, IDENTITY)], None)
        regions = find_regions(gray, self._effort.linear_regions, self._effort.matrix_regions)
        found = self._accepted(gray, self._qr.read(gray), first_pass=True)
        more, crops = self._read_regions(gray, regions)
        found += more
        if found or not crops:
            return found
        places = crops[: self._effort.fallback_regions]
        return self._fall_back(places, self._effort.frame_fallback_ms)

    def _read_regions(
        self, gray: Gray, regions: list[Region]
    ) -> tuple[list[Read], list[tuple[Gray, Affine]]]:
        """First-pass reads inside each region, and the upright linear crops it made."""
        found: list[Read] = []
        crops: list[tuple[Gray, Affine]] = []
        for region in regions:
            if region.kind == "matrix":
                crop, affine = axis_crop(gray, region.corners, 0.15, 8)
                reads = self._matrix.read(crop)
            elif _off_axis(region.angle):
                crop, affine = upright_crop(gray, region.corners, MARGIN_ALONG, 0.10, 12)
                reads = self._linear_upright.read(crop)
                if region.score >= MIN_FALLBACK_SCORE:
                    crops.append((crop, affine))
            else:
                crop, affine = axis_crop(gray, region.corners, MARGIN_ALONG, 12)
                if abs(abs(region.angle) - 90.0) <= AXIS_TOLERANCE:
                    crop, turn = quarter_turn(crop)  # a vertical code, turned without loss
                    affine = compose(turn, affine)
                reads = self._linear_upright.read(crop)
                if region.score >= MIN_FALLBACK_SCORE:
                    crops.append((crop, affine))
            back = invert(affine)
            found += [read.moved(back) for read in self._accepted(crop, reads, first_pass=True)]
        return found, crops

    def _fall_back(self, places: list[tuple[Gray, Affine]], limit: float | None) -> list[Read]:
        """The first accepted reads of the fallback plan on each place in turn, within
        `limit` ms (checked between attempts)."""
        seen: set[str] = set()
        deadline = None if limit is None else time.perf_counter() + limit / 1000
        for place, to_place in places:
            if place.size > MAX_FALLBACK_PIXELS:
                continue  # a stripy surface seen at an angle, not a code
            for transform, engine in self._fallbacks:
                if deadline is not None and time.perf_counter() > deadline:
                    return []
                if transform in _UPSCALES and place.size > MAX_UPSCALED_PIXELS:
                    continue  # 4× the pixels of something already big: not worth it
                view, to_view = transform(place)
                accepted = self._accepted(view, engine(view), first_pass=False, seen=seen)
                if accepted:
                    back = invert(compose(to_view, to_place))
                    return [read.moved(back) for read in accepted]
        return []

    def _accepted(
        self, image: Gray, reads: list[Read], *, first_pass: bool, seen: set[str] | None = None
    ) -> list[Read]:
        """The reads that pass `read_checks`; `seen` collects the linear identities met so
        far in this frame's fallbacks, so a read contradicting an earlier one is contested."""
        out = []
        seen = set() if seen is None else seen
        for read in reads:
            if not plausible(read):
                continue
            contested = bool(seen - {read.identity()})
            if read.format in LINEAR:
                seen.add(read.identity())
            if needs_opinion(read, first_pass):
                checked = self._opinion.verify(image, read, first_pass, contested)
                if checked is None:
                    continue
                read = checked
            out.append(read)
        return out
