"""Small OpenCV image operations the decoders share: grey conversion, crops, enhancement.

Every crop and resize returns the affine transform from the source image to the new one,
so reads made on the copy can be mapped back to frame coordinates (see `reads.Read.moved`).
Functions take and return uint8 NumPy arrays and never keep state.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from drivers.decoding.reads import Affine, Corners

Gray = npt.NDArray[np.uint8]

IDENTITY: Affine = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


def as_gray(image: Any) -> Gray | None:
    """The image as a contiguous H×W uint8 array, or None when it is not a usable picture.

    Accepts grey, BGR and BGRA uint8 arrays (what cv2.imread and camera drivers give);
    anything else (wrong type, dtype, shape, or fewer than 8×8 pixels) gives None, so the
    decoders can honour the port's "never raises on bad pixels".
    """
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        return None
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim == 2:
        gray = image
    elif image.ndim == 3 and image.shape[2] == 3:
        gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    elif image.ndim == 3 and image.shape[2] == 4:
        gray = cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY)
    else:
        return None
    if gray.shape[0] < 8 or gray.shape[1] < 8:
        return None
    return np.ascontiguousarray(gray)


def compose(second: Affine, first: Affine) -> Affine:
    """The affine transform applying `first`, then `second`."""
    a = np.vstack([second, [0.0, 0.0, 1.0]])
    b = np.vstack([first, [0.0, 0.0, 1.0]])
    product: Affine = (a @ b)[:2]
    return product


def invert(affine: Affine) -> Affine:
    """The inverse of a 2×3 affine transform."""
    inverse: Affine = np.asarray(cv2.invertAffineTransform(affine), dtype=np.float64)
    return inverse


def scale_affine(factor: float) -> Affine:
    """The transform of a uniform resize by `factor`."""
    return np.array([[factor, 0.0, 0.0], [0.0, factor, 0.0]])


def resized(gray: Gray, factor: float) -> tuple[Gray, Affine]:
    """The image scaled by `factor` (area averaging down, cubic up) and its transform."""
    interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC
    width = max(1, round(gray.shape[1] * factor))
    height = max(1, round(gray.shape[0] * factor))
    out = np.asarray(cv2.resize(gray, (width, height), interpolation=interpolation), np.uint8)
    affine = np.array([[width / gray.shape[1], 0.0, 0.0], [0.0, height / gray.shape[0], 0.0]])
    return out, affine


def axis_crop(gray: Gray, corners: Corners, margin: float, pad: int) -> tuple[Gray, Affine]:
    """The axis-aligned box around `corners`, grown by `margin`×size + `pad` px, clipped.

    No resampling: the pixels are the frame's own, which is what thin bars need.
    """
    x0, y0 = corners.min(axis=0)
    x1, y1 = corners.max(axis=0)
    grow_x = (x1 - x0) * margin + pad
    grow_y = (y1 - y0) * margin + pad
    left, top = max(0, int(x0 - grow_x)), max(0, int(y0 - grow_y))
    right = min(gray.shape[1], int(np.ceil(x1 + grow_x)))
    bottom = min(gray.shape[0], int(np.ceil(y1 + grow_y)))
    affine = np.array([[1.0, 0.0, -left], [0.0, 1.0, -top]])
    return gray[top:bottom, left:right], affine


def upright_crop(
    gray: Gray, corners: Corners, margin_along: float, margin_across: float, pad: int,
    min_height_ratio: float = 0.0,
) -> tuple[Gray, Affine]:
    """The region of `corners` resampled so its reading direction runs left to right.

    corners[0] → corners[1] becomes the x axis; the box grows by the margins (fractions of
    its length and height) plus `pad` px, and its height is at least `min_height_ratio` ×
    its length (a 1D read can be a single scan line). Pixels outside the frame repeat the
    border, so a code touching the edge keeps a light quiet zone.
    """
    along = corners[1].astype(np.float64) - corners[0]
    length = float(np.hypot(along[0], along[1]))
    if length < 1.0:
        along, length = np.array([1.0, 0.0]), 1.0
    unit = along / length
    normal = np.array([-unit[1], unit[0]])
    height = abs(float(np.dot(corners[3].astype(np.float64) - corners[0], normal)))
    width_out = int(length * (1 + 2 * margin_along) + 2 * pad)
    height_out = int(max(height * (1 + 2 * margin_across), length * min_height_ratio) + 2 * pad)
    centre = corners.astype(np.float64).mean(axis=0)
    half_w, half_h = unit * width_out / 2, normal * height_out / 2
    source = np.array(
        [centre - half_w - half_h, centre + half_w - half_h, centre + half_w + half_h],
        dtype=np.float32,
    )
    target = np.array([[0, 0], [width_out, 0], [width_out, height_out]], dtype=np.float32)
    affine = np.asarray(cv2.getAffineTransform(source, target), dtype=np.float64)
    crop = cv2.warpAffine(
        gray, affine, (width_out, height_out), flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )
    return np.asarray(crop, dtype=np.uint8), affine


def quarter_turn(gray: Gray) -> tuple[Gray, Affine]:
    """The image turned 90° clockwise, pixel for pixel (a vertical code made horizontal)."""
    height = gray.shape[0]
    out = np.ascontiguousarray(cv2.rotate(gray, cv2.ROTATE_90_CLOCKWISE), dtype=np.uint8)
    # (x, y) → (height - 1 - y, x)
    return out, np.array([[0.0, -1.0, height - 1.0], [1.0, 0.0, 0.0]])


def rotated(gray: Gray, degrees: float) -> tuple[Gray, Affine]:
    """The whole image rotated by `degrees` (counter-clockwise) on a canvas that fits it."""
    height, width = gray.shape
    affine = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
    cos, sin = abs(affine[0, 0]), abs(affine[0, 1])
    new_w, new_h = int(height * sin + width * cos), int(height * cos + width * sin)
    affine[0, 2] += new_w / 2 - width / 2
    affine[1, 2] += new_h / 2 - height / 2
    out = cv2.warpAffine(
        gray, affine, (new_w, new_h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    return np.asarray(out, dtype=np.uint8), np.asarray(affine, dtype=np.float64)


def clahe(gray: Gray) -> Gray:
    """Local contrast equalised: rescues labels under glare or in shadow.

    A new CLAHE object per call (microseconds): OpenCV's are not safe to share between
    the threads that may decode frames concurrently.
    """
    equaliser = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8))
    return np.asarray(equaliser.apply(gray), dtype=np.uint8)


def sharpened(gray: Gray, amount: float = 1.0, sigma: float = 2.0) -> Gray:
    """Unsharp mask: steepens the edges of slightly blurred bars."""
    blurred = cv2.GaussianBlur(gray, (0, 0), sigma)
    return np.asarray(cv2.addWeighted(gray, 1 + amount, blurred, -amount, 0), dtype=np.uint8)


def inverted(gray: Gray) -> Gray:
    """Light-on-dark codes (reflective cans, negative prints) made dark-on-light."""
    return np.asarray(255 - gray, dtype=np.uint8)


def adaptive_binary(gray: Gray) -> Gray:
    """Mean-adaptive threshold: flattens uneven lighting across a long label."""
    out = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, 31, 5)
    return np.asarray(out, dtype=np.uint8)
