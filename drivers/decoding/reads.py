"""What a decoder engine saw, before it becomes a `DecodedCode`: format, text and float corners.

The pipeline decodes transformed copies of a frame (crops, rotations, upscales), so it needs
corner points it can map back through an affine transform without rounding at every step,
and it needs to know which engine produced a read to weigh agreement between engines. The
port's `DecodedCode` (integer corners, no engine) is made from a `Read` only at the end.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from station.ports.decoder import DecodedCode

Corners = npt.NDArray[np.float32]  # shape (4, 2): top-left, top-right, bottom-right, bottom-left
Affine = npt.NDArray[np.float64]  # shape (2, 3): maps points of one image onto another

ZXING = "zxing-cpp"
ZBAR = "zbar"

#: Formats whose only protection is a mod-10 (or no) check digit: one misread bar pair can
#: still give a valid-looking number, so the pipeline asks for a second opinion on them.
WEAKLY_CHECKED = frozenset({"EAN13", "EAN8", "UPCA", "UPCE", "Code39", "ITF"})
LINEAR = frozenset({"EAN13", "EAN8", "UPCA", "UPCE", "Code39", "ITF", "Code128"})
GTIN_12_13 = frozenset({"EAN13", "UPCA"})


@dataclass(frozen=True, eq=False)
class Read:
    """One code found by one engine, with corners in the pixel coordinates it was given.

    Corners run along the reading direction: corners[0] → corners[1] is the code's left-to-
    right edge as a reader would scan it, whatever its angle in the image.
    """

    format: str
    text: str
    corners: Corners
    engine: str

    def moved(self, affine: Affine) -> Read:
        """The same read with corners mapped through a 2×3 affine transform."""
        points = self.corners.astype(np.float64) @ affine[:, :2].T + affine[:, 2]
        return Read(self.format, self.text, points.astype(np.float32), self.engine)

    def identity(self) -> str:
        """What two reads must share to be the same code: UPC-A and EAN-13 are one family.

        A UPC-A number is an EAN-13 with a leading 0, and engines disagree on which name to
        give it, so both map to the 13-digit form; other formats keep their own name.
        """
        if self.format in GTIN_12_13:
            return "GTIN:" + self.text.rjust(13, "0")
        return f"{self.format}:{self.text}"

    def to_decoded(self) -> DecodedCode:
        """The port's value object: integer corners, format named as zxing-cpp names it."""
        points = tuple((round(float(x)), round(float(y))) for x, y in self.corners)
        return DecodedCode(format=self.format, text=self.text, position=points)


def box_corners(x0: float, y0: float, x1: float, y1: float) -> Corners:
    """Corners of an axis-aligned rectangle, in the order a left-to-right code reads."""
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float32)
