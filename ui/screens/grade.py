"""Grading a unit: one key per grade (A B C D X, or 1-5), with what each grade means."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QLabel, QPushButton, QVBoxLayout

from station.inspection import UnitDraft
from station.money import format_minor
from station.vocabulary import Category, Grade, Reason
from ui.keyed_screen import KeyedScreen


class GradeButton(QPushButton):
    """A large target: the grade letter big, what it means small beneath it."""

    def __init__(self, grade: Grade) -> None:
        super().__init__()
        self.setObjectName("grade")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName(f"Grade {grade.value}: {grade.meaning}")
        letter = QLabel(grade.value)
        letter.setObjectName("gradeLetter")
        meaning = QLabel(grade.meaning)
        meaning.setObjectName("gradeMeaning")
        meaning.setWordWrap(True)
        layout = QVBoxLayout(self)
        for label in (letter, meaning):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            layout.addWidget(label)


class GradeScreen(KeyedScreen):
    graded = Signal(object)
    cancelled = Signal()

    def __init__(self) -> None:
        super().__init__()
        self._draft: UnitDraft | None = None
        self.title = QLabel()
        self.title.setObjectName("title")
        self.item = QLabel()
        self.item.setWordWrap(True)
        hint = QLabel("Press the grade's letter or number. Esc puts the unit back.")
        hint.setObjectName("hint")
        grid = QGridLayout()
        self.buttons: dict[Grade, QPushButton] = {}
        for index, grade in enumerate(Grade):
            button = GradeButton(grade)
            button.clicked.connect(lambda _checked=False, g=grade: self.choose(g))
            grid.addWidget(button, 0, index)
            self.buttons[grade] = button
            keys = (Qt.Key(ord(grade.value)), Qt.Key(Qt.Key.Key_1 + index))
            self.bind_keys(keys, lambda g=grade: self.choose(g))
        self.bind_key(Qt.Key.Key_Escape, self.cancelled.emit)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(40, 30, 40, 30)
        layout.addWidget(self.title)
        layout.addWidget(self.item)
        layout.addSpacing(16)
        layout.addLayout(grid)
        layout.addWidget(hint)
        layout.addStretch(1)

    def show_unit(self, draft: UnitDraft) -> None:
        self._draft = draft
        self.title.setText(f"Unit {draft.lpn}  ·  grade it")
        self.item.setText(
            f"<b>{escape(draft.sku)}</b> — {escape(draft.description)}<br>"
            f"{Category(draft.category).label} · customer says: "
            f"{Reason(draft.reason).label} · paid "
            f"{format_minor(draft.unit_price_minor, draft.currency)} · RMA "
            f"{escape(draft.rma_number)}"
        )
        self.buttons[Grade.A].setFocus()

    def choose(self, grade: Grade) -> None:
        if self._draft is not None and self.isVisible():
            self.graded.emit(grade)
