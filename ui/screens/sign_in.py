"""Sign in: pick your name, type your PIN, Enter. Works with the keyboard alone."""

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
    QWidget,
)

from station import signin
from station.context import StationContext
from station.permissions import Actor
from ui.background import Background
from ui.message_line import MessageLine


class SignInScreen(QWidget):
    signed_in = Signal(object)

    def __init__(self, ctx: StationContext, background: Background, *, demo: bool = False
                 ) -> None:
        super().__init__()
        self._ctx = ctx
        self._background = background
        title = QLabel("Sign in")
        title.setObjectName("title")
        hint = QLabel("Choose your name (arrow keys, Enter), then type your PIN and press Enter.")
        hint.setObjectName("hint")
        self.users = QListWidget()
        self.users.setMinimumWidth(420)
        self.pin = QLineEdit()
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setPlaceholderText("PIN")
        self.pin.setMaxLength(12)
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
        layout.addWidget(hint)
        layout.addLayout(row, 1)

        self.users.itemActivated.connect(lambda _item: self.pin.setFocus())
        self.pin.returnPressed.connect(self._submit)
        self.button.clicked.connect(self._submit)

    def reset(self) -> None:
        self.users.clear()
        for choice in signin.list_users(self._ctx):
            item = QListWidgetItem(f"{choice.display_name}  ·  {choice.role.value}")
            item.setData(Qt.ItemDataRole.UserRole, choice.username)
            self.users.addItem(item)
        if self.users.count():
            self.users.setCurrentRow(0)
        else:
            self.message.warning("No users yet. An administrator must create the first user.")
        self.pin.clear()
        self.message.clear_message()
        self.users.setFocus()

    def _submit(self) -> None:
        item = self.users.currentItem()
        if item is None:
            self.message.error("Choose your name in the list first.")
            self.users.setFocus()
            return
        username = str(item.data(Qt.ItemDataRole.UserRole))
        pin = self.pin.text()
        self.pin.clear()
        if not pin:
            self.message.error("Type your PIN, then press Enter.")
            self.pin.setFocus()
            return
        self.button.setEnabled(False)
        self._background.run(lambda: signin.sign_in(self._ctx, username, pin),
                             self._done, self._failed)

    def _done(self, actor: Actor) -> None:
        self.button.setEnabled(True)
        self.message.clear_message()
        self.signed_in.emit(actor)

    def _failed(self, error: Exception) -> None:
        self.button.setEnabled(True)
        self.message.error(str(error))
        self.pin.setFocus()
