"""F3 on the scan screen scans with the camera and shows what it sees."""

from __future__ import annotations

from pathlib import Path

from label_video import write_label_video
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select
from station_bench import StationUnderTest
from ui_steps import sign_in

from drivers.decoding.decode_pipeline import PipelineDecoder
from drivers.scanners.camera_scanner import CameraScanner
from station.common.vocabulary import Role
from station.store.models import Rma
from ui.app import create_application
from ui.main_window import MainWindow


def test_a_label_held_under_the_camera_opens_its_rma(bench: StationUnderTest, qtbot: QtBot,
                                                      tmp_path: Path) -> None:
    with bench.ctx.sessions() as session:
        number = session.scalars(select(Rma.rma_number).order_by(Rma.rma_number)).first()
    assert number is not None
    video = write_label_video(tmp_path / "bench.avi", number)
    camera = CameraScanner(str(video), PipelineDecoder(), realtime=True, retry_s=30)
    create_application()
    window = MainWindow(bench.ctx, camera=camera)
    qtbot.addWidget(window)
    window.show()
    try:
        sign_in(window, qtbot, Role.GRADER)
        qtbot.keyClick(window.scan.field, Qt.Key.Key_F3)
        assert window.scan.camera.isVisible()
        qtbot.waitUntil(lambda: window.stack.currentWidget() is window.rma, timeout=10_000)
        assert window.rma.title.text() == number
        assert "connected" in window.scan.camera.state.text()
    finally:
        window.close()
        window.tasks.wait_idle()


def test_f3_without_a_camera_says_so(bench: StationUnderTest, qtbot: QtBot) -> None:
    create_application()
    window = MainWindow(bench.ctx)
    qtbot.addWidget(window)
    sign_in(window, qtbot, Role.GRADER)
    window.toggle_camera()
    assert "No camera" in window.scan.message.text()
    window.tasks.wait_idle()
