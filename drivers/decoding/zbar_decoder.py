"""ZBar (through pyzbar) as a `BarcodeDecoder`: the second engine, strong on blurred 1D codes.

Contract: as `ZxingDecoder` — grey/BGR/BGRA uint8 in, every code of the configured
formats out, formats named as zxing-cpp names them ("Code128", "EAN13", "UPCA", "ITF",
"QRCode", ...) so the app sees one vocabulary whichever engine read a code; [] for bad
pixels, never raises while decoding.

pyzbar loads the libzbar shared library when it is imported, so the import happens in the
constructor, and a machine without libzbar gets `DecoderUnavailable` saying what to
install instead of an ImportError at start-up. ZBar reads no Data Matrix.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from types import ModuleType
from typing import Any, Final

import numpy as np

from drivers.decoding.decoder_errors import DecoderUnavailable
from drivers.decoding.image_ops import Gray, as_gray
from drivers.decoding.reads import ZBAR, Read, box_corners
from station.ports.decoder import DecodedCode, Image

#: zxing-cpp format name → ZBar symbol type name.
_ZBAR_SYMBOLS: Final[dict[str, str]] = {
    "Code128": "CODE128", "Code39": "CODE39", "EAN13": "EAN13", "EAN8": "EAN8",
    "UPCA": "UPCA", "UPCE": "UPCE", "ITF": "I25", "QRCode": "QRCODE", "PDF417": "PDF417",
}
_FORMAT_NAMES: Final[dict[str, str]] = {zbar: ours for ours, zbar in _ZBAR_SYMBOLS.items()}
DEFAULT_FORMATS: Final[tuple[str, ...]] = tuple(_ZBAR_SYMBOLS)

INSTALL_HINT: Final = (
    "install the ZBar shared library: 'sudo apt install libzbar0' (Debian/Ubuntu), "
    "'sudo dnf install zbar' (Fedora), 'brew install zbar' (macOS); "
    "on Windows the pyzbar wheel ships it"
)


def load_pyzbar() -> ModuleType:
    """The pyzbar.pyzbar module, or DecoderUnavailable when pyzbar or libzbar is missing."""
    try:
        return importlib.import_module("pyzbar.pyzbar")
    except (ImportError, OSError) as exc:
        raise DecoderUnavailable(f"ZBar decoder unavailable ({exc}); {INSTALL_HINT}") from exc


class ZbarDecoder:
    """Reads codes with ZBar; raises DecoderUnavailable at construction if it cannot load."""

    name = "zbar"

    def __init__(self, formats: Sequence[str] = DEFAULT_FORMATS) -> None:
        unsupported = [name for name in formats if name not in _ZBAR_SYMBOLS]
        if unsupported:
            raise ValueError(f"ZBar cannot read: {', '.join(unsupported)}")
        self._pyzbar = load_pyzbar()
        symbol = self._pyzbar.ZBarSymbol
        self._symbols = [symbol[_ZBAR_SYMBOLS[name]] for name in formats]
        self._report_upca = "UPCA" in formats

    def read(self, gray: Gray) -> list[Read]:
        """Every code in a grey image, with float corners; for the pipeline's own use."""
        found = self._pyzbar.decode(gray, symbols=self._symbols)
        reads = [self._to_read(symbol) for symbol in found]
        return [read for read in reads if read is not None]

    def decode(self, image: Image) -> list[DecodedCode]:
        """Every code found in the image (empty list when none); never raises on bad pixels."""
        gray = as_gray(image)
        if gray is None:
            return []
        return [read.to_decoded() for read in self.read(gray)]

    def _to_read(self, symbol: Any) -> Read | None:
        fmt = _FORMAT_NAMES.get(str(symbol.type))
        if fmt is None or not symbol.polygon:
            return None
        text = bytes(symbol.data).decode("utf-8", errors="replace")
        if fmt == "EAN13" and self._report_upca and len(text) == 13 and text.startswith("0"):
            fmt, text = "UPCA", text[1:]
        points = np.array([(point.x, point.y) for point in symbol.polygon], dtype=np.float32)
        (x0, y0), (x1, y1) = points.min(axis=0), points.max(axis=0)
        corners = box_corners(x0, y0, x1, y1)
        # Rotate the corner order so corners[0] → corners[1] follows the reading direction.
        turns = {"RIGHT": 1, "DOWN": 2, "LEFT": 3}.get(str(symbol.orientation), 0)
        return Read(fmt, text, np.roll(corners, -turns, axis=0), ZBAR)
