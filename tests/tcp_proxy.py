"""A small TCP proxy on 127.0.0.1 for fault tests: cut live connections, refuse or hold new
ones, cut after a number of bytes or when the server next answers, stall (a silent
partition: nothing forwarded, nothing closed), or cut only the client's side (the server
keeps a dead client's connection, as after a partition the server never heard about).

    with TcpProxy("127.0.0.1", pg_port) as proxy:
        url = f"postgresql+psycopg://postgres@127.0.0.1:{proxy.port}/db"
        proxy.cut_after(5_000)   # the connection dies somewhere in the next 5 kB sent
        proxy.refuse()           # new connections are closed at once (network down)
        proxy.resume()           # back to normal

Each connection is served by one thread that selects on both sockets, so a cut is done by
that thread itself (no socket is closed under another thread's feet); a cut closes both
sides with SO_LINGER 0, i.e. a TCP reset, as a dropped line or a restarted router does.
"""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import threading
from dataclasses import dataclass, field
from typing import Literal

_POLL_S = 0.02
_CHUNK = 65536

Mode = Literal["forward", "refuse", "hold", "stall"]


def _reset(sock: socket.socket) -> None:
    """Close with a TCP reset (SO_LINGER on, timeout 0): no orderly goodbye."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()


@dataclass(eq=False)
class _Link:
    client: socket.socket
    upstream: socket.socket | None = None
    cut: threading.Event = field(default_factory=threading.Event)
    client_only: bool = False


@dataclass
class ProxyStats:
    accepted: int = 0
    refused: int = 0
    cuts: int = 0  # connections closed by cut()/cut_after()
    bytes_up: int = 0  # client -> server
    bytes_down: int = 0


class TcpProxy:
    """Forwards 127.0.0.1:<port> (port 0: any free one) to target_host:target_port."""

    def __init__(self, target_host: str, target_port: int, *, host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((host, 0))
        self._listener.listen(64)
        self.host = host
        self.port: int = self._listener.getsockname()[1]
        self.stats = ProxyStats()
        self._lock = threading.Lock()
        self._mode_changed = threading.Condition(self._lock)
        self._mode: Mode = "forward"
        self._links: set[_Link] = set()
        self._orphans: list[socket.socket] = []
        self._threads: set[threading.Thread] = set()
        self._cut_budget: int | None = None
        self._reply_cut = False
        self._closed = threading.Event()
        self._acceptor = threading.Thread(target=self._accept_loop, name="tcp-proxy-accept",
                                          daemon=True)
        self._acceptor.start()

    # ------------------------------------------------------------------ controls

    def cut(self, *, client_only: bool = False) -> int:
        """Reset every live connection at once; returns how many. With `client_only` the
        server's side is left open and silent (an orphan the server still believes in)
        until the next full cut() or close()."""
        with self._lock:
            links = list(self._links)
            self._cut_budget = None
            orphans, self._orphans = ([], self._orphans) if client_only else (self._orphans, [])
        for link in links:
            link.client_only = client_only
            link.cut.set()
        for orphan in orphans:
            _reset(orphan)
        return len(links)

    def cut_after(self, nbytes: int) -> None:
        """Reset every live connection once `nbytes` more bytes went from client to server
        (the byte that crosses the mark is not forwarded)."""
        with self._lock:
            self._cut_budget = nbytes

    def refuse(self) -> None:
        """New connections are accepted and reset at once (live ones go on)."""
        self._set_mode("refuse")

    def hold(self) -> None:
        """New connections wait, not connected upstream, until resume()."""
        self._set_mode("hold")

    pause = hold

    def cut_on_reply(self) -> None:
        """Reset every live connection when the server next answers, dropping the answer:
        the server did the work (a COMMIT, say), the client never hears of it."""
        with self._lock:
            self._reply_cut = True

    def disarm(self) -> None:
        """Forget a cut_after() or cut_on_reply() that has not fired."""
        with self._lock:
            self._cut_budget = None
            self._reply_cut = False

    def stall(self) -> None:
        """A silent partition: live connections stop forwarding (nothing is closed), new
        ones wait. resume() forwards again; cut() resets them."""
        self._set_mode("stall")

    def resume(self) -> None:
        self._set_mode("forward")

    @property
    def live(self) -> int:
        with self._lock:
            return len(self._links)

    def close(self) -> None:
        self._closed.set()
        self.cut()
        self.resume()
        self._acceptor.join(5)
        with contextlib.suppress(OSError):
            self._listener.close()
        for thread in list(self._threads):
            thread.join(5)

    def __enter__(self) -> TcpProxy:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ internals

    def _set_mode(self, mode: Mode) -> None:
        with self._mode_changed:
            self._mode = mode
            self._mode_changed.notify_all()

    def _accept_loop(self) -> None:
        while not self._closed.is_set():
            try:
                ready, _, _ = select.select([self._listener], [], [], _POLL_S)
                if not ready:
                    continue
                client, _address = self._listener.accept()
            except OSError:
                return
            with self._lock:
                mode = self._mode
            if mode == "refuse":
                self.stats.refused += 1
                _reset(client)
                continue
            self.stats.accepted += 1
            link = _Link(client)
            thread = threading.Thread(target=self._serve, args=(link,), name="tcp-proxy-link",
                                      daemon=True)
            with self._lock:
                self._links.add(link)
                self._threads.add(thread)
            thread.start()

    def _wait_while(self, link: _Link, modes: tuple[Mode, ...]) -> None:
        with self._mode_changed:
            while self._mode in modes and not link.cut.is_set() and not self._closed.is_set():
                self._mode_changed.wait(_POLL_S)

    def _serve(self, link: _Link) -> None:
        try:
            self._wait_while(link, ("hold", "stall"))
            if link.cut.is_set() or self._closed.is_set():
                return
            try:
                link.upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                return
            link.upstream.settimeout(None)
            self._pump(link, link.client, link.upstream)
        finally:
            if link.cut.is_set():
                _reset(link.client)
                with self._lock:
                    self.stats.cuts += 1
                    if link.upstream is not None and link.client_only:
                        self._orphans.append(link.upstream)
                    elif link.upstream is not None:
                        _reset(link.upstream)
            else:
                for sock in (link.client, link.upstream):
                    if sock is not None:
                        with contextlib.suppress(OSError):
                            sock.close()
            with self._lock:
                self._links.discard(link)
                self._threads.discard(threading.current_thread())

    def _pump(self, link: _Link, client: socket.socket, upstream: socket.socket) -> None:
        peers = {client: upstream, upstream: client}
        while not link.cut.is_set():
            self._wait_while(link, ("stall",))
            if link.cut.is_set():
                return
            try:
                ready, _, _ = select.select([client, upstream], [], [], _POLL_S)
            except (OSError, ValueError):
                return
            for source in ready:
                try:
                    data = source.recv(_CHUNK)
                except OSError:
                    return
                if not data:
                    return  # one side closed: close the other (orderly)
                if (source is client and not self._spend(len(data))) or \
                        (source is upstream and self._replied()):
                    link.cut.set()
                    return
                try:
                    peers[source].sendall(data)
                except OSError:
                    return
                if source is client:
                    self.stats.bytes_up += len(data)
                else:
                    self.stats.bytes_down += len(data)

    def _replied(self) -> bool:
        """True when a cut_on_reply() fires on this answer: cut everything."""
        with self._lock:
            if not self._reply_cut:
                return False
            self._reply_cut = False
            links = list(self._links)
        for other in links:
            other.cut.set()
        return True

    def _spend(self, nbytes: int) -> bool:
        """False when these bytes cross the cut_after() mark: cut everything."""
        with self._lock:
            if self._cut_budget is None:
                return True
            self._cut_budget -= nbytes
            if self._cut_budget > 0:
                return True
            self._cut_budget = None
            links = list(self._links)
        for other in links:
            other.cut.set()
        return False
