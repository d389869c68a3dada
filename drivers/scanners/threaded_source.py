"""The thread that every background scan source (serial scanner, camera) runs on."""

from __future__ import annotations

import threading

from station.ports.scanner import ScanCallback, StatusCallback


class ThreadedSource:
    """Runs `_run` on a daemon thread between `start` and `stop`; `_stop` ends its loops."""

    name: str

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, on_scan: ScanCallback, on_status: StatusCallback) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, args=(on_scan, on_status),
                                        name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self, on_scan: ScanCallback, on_status: StatusCallback) -> None:
        raise NotImplementedError
