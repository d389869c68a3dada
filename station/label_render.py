"""The disposition label, rendered once as a 1-bit bitmap at the printer's native dot width.

The screen preview and every printer driver use this same bitmap, so what the clerk sees is
what gets printed, and the barcode is drawn in whole dots (never scaled) so it stays scannable.
"""

from __future__ import annotations

import functools
import io
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

from PIL import Image, ImageDraw, ImageFont

from station import code128
from station.text_hygiene import ELLIPSIS, clean_text

MM_PER_INCH: Final = 25.4
#: Narrower bars than this are not reliably burnt and read on 203 dpi thermal printers.
MIN_MODULE_DOTS: Final = 2
QUIET_ZONE_MODULES: Final = 10
MIN_BAR_HEIGHT_MM: Final = 12.0
HEIGHT_PER_WIDTH: Final = 1.1

FONT_DIR: Final = Path("/usr/share/fonts/truetype/dejavu")
_FONT_FILES: Final = {False: "DejaVuSans.ttf", True: "DejaVuSans-Bold.ttf"}

_LPN_PATTERN: Final = re.compile(r"[0-9A-Z]+")
_BLACK: Final = 0
_WHITE: Final = 1

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


class LabelError(ValueError):
    """A label that cannot be rendered so that it prints legibly and scans reliably."""


@dataclass(frozen=True)
class DispositionLabel:
    disposition: str
    destination: str
    lpn: str
    rma_number: str
    sku: str
    grade: str
    printed_at: datetime
    station: str
    grader_initials: str
    refund: str


@dataclass(frozen=True)
class _Block:
    """A horizontal band of the label: its height and how to draw it with its top at y."""

    height: int
    draw: Callable[[ImageDraw.ImageDraw, int], None]


@functools.cache
def _font(size: int, bold: bool) -> Font:
    """DejaVu Sans (Bold) at `size` pixels, else Pillow's built-in font; loaded once per size."""
    path = FONT_DIR / _FONT_FILES[bold]
    if path.is_file():
        return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)


def _ink_box(font: Font, text: str) -> tuple[int, int, int, int]:
    left, top, right, bottom = font.getbbox(text)
    return math.floor(left), math.floor(top), math.ceil(right), math.ceil(bottom)


def _ink_width(font: Font, text: str) -> int:
    left, _, right, _ = _ink_box(font, text)
    return right - left


