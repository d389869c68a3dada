"""User administration for the admin: add, disable/enable, reset PIN, change role, issue badge.

Every change is one call into `station.people.users`, which checks MANAGE_USERS itself; this dialog
only shows what the core did or why it refused. Core calls run on the `TaskRunner`, so
hashing a PIN never freezes the screen. A PIN lives in this module only between the form
and the core call: it is never logged, shown, or put in a title or object name.

Keyboard: ↑ ↓ choose a user, Alt + the underlined letter acts on them, Tab and Enter work
on the buttons, Esc closes. The sub-forms accept with Enter and cancel with Esc.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLayout,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from station.common.errors import UserFacingError
from station.common.permissions import Actor
from station.common.vocabulary import Role
from station.people import users
from station.people.pins import (
    MAX_PIN_LENGTH,
    PinPolicyError,
    check_pin_policy,
    needs_new_pin,
    pin_rule,
)
from station.people.users import UserInfo
from station.runtime.context import StationContext
from ui.barcode_view import BarcodeView
from ui.message_line import MessageLine
from ui.tasks import TaskRunner

T = TypeVar("T")

COLUMNS = ("User name", "Name", "Role", "State", "Badge")
BADGE_BARCODE_SIZE = QSize(640, 180)
_ENTER = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


@dataclass(frozen=True)
class NewUser:
    """What the add-user form collected; the PIN is kept out of repr (and so out of logs)."""

    username: str
    display_name: str
    role: Role
    pin: str = field(repr=False)


def user_state(info: UserInfo, now: datetime) -> str:
    """The State column: active, disabled, or locked until HH:MM in local time."""
    if not info.active:
        return "disabled"
    if info.locked_until is not None and info.locked_until > now:
        return f"locked until {info.locked_until.astimezone():%H:%M}"
    return "active"


def _a(role: Role) -> str:
    return ("an " if role.value[:1] in "aeiou" else "a ") + role.value


def _pin_field() -> QLineEdit:
    pin = QLineEdit()
    pin.setEchoMode(QLineEdit.EchoMode.Password)
    pin.setMaxLength(MAX_PIN_LENGTH)
    pin.setInputMethodHints(Qt.InputMethodHint.ImhDigitsOnly
                            | Qt.InputMethodHint.ImhSensitiveData
                            | Qt.InputMethodHint.ImhNoPredictiveText)
    return pin


def _role_combo(current: Role) -> QComboBox:
    combo = QComboBox()
    for role in Role:
        combo.addItem(role.value, role.value)
    combo.setCurrentIndex(combo.findData(current.value))
    return combo


def _hint(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("hint")
    label.setWordWrap(True)
    return label


class _PinPair:
    """A PIN typed twice; checked against the core's PIN policy for the role it is for
    (`role()`: a supervisor or admin needs a longer PIN) before any core call."""

    def __init__(self, role: Callable[[], Role]) -> None:
        self.pin = _pin_field()
        self.pin_again = _pin_field()
        self.role = role

    def refusal(self) -> str | None:
        """Why the two fields cannot be used (and clears them), or None when they can."""
        pin, again = self.pin.text(), self.pin_again.text()
        problem: str | None = None
        if pin != again:
            problem = "The two PINs differ. Type the same PIN twice."
        else:
            try:
                check_pin_policy(pin, self.role())
            except PinPolicyError as error:
                problem = f"PIN refused: {error}."
        if problem is not None:
            self.pin.clear()
            self.pin_again.clear()
            self.pin.setFocus()
        return problem


class _Form(QDialog):
    """A small modal form: fields, a message line, OK (Enter) and Cancel (Esc)."""

    def __init__(self, title: str, ok_text: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(560)
        self.form = QFormLayout()
        self.message = MessageLine()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(ok_text)
        self.ok_button.setObjectName("primary")
        self.ok_button.setDefault(True)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self._layout = QVBoxLayout(self)
        self._layout.addLayout(self.form)
        self._layout.addWidget(self.message)
        self._layout.addWidget(self.buttons)


class _PinCheckedForm(_Form):
    """A form with a new PIN typed twice: refused here, before the core, if they differ."""

    _pins: _PinPair

    def accept(self) -> None:
        problem = self._pins.refusal()
        if problem is not None:
            self.message.error(problem)
            return
        super().accept()


class UserForm(_PinCheckedForm):
    """Add a user: user name, display name, role and the PIN twice.

    The names are checked here by the core's own rules (`users.check_username`,
    `users.clean_display_name`) and against the names already in the list (`taken`) before
    the form closes: a refusal is shown in the form, which stays open with everything typed,
    the PINs included. The core checks again when the user is created.
    """

    def __init__(self, parent: QWidget | None = None, *, username: str = "",
                 display_name: str = "", role: Role = Role.CLERK,
                 taken: frozenset[str] = frozenset()) -> None:
        super().__init__("Add user", "Add user", parent)
        self._taken = taken
        self.username = QLineEdit(username)
        self.username.setPlaceholderText("e.g. gus")
        self.username.setMaxLength(users.USERNAME_MAX_LENGTH)
        self.display_name = QLineEdit(display_name)
        self.display_name.setPlaceholderText("e.g. Gus Grader")
        self.display_name.setMaxLength(100)
        self.role = _role_combo(role)
        self._pins = _PinPair(lambda: Role(self.role.currentData()))
        self.pin, self.pin_again = self._pins.pin, self._pins.pin_again
        self.form.addRow("User &name", self.username)
        self.form.addRow("&Full name", self.display_name)
        self.form.addRow("&Role", self.role)
        self.form.addRow("&PIN", self.pin)
        self.form.addRow("PIN &again", self.pin_again)
        self.hint = _hint("")
        self._layout.insertWidget(0, self.hint)
        self.role.currentIndexChanged.connect(self._show_rule)
        self._show_rule()
        self.username.setFocus()

    def _show_rule(self) -> None:
        rule = pin_rule(Role(self.role.currentData()))
        self.hint.setText(f"A user name is {users.USERNAME_RULE}, e.g. gus. "
                          f"{rule[0].upper()}{rule[1:]}; tell it to the person in private.")

    def accept(self) -> None:
        """Refuse a user name or full name the core would refuse, keeping the form open
        and filled in; then the PINs."""
        username = self.username.text().strip()
        field, problem = self.username, None
        try:
            users.check_username(username)
            if username in self._taken:
                raise users.name_taken(username)
            field = self.display_name
            users.clean_display_name(self.display_name.text())
        except users.UserError as error:
            problem = str(error)
        if problem is not None:
            self.message.error(problem)
            field.setFocus()
            return
        super().accept()

    def new_user(self) -> NewUser:
        return NewUser(self.username.text().strip(), self.display_name.text(),
                       Role(self.role.currentData()), self.pin.text())


class PinForm(_PinCheckedForm):
    """Reset a PIN: the new PIN twice, by the rule of the user's role, or of the role the
    user is being given (`for_role`: a promotion to supervisor or admin needs a longer PIN)."""

    def __init__(self, info: UserInfo, parent: QWidget | None = None, *,
                 for_role: Role | None = None) -> None:
        role = for_role or info.role
        title = (f"New PIN for {info.display_name} as {role.value}" if for_role
                 else f"Reset PIN of {info.display_name}")
        super().__init__(title, "Set PIN", parent)
        self._pins = _PinPair(lambda: role)
        self.pin, self.pin_again = self._pins.pin, self._pins.pin_again
        self.form.addRow("New &PIN", self.pin)
        self.form.addRow("PIN &again", self.pin_again)
        why = (f"Making {info.display_name} {_a(role)} needs a new PIN: " if for_role
               else f"A new PIN for {info.display_name} ({info.username}): ")
        self._layout.insertWidget(0, _hint(f"{why}{pin_rule(role)}. It also lifts a lockout "
                                           "after wrong PINs."))
        self.pin.setFocus()

    def new_pin(self) -> str:
        return self.pin.text()


class RoleForm(_Form):
    """Change a role: one combo box, preset to the current role."""

    def __init__(self, info: UserInfo, parent: QWidget | None = None) -> None:
        super().__init__(f"Change role of {info.display_name}", "Change role", parent)
        self.role = _role_combo(info.role)
        self.form.addRow("&Role", self.role)
        self._layout.insertWidget(0, _hint(
            f"{info.display_name} is {_a(info.role)} now. Each role may do everything the "
            "roles above it in the list may."))
        self.role.setFocus()

    def chosen_role(self) -> Role:
        return Role(self.role.currentData())


class BadgeDialog(QDialog):
    """A new badge, shown once: its code and a barcode to print or save now.

    The barcode has a fixed size (`BADGE_BARCODE_SIZE`, big enough to scan off the screen
    and in the saved PNG) and the dialog is sized by its layout, word-wrapped messages
    included (`SetFixedSize` counts a wrapped label's height for the width it gets): a long
    "Saved …" message adds lines below the code and grows the dialog, instead of squeezing
    the barcode until the code drawn under its bars runs into the code printed below it.
    """

    def __init__(self, info: UserInfo, code: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._username = info.username
        self.setWindowTitle(f"New badge for {info.display_name}")
        title = QLabel(f"Badge for {info.display_name}")
        title.setObjectName("title")
        warning = MessageLine()
        warning.warning("This badge is shown only once: print it or save it now. Any earlier "
                        f"badge of {info.display_name} no longer works.")
        self.code_label = QLabel(code)
        self.code_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                                | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.code_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.barcode = BarcodeView()
        self.barcode.setMinimumSize(BADGE_BARCODE_SIZE)
        self.barcode.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.barcode.setFixedHeight(BADGE_BARCODE_SIZE.height())
        self.barcode.set_text(code)
        self.save_button = QPushButton("&Save as PNG…")
        self.save_button.setObjectName("primary")
        self.close_button = QPushButton("Close")
        self.message = MessageLine()
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.setSizeConstraint(QLayout.SizeConstraint.SetFixedSize)
        layout.addWidget(title)
        layout.addWidget(warning)
        layout.addWidget(self.barcode)
        layout.addWidget(self.code_label)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.save_button.clicked.connect(self.save_png)
        self.close_button.clicked.connect(self.accept)
        self.save_button.setDefault(True)
        self.save_button.setFocus()

    def save_png(self) -> None:
        chosen, _filter = QFileDialog.getSaveFileName(
            self, "Save badge as PNG", str(Path.home() / f"badge-{self._username}.png"),
            "PNG image (*.png)")
        if not chosen:
            return
        path = Path(chosen)
        if path.suffix.lower() != ".png":
            path = path.with_name(path.name + ".png")
        if self.barcode.grab().save(str(path), "PNG"):
            self.message.ok(f"Saved {path}. Print it now and then delete the file: anyone "
                            "holding it can sign in.")
        else:
            self.message.error(f"Could not save {path}. Choose another folder.")


class UsersDialog(QDialog):
    """The admin's list of users and the changes they may make to them."""

    def __init__(self, ctx: StationContext, actor: Actor, background: TaskRunner,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._actor = actor
        self._background = background
        self.users: list[UserInfo] = []
        self._pending = 0
        self._generation = 0
        self._add_draft: tuple[str, str, Role] | None = None
        self.setWindowTitle("Users")
        self.resize(1100, 640)

        title = QLabel("Users")
        title.setObjectName("title")
        self.central_directory = bool(ctx.config.central.url)
        hint = _hint(
            "People are managed in the central database, which decides who may act; "
            "this list is this station's copy, brought by sync. An admin changes it with "
            "returns-station central users …" if self.central_directory else
            "↑ ↓ choose a user; Alt + the underlined letter acts on them; "
            "Esc closes. Every change is recorded in the audit trail.")
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("compact")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)

        self.add_button = QPushButton("&Add user…")
        self.add_button.setObjectName("primary")
        self.toggle_button = QPushButton("&Disable")
        self.reset_pin_button = QPushButton("Reset &PIN…")
        self.role_button = QPushButton("Change &role…")
        self.badge_button = QPushButton("Issue &badge…")
        self.close_button = QPushButton("Close")
        side = QVBoxLayout()
        for button in (self.add_button, self.toggle_button, self.reset_pin_button,
                       self.role_button, self.badge_button):
            button.setAutoDefault(False)
            button.setMinimumWidth(220)
            side.addWidget(button)
        side.addStretch(1)
        self.close_button.setAutoDefault(False)
        side.addWidget(self.close_button)
        body = QHBoxLayout()
        body.addWidget(self.table, 1)
        body.addLayout(side)
        self.message = MessageLine()
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(hint)
        layout.addLayout(body, 1)
        layout.addWidget(self.message)

        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.add_button.clicked.connect(self.add_user)
        self.toggle_button.clicked.connect(self.toggle_active)
        self.reset_pin_button.clicked.connect(self.reset_pin)
        self.role_button.clicked.connect(self.change_role)
        self.badge_button.clicked.connect(self.issue_badge)
        self.close_button.clicked.connect(self.accept)
        self.table.setFocus()
        self.refresh()

    # --- state -------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        """True while a core call of this dialog is running."""
        return self._pending > 0

    def selected(self) -> UserInfo | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or not 0 <= rows[0].row() < len(self.users):
            return None
        return self.users[rows[0].row()]

    def select_user(self, username: str) -> bool:
        for row, info in enumerate(self.users):
            if info.username == username:
                self.table.selectRow(row)
                return True
        return False

    def _update_buttons(self) -> None:
        info = self.selected()
        idle = not self.busy and not self.central_directory
        self.add_button.setEnabled(idle)
        for button in (self.toggle_button, self.reset_pin_button, self.role_button,
                       self.badge_button):
            button.setEnabled(idle and info is not None)
        self.toggle_button.setText("&Enable" if info is not None and not info.active
                                   else "&Disable")

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Enter presses the focused button and nothing else: no hidden default action, and
        # never closing the dialog by accident.
        if event.key() in _ENTER:
            focused = self.focusWidget()
            if isinstance(focused, QPushButton) and focused.isEnabled():
                focused.click()
            event.accept()
            return
        super().keyPressEvent(event)

    # --- running core calls -------------------------------------------------------------

    def _run(self, work: Callable[[], T], on_done: Callable[[T], None],
             on_error: Callable[[Exception], None] | None = None) -> None:
        self._pending += 1
        self._update_buttons()

        def done(result: T) -> None:
            if not isValid(self):
                return
            self._pending -= 1
            on_done(result)
            self._update_buttons()

        def failed(error: Exception) -> None:
            if not isValid(self):
                return
            self._pending -= 1
            if isinstance(error, UserFacingError):
                self.message.error(str(error))
            else:
                self.message.error(f"Something went wrong ({error.__class__.__name__}); "
                                   "nothing was changed. Try again or call a supervisor.")
            if on_error is not None:
                on_error(error)
            self._update_buttons()

        self._background.run(work, done, failed)

    def refresh(self, select: str | None = None) -> None:
        """Reload the list from the core; keeps (or moves to) the given user's row."""
        current = self.selected()
        keep = select or (current.username if current else None)
        self._generation += 1
        generation = self._generation
        ctx, actor = self._ctx, self._actor
        self._run(lambda: users.list_all(ctx, actor),
                  lambda rows: self._show_users(rows, generation, keep))

    def _show_users(self, rows: list[UserInfo], generation: int, keep: str | None) -> None:
        if generation != self._generation:
            return  # an older refresh finished after a newer one
        now = self._ctx.clock()
        self.users = rows
        self.table.setRowCount(len(rows))
        for row, info in enumerate(rows):
            for column, text in enumerate((
                info.username, info.display_name, info.role.value, user_state(info, now),
                "yes" if info.has_badge else "no",
            )):
                self.table.setItem(row, column, QTableWidgetItem(text))
        if rows and not (keep and self.select_user(keep)):
            self.table.selectRow(0)
        self._update_buttons()

    def _changed(self, info: UserInfo, text: str) -> None:
        self.message.ok(text)
        self.refresh(select=info.username)
        self.table.setFocus()

    # --- the actions ----------------------------------------------------------------------

    def add_user(self) -> None:
        if self.busy:
            return
        new = self._ask_new_user()
        if new is None:
            return
        ctx, actor = self._ctx, self._actor

        def refused(_error: Exception) -> None:
            self._add_draft = (new.username, new.display_name, new.role)

        def added(info: UserInfo) -> None:
            self._add_draft = None
            self._changed(info, f"{info.display_name} is added as {_a(info.role)} and can "
                                "sign in with the new PIN.")

        self._run(lambda: users.create_user(ctx, actor, username=new.username,
                                            display_name=new.display_name, role=new.role,
                                            pin=new.pin),
                  added, refused)

    def toggle_active(self) -> None:
        info = self.selected()
        if info is None or self.busy:
            return
        ctx, actor, active = self._ctx, self._actor, not info.active
        self._run(lambda: users.set_active(ctx, actor, info.username, active),
                  lambda new: self._changed(
                      new, f"{new.display_name} is now {'enabled' if new.active else 'disabled'}."))

    def reset_pin(self) -> None:
        info = self.selected()
        if info is None or self.busy:
            return
        pin = self._ask_pin(info)
        if pin is None:
            return
        ctx, actor = self._ctx, self._actor
        self._run(lambda: users.reset_pin(ctx, actor, info.username, pin),
                  lambda new: self._changed(
                      new, f"{new.display_name} has a new PIN; any lockout is lifted."))

    def change_role(self) -> None:
        info = self.selected()
        if info is None or self.busy:
            return
        role = self._ask_role(info)
        if role is None or role == info.role:
            return
        pin: str | None = None
        if needs_new_pin(info.role, role):
            pin = self._ask_pin(info, for_role=role)
            if pin is None:
                return
        ctx, actor = self._ctx, self._actor
        self._run(lambda: users.set_role(ctx, actor, info.username, role, new_pin=pin),
                  lambda new: self._changed(new, f"{new.display_name} is now {_a(new.role)}."))

    def issue_badge(self) -> None:
        info = self.selected()
        if info is None or self.busy:
            return
        if info.has_badge and not self._confirm_replace_badge(info):
            return
        self._issue_badge(info, replacing=info.has_badge)

    def _issue_badge(self, info: UserInfo, *, replacing: bool) -> None:
        """Issue a badge; replacing one only after the question. A badge the list did not
        show (issued since it was read) is refused by the core (BadgeExists): then the list
        is read again and the question asked before anything is replaced."""
        ctx, actor = self._ctx, self._actor

        def refused(error: Exception) -> None:
            if not isinstance(error, users.BadgeExists):
                return
            self.refresh(select=info.username)
            if self._confirm_replace_badge(info):
                self._issue_badge(info, replacing=True)

        self._run(lambda: users.issue_badge(ctx, actor, info.username, replacing=replacing),
                  lambda code: self._badge_issued(info, code), refused)

    def _badge_issued(self, info: UserInfo, code: str) -> None:
        self._changed(info, f"{info.display_name} has a new badge; any earlier badge no "
                            "longer works.")
        self._show_badge(info, code)

    # --- the questions (modal; tests may drive them with QTimer or replace them) ----------

    def _ask_new_user(self) -> NewUser | None:
        username, display_name, role = self._add_draft or ("", "", Role.CLERK)
        form = UserForm(self, username=username, display_name=display_name, role=role,
                        taken=frozenset(info.username for info in self.users))
        try:
            return form.new_user() if form.exec() == QDialog.DialogCode.Accepted else None
        finally:
            form.deleteLater()

    def _ask_pin(self, info: UserInfo, *, for_role: Role | None = None) -> str | None:
        form = PinForm(info, self, for_role=for_role)
        try:
            return form.new_pin() if form.exec() == QDialog.DialogCode.Accepted else None
        finally:
            form.deleteLater()

    def _ask_role(self, info: UserInfo) -> Role | None:
        form = RoleForm(info, self)
        try:
            return form.chosen_role() if form.exec() == QDialog.DialogCode.Accepted else None
        finally:
            form.deleteLater()

    def _confirm_replace_badge(self, info: UserInfo) -> bool:
        answer = QMessageBox.question(
            self, "Replace badge",
            f"{info.display_name} already has a badge. Issue a new one? The old badge stops "
            "working at once.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def _show_badge(self, info: UserInfo, code: str) -> None:
        dialog = BadgeDialog(info, code, self)
        dialog.exec()
        dialog.deleteLater()
