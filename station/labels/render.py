"""The station's labels (disposition, receiving/tote, exception), each rendered once as a
1-bit bitmap at the printer's native dot width from its layout in resources/labels/.

The screen preview and every printer driver use this same bitmap, so what the clerk sees is
what gets printed, and the barcode is drawn in whole dots (never scaled) so it stays scannable.
"""

from __future__ import annotations

import io
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from PIL import Image

from station.common.text_hygiene import clean_text
from station.labels import layouts as label_layouts
from station.labels.layouts import MIN_MODULE_DOTS as MIN_MODULE_DOTS
from station.labels.layouts import MM_PER_INCH as MM_PER_INCH
from station.labels.layouts import LabelError as LabelError
from station.labels.layouts import LabelLayoutError as LabelLayoutError

MIN_BAR_HEIGHT_MM: Final = 12.0
HEIGHT_PER_WIDTH: Final = 1.1
DISPOSITION_LAYOUT: Final = "disposition"
RECEIVING_LAYOUT: Final = "receiving"
EXCEPTION_LAYOUT: Final = "exception"
_TIME_FORMAT: Final = "%Y-%m-%d %H:%M"
_LPN_PATTERN: Final = re.compile(r"[0-9A-Z]+")


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
class ReceivingLabel:
    """The clerk's receiving / tote label; its barcode carries the RMA number."""

    rma_number: str
    receipt_code: str
    received_at: datetime
    station: str
    clerk_initials: str
    lines: int
    units: int
    tote: str


@dataclass(frozen=True)
class ExceptionLabel:
    """A return set aside as an exception; its barcode carries `reference` (see
    `exception_reference`)."""

    kind: str
    code: str
    opened_at: datetime
    station: str
    clerk_initials: str
    reference: str


AnyLabel = DispositionLabel | ReceivingLabel | ExceptionLabel


def exception_reference(exception_id: uuid.UUID | str) -> str:
    """The short, scannable reference of an exception: "EX-" and the first 8 hex digits of
    its UUID in upper case, e.g. EX-1A2B3C4D."""
    return "EX-" + uuid.UUID(str(exception_id)).hex[:8].upper()


def disposition_fields(label: DispositionLabel) -> dict[str, str]:
    """The layout fields of a disposition label; raises LabelError for an LPN that is not
    [0-9A-Z]+ or a disposition with nothing visible to show."""
    if not _LPN_PATTERN.fullmatch(label.lpn):
        raise LabelError(f"LPN {label.lpn!r} must be digits and upper-case letters A-Z only")
    disposition = clean_text(label.disposition).replace("_", " ").strip()
    if not disposition:
        raise LabelError("a disposition label needs a disposition to show")
    return {
        "disposition": disposition, "destination": label.destination, "lpn": label.lpn,
        "rma_number": label.rma_number, "sku": label.sku, "grade": label.grade,
        "printed_at": label.printed_at.strftime(_TIME_FORMAT), "station": label.station,
        "grader_initials": label.grader_initials, "refund": label.refund,
    }


def receiving_fields(label: ReceivingLabel) -> dict[str, str]:
    return {
        "rma_number": label.rma_number, "receipt_code": label.receipt_code,
        "received_at": label.received_at.strftime(_TIME_FORMAT), "station": label.station,
        "clerk_initials": label.clerk_initials, "lines": str(label.lines),
        "units": str(label.units), "tote": label.tote,
    }


def exception_fields(label: ExceptionLabel) -> dict[str, str]:
    return {
        "kind": clean_text(label.kind).replace("_", " ").upper(), "code": label.code,
        "opened_at": label.opened_at.strftime(_TIME_FORMAT), "station": label.station,
        "clerk_initials": label.clerk_initials, "reference": label.reference,
    }


def layout_and_fields(label: AnyLabel) -> tuple[str, dict[str, str]]:
    """The layout that draws `label`, and its fields."""
    if isinstance(label, DispositionLabel):
        return DISPOSITION_LAYOUT, disposition_fields(label)
    if isinstance(label, ReceivingLabel):
        return RECEIVING_LAYOUT, receiving_fields(label)
    return EXCEPTION_LAYOUT, exception_fields(label)


def render_disposition_label(
    label: DispositionLabel, width_dots: int = 576, dpi: int = 203
) -> Image.Image:
    """Render `label` as a mode "1" image exactly `width_dots` wide, white paper and black ink,
    with the layout resources/labels/disposition.toml.

    Free text is cleaned of control characters first; raises LabelError for an LPN that is not
    [0-9A-Z]+ or is too long to print with bars of at least two dots.
    """
    if width_dots <= 0 or dpi <= 0:
        raise LabelError(f"label width ({width_dots} dots) and dpi ({dpi}) must be positive")
    return label_layouts.render(DISPOSITION_LAYOUT, disposition_fields(label), width_dots, dpi)


def render_receiving_label(
    label: ReceivingLabel, width_dots: int = 576, dpi: int = 203
) -> Image.Image:
    """The receiving / tote label (resources/labels/receiving.toml); raises LabelError for an
    RMA number that is not [0-9A-Z-]+ or too long to scan at this width."""
    return label_layouts.render(RECEIVING_LAYOUT, receiving_fields(label), width_dots, dpi)


def render_exception_label(
    label: ExceptionLabel, width_dots: int = 576, dpi: int = 203
) -> Image.Image:
    """The exception label (resources/labels/exception.toml); raises LabelError like
    `render_receiving_label` for its reference."""
    return label_layouts.render(EXCEPTION_LAYOUT, exception_fields(label), width_dots, dpi)


def to_png_bytes(image: Image.Image) -> bytes:
    """PNG encoding of a rendered label, carrying its dpi so viewers show it at true size."""
    buffer = io.BytesIO()
    dpi = image.info.get("dpi")
    if dpi is None:
        image.save(buffer, format="PNG")
    else:
        image.save(buffer, format="PNG", dpi=dpi)
    return buffer.getvalue()
