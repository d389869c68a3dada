"""What every use case needs to know about the station it runs on."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from station.common.vocabulary import Category
from station.grading.checklists import Checklist
from station.routing.rules import RuleSet
from station.settings.config import StationConfig
from station.settings.pin_pepper import PinPepper


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class StationContext:
    """The local database, this station's identity, a clock (injected so tests can move it),
    the inspection checklist of every category and the routing rule set (both validated
    when the station opens), and the pepper that seals PIN hashes (kept outside the
    database, station/settings/pin_pepper.py)."""

    sessions: sessionmaker[Session]
    config: StationConfig
    pepper: PinPepper
    checklists: Mapping[Category, Checklist]
    rules: RuleSet
    clock: Callable[[], datetime] = field(default=utc_now)

    def checklist_for(self, category: str) -> Checklist:
        """The checklist of a category; an unknown category gets the default one."""
        try:
            return self.checklists[Category(category)]
        except ValueError:
            return self.checklists[Category.OTHER]

    @property
    def station_code(self) -> str:
        return self.config.station_code
