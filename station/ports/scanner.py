"""The port for scanners that are not keyboards (serial / USB virtual COM, cameras).

A source runs on its own thread and calls back with each scanned text and with every
change of its connection state; the UI turns those calls into Qt signals.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from station.ports.decoder import DecodedCode


class SourceState(StrEnum):
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
    STOPPED = "stopped"


@dataclass(frozen=True)
class SourceStatus:
    name: str
    state: SourceState
    detail: str = ""

    @property
    def text(self) -> str:
        return f"{self.name}: {self.state.value}" + (f" ({self.detail})" if self.detail else "")


ScanCallback = Callable[[str], None]
StatusCallback = Callable[[SourceStatus], None]
FrameCallback = Callable[[Any, list[DecodedCode]], None]


class ScanSource(Protocol):
    name: str

    def start(self, on_scan: ScanCallback, on_status: StatusCallback) -> None:
        """Begin reading in the background; keeps retrying until `stop`."""
        ...

    def stop(self) -> None:
        ...


class PreviewSource(ScanSource, Protocol):
    """A camera: a scan source that also hands over frames (with the codes seen) to show."""

    on_frame: FrameCallback | None
