"""The console entry point: headless commands stay free of Qt; the GUI loads only when used."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from station.cli import main as cli
from station.runtime.bootstrap import OpenStation


def _gui(opened: OpenStation, demo: bool) -> int:
    from ui import app  # imported late: `returns-station db upgrade` must not need a display

    return app.run(opened, demo)


def main(argv: Sequence[str] | None = None) -> int:
    from ui.hardware import Hardware  # drivers load only when a command runs

    return cli.main(argv, gui=_gui, devices=Hardware())


if __name__ == "__main__":
    sys.exit(main())
