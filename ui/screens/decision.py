"""The proposed disposition and refund with the reason; Enter confirms, Esc regrades."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from station.inspection import UnitDraft
from station.routing import Decision
from station.vocabulary import Grade
from ui.keyed_screen import ENTER, KeyedScreen
from ui.message_line import MessageLine


class DecisionScreen(KeyedScreen):
    confirmed = Signal()
    regrade = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.title = QLabel()
        self.title.setObjectName("title")
        self.disposition = QLabel()
        self.disposition.setObjectName("big")
        self.destination = QLabel()
        self.destination.setObjectName("destination")
        self.refund = QLabel()
        self.why = QLabel()
        self.why.setWordWrap(True)
        self.why.setObjectName("hint")
        self.why.setTextFormat(Qt.TextFormat.PlainText)
        self.message = MessageLine()
        self.confirm_button = QPushButton("Confirm  (Enter)")
        self.confirm_button.setObjectName("primary")
        self.back_button = QPushButton("Change grade  (Esc)")
        buttons = QHBoxLayout()
        buttons.addWidget(self.confirm_button)
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(40, 30, 40, 30)
        layout.addWidget(self.title)
        layout.addWidget(self.disposition)
        layout.addWidget(self.destination)
        layout.addSpacing(8)
        layout.addWidget(self.refund)
        layout.addWidget(self.why)
        layout.addStretch(1)
        layout.addWidget(self.message)
        layout.addLayout(buttons)

        self.confirm_button.clicked.connect(self.confirm)
        self.back_button.clicked.connect(self.regrade.emit)
        self.bind_keys(ENTER, self.confirm)
        self.bind_key(Qt.Key.Key_Escape, self.back)

    def show_decision(self, draft: UnitDraft, grade: Grade, decision: Decision) -> None:
        self.title.setText(f"Unit {draft.lpn}  ·  grade {grade.value} ({grade.meaning})")
        self.disposition.setText(decision.disposition.value.replace("_", " "))
        self.destination.setText(f"→ {decision.destination}")
        self.refund.setText(f"Refund: <b>{decision.refund_text}</b>")
        explanation = decision.explanation
        self.why.setText(
            f"Why: {explanation['disposition']}; {explanation['refund']}. "
            f"Rule {decision.rule_id} ({decision.rules_version})."
        )
        self.message.clear_message()
        self.set_busy(False)
        self.confirm_button.setFocus()

    def set_busy(self, busy: bool) -> None:
        self.confirm_button.setEnabled(not busy)
        self.back_button.setEnabled(not busy)
        if busy:
            self.message.warning("Saving the decision…")

    def back(self) -> None:
        if self.back_button.isEnabled():
            self.regrade.emit()

    def confirm(self) -> None:
        if self.confirm_button.isEnabled():
            self.confirmed.emit()
