"""First start: a station with no users asks for its first administrator, never a default."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout

from station.common.vocabulary import Role
from station.people import users
from station.people.pins import MAX_PIN_LENGTH, pin_rule
from station.people.users import UserInfo
from station.runtime.context import StationContext
from ui.keyed_screen import ENTER, KeyedScreen
from ui.message_line import MessageLine
from ui.tasks import TaskRunner


class FirstAdminScreen(KeyedScreen):
    created = Signal(object)

    def __init__(self, ctx: StationContext, background: TaskRunner) -> None:
        super().__init__()
        self._ctx = ctx
        self._background = background
        title = QLabel("Create the first administrator")
        title.setObjectName("title")
        hint = QLabel("This station has no users yet. The administrator adds everyone else "
                      f"(Station ▸ Users). Choose a PIN: {pin_rule(Role.ADMIN)}.")
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        self.username = QLineEdit()
        self.username.setPlaceholderText("e.g. ada")
        self.display_name = QLineEdit()
        self.display_name.setPlaceholderText("e.g. Ada Lovelace")
        self.pin = QLineEdit()
        self.pin_again = QLineEdit()
        for field in (self.pin, self.pin_again):
            field.setEchoMode(QLineEdit.EchoMode.Password)
            field.setMaxLength(MAX_PIN_LENGTH)
        self.button = QPushButton("Create administrator  (Enter)")
        self.button.setObjectName("primary")
        self.message = MessageLine()
        form = QFormLayout()
        form.addRow("User name", self.username)
        form.addRow("Full name", self.display_name)
        form.addRow("PIN", self.pin)
        form.addRow("PIN again", self.pin_again)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(40, 30, 40, 30)
        layout.addWidget(title)
        layout.addWidget(hint)
        layout.addLayout(form)
        layout.addWidget(self.button)
        layout.addWidget(self.message)
        layout.addStretch(1)
        self.button.clicked.connect(self._submit)
        self.bind_keys(ENTER, self._submit)
        if ctx.config.central.url:
            title.setText("Waiting for this station's people")
            hint.setText("This station syncs with a central database, which decides who may "
                         "act: nobody is created here. An admin adds people there "
                         "(returns-station central users add …); they appear here with the "
                         "next sync, and then you sign in.")
            for row in range(form.rowCount()):
                form.setRowVisible(row, False)
            self.button.hide()

    def start(self) -> None:
        self.username.setFocus()

    def _submit(self) -> None:
        if not self.button.isEnabled():
            return
        pin, again = self.pin.text(), self.pin_again.text()
        self.pin.clear()
        self.pin_again.clear()
        if pin != again:
            self.message.error("The two PINs differ. Type the PIN twice.")
            self.pin.setFocus()
            return
        username, name = self.username.text().strip(), self.display_name.text()
        self.button.setEnabled(False)
        self._background.run(
            lambda: users.create_first_admin(self._ctx, username=username, display_name=name,
                                             pin=pin),
            self._done, self._failed)

    def _done(self, info: UserInfo) -> None:
        self.button.setEnabled(True)
        self.created.emit(info)

    def _failed(self, error: Exception) -> None:
        self.button.setEnabled(True)
        self.message.error(str(error))
