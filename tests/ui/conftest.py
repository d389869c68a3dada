"""Qt for the UI tests: no display needed (the offscreen platform) and QSettings kept out
of the real user's folders. pytest-qt (qt_api = "pyside6" in pyproject.toml) makes the
QApplication on first use, after this has run."""

import os

import pytest
from ui_thread_guard import no_database_on_the_ui_thread  # noqa: F401  (autouse: tests/ui only)


def pytest_configure(config: pytest.Config) -> None:
    """Set before pytest-qt creates the QApplication."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QStandardPaths

    QStandardPaths.setTestModeEnabled(True)  # QSettings written by tests stay out of ~/.config
