"""ESC/POS receipt printers as a `LabelPrinter`, through python-escpos.

The job is the label bitmap and nothing else: ESC @ (initialise), the bitmap as `GS v 0`
raster blocks, then feed and cut as the model's profile allows. No text command is ever
sent, so nothing a customer typed can reach the printer as a command. The bytes are built
by python-escpos with an explicit profile of the printer model, checked against
python-escpos's capabilities data to be exactly the label size's width and dpi (its
`default` profile has no known width and is refused).

Transports: network printers through our own socket (`drivers.printers.raw_tcp`: TCP_NODELAY,
connect 2 s, whole write 5 s, status 1 s); USB, serial, device files, CUPS and Windows
spooler queues through python-escpos's printer classes, each job run in a worker thread
with a deadline so a stuck device cannot hang the station.

Status: `DLE EOT 1, 2, 4` (printer, offline cause, paper sensor) before the job; a printer
that is not ready gets nothing. After the job the same query again: PRINTED only when it is
answered and clean, SENT_UNCONFIRMED when it is not answered (a written socket does not
mean a printed label), NOT_READY when the paper ran out or the cover opened meanwhile.
DLE EOT is a real-time command, so a printer answers it as soon as it reads it, even while
still printing: "after" confirms the printer took the whole job and is still fine, not
that the label has left the cutter. Epson printers also answer `10 04 n` byte sequences
that happen to occur inside raster data, before our query; those replies are counted from
the job and skipped.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import platformdirs
from PIL import Image

from drivers.printers.raw_tcp import LinkFailure, RawTcpLink
from station.labels.printers import (
    JobState,
    PrinterUnavailable,
    PrintOutcome,
    fit_to_size,
    interrupted_job,
)
from station.labels.render import LabelError
from station.settings.printer_uri import Backend, LabelSize, PrinterUri, PrinterUriError

DLE_EOT: Final = b"\x10\x04"
#: Printer status, offline cause, roll paper sensor: one byte each in reply.
STATUS_QUERY: Final = DLE_EOT + b"\x01" + DLE_EOT + b"\x02" + DLE_EOT + b"\x04"
_EMBEDDED_QUERY: Final = re.compile(rb"\x10\x04[\x01-\x04]")

CONNECT_S: Final = 2.0
WRITE_S: Final = 5.0
STATUS_S: Final = 1.0
#: The status after a job waits longer: the printer reads it behind the job's bytes.
CONFIRM_S: Final = 3.0
_PICKLE_DIR_ENV: Final = "ESCPOS_CAPABILITIES_PICKLE_DIR"


@functools.cache
def escpos_module(name: str) -> Any:
    """A python-escpos module, imported on first use.

    Unless told otherwise, python-escpos caches its capabilities database in a new temporary
    folder in every process and never removes it (half a megabyte each); point it at one
    folder of this user's cache instead, which also spares parsing the YAML each start.
    """
    if _PICKLE_DIR_ENV not in os.environ:
        cache = os.path.join(platformdirs.user_cache_dir("returns-station"), "python-escpos")
        with contextlib.suppress(OSError):
            os.makedirs(cache, mode=0o700, exist_ok=True)
            os.environ[_PICKLE_DIR_ENV] = cache
    return importlib.import_module(f"escpos.{name}")


def _printer_class(name: str) -> Any:
    return getattr(escpos_module("printer"), name)


def _device_not_found() -> type[Exception]:
    error: type[Exception] = escpos_module("exceptions").DeviceNotFoundError
    return error


# --------------------------------------------------------------------------- status


@dataclass(frozen=True)
class EscposStatus:
    """Replies to DLE EOT 1, 2 and 4 (Epson's bit layout, which compatibles follow)."""

    printer: int
    offline_cause: int
    paper: int

    @classmethod
    def parse(cls, reply: bytes) -> EscposStatus | None:
        """None unless `reply` is three status bytes (fixed bits: 0xx1 xx10)."""
        if len(reply) != 3 or any(byte & 0x93 != 0x12 for byte in reply):
            return None
        return cls(reply[0], reply[1], reply[2])

    def problems(self) -> list[str]:
        """Why the printer cannot print now; empty when it can."""
        found = []
        if self.paper & 0x60 or self.offline_cause & 0x20:
            found.append("paper out")
        if self.offline_cause & 0x04:
            found.append("cover open")
        if self.offline_cause & 0x40:
            found.append("printer error (cutter jam, head too hot or a mechanical fault)")
        if self.offline_cause & 0x08:
            found.append("paper being fed with the FEED button")
        if not found and self.printer & 0x08:
            found.append("offline")
        return found

    def warnings(self) -> list[str]:
        return ["paper near its end"] if self.paper & 0x0C else []


def _status_outcome(
    status: EscposStatus, *, before: bool, bytes_sent: int = 0, job: bool = True
) -> PrintOutcome | None:
    """NOT_READY for a status with problems, else None (`job` False: a plain status query)."""
    problems = status.problems()
    if not problems:
        return None
    if before:
        detail = f"printer not ready: {', '.join(problems)}"
        if job:
            detail += "; nothing was sent"
    else:
        detail = (f"printer reports {', '.join(problems)} after the job; the label may be "
                  "missing or incomplete")
    return PrintOutcome(JobState.NOT_READY, detail, bytes_sent)


def _fine(status: EscposStatus, what: str) -> str:
    return "; ".join([what, *status.warnings()])


# --------------------------------------------------------------------------- job bytes


def check_profile(name: str, size: LabelSize) -> None:
    """Raise PrinterUriError unless python-escpos knows `name` as a raster-capable model
    exactly `size`'s width (and dpi, where the data gives one)."""
    profiles: dict[str, Any] = escpos_module("capabilities").CAPABILITIES["profiles"]
    if name == "default" or name not in profiles:
        close = sorted(p for p in profiles if p != "default" and "pixels" in str(
            profiles[p].get("media", {}).get("width", {})))
        raise PrinterUriError(
            f"python-escpos has no printer profile {name!r}; name the printer's model, "
            f"one of: {', '.join(close)}")
    data = profiles[name]
    media = data.get("media", {})
    pixels = media.get("width", {}).get("pixels")
    if not isinstance(pixels, int):
        raise PrinterUriError(f"python-escpos profile {name!r} has no known paper width in "
                              "dots; name a profile that has one")
    if pixels != size.width_dots:
        raise PrinterUriError(
            f"python-escpos profile {name!r} prints {pixels} dots wide but size "
            f"{size.name!r} is {size.width_dots}; pick the size of this model "
            "(e.g. size=80mm@180 for Epson TM-T88) or the model's own profile")
    dpi = media.get("dpi")
    if isinstance(dpi, int) and dpi != size.dpi:
        raise PrinterUriError(f"python-escpos profile {name!r} is {dpi} dpi but size "
                              f"{size.name!r} is {size.dpi} dpi")
    if not data.get("features", {}).get("bitImageRaster"):
        raise PrinterUriError(f"python-escpos profile {name!r} cannot print raster images")


def job_bytes(image: Image.Image, profile: str) -> bytes:
    """ESC @, the bitmap as GS v 0 raster blocks, feed and cut (if the model cuts)."""
    printer = _printer_class("Dummy")(profile=profile)
    printer.hw("INIT")
    printer.image(image, impl="bitImageRaster", high_density_vertical=True,
                  high_density_horizontal=True, center=False)
    printer.cut()
    output: bytes = printer.output
    return output


def _embedded_queries(job: bytes) -> int:
    return len(_EMBEDDED_QUERY.findall(job))


# --------------------------------------------------------------------------- transports


class TcpTransport:
    """A network ESC/POS printer on its raw port, through our own socket."""

    def __init__(self, host: str, port: int, *, query_status: bool = True,
                 connect_s: float = CONNECT_S, write_s: float = WRITE_S,
                 status_s: float = STATUS_S, confirm_s: float = CONFIRM_S) -> None:
        self.host, self.port = host, port
        self.query_status = query_status
        self.connect_s, self.write_s = connect_s, write_s
        self.status_s, self.confirm_s = status_s, confirm_s
        self.name = f"escpos+tcp://{RawTcpLink(host, port, connect_s=0).where}"

    def _query(self, link: RawTcpLink, timeout_s: float, skip: int = 0
               ) -> tuple[EscposStatus | None, bytes]:
        link.send(STATUS_QUERY, timeout_s, "the status query")
        reply = link.receive(lambda data: len(data) >= 3 + skip, timeout_s)
        return EscposStatus.parse(reply[-3:]), reply

    def status(self) -> PrintOutcome:
        try:
            with RawTcpLink(self.host, self.port, connect_s=self.connect_s) as link:
                if not self.query_status:
                    return PrintOutcome(JobState.READY, f"{link.where} accepts connections "
                                        "(status queries are off)")
                status, reply = self._query(link, self.status_s)
        except LinkFailure as failure:
            return PrintOutcome(failure.state, failure.detail)
        if status is None:
            return _no_status(reply, link.where, self.status_s)
        return (_status_outcome(status, before=True, job=False)
                or PrintOutcome(JobState.READY, _fine(status, "ready")))

    def run_job(self, job: bytes, job_id: str | None) -> PrintOutcome:
        link = RawTcpLink(self.host, self.port, connect_s=self.connect_s)
        try:
            link.connect()
            if self.query_status:
                status, reply = self._query(link, self.status_s)
                if status is None:
                    return _no_status(reply, link.where, self.status_s, before_job=True)
                if refused := _status_outcome(status, before=True):
                    return refused
            link.send(job, self.write_s)
            if not self.query_status:
                return PrintOutcome(JobState.SENT_UNCONFIRMED, f"sent to {link.where}; status "
                                    "queries are off, so it is not confirmed", len(job))
        except LinkFailure as failure:
            queried = len(STATUS_QUERY) if self.query_status else 0
            return interrupted_job(failure.state, failure.detail, link.bytes_written - queried,
                                   len(job))
        else:
            return self._confirm(link, job)
        finally:
            link.close()

    def _confirm(self, link: RawTcpLink, job: bytes) -> PrintOutcome:
        try:
            status, _ = self._query(link, self.confirm_s, skip=_embedded_queries(job))
        except LinkFailure as failure:
            return PrintOutcome(JobState.SENT_UNCONFIRMED,
                                f"sent; then {failure.detail}, so it is not confirmed", len(job))
        if status is None:
            return PrintOutcome(JobState.SENT_UNCONFIRMED, f"sent to {link.where}, but it did "
                                f"not answer the status query after the job within "
                                f"{self.confirm_s:g} s; check the label", len(job))
        return (_status_outcome(status, before=False, bytes_sent=len(job))
                or PrintOutcome(JobState.PRINTED, _fine(status, f"printed on {link.where}"),
                                len(job)))


def _no_status(reply: bytes, where: str, timeout_s: float, before_job: bool = False
               ) -> PrintOutcome:
    nothing = "; nothing was sent" if before_job else ""
    if not reply:
        return PrintOutcome(JobState.TIMED_OUT, f"{where} took the connection but did not "
                            f"answer the status query within {timeout_s:g} s (printer hung, or "
                            f"one that has no status: then set status=off){nothing}")
    return PrintOutcome(JobState.REFUSED, f"{where} answered the status query with "
                        f"{reply[:16].hex(' ')}, which is not ESC/POS status; is it an "
                        f"ESC/POS printer?{nothing}")


Reader = Callable[[Any, int, float], bytes]


def _read_serial(printer: Any, count: int, timeout_s: float) -> bytes:
    device = printer.device
    device.timeout = timeout_s
    data: bytes = device.read(count)
    return data


def _read_usb(printer: Any, count: int, timeout_s: float) -> bytes:
    deadline = time.monotonic() + timeout_s
    data = b""
    while len(data) < count:
        remaining_ms = int((deadline - time.monotonic()) * 1000)
        if remaining_ms <= 0:
            break
        try:
            data += bytes(printer.device.read(printer.in_ep, 64, remaining_ms))
        except Exception:  # pyusb's timeout and I/O errors: no answer
            break
    return data


class DeviceTransport:
    """A python-escpos printer class (USB, serial, device file, CUPS, Windows spooler).

    `make()` builds an unopened python-escpos printer; `reader` reads status replies where
    the connection has a way back (USB, serial), else jobs end SENT_UNCONFIRMED. Each job
    runs in a worker thread and ends TIMED_OUT when it takes longer than `deadline_s`.
    """

    def __init__(self, name: str, make: Callable[[], Any], *, reader: Reader | None = None,
                 ready: Callable[[], PrintOutcome | None] | None = None,
                 after_open: Callable[[Any], None] | None = None,
                 status_s: float = STATUS_S, confirm_s: float = CONFIRM_S,
                 deadline_s: float = 2 * WRITE_S) -> None:
        self.name = name
        self._make = make
        self._reader = reader
        self._ready = ready
        self._after_open = after_open
        self.status_s, self.confirm_s = status_s, confirm_s
        self.deadline_s = deadline_s

    def _query(self, printer: Any, timeout_s: float, skip: int = 0) -> EscposStatus | None:
        assert self._reader is not None
        printer._raw(STATUS_QUERY)
        reply = self._reader(printer, 3 + skip, timeout_s)
        return EscposStatus.parse(reply[-3:])

    def _open(self, job_id: str | None) -> Any:
        printer = self._make()
        try:
            if type(printer).__name__ in ("CupsPrinter", "Win32Raw"):
                printer.open(job_name=job_id or "returns-station label")
            else:
                printer.open()
        except _device_not_found() as error:
            raise LinkFailure(JobState.OFFLINE, f"{self.name}: {_one_line(error)}") from None
        if self._after_open is not None:
            self._after_open(printer)
        return printer

    def status(self) -> PrintOutcome:
        if self._ready is not None and (answer := self._ready()) is not None:
            return answer
        if self._reader is None:
            return PrintOutcome(JobState.READY, f"{self.name} is there (this connection "
                                "reports no paper or cover status)")
        return _in_worker(self._status_now, self.deadline_s, self.name)

    def _status_now(self) -> PrintOutcome:
        try:
            printer = self._open(None)
        except LinkFailure as failure:
            return PrintOutcome(failure.state, failure.detail)
        try:
            status = self._query(printer, self.status_s)
        finally:
            _close(printer)
        if status is None:
            return PrintOutcome(JobState.TIMED_OUT, f"{self.name} did not answer the status "
                                f"query within {self.status_s:g} s")
        return (_status_outcome(status, before=True, job=False)
                or PrintOutcome(JobState.READY, _fine(status, "ready")))

    def run_job(self, job: bytes, job_id: str | None) -> PrintOutcome:
        if self._ready is not None and (answer := self._ready()) is not None:
            return answer
        return _in_worker(lambda: self._job_now(job, job_id), self.deadline_s, self.name)

    def _job_now(self, job: bytes, job_id: str | None) -> PrintOutcome:
        try:
            printer = self._open(job_id)
        except LinkFailure as failure:
            return PrintOutcome(failure.state, failure.detail)
        sent = 0
        try:
            before = None
            if self._reader is not None:
                before = self._query(printer, self.status_s)
                if before is not None and (refused := _status_outcome(before, before=True)):
                    return refused
            printer._raw(job)  # python-escpos's raw write; it has no public one
            if before is None:
                printer.close()  # CUPS and Windows queues submit the job only here
                sent = len(job)
                how = ("it did not answer the status query before the job"
                       if self._reader is not None else "this connection reports no status")
                return PrintOutcome(JobState.SENT_UNCONFIRMED, f"sent to {self.name}; {how}, "
                                    "so it is not confirmed", sent)
            sent = len(job)
            after = self._query(printer, self.confirm_s, skip=_embedded_queries(job))
        except Exception as error:  # serial/USB/file/CUPS/win32 errors
            if sent:
                return PrintOutcome(JobState.SENT_UNCONFIRMED, f"sent to {self.name}, then: "
                                    f"{_one_line(error)}", sent)
            timeout = "timeout" in type(error).__name__.lower()
            return PrintOutcome(JobState.TIMED_OUT if timeout else JobState.OFFLINE,
                                f"{self.name}: writing the job failed: {_one_line(error)}")
        finally:
            _close(printer)
        if after is None:
            return PrintOutcome(JobState.SENT_UNCONFIRMED, f"sent to {self.name}, but it did "
                                f"not answer the status query after the job within "
                                f"{self.confirm_s:g} s; check the label", sent)
        return (_status_outcome(after, before=False, bytes_sent=sent)
                or PrintOutcome(JobState.PRINTED, _fine(after, f"printed on {self.name}"), sent))


def _one_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return " ".join(text.split())


def _close(printer: Any) -> None:
    with contextlib.suppress(Exception):
        printer.close()


def _in_worker(work: Callable[[], PrintOutcome], deadline_s: float, name: str) -> PrintOutcome:
    """Run `work` in a daemon thread; TIMED_OUT if it has not finished by `deadline_s`."""
    result: list[PrintOutcome] = []

    def run() -> None:
        try:
            result.append(work())
        except Exception as error:  # never raise for printer trouble
            result.append(PrintOutcome(JobState.OFFLINE, f"{name}: {_one_line(error)}"))

    worker = threading.Thread(target=run, name=f"print {name}", daemon=True)
    worker.start()
    worker.join(deadline_s)
    if result:
        return result[0]
    return PrintOutcome(JobState.TIMED_OUT, f"{name} did not finish within {deadline_s:g} s "
                        "(device stuck, offline or paper out?)")


# --------------------------------------------------------------------------- the printer


class EscposPrinter:
    """An ESC/POS printer of a known model (python-escpos profile) on paper of `size`."""

    def __init__(self, transport: TcpTransport | DeviceTransport, size: LabelSize,
                 profile: str) -> None:
        check_profile(profile, size)
        self.transport = transport
        self.size = size
        self.width_dots = size.width_dots
        self.dpi = size.dpi
        self.profile = profile
        self.name = f"{transport.name} ({profile}, {size.name})"

    def job(self, image: Image.Image) -> bytes:
        """The bytes this printer is sent for `image`; raises LabelError if it does not fit."""
        return job_bytes(fit_to_size(image, self.size), self.profile)

    def print_label(self, image: Image.Image, *, job_id: str | None = None) -> PrintOutcome:
        start = time.perf_counter()
        try:
            job = self.job(image)
        except LabelError as error:
            outcome = PrintOutcome(JobState.REFUSED, str(error))
        else:
            outcome = self.transport.run_job(job, job_id)
        return outcome.since(start)

    def status(self) -> PrintOutcome:
        start = time.perf_counter()
        return self.transport.status().since(start)



def _missing(backend: str, package: str, extra: str = "") -> PrinterUnavailable:
    return PrinterUnavailable(f"{backend}:// printers need the Python package {package!r}, "
                              f"which is not installed: pip install {package}{extra}")


def _file_ready(path: str) -> Callable[[], PrintOutcome | None]:
    def ready() -> PrintOutcome | None:
        if not os.path.exists(path):
            return PrintOutcome(JobState.OFFLINE, f"{path} does not exist: printer off or "
                                "unplugged?")
        if not os.access(path, os.W_OK):
            return PrintOutcome(JobState.REFUSED, f"{path} is not writable by this user "
                                "(on Debian, add the user to the lp group)")
        return None

    return ready


def _cups_ready(queue: str, profile: str) -> Callable[[], PrintOutcome | None]:
    def ready() -> PrintOutcome | None:
        printer = _printer_class("CupsPrinter")(printer_name=queue, profile=profile)
        try:
            printer.open()
            attributes = printer.printers.get(queue, {})
        except Exception as error:  # no such queue, or the CUPS server is down
            return PrintOutcome(JobState.OFFLINE, f"cups://{queue}: {_one_line(error)}")
        finally:
            _close(printer)
        reasons = [r for r in attributes.get("printer-state-reasons", []) if r != "none"]
        if any(r.startswith("offline") for r in reasons):
            return PrintOutcome(JobState.OFFLINE, f"cups://{queue}: {', '.join(reasons)}")
        blocking = ("media-empty", "media-needed", "cover-open", "door-open", "paused")
        if attributes.get("printer-state") == 5 or any(r.startswith(blocking) for r in reasons):
            why = ", ".join(reasons) or "queue stopped"
            return PrintOutcome(JobState.NOT_READY, f"cups://{queue}: {why}")
        return None

    return ready


def escpos_printer(uri: PrinterUri, *, connect_s: float = CONNECT_S, write_s: float = WRITE_S,
                   status_s: float = STATUS_S, confirm_s: float = CONFIRM_S) -> EscposPrinter:
    """The ESC/POS printer `uri` names. Raises PrinterUriError for a profile python-escpos
    does not know or of the wrong width, PrinterUnavailable for a missing library."""
    profile, size = uri.profile, uri.size
    check_profile(profile, size)
    deadline = connect_s + write_s + status_s + confirm_s
    usb, serial, file = (_printer_class(n) for n in ("Usb", "Serial", "File"))
    cups, win32 = _printer_class("CupsPrinter"), _printer_class("Win32Raw")
    transport: TcpTransport | DeviceTransport
    if uri.backend is Backend.ESCPOS_TCP:
        transport = TcpTransport(uri.host, uri.port, query_status=uri.query_status,
                                 connect_s=connect_s, write_s=write_s, status_s=status_s,
                                 confirm_s=confirm_s)
    elif uri.backend is Backend.ESCPOS_USB:
        if not usb.is_usable():
            raise _missing("escpos+usb", "pyusb", " (and apt-get install libusb-1.0-0)")
        options: dict[str, Any] = {}
        if uri.usb_in_ep is not None:
            options["in_ep"] = uri.usb_in_ep
        if uri.usb_out_ep is not None:
            options["out_ep"] = uri.usb_out_ep
        vendor, product = uri.usb_vendor, uri.usb_product
        transport = DeviceTransport(
            f"escpos+usb://{vendor:04x}:{product:04x}",
            lambda: usb(vendor, product, timeout=int(write_s * 1000), profile=profile,
                        **options),
            reader=_read_usb, status_s=status_s, confirm_s=confirm_s, deadline_s=deadline)
    elif uri.backend is Backend.ESCPOS_SERIAL:
        device, baud = uri.path, uri.baud

        def serial_write_timeout(printer: Any) -> None:
            printer.device.write_timeout = write_s

        transport = DeviceTransport(
            f"escpos+serial://{device}",
            lambda: serial(device, baudrate=baud, timeout=status_s, profile=profile),
            reader=_read_serial, after_open=serial_write_timeout, status_s=status_s,
            confirm_s=confirm_s, deadline_s=deadline)
    elif uri.backend is Backend.ESCPOS_FILE:
        path = uri.path
        transport = DeviceTransport(
            f"escpos+file://{path}", lambda: file(path, auto_flush=True, profile=profile),
            ready=_file_ready(path), deadline_s=deadline)
    elif uri.backend is Backend.CUPS:
        if not cups.is_usable():
            raise _missing("cups", "pycups", " (it builds against libcups2-dev)")
        queue = uri.queue
        transport = DeviceTransport(
            f"cups://{queue}", lambda: cups(printer_name=queue, profile=profile),
            ready=_cups_ready(queue, profile), deadline_s=deadline)
    elif uri.backend is Backend.WIN32:
        if not win32.is_usable():
            raise _missing("win32", "pywin32", " (Windows only)")
        name = uri.queue

        def spooler_ready() -> PrintOutcome | None:
            if name not in win32(name, profile=profile).printers:
                return PrintOutcome(JobState.OFFLINE, f"win32://{name}: no such printer")
            return None

        transport = DeviceTransport(
            f"win32://{name}", lambda: win32(name, profile=profile), ready=spooler_ready,
            deadline_s=deadline)
    else:
        raise PrinterUriError(f"{uri.text!r} is not an ESC/POS printer URI")
    return EscposPrinter(transport, size, profile)
