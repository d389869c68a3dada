"""Rotating log files in the data folder, with secrets masked on the way out.

Nothing secret is passed to a logger on purpose; the redacting filter is the second line
of defence for what a library puts into an exception message (a database URL with its
password, a connection string).
"""

from __future__ import annotations

import io
import logging
import re
from logging.handlers import RotatingFileHandler
from pathlib import Path

from station.settings.private_files import make_private_dirs, open_private

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_PATTERNS = (
    (re.compile(r"(://[^:/@\s]+:)[^@\s]+@"), r"\1***@"),
    (re.compile(r"(?i)\b(password|passwd|pwd|pin)(\s*[=:]\s*)('[^']*'|\"[^\"]*\"|\S+)"),
     r"\1\2***"),
)


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class PrivateRotatingFileHandler(RotatingFileHandler):
    """Every log file it makes (the first and each one after a rollover) is 0600."""

    def _open(self) -> io.TextIOWrapper:
        return open_private(Path(self.baseFilename), self.mode,
                            encoding=self.encoding or "utf-8")


def configure_logging(logs_dir: Path, *, level: int = logging.INFO) -> Path:
    make_private_dirs(logs_dir)
    path = logs_dir / "returns-station.log"
    root = logging.getLogger()
    if not any(isinstance(h, RotatingFileHandler) and Path(h.baseFilename) == path
               for h in root.handlers):
        handler = PrivateRotatingFileHandler(path, maxBytes=2_000_000, backupCount=5,
                                             encoding="utf-8")
        handler.setFormatter(RedactingFormatter(_FORMAT))
        root.addHandler(handler)
    root.setLevel(level)
    return path
