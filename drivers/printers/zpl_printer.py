"""Zebra (and ZPL-compatible) network label printers as a `LabelPrinter`, raw TCP port 9100.

The job is the label bitmap as one graphic field and nothing else:

    ^XA ^PW<width> ^LL<length> ^LH0,0 ^FO0,0^GFA,<bytes>,<bytes>,<bytes per row>,<data>^FS ^PQ1 ^XZ

with <data> in ZPL's ASCII-hex compression (below), so no text field (^FD) ever carries
anything a customer typed. Dots are black where the bitmap is black; rows are padded to
whole bytes with white.

ASCII compression, per row of 2 × <bytes per row> hex digits: a repeat count before a hex
digit (G..Y = 1..19, g..z = 20..400 in steps of 20, summed, e.g. "hB" = 42 × B); ","
fills the rest of the row with 0 (white), "!" with F (black), ":" repeats the previous row.

Status: `~HS` (host status, three STX…ETX lines) before the job (paper out, paused, head
open, ribbon out, buffer full, corrupt RAM or temperature out of range: nothing is sent)
and after it, polled until the printer reports no format in its buffer and no label left
in the batch; PRINTED only then, SENT_UNCONFIRMED when it does not answer or is still busy
at the deadline.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Final

from PIL import Image

from drivers.printers.raw_tcp import LinkFailure, RawTcpLink
from station.labels.printers import JobState, PrintOutcome, fit_to_size, interrupted_job
from station.labels.render import LabelError
from station.settings.printer_uri import Backend, LabelSize, PrinterUri, PrinterUriError

HOST_STATUS: Final = b"~HS"
CONNECT_S: Final = 2.0
WRITE_S: Final = 5.0
STATUS_S: Final = 1.0
#: How long to poll ~HS after the job for the printer to finish it.
CONFIRM_S: Final = 3.0
POLL_S: Final = 0.05

_LOW: Final = "GHIJKLMNOPQRSTUVWXY"  # 1..19
_HIGH: Final = "ghijklmnopqrstuvwxyz"  # 20, 40, ..., 400
MAX_REPEAT: Final = 419
_RUN: Final = re.compile(r"([0-9A-F])\1+")  # runs of two or more; single digits stay
_INVERT: Final = bytes(255 - value for value in range(256))
_FRAME: Final = re.compile(rb"\x02([^\x02\x03]*)\x03")


# --------------------------------------------------------------------------- encoding


def _repeat(count: int) -> str:
    """The count letters for `count` (1..419) repeats; none for one."""
    if count == 1:
        return ""
    high, low = divmod(count, 20)
    return (_HIGH[high - 1] if high else "") + (_LOW[low - 1] if low else "")


_REPEAT: Final = tuple(_repeat(count) if count else "" for count in range(MAX_REPEAT + 1))


def _runs(match: re.Match[str]) -> str:
    run = match.group(0)
    count = len(run)
    if count <= MAX_REPEAT:
        return _REPEAT[count] + run[0]
    out = []
    while count > 0:
        part = min(count, MAX_REPEAT)
        out.append(_REPEAT[part] + run[0])
        count -= part
    return "".join(out)


def compress_row(hex_row: str) -> str:
    """One row of upper-case hex digits in ZPL ASCII compression (without ':')."""
    for digit, filler in (("0", ","), ("F", "!")):
        body = hex_row.rstrip(digit)
        if len(body) < len(hex_row):
            return _RUN.sub(_runs, body) + filler
    return _RUN.sub(_runs, hex_row)


def graphic_field(image: Image.Image) -> tuple[str, int, int]:
    """(compressed data, total bytes, bytes per row) of a mode "1" image for ^GFA."""
    row_bytes = (image.width + 7) // 8
    if image.width % 8:
        padded = Image.new("1", (row_bytes * 8, image.height), 1)
        padded.paste(image, (0, 0))
        image = padded
    raw = image.tobytes().translate(_INVERT)  # Pillow: 1 = white; ZPL: 1 = a black dot
    rows = []
    previous = None
    for start in range(0, len(raw), row_bytes):
        row = raw[start : start + row_bytes]
        rows.append(":" if row == previous else compress_row(row.hex().upper()))
        previous = row
    return "".join(rows), row_bytes * image.height, row_bytes


def job_bytes(image: Image.Image, size: LabelSize) -> bytes:
    """The whole ZPL job for a label already placed on `size` (see `fit_to_size`)."""
    data, total, row_bytes = graphic_field(image)
    return (
        f"^XA\n^PW{size.width_dots}\n^LL{size.height_dots or image.height}\n^LH0,0\n"
        f"^FO0,0^GFA,{total},{total},{row_bytes},{data}^FS\n^PQ1\n^XZ\n"
    ).encode("ascii")


# --------------------------------------------------------------------------- status


@dataclass(frozen=True)
class HostStatus:
    """The fields of a ~HS answer that say whether the printer can print."""

    paper_out: bool
    paused: bool
    buffer_full: bool
    formats_in_buffer: int
    corrupt_ram: bool
    under_temperature: bool
    over_temperature: bool
    head_up: bool
    ribbon_out: bool
    thermal_transfer: bool
    labels_remaining: int

    @classmethod
    def parse(cls, reply: bytes) -> HostStatus | None:
        """None unless `reply` holds the first two ~HS lines in the documented layout."""
        frames = _FRAME.findall(reply)
        if len(frames) < 2:
            return None
        one = frames[0].decode("ascii", "replace").split(",")
        two = frames[1].decode("ascii", "replace").split(",")
        if len(one) < 12 or len(two) < 11:
            return None
        try:
            return cls(
                paper_out=one[1] == "1", paused=one[2] == "1", buffer_full=one[5] == "1",
                formats_in_buffer=int(one[4]), corrupt_ram=one[9] == "1",
                under_temperature=one[10] == "1", over_temperature=one[11] == "1",
                head_up=two[2] == "1", ribbon_out=two[3] == "1",
                thermal_transfer=two[4] == "1", labels_remaining=int(two[8]),
            )
        except ValueError:
            return None

    def problems(self) -> list[str]:
        checks = (
            (self.paper_out, "paper (labels) out"),
            (self.head_up, "print head open"),
            (self.ribbon_out and self.thermal_transfer, "ribbon out"),
            (self.paused, "paused (press PAUSE on the printer)"),
            (self.buffer_full, "receive buffer full"),
            (self.corrupt_ram, "memory corrupt (configuration lost)"),
            (self.under_temperature, "head too cold"),
            (self.over_temperature, "head too hot"),
        )
        return [text for flag, text in checks if flag]

    @property
    def busy(self) -> bool:
        return self.formats_in_buffer > 0 or self.labels_remaining > 0


def _three_frames(data: bytes) -> bool:
    return data.count(b"\x03") >= 3


# --------------------------------------------------------------------------- the printer


class ZplPrinter:
    def __init__(self, host: str, port: int, size: LabelSize, *, query_status: bool = True,
                 connect_s: float = CONNECT_S, write_s: float = WRITE_S,
                 status_s: float = STATUS_S, confirm_s: float = CONFIRM_S) -> None:
        if size.height_dots is None:
            raise PrinterUriError(f"ZPL printers print labels of a fixed size, not {size}")
        self.host, self.port = host, port
        self.size = size
        self.width_dots = size.width_dots
        self.dpi = size.dpi
        self.query_status = query_status
        self.connect_s, self.write_s = connect_s, write_s
        self.status_s, self.confirm_s = status_s, confirm_s
        where = RawTcpLink(host, port, connect_s=connect_s).where
        self.name = f"zpl+tcp://{where} ({size.name})"

    def job(self, image: Image.Image) -> bytes:
        """The bytes this printer is sent for `image`; raises LabelError if it does not fit."""
        return job_bytes(fit_to_size(image, self.size), self.size)

    def _link(self) -> RawTcpLink:
        return RawTcpLink(self.host, self.port, connect_s=self.connect_s)

    def _query(self, link: RawTcpLink, timeout_s: float) -> tuple[HostStatus | None, bytes]:
        link.send(HOST_STATUS, timeout_s, "the status query")
        reply = link.receive(_three_frames, timeout_s)
        return HostStatus.parse(reply), reply

    def status(self) -> PrintOutcome:
        start = time.perf_counter()
        return self._status().since(start)

    def _status(self) -> PrintOutcome:
        link = self._link()
        try:
            link.connect()
            if not self.query_status:
                return PrintOutcome(JobState.READY,
                                    f"{link.where} accepts connections (status queries are off)")
            status, reply = self._query(link, self.status_s)
        except LinkFailure as failure:
            return PrintOutcome(failure.state, failure.detail)
        finally:
            link.close()
        if status is None:
            return _no_status(reply, link.where, self.status_s)
        if problems := status.problems():
            return PrintOutcome(JobState.NOT_READY, ", ".join(problems))
        return PrintOutcome(JobState.READY, "ready")

    def print_label(self, image: Image.Image, *, job_id: str | None = None) -> PrintOutcome:
        start = time.perf_counter()
        try:
            job = self.job(image)
        except LabelError as error:
            return PrintOutcome(JobState.REFUSED, str(error)).since(start)
        return self._send(job).since(start)

    def _send(self, job: bytes) -> PrintOutcome:
        link = self._link()
        try:
            link.connect()
            if self.query_status:
                status, reply = self._query(link, self.status_s)
                if status is None:
                    return _no_status(reply, link.where, self.status_s, before_job=True)
                if problems := status.problems():
                    return PrintOutcome(JobState.NOT_READY, f"printer not ready: "
                                        f"{', '.join(problems)}; nothing was sent")
            link.send(job, self.write_s)
            if not self.query_status:
                return PrintOutcome(JobState.SENT_UNCONFIRMED, f"sent to {link.where}; status "
                                    "queries are off, so it is not confirmed", len(job))
            return self._confirm(link, len(job))
        except LinkFailure as failure:
            sent = link.bytes_written - (len(HOST_STATUS) if self.query_status else 0)
            return interrupted_job(failure.state, failure.detail, sent, len(job))
        finally:
            link.close()

    def _confirm(self, link: RawTcpLink, sent: int) -> PrintOutcome:
        deadline = time.monotonic() + self.confirm_s
        status = None
        try:
            while True:
                status, _ = self._query(link, max(0.01, deadline - time.monotonic()))
                if status is None:
                    break
                if problems := status.problems():
                    return PrintOutcome(JobState.NOT_READY, f"printer reports "
                                        f"{', '.join(problems)} after the job; the label may "
                                        "be missing or incomplete", sent)
                if not status.busy:
                    return PrintOutcome(JobState.PRINTED, f"printed on {link.where}", sent)
                if time.monotonic() + POLL_S >= deadline:
                    break
                time.sleep(POLL_S)
        except LinkFailure as failure:
            return PrintOutcome(JobState.SENT_UNCONFIRMED,
                                f"sent; then {failure.detail}, so it is not confirmed", sent)
        if status is None:
            why = f"did not answer the status query after the job within {self.confirm_s:g} s"
        else:
            why = (f"still had {status.formats_in_buffer} format(s) and "
                   f"{status.labels_remaining} label(s) to go after {self.confirm_s:g} s")
        return PrintOutcome(JobState.SENT_UNCONFIRMED, f"sent to {link.where}, but it {why}; "
                            "check the label", sent)


def _no_status(reply: bytes, where: str, timeout_s: float, before_job: bool = False
               ) -> PrintOutcome:
    nothing = "; nothing was sent" if before_job else ""
    if not reply:
        return PrintOutcome(JobState.TIMED_OUT, f"{where} took the connection but did not "
                            f"answer ~HS within {timeout_s:g} s (printer hung, or one that "
                            f"has no status: then set status=off){nothing}")
    return PrintOutcome(JobState.REFUSED, f"{where} answered ~HS with {reply[:24]!r}, which is "
                        f"not a ZPL host status; is it a ZPL printer?{nothing}")



def zpl_printer(uri: PrinterUri, *, connect_s: float = CONNECT_S, write_s: float = WRITE_S,
                status_s: float = STATUS_S, confirm_s: float = CONFIRM_S) -> ZplPrinter:
    if uri.backend is not Backend.ZPL_TCP:
        raise PrinterUriError(f"{uri.text!r} is not a ZPL printer URI")
    return ZplPrinter(uri.host, uri.port, uri.size, query_status=uri.query_status,
                      connect_s=connect_s, write_s=write_s, status_s=status_s,
                      confirm_s=confirm_s)
