"""Resource files shipped with the app (theme, label layouts, checklists, rules, sounds)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent


def path(*parts: str) -> Path:
    """The path of a shipped resource; raises FileNotFoundError naming it if it is missing."""
    target = ROOT.joinpath(*parts)
    if not target.exists():
        raise FileNotFoundError(f"resource missing from the installation: {target}")
    return target