def _fit(text: str, bold: bool, size: int, min_size: int, max_width: int) -> tuple[str, Font]:
    """Largest font from `size` down to `min_size` that fits; below that, truncate the text."""
    font = _font(size, bold)
    while size > min_size and (width := _ink_width(font, text)) > max_width:
        size = max(min_size, min(size - 1, size * max_width // width))
        font = _font(size, bold)
    kept = text
    while len(kept) > 1 and _ink_width(font, text) > max_width:
        kept = kept[:-1].rstrip()
        text = kept + ELLIPSIS
    return text, font


def _text_block(text: str, font: Font, x: int, width: int, center: bool) -> _Block:
    left, top, right, bottom = _ink_box(font, text)
    offset = (width - (right - left)) // 2 if center else 0

    def draw(canvas: ImageDraw.ImageDraw, y: int) -> None:
        canvas.text((x + offset - left, y - top), text, font=font, fill=_BLACK)

    return _Block(bottom - top, draw)


def _rule_block(x: int, width: int, thickness: int) -> _Block:
    def draw(canvas: ImageDraw.ImageDraw, y: int) -> None:
        canvas.rectangle((x, y, x + width - 1, y + thickness - 1), fill=_BLACK)

    return _Block(thickness, draw)


def _barcode_block(lpn: str, width_dots: int, dpi: int) -> _Block:
    """Code 128 bars in whole dots, centred, with at least 10 modules of quiet zone each side."""
    widths = code128.encode(lpn)
    modules = sum(widths)
    module = width_dots // (modules + 2 * QUIET_ZONE_MODULES)
    if module < MIN_MODULE_DOTS:
        print_mm = width_dots / dpi * MM_PER_INCH
        raise LabelError(
            f"LPN {lpn!r} is too long for a {print_mm:.0f} mm label "
            f"({width_dots} dots at {dpi} dpi); its Code 128 bars would be {module} dot(s) "
            f"wide and at least {MIN_MODULE_DOTS} are needed to scan reliably; "
            "use a shorter LPN or a wider label printer"
        )
    bar_height = math.ceil(MIN_BAR_HEIGHT_MM * dpi / MM_PER_INCH)
    start = (width_dots - modules * module) // 2

    def draw(canvas: ImageDraw.ImageDraw, y: int) -> None:
        x = start
        for index, element in enumerate(widths):
            if index % 2 == 0:
                canvas.rectangle((x, y, x + element * module - 1, y + bar_height - 1), fill=_BLACK)
            x += element * module

    return _Block(bar_height, draw)


def _table_blocks(label: DispositionLabel, x: int, width: int, size: int) -> list[_Block]:
    rows = [
        ("RMA", clean_text(label.rma_number)),
        ("SKU", clean_text(label.sku)),
        ("Grade", clean_text(label.grade)),
        ("Refund", clean_text(label.refund)),
        ("Station", clean_text(label.station)),
        ("Grader", clean_text(label.grader_initials)),
        ("Printed", label.printed_at.strftime("%Y-%m-%d %H:%M")),
    ]
    key_font = _font(size, bold=False)
    _, top, _, bottom = _ink_box(key_font, "ÅÉgjpqy|")
    pitch = math.ceil((bottom - top) * 1.3)
    value_x = x + max(_ink_width(key_font, key) for key, _ in rows) + size
    value_width = x + width - value_x

    def row_block(key: str, value: str) -> _Block:
        shown, value_font = _fit(value or "-", True, size, size, value_width)

        def draw(canvas: ImageDraw.ImageDraw, y: int) -> None:
            canvas.text((x, y - top), key, font=key_font, fill=_BLACK)
            canvas.text((value_x, y - top), shown, font=value_font, fill=_BLACK)

        return _Block(pitch, draw)

    return [row_block(key, value) for key, value in rows]


def render_disposition_label(
    label: DispositionLabel, width_dots: int = 576, dpi: int = 203
) -> Image.Image:
    """Render `label` as a mode "1" image exactly `width_dots` wide, white paper and black ink.

    Free text is cleaned of control characters first; raises LabelError for an LPN that is not
    [0-9A-Z]+ or is too long to print with bars of at least two dots.
    """
    if width_dots <= 0 or dpi <= 0:
        raise LabelError(f"label width ({width_dots} dots) and dpi ({dpi}) must be positive")
    if not _LPN_PATTERN.fullmatch(label.lpn):
        raise LabelError(f"LPN {label.lpn!r} must be digits and upper-case letters A-Z only")
    disposition = clean_text(label.disposition).replace("_", " ").strip()
    if not disposition:
        raise LabelError("a disposition label needs a disposition to show")

    margin = max(4, round(width_dots * 0.03))
    inner = width_dots - 2 * margin
    min_size = max(8, round(width_dots * 0.03))
    gap = max(4, round(width_dots * 0.02))

    big_text, big_font = _fit(disposition, True, round(width_dots * 0.17), min_size, inner)
    destination, dest_font = _fit(
        clean_text(label.destination) or "-", True, round(width_dots * 0.13), min_size, inner
    )
    lpn_text, lpn_font = _fit(label.lpn, False, round(width_dots * 0.055), min_size, inner)
    body: list[list[_Block]] = [
        [_text_block(big_text, big_font, margin, inner, center=True)],
        [_text_block(destination, dest_font, margin, inner, center=True)],
        [_rule_block(margin, inner, max(2, round(width_dots / 200)))],
        [
            _barcode_block(label.lpn, width_dots, dpi),
            _Block(gap // 2, lambda canvas, y: None),
            _text_block(lpn_text, lpn_font, margin, inner, center=True),
        ],
        _table_blocks(label, margin, inner, max(min_size, round(width_dots * 0.04))),
    ]

    content = sum(block.height for group in body for block in group)
    gaps = len(body) - 1
    height = max(round(width_dots * HEIGHT_PER_WIDTH), content + 2 * margin + gap * gaps)
    spacing = (height - 2 * margin - content) // gaps

    image = Image.new("1", (width_dots, height), _WHITE)
    canvas = ImageDraw.Draw(image)
    canvas.fontmode = "1"
    y = margin
    for group in body:
        for block in group:
            block.draw(canvas, y)
            y += block.height
        y += spacing
    image.info["dpi"] = (dpi, dpi)
    return image


def to_png_bytes(image: Image.Image) -> bytes:
    """PNG encoding of a rendered label, carrying its dpi so viewers show it at true size."""
    buffer = io.BytesIO()
    dpi = image.info.get("dpi")
    if dpi is None:
        image.save(buffer, format="PNG")
    else:
        image.save(buffer, format="PNG", dpi=dpi)
    return buffer.getvalue()
