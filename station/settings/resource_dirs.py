"""Where the shipped data files live: `resources/` beside the `station` package.

One place for the path, so moving a module inside the core never breaks where it finds its
checklists, rules or label layouts."""

from __future__ import annotations

from pathlib import Path
from typing import Final

RESOURCES_DIR: Final = Path(__file__).resolve().parents[2] / "resources"
