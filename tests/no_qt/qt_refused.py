"""Qt made unimportable, to prove the core's tests need no Qt.

Importing this module puts a finder at the front of `sys.meta_path` that refuses PySide6
and shiboken6 (and every submodule): `import PySide6` raises ModuleNotFoundError as on a
machine without them. This folder's sitecustomize.py imports it when Python starts, so
with the folder on PYTHONPATH every process of the run, test subprocesses included, is
without Qt; loaded with ``-p qt_refused`` it is also a pytest plugin that declares
pytest-qt's ``qt_api`` setting (pyproject.toml sets it and ``--strict-config`` refuses an
unknown one once pytest-qt is off) and checks that Qt is refused before any test runs.
CI (.ci/run) runs the core's tests so:

    PYTHONPATH="$PWD/tests/no_qt" .venv/bin/python -m pytest -p qt_refused -p no:pytest-qt \
        tests/station

A test there that imports Qt, directly or through a module it uses, then fails.

PYTEST_DONT_REWRITE: sitecustomize imports this before pytest could rewrite it.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from types import ModuleType

import pytest

REFUSED = frozenset({"PySide6", "shiboken6"})


class QtRefused(importlib.abc.MetaPathFinder):
    """Refuses to find the Qt packages; leaves every other import to the next finder."""

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if fullname.partition(".")[0] in REFUSED:
            raise ModuleNotFoundError(
                f"No module named {fullname!r} (refused by tests/no_qt/qt_refused.py: the core "
                "and its tests must not need Qt; a test that does belongs in tests/ui)",
                name=fullname)
        return None


def install() -> None:
    """Put the finder first in sys.meta_path, once."""
    if not any(isinstance(finder, QtRefused) for finder in sys.meta_path):
        sys.meta_path.insert(0, QtRefused())


install()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("qt_api", "pytest-qt's Qt binding: unused here, pytest-qt is not loaded")


def pytest_configure(config: pytest.Config) -> None:
    """The run proves nothing if Qt is already loaded or still importable."""
    loaded = sorted(name for name in sys.modules if name.partition(".")[0] in REFUSED)
    if loaded:
        raise pytest.UsageError(f"qt_refused: Qt was imported before it was refused: {loaded}")
    try:
        import PySide6  # noqa: F401
    except ModuleNotFoundError:
        return
    raise pytest.UsageError("qt_refused: PySide6 is still importable")


def pytest_report_header() -> str:
    return "Qt refused (tests/no_qt/qt_refused.py): PySide6 and shiboken6 cannot be imported"
