"""Where in a frame a barcode could be: a cheap look at gradient structure, ~3 ms per 720p frame.

The decode pipeline calls this before any expensive effort, for two jobs:

- early exit: a frame with no barcode-like region skips every fallback, which is what keeps
  an empty 1280×720 frame under 10 ms;
- aim: each linear candidate comes with its angle, so a label held at 37° is cropped and
  turned upright before zxing-cpp (which only tries 90° steps) sees it, and the costly
  fallbacks run on a small crop instead of the whole frame.

How: on a copy at most ~640 px wide, Sobel gradients are summed per 8×8 block into a
structure tensor. A 1D barcode block has strong gradients (contrast), all along one
direction (coherence near 1), alternating in sign (many bars, not one edge). Blocks are
grouped by direction in overlapping 30° windows, so a code is not merged with the label
edges around it; each group big enough and coherent enough as a whole is a candidate.
Matrix-code candidates are compact groups of strong, direction-less, alternating blocks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import cv2
import numpy as np
import numpy.typing as npt

from drivers.decoding.image_ops import Gray
from drivers.decoding.reads import Corners

Floats = npt.NDArray[np.float32]

BLOCK: Final = 8  # block side in analysis pixels
ANALYSIS_WIDTH: Final = 640  # frames wider than this are analysed at 1/2, 1/3, ...
MIN_CONTRAST: Final = 80.0  # RMS Sobel response of a block; sharp print on paper gives 150-300
BLOCK_COHERENCE: Final = 0.7  # 1 = all gradients along one direction
REGION_COHERENCE: Final = 0.8
MAX_ALTERNATION: Final = 0.5  # |mean gradient| / RMS gradient; bars alternate, so ~0
MIN_BLOCKS: Final = 6
ANGLE_WINDOWS: Final = 12  # windows every 15°, each ±15° wide: every angle is in two


@dataclass(frozen=True, eq=False)
class Region:
    """A place worth decoding: corners along the reading direction, in frame pixels.

    For a linear region corners[0] → corners[1] runs across the bars (angle in degrees,
    image coordinates, y down); a matrix region is an axis-aligned box with angle 0.
    `score` ranks regions (size × contrast × coherence); `blocks` is its size in blocks.
    """

    kind: str  # "linear" or "matrix"
    corners: Corners
    angle: float
    score: float
    blocks: int


@dataclass(frozen=True, eq=False)
class _BlockMaps:
    jxx: Floats
    jyy: Floats
    jxy: Floats
    contrast: Floats
    coherence: Floats
    alternation: Floats
    angle: Floats  # gradient direction in degrees, [0, 180)
    scale: int  # frame pixels per analysis pixel


def _block_maps(gray: Gray) -> _BlockMaps | None:
    scale = max(1, -(-gray.shape[1] // ANALYSIS_WIDTH))
    small = gray
    if scale > 1:
        size = (gray.shape[1] // scale, gray.shape[0] // scale)
        small = np.asarray(cv2.resize(gray, size, interpolation=cv2.INTER_AREA), np.uint8)
    cols, rows = small.shape[1] // BLOCK, small.shape[0] // BLOCK
    if cols < 3 or rows < 3:
        return None
    small = small[: rows * BLOCK, : cols * BLOCK]
    gx = np.asarray(cv2.Sobel(small, cv2.CV_32F, 1, 0, ksize=3), np.float32)
    gy = np.asarray(cv2.Sobel(small, cv2.CV_32F, 0, 1, ksize=3), np.float32)

    def per_block(values: Floats) -> Floats:
        return np.asarray(cv2.resize(values, (cols, rows), interpolation=cv2.INTER_AREA),
                          np.float32)

    jxx = per_block(gx * gx)
    jyy = per_block(gy * gy)
    jxy = per_block(gx * gy)
    mean_x, mean_y = per_block(gx), per_block(gy)
    energy = jxx + jyy + 1e-3
    contrast = np.sqrt(energy)
    coherence = np.sqrt((jxx - jyy) ** 2 + 4 * jxy**2) / energy
    alternation = np.sqrt(mean_x**2 + mean_y**2) / contrast
    angle = (np.degrees(0.5 * np.arctan2(2 * jxy, jxx - jyy)) + 180.0) % 180.0
    return _BlockMaps(jxx, jyy, jxy, contrast, coherence, alternation, angle, scale)


def _box(maps: _BlockMaps, ys: npt.NDArray[np.intp], xs: npt.NDArray[np.intp],
         theta: float) -> Corners:
    """The rectangle along direction `theta` (radians) holding the given blocks."""
    unit = np.array([np.cos(theta), np.sin(theta)])
    normal = np.array([-unit[1], unit[0]])
    side = BLOCK * maps.scale
    centres = np.stack([(xs + 0.5) * side, (ys + 0.5) * side], axis=1)
    along, across = centres @ unit, centres @ normal
    a0, a1 = along.min() - side / 2, along.max() + side / 2
    n0, n1 = across.min() - side / 2, across.max() + side / 2
    return np.array(
        [unit * a0 + normal * n0, unit * a1 + normal * n0,
         unit * a1 + normal * n1, unit * a0 + normal * n1],
        dtype=np.float32,
    )


@dataclass(frozen=True, eq=False)
class _Group:
    """A qualifying group of blocks, before its (costlier) box is worked out."""

    score: float
    theta: float
    blocks: npt.NDArray[np.bool_]


def _linear_groups(maps: _BlockMaps, strong: npt.NDArray[np.bool_]) -> list[_Group]:
    """Coherent groups per direction window, scored in bulk (bincount per label)."""
    groups: list[_Group] = []
    coherent = strong & (maps.coherence > BLOCK_COHERENCE)
    if np.count_nonzero(coherent) < MIN_BLOCKS:
        return groups
    close = np.ones((3, 3), np.uint8)
    width = 180.0 / ANGLE_WINDOWS
    ones = np.ones_like(maps.jxx)
    for window in range(ANGLE_WINDOWS):
        offset = np.abs((maps.angle - window * width + 90.0) % 180.0 - 90.0)
        member = coherent & (offset <= width)
        if np.count_nonzero(member) < MIN_BLOCKS:
            continue
        grown = cv2.morphologyEx(member.astype(np.uint8), cv2.MORPH_CLOSE, close)
        count, labels = cv2.connectedComponents(grown, connectivity=8)
        inside = labels[member]

        def total(values: Floats, inside: npt.NDArray[np.int32] = inside,
                  member: npt.NDArray[np.bool_] = member, count: int = count
                  ) -> npt.NDArray[np.float64]:
            return np.asarray(np.bincount(inside, weights=values[member], minlength=count),
                              np.float64)

        blocks, sxx, syy, sxy = total(ones), total(maps.jxx), total(maps.jyy), total(maps.jxy)
        coherence = np.hypot(sxx - syy, 2 * sxy) / (sxx + syy + 1e-3)
        scores = coherence * total(maps.contrast) / 100.0
        for label in np.nonzero((blocks >= MIN_BLOCKS) & (coherence >= REGION_COHERENCE))[0]:
            theta = 0.5 * float(np.arctan2(2 * sxy[label], sxx[label] - syy[label]))
            groups.append(_Group(float(scores[label]), theta, (labels == label) & member))
    return groups


def _linear_regions(maps: _BlockMaps, strong: npt.NDArray[np.bool_], limit: int) -> list[Region]:
    """The best `limit` distinct linear regions (a code seen in two overlapping windows
    counts once: a region whose centre lies inside a better one is dropped)."""
    kept: list[Region] = []
    for group in sorted(_linear_groups(maps, strong), key=lambda g: -g.score):
        if len(kept) == limit:
            break
        ys, xs = np.nonzero(group.blocks)
        corners = _box(maps, ys, xs, group.theta)
        if any(_contains(better, corners.mean(axis=0)) for better in kept):
            continue
        kept.append(Region("linear", corners, float(np.degrees(group.theta)), group.score,
                           len(xs)))
    return kept


def _matrix_regions(maps: _BlockMaps, strong: npt.NDArray[np.bool_]) -> list[Region]:
    """Compact, nearly square groups of strong direction-less blocks, as axis-aligned boxes."""
    mask = strong & (maps.coherence <= BLOCK_COHERENCE)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(
        mask.astype(np.uint8), connectivity=8)
    contrast = np.bincount(labels[mask], weights=maps.contrast[mask], minlength=count)
    side = BLOCK * maps.scale
    max_blocks = mask.size // 10  # bigger is a textured background, not a symbol
    found: list[Region] = []
    for label in range(1, count):
        x, y, w, h, area = (int(v) for v in stats[label])
        if not MIN_BLOCKS <= area <= max_blocks:
            continue
        if max(w, h) > 3 * min(w, h) or area < 0.4 * w * h:
            continue  # matrix symbols are compact and nearly square
        corners = np.array(
            [[x, y], [x + w, y], [x + w, y + h], [x, y + h]], dtype=np.float32) * side
        found.append(Region("matrix", corners, 0.0, float(contrast[label]) / 100.0, area))
    return found


def _contains(region: Region, point: Floats) -> bool:
    contour = region.corners.reshape(-1, 1, 2)
    return cv2.pointPolygonTest(contour, (float(point[0]), float(point[1])), False) >= 0


def _distinct(regions: list[Region], limit: int) -> list[Region]:
    """Best first, dropping a region whose centre lies inside a better one."""
    kept: list[Region] = []
    for region in sorted(regions, key=lambda r: -r.score):
        centre = region.corners.mean(axis=0)
        if any(_contains(better, centre) for better in kept):
            continue
        kept.append(region)
        if len(kept) == limit:
            break
    return kept


def find_regions(gray: Gray, max_linear: int = 4, max_matrix: int = 3) -> list[Region]:
    """Barcode-like regions of a grey frame, linear ones first, each kind best first."""
    maps = _block_maps(gray)
    if maps is None:
        return []
    strong = (maps.contrast > MIN_CONTRAST) & (maps.alternation < MAX_ALTERNATION)
    if np.count_nonzero(strong) < MIN_BLOCKS:
        return []
    linear = _linear_regions(maps, strong, max_linear) if max_linear else []
    matrix = _distinct(_matrix_regions(maps, strong), max_matrix) if max_matrix else []
    return linear + matrix
