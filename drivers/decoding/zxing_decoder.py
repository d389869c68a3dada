"""zxing-cpp as a `BarcodeDecoder`: the fast, accurate first engine of the station.

Contract: `decode(image)` takes a grey, BGR or BGRA uint8 array and returns every code of
the configured formats, format named as zxing-cpp names it ("Code128", "EAN13", "UPCA",
"QRCode", ...), corners in image pixels; it returns [] for anything that is not a usable
picture and never raises on bad pixels.

Why these defaults (measured on the real-photo corpus, see benchmarks/decode.py): only the
formats a returns bench meets, which is both faster and avoids misreads as exotic formats;
rotation on (vertical labels are common); downscaling and inversion off, since they cost a
third of the time and find nothing extra at bench resolution (the pipeline tries an
inverted copy itself when it has reason to).

Text: the plain content, control characters (GS, RS, EOT of ISO 15434 messages, line
feeds) kept as they are; GS1 data (GS1-128, GS1 DataMatrix/QR) is given in the bracketed
form "(01)09501101530003(17)…", which marks it as GS1 for station.codes.scans without a
symbology identifier, when station.codes.gs1 knows all its AIs, and raw (GS as FNC1) otherwise.
UPC-A is reported as "UPCA" with 12 digits (zxing-cpp 3 calls it an EAN-13 with a leading
0), UPC-E with its 8 digits.

Lifetime: a decoder keeps only Python values (names, flags) and makes zxing-cpp's option
objects for each read. zxing-cpp is a nanobind extension, and nanobind prints "leaked N
instances" for every object of its types still alive when the interpreter ends, which
happens to whatever a Qt window keeps alive past exit (issue #17); making them per read
costs microseconds against milliseconds for the read itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import numpy as np
import zxingcpp

from drivers.decoding.image_ops import Gray, as_gray
from drivers.decoding.reads import ZXING, Read
from station.codes import gs1
from station.ports.decoder import DecodedCode, Image

DEFAULT_FORMATS: Final[tuple[str, ...]] = (
    "Code128", "Code39", "EAN13", "EAN8", "UPCA", "UPCE", "ITF", "QRCode", "DataMatrix",
    "PDF417",
)
LINEAR_FORMATS: Final[tuple[str, ...]] = (
    "Code128", "Code39", "EAN13", "EAN8", "UPCA", "UPCE", "ITF",
)



def _gs1_text(raw: str) -> str:
    """GS1 data in bracketed form when station.codes.gs1 reads every element, else as it came."""
    try:
        return gs1.format_bracketed(gs1.parse_raw(raw))
    except gs1.Gs1Error:
        return raw


def _checked_formats(names: Sequence[str]) -> tuple[str, ...]:
    members = zxingcpp.BarcodeFormat.__members__
    unknown = [name for name in names if name not in members]
    if unknown:
        raise ValueError(f"unknown zxing-cpp barcode format(s): {', '.join(unknown)}")
    if not names:
        raise ValueError("at least one barcode format is needed")
    return tuple(names)


def _format_set(names: Sequence[str]) -> zxingcpp.BarcodeFormats:
    members = zxingcpp.BarcodeFormat.__members__
    return zxingcpp.BarcodeFormats([members[name] for name in names])


class ZxingDecoder:
    """Reads codes with zxing-cpp; options are zxing-cpp's, formats by zxing-cpp name."""

    name = "zxing-cpp"

    def __init__(
        self,
        formats: Sequence[str] = DEFAULT_FORMATS,
        *,
        try_rotate: bool = True,
        try_downscale: bool = False,
        try_invert: bool = False,
        binarizer: str = "LocalAverage",
    ) -> None:
        self._formats = _checked_formats(formats)
        self._report_upca = "UPCA" in formats
        if binarizer not in zxingcpp.Binarizer.__members__:
            raise ValueError(f"unknown zxing-cpp binarizer: {binarizer}")
        self._binarizer = binarizer
        self._try = (try_rotate, try_downscale, try_invert)

    def read(self, gray: Gray) -> list[Read]:
        """Every code in a grey image, with float corners; for the pipeline's own use."""
        rotate, downscale, invert = self._try
        found = zxingcpp.read_barcodes(
            gray, formats=_format_set(self._formats), try_rotate=rotate,
            try_downscale=downscale, try_invert=invert,
            binarizer=zxingcpp.Binarizer.__members__[self._binarizer],
            text_mode=zxingcpp.TextMode.Plain)
        return [self._to_read(barcode) for barcode in found]

    def decode(self, image: Image) -> list[DecodedCode]:
        """Every code found in the image (empty list when none); never raises on bad pixels."""
        gray = as_gray(image)
        if gray is None:
            return []
        return [read.to_decoded() for read in self.read(gray)]

    def _to_read(self, barcode: Any) -> Read:
        fmt: str = barcode.format.name
        text: str = barcode.text
        if barcode.content_type == zxingcpp.ContentType.GS1:
            text = _gs1_text(text)
        if fmt in ("EAN13", "UPCA") and len(text) == 13 and text.startswith("0"):
            if fmt == "UPCA" or self._report_upca:
                fmt, text = "UPCA", text[1:]
        elif fmt == "UPCE":
            extra = barcode.extra or {}
            text = str(extra.get("UPCE", text))
        p = barcode.position
        corners = np.array(
            [
                [p.top_left.x, p.top_left.y],
                [p.top_right.x, p.top_right.y],
                [p.bottom_right.x, p.bottom_right.y],
                [p.bottom_left.x, p.bottom_left.y],
            ],
            dtype=np.float32,
        )
        return Read(fmt, text, corners, ZXING)
