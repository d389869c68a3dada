"""`returns-station` without a command opens the station and starts the app; the
composition root (ui.launcher) decides that, not the core."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from ui import launcher
from ui.main_window import MainWindow


def test_no_command_opens_the_demo_station_and_shows_the_bench(
    tmp_path: Path, qtbot: QtBot, qapp: QApplication
) -> None:
    shown: list[MainWindow] = []

    def look_then_quit() -> None:
        shown.extend(w for w in QApplication.topLevelWidgets()
                     if isinstance(w, MainWindow) and w.isVisible())
        for window in shown:
            window.close()
        qapp.quit()

    QTimer.singleShot(300, look_then_quit)
    assert launcher.main(["--demo", "--data-dir", str(tmp_path / "demo")]) == 0
    assert len(shown) == 1
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
