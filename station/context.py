"""What every use case needs to know about the station it runs on."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker

from station.config import StationConfig
from station.pin_pepper import PinPepper
from station.vocabulary import Category

if TYPE_CHECKING:
    from station.checklists import Checklist
    from station.rules import RuleSet


def utc_now() -> datetime:
    return datetime.now(UTC)


def _shipped_checklists() -> Mapping[Category, Checklist]:
    from station.checklists import shipped_checklists  # checklists -> photos -> context

    return shipped_checklists()


def _shipped_rules() -> RuleSet:
    from station.rules import shipped_rule_set

    return shipped_rule_set()


@dataclass(frozen=True)
class StationContext:
    """The local database, this station's identity, a clock (injected so tests can move it),
    the inspection checklist of every category and the routing rule set (both validated
    when the station opens), and the pepper that seals PIN hashes (kept outside the
    database, station/pin_pepper.py)."""

    sessions: sessionmaker[Session]
    config: StationConfig
    pepper: PinPepper
    clock: Callable[[], datetime] = field(default=utc_now)
    checklists: Mapping[Category, Checklist] = field(default_factory=_shipped_checklists)
    rules: RuleSet = field(default_factory=_shipped_rules)

    def checklist_for(self, category: str) -> Checklist:
        """The checklist of a category; an unknown category gets the default one."""
        try:
            return self.checklists[Category(category)]
        except ValueError:
            return self.checklists[Category.OTHER]

    @property
    def station_code(self) -> str:
        return self.config.station_code
