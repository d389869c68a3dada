"""No database statement on the UI thread: a test hook the UI tests run under.

The floor never waits on the machine, so the window reads and writes the station database
only through its task runner (ui/tasks.py). This hook watches every SQLAlchemy engine: a
statement executed on the main (GUI) thread from code in the `ui` package is recorded, and
the test fails with where it came from. The test's own set-up and checks (not in `ui`) may
use the database on the main thread.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

#: Allowed on the main thread, because no window shows yet: the window's construction reads
#: whether the station has people and who they are, to choose its first screen (sign-in or
#: first administrator) before it is shown; the console entry point opens the station and
#: runs headless commands (no window, no event loop) before any window exists.
START_UP: frozenset[tuple[str, str]] = frozenset({
    ("ui.main_window", "__init__"),
    ("ui.launcher", "main"),
})


def _ui_frames(frame: FrameType | None) -> list[tuple[str, str, int]]:
    found = []
    while frame is not None:
        module = str(frame.f_globals.get("__name__", ""))
        if module == "ui" or module.startswith("ui."):
            found.append((module, frame.f_code.co_name, frame.f_lineno))
        frame = frame.f_back
    return found


class UiThreadGuard:
    """Records statements run on the main thread by UI code (outside start-up)."""

    def __init__(self) -> None:
        self.violations: list[str] = []

    def before_cursor_execute(self, _conn: Any, _cursor: Any, statement: str,
                              *_args: Any) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        frames = _ui_frames(sys._getframe(1))
        if not frames or any((module, name) in START_UP for module, name, _ in frames):
            return
        module, name, line = frames[0]
        self.violations.append(f"{module}.{name} (line {line}): {statement.split()[0]} "
                               f"{' '.join(statement.split()[1:6])}…")


@pytest.fixture(autouse=True)
def no_database_on_the_ui_thread() -> Iterator[UiThreadGuard]:
    """Fails the test if the UI ran a database statement on the UI thread."""
    guard = UiThreadGuard()
    event.listen(Engine, "before_cursor_execute", guard.before_cursor_execute)
    try:
        yield guard
    finally:
        event.remove(Engine, "before_cursor_execute", guard.before_cursor_execute)
    if guard.violations:
        pytest.fail("The UI used the database on the UI thread (run it on the task runner):\n"
                    + "\n".join(dict.fromkeys(guard.violations)), pytrace=False)
