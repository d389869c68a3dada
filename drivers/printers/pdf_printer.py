"""PDF "printers": the label bitmap as a PDF page of the label's physical size.

For office printers (print the PDF at 100 %, no "fit to page") and for keeping labels as
files. The page is the 1-bit bitmap at the size's dpi (Pillow stores it CCITT G4, losslessly),
so it scans exactly like a thermal print. Files appear atomically: written to a hidden
temporary file in the same folder, flushed to disk, then renamed over the target, so a
reader never sees half a PDF.

    pdf:///srv/labels/label.pdf   one file, replaced by each job
    pdf:///srv/labels/            one file per job: <job id>.pdf
"""

from __future__ import annotations

import io
import os
import re
import time
import uuid
from pathlib import Path
from typing import Final

from PIL import Image

from station.common.atomic_file import write_atomically
from station.labels.printers import JobState, PrintOutcome, fit_to_size
from station.labels.render import LabelError
from station.settings.printer_uri import Backend, LabelSize, PrinterUri, PrinterUriError

JOB_ID: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def pdf_bytes(image: Image.Image, dpi: int) -> bytes:
    """A one-page PDF of `image` at `dpi`: the page is exactly the bitmap's physical size."""
    buffer = io.BytesIO()
    image.save(buffer, format="PDF", resolution=float(dpi))
    return buffer.getvalue()


class PdfPrinter:
    def __init__(self, path: str | Path, size: LabelSize, *, directory: bool | None = None
                 ) -> None:
        text = str(path)
        self.directory = text.endswith(("/", "\\")) if directory is None else directory
        self.path = Path(path)
        self.size = size
        self.width_dots = size.width_dots
        self.dpi = size.dpi
        self.name = f"pdf://{self.path}{os.sep if self.directory else ''} ({size.name})"

    def _folder(self) -> Path:
        return self.path if self.directory else self.path.parent

    def target(self, job_id: str | None) -> Path:
        """Where a job goes; raises ValueError for a job id that is not a safe file name."""
        if not self.directory:
            return self.path
        if job_id is None:
            job_id = f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}"
        if not JOB_ID.fullmatch(job_id):
            raise ValueError(f"job id {job_id!r} is not usable as a file name (letters, digits, "
                             "'.', '_', '-'; up to 100)")
        return self.path / f"{job_id}.pdf"

    def job(self, image: Image.Image) -> bytes:
        """The PDF written for `image`; raises LabelError if it does not fit the size."""
        return pdf_bytes(fit_to_size(image, self.size), self.dpi)

    def status(self) -> PrintOutcome:
        start = time.perf_counter()
        folder = self._folder()
        if not folder.is_dir():
            outcome = PrintOutcome(JobState.OFFLINE, f"folder {folder} does not exist")
        elif not os.access(folder, os.W_OK | os.X_OK):
            outcome = PrintOutcome(JobState.NOT_READY, f"folder {folder} is not writable")
        else:
            outcome = PrintOutcome(JobState.READY, f"writes PDFs to {folder}")
        return outcome.since(start)

    def print_label(self, image: Image.Image, *, job_id: str | None = None) -> PrintOutcome:
        start = time.perf_counter()
        return self._write(image, job_id).since(start)

    def _write(self, image: Image.Image, job_id: str | None) -> PrintOutcome:
        try:
            target = self.target(job_id)
            data = self.job(image)
        except (LabelError, ValueError) as error:
            return PrintOutcome(JobState.REFUSED, str(error))
        if not target.parent.is_dir():
            return PrintOutcome(JobState.OFFLINE, f"folder {target.parent} does not exist")
        try:
            write_atomically(target, data)
        except OSError as error:
            return PrintOutcome(JobState.REFUSED,
                                f"cannot write {target}: {error.strerror or error}")
        return PrintOutcome(JobState.PRINTED, f"written to {target}", len(data))


def pdf_printer(uri: PrinterUri) -> PdfPrinter:
    if uri.backend is not Backend.PDF:
        raise PrinterUriError(f"{uri.text!r} is not a PDF printer URI")
    return PdfPrinter(uri.path, uri.size, directory=uri.is_directory)
