"""A serial scanner's codes drive the app like any scan, and its state is on screen."""

from __future__ import annotations

import os
from pathlib import Path

from pytestqt.qtbot import QtBot
from sqlalchemy import select
from station_bench import StationUnderTest
from ui_steps import sign_in

from drivers.scanners.serial_scanner import SerialScanner
from station.common.vocabulary import Role
from station.store.models import Rma
from ui.app import create_application
from ui.main_window import MainWindow


def test_a_code_from_a_serial_scanner_opens_its_rma(bench: StationUnderTest, qtbot: QtBot,
                                                    tmp_path: Path) -> None:
    master, slave = os.openpty()
    link = tmp_path / "scanner"
    link.symlink_to(os.ttyname(slave))
    create_application()
    window = MainWindow(bench.ctx, sources=[SerialScanner(str(link), retry_s=0.1)])
    qtbot.addWidget(window)
    window.show()
    try:
        bridge = window.sources[0]
        qtbot.waitUntil(lambda: bridge.last_status is not None
                        and bridge.last_status.state == "connected")
        sign_in(window, qtbot, Role.GRADER)
        with bench.ctx.sessions() as session:
            number = session.scalars(select(Rma.rma_number).order_by(Rma.rma_number)).first()
        assert number is not None
        os.write(master, number.encode() + b"\r")
        qtbot.waitUntil(lambda: window.stack.currentWidget() is window.rma)
        assert window.rma.title.text() == number
    finally:
        window.close()
        window.tasks.wait_idle()
        os.close(master)
        os.close(slave)
