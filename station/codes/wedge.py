"""Telling a keyboard-wedge scanner from a person at the keyboard, by timing alone.

A USB scanner "types" a whole code in a few milliseconds per key and ends with Enter; a
person needs 80 ms or more per key. Keys are held back while that is undecided (at most
one key interval, imperceptible to a typist), then either handed over as one scan or
replayed to whatever has the focus, so a scan never leaks into a text field and typing is
never lost. Pure logic with explicit times, so every case is testable without Qt.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise
from typing import Generic, TypeVar

from station.settings.config import ScannerConfig

K = TypeVar("K")


@dataclass(frozen=True)
class Hold:
    """Keep the key back; call `timeout` if nothing else arrives within `wait_ms`."""

    wait_ms: int


@dataclass(frozen=True)
class Scan:
    """The held keys were a scan: deliver `text`, drop the keys. `entered`: it ended in Enter."""

    text: str
    entered: bool = True


@dataclass(frozen=True)
class Replay(Generic[K]):
    """The held keys were typed by a person: hand them (and the current key) over in order."""

    keys: tuple[K, ...]



@dataclass
class WedgeDetector(Generic[K]):
    """Feed it every printable key and every Enter with its arrival time in milliseconds.

    `K` is whatever the caller needs to replay a key later (a Qt key event's data); the
    detector only looks at the character and the time.
    """

    settings: ScannerConfig
    _keys: list[tuple[K, str, float]] = field(default_factory=list)

    @property
    def holding(self) -> bool:
        return bool(self._keys)

    def _fast(self, now_ms: float) -> bool:
        limit = self.settings.max_key_interval_ms
        times = [t for _, _, t in self._keys] + [now_ms]
        return all(b - a <= limit for a, b in pairwise(times))

    def _text(self) -> str:
        return "".join(char for _, char, _ in self._keys)

    def _take(self) -> tuple[K, ...]:
        keys = tuple(key for key, _, _ in self._keys)
        self._keys.clear()
        return keys

    def _as_scan(self) -> str | None:
        text = self._text()
        prefix, suffix = self.settings.prefix, self.settings.suffix
        if prefix:
            if not text.startswith(prefix):
                return None
            text = text[len(prefix):]
        if suffix and text.endswith(suffix):
            text = text[: -len(suffix)]
        return text if len(text) >= self.settings.min_length else None

    def key(self, key: K, char: str, now_ms: float) -> Hold | Replay[K]:
        """A printable key arrived. A slow one after held keys releases them first."""
        if self._keys and not self._fast(now_ms):
            released = self._take()
            self._keys.append((key, char, now_ms))
            return Replay(released)
        self._keys.append((key, char, now_ms))
        return Hold(self.settings.max_key_interval_ms)

    def enter(self, key: K, now_ms: float) -> Scan | Replay[K]:
        """Enter arrived: a fast run of enough keys is a scan; anything else is typing."""
        if self._keys and self._fast(now_ms) and (text := self._as_scan()) is not None:
            self._keys.clear()
            return Scan(text)
        return Replay((*self._take(), key))

    def timeout(self, now_ms: float) -> Scan | Replay[K]:
        """No key for a whole interval: a scanner without an Enter suffix, or a person."""
        if self._keys and self._fast(self._keys[-1][2]) and (text := self._as_scan()) is not None \
                and len(self._keys) >= max(self.settings.min_length, 6):
            self._keys.clear()
            return Scan(text, entered=False)
        return Replay(self._take())
