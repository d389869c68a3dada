"""The bench's events reach the app log (issue #17: the log held only Alembic's lines):
sign-in, each unit confirmed, sign-out; never a PIN."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select
from station_bench import PINS, StationUnderTest
from ui_steps import finish_inspection, scan, sign_in, write_photo

from station.common.vocabulary import Role
from station.store.models import Rma
from ui.app import create_application
from ui.event_log import EventLog
from ui.main_window import MainWindow


def test_sign_in_a_confirmed_unit_and_sign_out_are_logged_without_the_pin(
    bench: StationUnderTest, qtbot: QtBot, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="returns_station.bench")
    create_application()
    window = MainWindow(bench.ctx, demo=True)
    qtbot.addWidget(window)
    EventLog(window)
    window.show()
    qtbot.waitExposed(window)
    with bench.ctx.sessions() as session:
        number = session.scalars(select(Rma.rma_number).order_by(Rma.rma_number)).first()
    assert number is not None

    sign_in(window, qtbot, Role.GRADER)
    qtbot.waitUntil(lambda: window.scan.field.hasFocus())
    scan(qtbot, number)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.rma)
    qtbot.waitUntil(lambda: "Inspect" in window.rma.primary.text())
    qtbot.keyClick(window.rma, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.inspection)
    finish_inspection(window, qtbot, write_photo(tmp_path))
    qtbot.keyClick(window.decision, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.label, timeout=10_000)
    window.sign_out()
    window.tasks.wait_idle()

    lines = [r.getMessage() for r in caplog.records if r.name == "returns_station.bench"]
    lpn = window.label.unit.lpn  # type: ignore[attr-defined]
    assert lines[0].startswith("signed in: ") and "(grader)" in lines[0]
    assert any(line.startswith(f"unit confirmed: {lpn} (RMA {number}") for line in lines)
    assert lines[-1].startswith("signed out: ")
    assert len([line for line in lines if line.startswith("signed in")]) == 1
    assert PINS[Role.GRADER] not in "\n".join(lines)
