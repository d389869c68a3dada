"""A code held in front of the camera is reported once, not thirty times a second.

A code is reported when first seen and again only after it has been out of sight for the
hold-off time, so scanning the same label twice on purpose still works.
"""

from __future__ import annotations

from collections.abc import Callable


class HoldOff:
    def __init__(self, seconds: float, clock: Callable[[], float]) -> None:
        self._seconds = seconds
        self._clock = clock
        self._last_seen: dict[str, float] = {}

    def should_report(self, text: str) -> bool:
        now = self._clock()
        last = self._last_seen.get(text)
        self._last_seen[text] = now
        self._forget_older_than(now)
        return last is None or now - last > self._seconds

    def _forget_older_than(self, now: float) -> None:
        if len(self._last_seen) > 256:
            self._last_seen = {t: s for t, s in self._last_seen.items()
                               if now - s <= self._seconds}
