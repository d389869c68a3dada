"""What a benchmark ran on, printed beside its figures: CPUs, Python, OS and the PostgreSQL
server with the settings that change the numbers."""

from __future__ import annotations

import os
import platform
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import URL, text

from station.store.database import make_engine


def machine(url: URL, settings: Sequence[str]) -> dict[str, Any]:
    """This machine and the server at `url`, with the value of each of `settings`."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            server = str(connection.scalar(text("SELECT version()"))).split(" on ")[0]
            shown = {name: str(connection.scalar(text(f"SHOW {name}"))) for name in settings}
    finally:
        engine.dispose()
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu": cpu, "python": platform.python_version(),
            "os": platform.platform(terse=True), "postgresql": server, **shown}
