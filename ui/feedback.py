"""Success, unknown code and error are heard as well as seen at the bench.

A distinct sound for each (QtMultimedia QSoundEffect, sounds in resources/sounds/) and a
coloured flash around the window. Without a sound device or QtMultimedia's system
libraries the flash still works and the app carries on silently.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Any

from PySide6.QtCore import QObject, QSettings, Qt, QTimer, QUrl
from PySide6.QtWidgets import QFrame, QWidget

import resources
from station.settings.config import FeedbackConfig

log = logging.getLogger(__name__)
FLASH_MS = 350

class Tone(StrEnum):
    SUCCESS = "success"
    UNKNOWN = "unknown"
    ERROR = "error"


_COLOURS = {Tone.SUCCESS: "#2e9e4f", Tone.UNKNOWN: "#e0a100", Tone.ERROR: "#d0312d"}


class _Flash(QFrame):
    """A coloured border over the whole window that lets clicks through."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.hide()

    def show_tone(self, tone: Tone) -> None:
        parent = self.parentWidget()
        if parent is None:
            return
        self.setGeometry(parent.rect())
        self.setStyleSheet(f"border: 10px solid {_COLOURS[tone]}; background: transparent;")
        self.raise_()
        self.show()


class Feedback(QObject):
    def __init__(self, window: QWidget, config: FeedbackConfig) -> None:
        super().__init__(window)
        self._settings = QSettings()
        self.volume = int(str(self._settings.value("feedback/volume", config.volume)))
        self.muted = str(self._settings.value("feedback/mute", config.mute)).lower() == "true"
        self.last: Tone | None = None
        self._flash = _Flash(window)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._flash.hide)
        # Loaded when the first sound is due, right after the scan or key that calls for it:
        # QtMultimedia and its FFmpeg back-end take a noticeable part of start-up, and
        # loading them at a set time could pause the event loop in the middle of a scan,
        # which the wedge filter would then read as two.
        self._effects: dict[Tone, Any] | None = None

    def _load_sounds(self) -> dict[Tone, Any]:
        try:
            from PySide6.QtMultimedia import QSoundEffect
        except ImportError as error:
            log.warning("no sound: QtMultimedia cannot load (%s); install libpulse0", error)
            return {}
        effects = {}
        for tone in Tone:
            effect = QSoundEffect(self)
            effect.setSource(QUrl.fromLocalFile(str(resources.path("sounds", f"{tone}.wav"))))
            effects[tone] = effect
        return effects

    def signal(self, tone: Tone) -> None:
        self.last = tone
        self._flash.show_tone(tone)
        self._timer.start(FLASH_MS)
        if self._effects is None:
            self._effects = self._load_sounds()
        effect = self._effects.get(tone)
        if effect is not None and not self.muted and self.volume > 0:
            effect.setVolume(self.volume / 100)
            effect.play()

    def set_muted(self, muted: bool) -> None:
        self.muted = muted
        self._settings.setValue("feedback/mute", muted)

    def set_volume(self, volume: int) -> None:
        self.volume = max(0, min(100, volume))
        self._settings.setValue("feedback/volume", self.volume)
