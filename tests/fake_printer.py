"""A fake raw-port (9100) printer on 127.0.0.1 for the printer driver tests and benchmark.

It keeps every byte each connection sent, and answers status queries as printers do:
ESC/POS `DLE EOT n` with one status byte (wherever the sequence occurs in the stream, as
Epson printers do, raster data included) and ZPL `~HS` with the three-line host status.

Modes:
- normal: reads everything, answers every status query with a ready printer's status;
- paper-out: the same, but the status says the paper is out;
- mute-after-job: answers only the status queries at the very start of a connection
  (before the job), then stays silent;
- stall: answers the first status query, then stops reading (a printer whose buffer is
  full and that has stopped printing); its receive buffer is small so the writer blocks;
- reset-mid-job: like normal until `reset_after` bytes of the job (after the status
  query) have arrived, then resets the connection (RST), as a printer that restarts;
- refuse: accepts a connection and closes it at once;
- hang: accepts a connection and never reads or answers;
- not-listening: nothing listens on the port (a port that was free and is closed again).
"""

from __future__ import annotations

import re
import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Final

HOST: Final = "127.0.0.1"
MODES: Final = ("normal", "paper-out", "mute-after-job", "stall", "reset-mid-job", "refuse",
                "hang", "not-listening")

#: DLE EOT 1, 2, 4 replies: online and fine; and offline with the paper out.
ESCPOS_READY: Final = {1: 0x12, 2: 0x12, 3: 0x12, 4: 0x12}
ESCPOS_PAPER_OUT: Final = {1: 0x1A, 2: 0x32, 3: 0x12, 4: 0x72}


def zpl_host_status(*, paper_out: bool = False, paused: bool = False, head_up: bool = False,
                    formats: int = 0, labels: int = 0) -> bytes:
    """A Zebra ~HS answer: three STX...ETX CR LF lines (ZPL II manual, ~HS)."""
    line1 = f"030,{int(paper_out)},{int(paused)},1218,{formats:03d},0,0,0,000,0,0,0"
    line2 = f"001,0,{int(head_up)},0,0,2,6,0,{labels:08d},1,000"
    line3 = "1234,0"
    return b"".join(b"\x02" + line.encode() + b"\x03\r\n" for line in (line1, line2, line3))


ZPL_READY: Final = zpl_host_status()
ZPL_PAPER_OUT: Final = zpl_host_status(paper_out=True)

_QUERY: Final = re.compile(rb"\x10\x04([\x01-\x04])|~HS")
#: Queries that start within this many bytes of a connection count as "before the job".
_PRE_JOB_BYTES: Final = 16


@dataclass
class Connection:
    received: bytearray = field(default_factory=bytearray)
    answered: int = 0
    closed: threading.Event = field(default_factory=threading.Event)


class FakePrinter:
    def __init__(self, mode: str = "normal", *, escpos_status: dict[int, int] | None = None,
                 zpl_status: bytes | None = None, reset_after: int = 0) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown fake printer mode {mode!r}; one of {MODES}")
        self.mode = mode
        self.reset_after = reset_after
        paper_out = mode == "paper-out"
        self.escpos_status = escpos_status or (ESCPOS_PAPER_OUT if paper_out else ESCPOS_READY)
        self.zpl_status = zpl_status or (ZPL_PAPER_OUT if paper_out else ZPL_READY)
        self.host = HOST
        self.port = 0
        self.connections: list[Connection] = []
        self._stop = threading.Event()
        self._listener: socket.socket | None = None
        self._threads: list[threading.Thread] = []

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> FakePrinter:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind((HOST, 0))
        self.port = listener.getsockname()[1]
        if self.mode == "not-listening":
            listener.close()  # the port is now closed: connecting is refused
            return self
        if self.mode in ("stall", "reset-mid-job"):
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        listener.listen(8)
        listener.settimeout(0.05)
        self._listener = listener
        self._spawn(self._accept_loop)
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        if self._listener is not None:
            self._listener.close()

    def __enter__(self) -> FakePrinter:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _spawn(self, target: object, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True,  # type: ignore[arg-type]
                                  name="fake printer")
        thread.start()
        self._threads.append(thread)

    @property
    def uri_authority(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def received(self) -> bytes:
        """Everything every connection sent, in order."""
        return b"".join(bytes(c.received) for c in self.connections)

    def wait_closed(self, timeout: float = 5.0) -> None:
        """Wait until every connection so far has been closed by the driver."""
        for connection in list(self.connections):
            connection.closed.wait(timeout)

    # ----------------------------------------------------------------- serving

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stop.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            connection = Connection()
            self.connections.append(connection)
            self._spawn(self._serve, sock, connection)

    def _serve(self, sock: socket.socket, connection: Connection) -> None:
        try:
            if self.mode == "refuse":
                return
            if self.mode == "hang":
                self._stop.wait()
                return
            self._converse(sock, connection)
        finally:
            sock.close()
            connection.closed.set()

    def _converse(self, sock: socket.socket, connection: Connection) -> None:
        sock.settimeout(0.05)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        scanned = 0
        while not self._stop.is_set():
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            if not chunk:
                return
            connection.received += chunk
            if (self.mode == "reset-mid-job" and connection.answered
                    and len(connection.received) - _PRE_JOB_BYTES >= self.reset_after):
                # linger 0: close() sends RST, as a printer that restarts mid-job; what
                # came in this chunk is never answered
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                return
            data = bytes(connection.received)
            replies = []
            for match in _QUERY.finditer(data, max(0, scanned - 2)):
                if match.end() <= scanned:
                    continue  # answered when the previous chunk came
                if self._should_answer(match.start()):
                    replies.append(self.zpl_status if match.group(0) == b"~HS"
                                   else bytes([self.escpos_status[match.group(1)[0]]]))
            if replies:
                sock.sendall(b"".join(replies))
                connection.answered += len(replies)
            scanned = len(data)
            if self.mode == "stall" and connection.answered:
                self._stop.wait()  # stop reading: the writer's send blocks
                return

    def _should_answer(self, offset: int) -> bool:
        if self.mode == "mute-after-job":
            return offset < _PRE_JOB_BYTES
        return True


@contextmanager
def fake_printer(mode: str = "normal", **options: object) -> Iterator[FakePrinter]:
    printer = FakePrinter(mode, **options)  # type: ignore[arg-type]
    with printer:
        yield printer
