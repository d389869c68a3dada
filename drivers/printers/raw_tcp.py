"""One job's connection to a raw-port (9100) network printer, with short explicit deadlines.

python-escpos's own `Network` printer waits 60 s by default and cannot read replies in a
bounded time, so the ESC/POS and ZPL drivers use this instead: TCP_NODELAY (status queries
are a few bytes and must not wait for Nagle), a connect deadline, a deadline for writing
the whole job (not per send call), and reads that stop at a deadline. Every failure is a
`LinkFailure` carrying the job state it means, so the drivers never raise for printer
trouble.
"""

from __future__ import annotations

import errno
import socket
import time
from collections.abc import Callable
from types import TracebackType

from station.labels.printers import JobState

CHUNK = 16 * 1024
#: Kernel send buffer: small enough that a printer which stops reading makes the write
#: deadline expire rather than the job vanishing into megabytes of socket buffer (Linux
#: doubles it), ample for a LAN.
SEND_BUFFER = 64 * 1024
_LOST = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)


class LinkFailure(Exception):
    """The connection failed in a way that decides the job: `state` and why (`detail`)."""

    def __init__(self, state: JobState, detail: str) -> None:
        super().__init__(detail)
        self.state = state
        self.detail = detail


class RawTcpLink:
    """A single connection, used for one job or one status query, then closed."""

    def __init__(self, host: str, port: int, *, connect_s: float,
                 send_buffer: int = SEND_BUFFER) -> None:
        self.host = host
        self.port = port
        self.connect_s = connect_s
        self.send_buffer = send_buffer
        self.where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        self.bytes_written = 0
        self._sock: socket.socket | None = None

    def __enter__(self) -> RawTcpLink:
        self.connect()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def connect(self) -> None:
        """Connect within `connect_s`; LinkFailure(OFFLINE) when nothing answers there."""
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.connect_s)
        except ConnectionRefusedError:
            raise LinkFailure(JobState.OFFLINE, f"nothing is listening on {self.where} "
                              "(connection refused): is the printer on and is this its "
                              "address?") from None
        except TimeoutError:
            raise LinkFailure(JobState.OFFLINE, f"no answer from {self.where} within "
                              f"{self.connect_s:g} s: printer off, unplugged or unreachable"
                              ) from None
        except socket.gaierror as error:
            raise LinkFailure(JobState.OFFLINE,
                              f"cannot resolve printer host {self.host!r}: {error.strerror}"
                              ) from None
        except OSError as error:
            reason = error.strerror or errno.errorcode.get(error.errno or 0, str(error))
            raise LinkFailure(JobState.OFFLINE, f"cannot reach {self.where}: {reason}") from None
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, self.send_buffer)
        self._sock = sock

    def _socket(self) -> socket.socket:
        if self._sock is None:
            raise LinkFailure(JobState.OFFLINE, f"not connected to {self.where}")
        return self._sock

    def send(self, data: bytes, timeout_s: float, what: str = "the job") -> None:
        """Write all of `data` within `timeout_s` in all; LinkFailure(TIMED_OUT) when the
        printer stops taking data, LinkFailure(REFUSED) when it drops the connection."""
        sock = self._socket()
        deadline = time.monotonic() + timeout_s
        view = memoryview(data)
        sent = 0
        while sent < len(data):
            remaining = deadline - time.monotonic()
            try:
                if remaining <= 0:
                    raise TimeoutError
                sock.settimeout(remaining)
                count = sock.send(view[sent : sent + CHUNK])
            except TimeoutError:
                raise LinkFailure(
                    JobState.TIMED_OUT, f"{self.where} stopped taking {what} after {sent} of "
                    f"{len(data)} bytes ({timeout_s:g} s): printer busy or hung"
                ) from None
            except _LOST:
                raise LinkFailure(
                    JobState.REFUSED, f"{self.where} closed the connection after {sent} of "
                    f"{len(data)} bytes of {what}"
                ) from None
            except OSError as error:
                raise LinkFailure(JobState.REFUSED,
                                  f"writing to {self.where} failed: {error}") from None
            sent += count
            self.bytes_written += count

    def receive(self, enough: Callable[[bytes], bool], timeout_s: float) -> bytes:
        """Read until `enough(data)` or `timeout_s` passes, and return what came (maybe
        nothing); LinkFailure(REFUSED) when the printer closes the connection first."""
        sock = self._socket()
        deadline = time.monotonic() + timeout_s
        data = b""
        while not enough(data):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            sock.settimeout(remaining)
            try:
                chunk = sock.recv(4096)
            except TimeoutError:
                break
            except OSError as error:
                raise LinkFailure(JobState.REFUSED,
                                  f"{self.where} dropped the connection ({error})") from None
            if not chunk:
                raise LinkFailure(JobState.REFUSED,
                                  f"{self.where} closed the connection without answering")
            data += chunk
        return data

    def close(self) -> None:
        """Close after reading what is left, so the close is not a reset that could make
        the printer discard the end of the job."""
        sock, self._sock = self._sock, None
        if sock is None:
            return
        try:
            sock.setblocking(False)
            for _ in range(64):
                if not sock.recv(4096):
                    break
        except OSError:
            pass
        sock.close()
