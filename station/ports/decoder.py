"""The barcode decoder port: what the core needs from any decoder implementation.

Implementations live in drivers/ (zxing-cpp, zbar, and the pipeline the app uses); the
core and the UI see only this protocol, so a decoder can be swapped by configuration and
faked in tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

# An image as a NumPy array (H×W grey or H×W×3 BGR, uint8); typed loosely so the core
# does not import NumPy or OpenCV.
Image = Any


@dataclass(frozen=True)
class DecodedCode:
    """One code found in an image: its symbology, text, and corner points (x, y) in pixels."""

    format: str  # e.g. "Code128", "EAN13", "QRCode", "DataMatrix"
    text: str
    position: tuple[tuple[int, int], ...]


class BarcodeDecoder(Protocol):
    name: str

    def decode(self, image: Image) -> list[DecodedCode]:
        """Every code found in the image (empty list when none); never raises on bad pixels."""
        ...
