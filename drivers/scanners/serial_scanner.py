"""Serial and USB virtual-COM barcode scanners (RS-232, CDC-ACM) through pyserial.

Reads bytes, splits them at the configured terminator and reports each code. A scanner
that is unplugged is reported as disconnected and reopened every `retry_s` until it is
back, without the app noticing anything but the status.
"""

from __future__ import annotations

import logging

import serial

from drivers.scanners.threaded_source import ThreadedSource
from station.ports.scanner import ScanCallback, SourceState, SourceStatus, StatusCallback

log = logging.getLogger(__name__)
MAX_LINE = 4096


class SerialScanner(ThreadedSource):
    def __init__(self, port: str, baud: int = 9600, terminator: str = "\r",
                 retry_s: float = 1.0) -> None:
        super().__init__()
        self.name = f"serial scanner {port}"
        self.port = port
        self.baud = baud
        self.terminators = {terminator.encode("ascii"), b"\n", b"\r"} if terminator else {b"\r"}
        self.retry_s = retry_s

    def _status(self, on_status: StatusCallback, state: SourceState, detail: str = "") -> None:
        on_status(SourceStatus(self.name, state, detail))

    def _run(self, on_scan: ScanCallback, on_status: StatusCallback) -> None:
        reported_down = False
        while not self._stop.is_set():
            try:
                connection = serial.Serial(self.port, self.baud, timeout=0.2)
            except (serial.SerialException, OSError) as error:
                if not reported_down:
                    self._status(on_status, SourceState.DISCONNECTED, _reason(error))
                    reported_down = True
                self._stop.wait(self.retry_s)
                continue
            reported_down = False
            self._status(on_status, SourceState.CONNECTED, f"{self.baud} baud")
            try:
                self._read(connection, on_scan)
            except (serial.SerialException, OSError) as error:
                self._status(on_status, SourceState.DISCONNECTED, _reason(error))
                reported_down = True
            finally:
                connection.close()
        self._status(on_status, SourceState.STOPPED)

    def _read(self, connection: serial.Serial, on_scan: ScanCallback) -> None:
        buffer = bytearray()
        while not self._stop.is_set():
            chunk = connection.read(256)
            if not chunk:
                continue
            for byte in chunk:
                piece = bytes([byte])
                if piece in self.terminators:
                    if buffer:
                        on_scan(buffer.decode("utf-8", errors="replace"))
                        buffer.clear()
                elif len(buffer) < MAX_LINE:
                    buffer += piece


def _reason(error: BaseException) -> str:
    text = str(error).strip() or error.__class__.__name__
    return text.splitlines()[0][:120]
