"""The scan screen: scan or type an RMA or tracking number; unknown codes can be received
as unexpected parcels for a supervisor to sort out."""

from __future__ import annotations

import re
import unicodedata

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout

from station.codes.scans import MAX_SCAN_LENGTH, Payload, PayloadKind, inspect_scan
from station.common.errors import UserFacingError
from station.common.permissions import Actor
from station.inspection.drafts import DraftSummary
from station.receiving import parcels as receiving
from station.receiving.parcels import NotFound, RmaView, UnexpectedReceipt
from station.runtime.context import StationContext
from ui.camera_panel import CameraPanel
from ui.feedback import Tone
from ui.keyed_screen import KeyedScreen
from ui.message_line import MessageLine
from ui.tasks import Changed, TaskRunner

_DASHES = str.maketrans({dash: "-" for dash in "\u2010\u2011\u2012\u2013\u2212\uff0d"})
# Kinds whose shape alone says a parcel label was read (an RMA number, a carrier's tracking
# number, a GS1 shipping or product code).
_PARCEL_KINDS = {PayloadKind.RMA, PayloadKind.TRACKING, PayloadKind.GS1, PayloadKind.GTIN}
# Free text that could still be a shop's or carrier's own code: letters and digits, with
# at most the separators labels use, and at least one digit.
_CODE_LIKE = re.compile(r"(?=.*[0-9])[A-Za-z0-9][A-Za-z0-9 ./_-]{3,}")


def read_as(payload: Payload) -> str | None:
    """What a scan that had to be normalised to fit the RMA pattern was read as, and what
    was changed ("Read as RMA-100002 (from 'rma‐100002': case, dash)."), so a person sees
    why a look-alike was accepted; None for a scan taken as it was."""
    raw = payload.fields.get("normalised_from")
    if raw is None:
        return None
    dashes = raw.translate(_DASHES)
    compatible = unicodedata.normalize("NFKC", dashes)
    changes = []
    if compatible != payload.value and compatible.upper() == payload.value:
        changes.append("case")
    if dashes != raw:
        changes.append("dash")
    if compatible != dashes:
        changes.append("look-alike characters")
    return f"Read as {payload.value} (from {raw!r}: {', '.join(changes) or 'spelling'})."


def looks_like_a_parcel_code(payload: Payload) -> bool:
    """Whether an unmatched scan could be a parcel's code; anything else (a smudge read as
    '!!@@##', a mis-scanned word) is received as an unexpected parcel only when confirmed."""
    return payload.kind in _PARCEL_KINDS or (
        payload.kind is PayloadKind.FREE_TEXT and _CODE_LIKE.fullmatch(payload.text) is not None)


