"""Sign in: scan a badge, or choose your name and type your PIN. Keyboard only."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
)

from station.common.permissions import Actor
from station.people import signin
from station.people.pins import MAX_PIN_LENGTH
from station.runtime.context import StationContext
from ui.feedback import Tone
from ui.keyed_screen import KeyedScreen
from ui.message_line import MessageLine
from ui.tasks import TaskRunner


class SignInScreen(KeyedScreen):
    signed_in = Signal(object)
    tone = Signal(str)

    def __init__(self, ctx: StationContext, background: TaskRunner, *, demo: bool = False
                 ) -> None:
        super().__init__()
        self._ctx = ctx
        self._background = background
        self._wanted: str | None = None
        title = QLabel("Sign in")
        title.setObjectName("title")
        self.badge = QLineEdit()
        self.badge.setObjectName("scan")
        self.badge.setEchoMode(QLineEdit.EchoMode.Password)
        self.badge.setPlaceholderText("Scan your badge")
        self.badge.setMaxLength(64)
        hint = QLabel("Scan your badge, or press ↓ to choose your name, then type your PIN and "
                      "press Enter.")
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        self.users = QListWidget()
        self.users.setMinimumWidth(420)
        self.pin = QLineEdit()
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setPlaceholderText("PIN")
        self.pin.setMaxLength(MAX_PIN_LENGTH)
        self.button = QPushButton("Sign in")
        self.button.setObjectName("primary")
        self.message = MessageLine()
        demo_hint = QLabel("Demo station: press F1 for the demo sheet with every user's PIN and "
                           "the demo RMA numbers.")
        demo_hint.setObjectName("hint")
        demo_hint.setWordWrap(True)
        demo_hint.setVisible(demo)

        form = QVBoxLayout()
        form.addWidget(QLabel("PIN"))
        form.addWidget(self.pin)
        form.addWidget(self.button)
        form.addWidget(self.message)
        form.addWidget(demo_hint)
        form.addStretch(1)
        row = QHBoxLayout()
        row.addWidget(self.users, 1)
        row.addLayout(form, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(40, 30, 40, 30)
        layout.addWidget(title)
        layout.addWidget(self.badge)
        layout.addWidget(hint)
        layout.addLayout(row, 1)

        self.badge.returnPressed.connect(self._submit_badge)
        self.users.itemActivated.connect(lambda _item: self.pin.setFocus())
        self.pin.returnPressed.connect(self._submit)
        self.button.clicked.connect(self._submit)
        self.bind_key(Qt.Key.Key_Down, self.users.setFocus)

    def show_users(self, choices: list[signin.UserChoice]) -> None:
        """Fill the list (keeping the chosen name chosen); a name asked for by `select_user`
        before the list had it is chosen now."""
        item = self.users.currentItem()
        chosen = self._wanted or (str(item.data(Qt.ItemDataRole.UserRole)) if item else None)
        self.users.clear()
        for choice in choices:
            entry = QListWidgetItem(f"{choice.display_name}  ·  {choice.role.value}")
            entry.setData(Qt.ItemDataRole.UserRole, choice.username)
            self.users.addItem(entry)
        if self.users.count():
            self.users.setCurrentRow(0)
        if chosen is not None:
            self._choose(chosen)
        if self._wanted is not None and self._choose(self._wanted):
            self._wanted = None

    def reset(self, message: str | None = None) -> None:
        """Signed out: the names as last read at once, then read again (people may have
        been added or disabled meanwhile)."""
        self._wanted = None
        self.users.setCurrentRow(0 if self.users.count() else -1)
        self.pin.clear()
        self.badge.clear()
        if message:
            self.message.warning(message)
        else:
            self.message.clear_message()
        self.badge.setFocus()
        ctx = self._ctx
        self._background.run(lambda: signin.list_users(ctx), self.show_users,
                             lambda error: self.message.failed(error), shows_busy=False)

    def select_user(self, username: str) -> None:
        """Choose `username` and go to the PIN; a name not read yet is chosen when it is."""
        self.pin.setFocus()
        if not self._choose(username):
            self._wanted = username

    def _choose(self, username: str) -> bool:
        for row in range(self.users.count()):
            if self.users.item(row).data(Qt.ItemDataRole.UserRole) == username:
                self.users.setCurrentRow(row)
                return True
        return False

    def _submit_badge(self) -> None:
        code = self.badge.text().strip()
        self.badge.clear()
        if not code:
            self.users.setFocus()
            return
        self.submit_badge(code)

    def submit_badge(self, code: str) -> None:
        self._busy(True)
        self._background.run(lambda: signin.sign_in_with_badge(self._ctx, code),
                             self._done, self._failed)

    def _submit(self) -> None:
        item = self.users.currentItem()
        username = str(item.data(Qt.ItemDataRole.UserRole)) if item is not None else self._wanted
        if username is None:
            self.message.error("Choose your name in the list first.")
            self.users.setFocus()
            return
        pin = self.pin.text()
        self.pin.clear()
        if not pin:
            self.message.error("Type your PIN, then press Enter.")
            self.pin.setFocus()
            return
        self._busy(True)
        self._background.run(lambda: signin.sign_in(self._ctx, username, pin),
                             self._done, self._failed)

    def _busy(self, busy: bool) -> None:
        self.button.setEnabled(not busy)
        self.badge.setEnabled(not busy)

    def _done(self, actor: Actor) -> None:
        self._busy(False)
        self.message.clear_message()
        self.signed_in.emit(actor)

    def _failed(self, error: Exception) -> None:
        self.tone.emit(Tone.ERROR)
        self._busy(False)
        self.message.error(str(error))
        if self.users.currentItem() is not None and not self.badge.hasFocus():
            self.pin.setFocus()
        else:
            self.badge.setFocus()
