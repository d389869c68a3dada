"""The label preview: the very bitmap the printer receives, so what is seen is what prints."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
)

from station.inspection.finalize import FinalizedUnit
from ui.image_view import ImageView
from ui.keyed_screen import ENTER, KeyedScreen
from ui.message_line import MessageLine


class LabelScreen(KeyedScreen):
    next_unit = Signal()
    new_parcel = Signal()
    reprint_requested = Signal()
    printed_confirmed = Signal()
    evidence_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.title = QLabel()
        self.title.setObjectName("title")
        self.preview = ImageView()
        self.message = MessageLine()
        # Apart from `message`, which the printer's news replaces: this must stay in view.
        self.exception_note = MessageLine()
        self.next_button = QPushButton("Next unit of this RMA  (Enter)")
        self.next_button.setObjectName("primary")
        self.parcel_button = QPushButton("New parcel  (Esc)")
        buttons = QHBoxLayout()
        buttons.addWidget(self.next_button)
        buttons.addWidget(self.parcel_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(40, 20, 40, 20)
        layout.addWidget(self.title)
        layout.addWidget(self.preview, 1)
        layout.addWidget(self.message)
        layout.addWidget(self.exception_note)
        layout.addLayout(buttons)

        self.next_button.clicked.connect(self.next)
        self.parcel_button.clicked.connect(self.new_parcel.emit)
        self.bind_keys(ENTER, self.next)
        self.bind_key(Qt.Key.Key_Escape, self.new_parcel.emit)
        self.bind_key(Qt.Key.Key_R, self.reprint_requested.emit)
        self.bind_key(Qt.Key.Key_Y, self.printed_confirmed.emit)
        self.bind_key(Qt.Key.Key_E, self.evidence_requested.emit)
        hint = QLabel("R reprints (a reason is asked) · Y confirms an unconfirmed label "
                      "printed · E writes the unit's evidence sheet (PDF)")
        hint.setObjectName("hint")
        layout.addWidget(hint)
        self.unit: FinalizedUnit | None = None
        self.rma_done = False

    def next(self) -> None:
        """Enter (or the bench card's Next): the RMA's next unit while it has one, else the
        next parcel, so that Enter never leads to a unit the RMA does not have (an
        over-return is a choice made on the RMA screen, not a key pressed once too often)."""
        if self.rma_done:
            self.new_parcel.emit()
        else:
            self.next_unit.emit()

    def show_label(self, unit: FinalizedUnit, png: bytes, *, rma_done: bool = False) -> None:
        """`rma_done`: every unit of the unit's RMA is now done."""
        self.unit = unit
        self.rma_done = rma_done
        self.next_button.setText("Next parcel  (Enter)" if rma_done else
                                 "Next unit of this RMA  (Enter)")
        self.parcel_button.setVisible(not rma_done)
        self.title.setText(f"Label for {unit.lpn}")
        self.preview.set_pixmap(QPixmap.fromImage(QImage.fromData(png)))
        self.message.ok(f"Saved: {unit.decision.disposition.value} → {unit.decision.destination}, "
                        f"refund {unit.decision.refund_text}. Stick the label on the unit.")
        if unit.exception_id is not None:
            self.exception_note.warning(
                "An exception was opened for a supervisor (the unit is flagged, e.g. a wrong "
                "item): it waits in the exception queue; take the unit where its label says.")
        else:
            self.exception_note.clear_message()
        self.next_button.setFocus()
