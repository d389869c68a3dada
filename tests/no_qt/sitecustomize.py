"""Imported by Python at start-up when this folder is on PYTHONPATH: makes PySide6 and
shiboken6 unimportable in this process (see qt_refused.py)."""

import qt_refused  # noqa: F401
