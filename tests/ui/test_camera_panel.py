"""The camera panel lets go of its last frame when the camera stops (issue #17: memory)."""

from __future__ import annotations

import numpy as np
from pytestqt.qtbot import QtBot

from station.ports.scanner import SourceState, SourceStatus
from ui.camera_panel import CameraPanel


def test_the_last_frame_is_released_when_the_camera_stops(qtbot: QtBot) -> None:
    panel = CameraPanel()
    qtbot.addWidget(panel)
    panel.show_status(SourceStatus("camera 0", SourceState.CONNECTED))
    panel.deliver(np.zeros((1080, 1920, 3), np.uint8), [])
    qtbot.waitUntil(lambda: not panel.view.image.isNull())
    assert panel.view.image.width() == 1920

    panel.show_status(SourceStatus("camera 0", SourceState.STOPPED))

    assert panel.view.image.isNull()
    assert panel.state.text() == "camera 0: stopped"
