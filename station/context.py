"""What every use case needs to know about the station it runs on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from station.config import StationConfig


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class StationContext:
    """The local database, this station's identity and a clock (injected so tests can move it)."""

    sessions: sessionmaker[Session]
    config: StationConfig
    clock: Callable[[], datetime] = field(default=utc_now)

    @property
    def station_code(self) -> str:
        return self.config.station_code
