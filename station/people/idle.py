"""When a bench left alone locks: the clock is injected so the rule is testable in the core."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta


class IdleTimer:
    def __init__(self, timeout: timedelta, clock: Callable[[], datetime]) -> None:
        self._timeout = timeout
        self._clock = clock
        self._last = clock()

    def touch(self) -> None:
        """Someone used the station (a key, a click, a scan)."""
        self._last = self._clock()

    def expired(self) -> bool:
        return self._clock() - self._last >= self._timeout

    @property
    def timeout(self) -> timedelta:
        return self._timeout