class ScanScreen(KeyedScreen):
    rma_found = Signal(object)
    badge_scanned = Signal(str)
    camera_toggled = Signal()
    unexpected_received = Signal(object)
    resume_requested = Signal(str)
    tone = Signal(str)

    def __init__(self, ctx: StationContext, background: TaskRunner) -> None:
        super().__init__()
        self._ctx = ctx
        self._background = background
        self._actor: Actor | None = None
        self._unknown_code: str | None = None
        # An unknown code unlike any parcel code: F2 asks once more before receiving it,
        # unless the same code was scanned twice in a row.
        self._needs_confirming = False
        self._last_not_found: str | None = None
        self._payload: Payload | None = None
        self.read_as: str | None = None

        title = QLabel("Scan a parcel")
        title.setObjectName("title")
        hint = QLabel("Scan the RMA label or the carrier's tracking barcode, or type it and "
                      "press Enter. Scanning a badge switches user. F3 turns the camera on or off.")
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        self.demo_hint = QLabel("Demo: press F1 for the demo sheet with RMA numbers to scan or "
                                "type.")
        self.demo_hint.setObjectName("hint")
        self.demo_hint.setVisible(False)
        self.field = QLineEdit()
        self.field.setObjectName("scan")
        self.field.setPlaceholderText("RMA-123456")
        self.field.setMaxLength(MAX_SCAN_LENGTH + 1)
        self.message = MessageLine()
        self.unexpected_button = QPushButton("Receive as unexpected parcel  (F2)")
        self.unexpected_button.setVisible(False)
        self.resume_button = QPushButton()
        self.resume_button.setObjectName("primary")
        self.resume_button.setVisible(False)
        self.resume_button.clicked.connect(self._resume)
        self.drafts_hint = QLabel()
        self.drafts_hint.setObjectName("hint")
        self.drafts_hint.setWordWrap(True)
        self.drafts_hint.setTextFormat(Qt.TextFormat.PlainText)
        self.drafts_hint.setVisible(False)
        self._draft_lpns: list[str] = []
        buttons = QHBoxLayout()
        buttons.addWidget(self.resume_button)
        buttons.addWidget(self.unexpected_button)
        buttons.addStretch(1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(40, 30, 40, 30)
        layout.addWidget(title)
        layout.addWidget(hint)
        layout.addSpacing(12)
        layout.addWidget(self.field)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        layout.addWidget(self.drafts_hint)
        self.queue_hint = QLabel()
        self.queue_hint.setObjectName("hint")
        self.queue_hint.setVisible(False)
        layout.addWidget(self.queue_hint)
        layout.addWidget(self.demo_hint)
        self.camera = CameraPanel()
        self.camera.setVisible(False)
        layout.addWidget(self.camera, 1)
        layout.addStretch(0)
        self.bind_key(Qt.Key.Key_F3, self.camera_toggled.emit)

        self.field.returnPressed.connect(self._submit)
        self.unexpected_button.clicked.connect(self._receive_unexpected)
        self.bind_key(Qt.Key.Key_F2, self._receive_unexpected)
        self.bind_key(Qt.Key.Key_F5, self._resume)

    def show_drafts(self, summaries: list[DraftSummary]) -> None:
        """Unfinished inspections on this bench: F5 resumes the oldest exactly where it was."""
        self._draft_lpns = [summary.lpn for summary in summaries]
        self.resume_button.setVisible(bool(summaries))
        self.drafts_hint.setVisible(bool(summaries))
        if not summaries:
            return
        first = summaries[0]
        self.resume_button.setText(f"Resume {first.lpn} where it was left  (F5)")
        self.drafts_hint.setText("Unfinished inspection(s): " + "; ".join(
            summary.text for summary in summaries))

    def show_queues(self, counts: tuple[int, int]) -> None:
        """For a supervisor: what waits in the queues (F6 opens them)."""
        held, open_exceptions = counts
        self.queue_hint.setText(f"Supervisor queues: {held} held refund(s), "
                                f"{open_exceptions} open exception(s) — F6 opens them.")
        self.queue_hint.setVisible(True)

    def _resume(self) -> None:
        if self._draft_lpns:
            self.resume_requested.emit(self._draft_lpns[0])

    def start(self, actor: Actor, message: str | None = None) -> None:
        self._actor = actor
        self.queue_hint.setVisible(False)
        self._set_unknown(None)
        self.field.clear()
        self.field.setEnabled(True)
        if message:
            self.message.ok(message)
        else:
            self.message.clear_message()
        self.field.setFocus()

    def _set_unknown(self, code: str | None, *, needs_confirming: bool = False) -> None:
        self._unknown_code = code
        self._needs_confirming = needs_confirming
        self.unexpected_button.setVisible(code is not None)

    def _submit(self) -> None:
        self.submit(self.field.text())

    def submit(self, code: str) -> None:
        """Look a typed code up (Enter in the field)."""
        self._look_up(inspect_scan(code, self._ctx.config.rma_regex), code)

    def submit_scan(self, payload: Payload) -> None:
        """Look up a code scanned anywhere on this screen, as the window classified it."""
        self._look_up(payload, payload.text)

    def _look_up(self, payload: Payload, shown: str) -> None:
        actor = self._actor
        if actor is None:
            return
        if payload.kind is PayloadKind.BADGE:
            self.field.clear()
            self.badge_scanned.emit(payload.value)
            return
        self.field.setText(shown)
        self.field.setEnabled(False)
        self._set_unknown(None)
        self._payload = payload
        self.read_as = read_as(payload)
        if self.read_as:
            self.message.ok(self.read_as)
        self._background.run(lambda: receiving.look_up(self._ctx, actor, payload),
                             self._found, self._failed)

    def _found(self, view: RmaView) -> None:
        self.tone.emit(Tone.SUCCESS)
        self.field.setEnabled(True)
        self.message.clear_message()
        self.rma_found.emit(view)

    def _failed(self, error: Exception) -> None:
        self.field.setEnabled(True)
        self.field.selectAll()
        self.field.setFocus()
        self.tone.emit(Tone.UNKNOWN if isinstance(error, NotFound) else Tone.ERROR)
        if isinstance(error, NotFound):
            self._not_found(error)
        elif isinstance(error, UserFacingError):
            self.message.error(str(error))
        else:
            self.message.error(f"Could not look the code up ({error.__class__.__name__}). "
                               "Try again; if it repeats, call a supervisor.")

    def _not_found(self, error: NotFound) -> None:
        payload = self._payload
        scanned_twice = error.code == self._last_not_found
        self._last_not_found = error.code
        doubtful = payload is not None and not looks_like_a_parcel_code(payload)
        self._set_unknown(error.code, needs_confirming=doubtful and not scanned_twice)
        said = f"{self.read_as} " if self.read_as else ""
        if not doubtful:
            self.message.warning(f"{said}{error}  Press F2 to receive it as an unexpected "
                                 "parcel.")
        elif scanned_twice:
            self.message.warning(f"{said}{error}  Scanned twice: press F2 to receive it as an "
                                 "unexpected parcel.")
        else:
            self.message.warning(f"{said}{error}  It does not look like a parcel or tracking "
                                 "code: scan it again, or press F2 twice, to receive it as "
                                 "an unexpected parcel.")

    def _receive_unexpected(self) -> None:
        code, actor = self._unknown_code, self._actor
        if code is None or actor is None:
            return
        if self._needs_confirming:
            self._needs_confirming = False
            self.tone.emit(Tone.UNKNOWN)
            self.message.warning(f"{code!r} does not look like a parcel or tracking code. Press "
                                 "F2 again to receive it as an unexpected parcel anyway.")
            return
        self._set_unknown(None)
        self._last_not_found = None
        self._background.run(lambda: receiving.receive_unexpected(self._ctx, actor, code),
                             self._unexpected_done, self._failed,
                             changes=Changed.OUTBOX | Changed.QUEUES)

    def _unexpected_done(self, result: UnexpectedReceipt) -> None:
        self.tone.emit(Tone.SUCCESS)
        self.field.clear()
        self.field.setFocus()
        self.message.ok(f"Parcel {result.code} received as unexpected and sent to the exception "
                        "queue. Put it on the exceptions shelf.")
        self.unexpected_received.emit(result)
