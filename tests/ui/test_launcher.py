"""`returns-station` without a command opens the station and starts the app; the
composition root (ui.launcher) decides that, not the core."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from ui import launcher
from ui.main_window import MainWindow

#: Runs the real console entry point in its own process (an app that quits ends its
#: process's event loops for good), looks at the bench once it shows, then closes it.
_START_AND_LOOK = """
import json, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLabel
from ui import launcher
from ui.main_window import MainWindow

seen = {}
application = QApplication(sys.argv[:1])  # the app reuses it; its timers can run

def look():
    windows = [w for w in QApplication.topLevelWidgets()
               if isinstance(w, MainWindow) and w.isVisible()]
    seen["windows"] = len(windows)
    seen["labels"] = [label.text() for window in windows for label in window.findChildren(QLabel)]
    for window in windows:
        window.close()
    QApplication.instance().quit()

QTimer.singleShot(1500, look)
status = launcher.main(sys.argv[1:])
print(json.dumps({"status": status, **seen}))
"""


def _start(*args: str) -> dict[str, object]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-c", _START_AND_LOOK, *args], env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize("demo_option", ["--demo", "--fresh-demo"])
def test_no_command_opens_the_demo_station_and_shows_the_bench_as_a_demo(
    tmp_path: Path, demo_option: str
) -> None:
    seen = _start(demo_option, "--data-dir", str(tmp_path / "demo"))
    assert seen["status"] == 0
    assert seen["windows"] == 1
    assert "DEMO DATA" in seen["labels"]  # type: ignore[operator]
    assert (tmp_path / "demo" / "station.db").exists()


def test_a_configuration_the_station_cannot_use_is_refused_before_any_window(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[station]\ncode = "BENCH-01"\nno_such_key = 1\n', encoding="utf-8")
    assert launcher.main(["--config", str(config), "--data-dir", str(tmp_path / "d")]) == 2
    assert "Configuration error" in capsys.readouterr().err
    assert not any(isinstance(w, MainWindow) and w.isVisible()
                   for w in QApplication.topLevelWidgets())
