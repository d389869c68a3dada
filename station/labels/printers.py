"""Label printers: which one (a URI), what paper (a size), and what became of a job.

Pure Python: the concrete printers live in drivers/ (ESC/POS through python-escpos, ZPL over
raw TCP, PDF files) and implement `LabelPrinter`. Every one of them is sent the same 1-bit
bitmap that the screen previews, never text: the label's free text cannot reach a printer
as commands, whatever bytes it holds.

Printer URIs and label sizes: station.settings.printer_uri.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from PIL import Image

from station.labels import layouts as label_layouts
from station.labels.render import MM_PER_INCH, AnyLabel, LabelError, layout_and_fields
from station.settings.printer_uri import LabelSize


class PrinterUnavailable(RuntimeError):
    """A printer backend that cannot run on this machine (a missing library); says what to
    install. Raised when the printer is set up, never while printing."""


def fit_to_size(image: Image.Image, size: LabelSize) -> Image.Image:
    """The rendered label placed on `size`'s media: same bitmap, white below it on fixed-length
    labels. Raises LabelError when it was rendered for another width, or is too long."""
    if image.mode != "1":
        raise LabelError(f"a label bitmap must be 1-bit (mode '1'), not mode {image.mode!r}")
    if image.width != size.width_dots:
        raise LabelError(
            f"the label was rendered {image.width} dots wide but {size} prints "
            f"{size.width_dots}; render it at the printer's width, never scale it"
        )
    if size.height_dots is None or image.height == size.height_dots:
        return image
    if image.height > size.height_dots:
        need_mm = image.height / size.dpi * MM_PER_INCH
        have_mm = size.height_dots / size.dpi * MM_PER_INCH
        raise LabelError(
            f"the label needs {image.height} dots ({need_mm:.0f} mm) of length "
            f"with a scannable barcode, but a {size.description} has {size.height_dots} "
            f"({have_mm:.0f} mm); use a longer label size or receipt paper"
        )
    placed = Image.new("1", (size.width_dots, size.height_dots), 1)
    placed.paste(image, (0, 0))
    placed.info["dpi"] = (size.dpi, size.dpi)
    return placed


def render_label(label: AnyLabel, size: LabelSize) -> Image.Image:
    """The label rendered once for `size` (at its width and dpi) and placed on its media;
    on a fixed-length label its layout does not fit (a 2×1 in label), the layout's compact
    version (resources/labels/disposition-compact.toml for the disposition label).

    Raises LabelError when the layout cannot fit a scannable barcode on that size.
    """
    if size.width_dots <= 0 or size.dpi <= 0:
        raise LabelError(f"label width ({size.width_dots} dots) and dpi ({size.dpi}) "
                         "must be positive")
    name, fields = layout_and_fields(label)
    image = label_layouts.render_fitting(name, fields, size.width_dots, size.dpi,
                                         size.height_dots)
    return fit_to_size(image, size)


# --------------------------------------------------------------------------- job outcomes


class JobState(StrEnum):
    """What became of a print job (or, for `status()`, what the printer says it can do)."""

    #: The printer took the whole job and said afterwards that it is fine (for PDF: the file
    #: is in place). The strongest claim a driver makes; it never guesses it.
    PRINTED = "printed"
    #: status() only: the printer answered and can print.
    READY = "ready"
    #: Nothing reached the printer: nothing listening, host or device not there.
    OFFLINE = "offline"
    #: The printer answered that it cannot print: paper out, head or cover open, paused,
    #: ribbon out, an error. Nothing was sent when it said so before the job.
    NOT_READY = "not_ready"
    #: The printer took the connection but stopped answering or taking data in time.
    TIMED_OUT = "timed_out"
    #: The job was written, whole or in part, but the printer could not or did not confirm
    #: it: it may or may not have printed. Ask the clerk to look; never reprinted by itself.
    SENT_UNCONFIRMED = "sent_unconfirmed"
    #: The job was not taken: the printer closed the connection, or the driver refused the
    #: bitmap (wrong width, too long for the label, unwritable file).
    REFUSED = "refused"


@dataclass(frozen=True)
class PrintOutcome:
    state: JobState
    detail: str
    bytes_sent: int = 0
    ms: float = 0.0

    @property
    def ok(self) -> bool:
        """Printed (for a job) or ready (for a status)."""
        return self.state in (JobState.PRINTED, JobState.READY)

    def since(self, start: float) -> PrintOutcome:
        """This outcome with `ms` measured from `start`, a time.perf_counter() reading."""
        ms = round((time.perf_counter() - start) * 1000, 1)
        return PrintOutcome(self.state, self.detail, self.bytes_sent, ms)


def interrupted_job(state: JobState, detail: str, sent: int, total: int) -> PrintOutcome:
    """The outcome of a job whose connection failed with `state` after `sent` of its `total`
    bytes were written. With nothing written it keeps its state (the queue retries it);
    once any byte went out the printer may have printed part of the label, so it is
    SENT_UNCONFIRMED, which the queue never reprints by itself."""
    sent = max(0, min(sent, total))
    if not sent:
        return PrintOutcome(state, detail, 0)
    return PrintOutcome(JobState.SENT_UNCONFIRMED,
                        f"{detail}; {sent:,} of {total:,} bytes had been sent, so the printer may "
                        "have printed part of the label: check it, then confirm or reprint",
                        sent)


class LabelPrinter(Protocol):
    """A label printer. Implementations never raise for printer trouble: they return it."""

    name: str
    size: LabelSize
    width_dots: int
    dpi: int

    def print_label(self, image: Image.Image, *, job_id: str | None = None) -> PrintOutcome:
        """Print the 1-bit label bitmap rendered at `width_dots` (see `render_label`).

        `job_id` names the job where the backend can use it (pdf:///DIR/ files)."""
        ...

    def status(self) -> PrintOutcome:
        """READY, or why the printer cannot print now (OFFLINE, NOT_READY, TIMED_OUT...)."""
        ...
