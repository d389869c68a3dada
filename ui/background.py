"""Runs core calls off the UI thread and hands the outcome back on it.

Like Anki's `aqt.operations`: the screen says what to run and what to do with the result
or the error; the floor never waits on the database, the disk or the network.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from station.common.errors import UserFacingError

log = logging.getLogger(__name__)


class _Relay(QObject):
    finished = Signal(int, object, object)


class _Job(QRunnable):
    def __init__(self, token: int, fn: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self._token = token
        self._fn = fn
        self._relay = relay

    def run(self) -> None:
        try:
            result = self._fn()
        except Exception as error:
            self._relay.finished.emit(self._token, None, error)
        else:
            self._relay.finished.emit(self._token, result, None)


class Background(QObject):
    """One per window; `busy_changed` drives the busy indicator."""

    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(2)
        self._relay = _Relay()
        self._relay.finished.connect(self._deliver)
        self._tokens = itertools.count(1)
        self._pending: dict[int, tuple[Callable[[Any], None], Callable[[Exception], None]]] = {}

    def run(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[Exception], None],
    ) -> None:
        token = next(self._tokens)
        self._pending[token] = (on_done, on_error)
        if len(self._pending) == 1:
            self.busy_changed.emit(True)
        self._pool.start(_Job(token, fn, self._relay))

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    def wait_idle(self, msecs: int = 30_000) -> bool:
        return self._pool.waitForDone(msecs)

    @Slot(int, object, object)
    def _deliver(self, token: int, result: object, error: object) -> None:
        on_done, on_error = self._pending.pop(token)
        if not self._pending:
            self.busy_changed.emit(False)
        if isinstance(error, Exception):
            if not isinstance(error, UserFacingError):
                log.error("background task failed", exc_info=error)
            on_error(error)
        else:
            on_done(result)

