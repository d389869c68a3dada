"""The proposed disposition and refund, why, and the alternatives with their estimates.

Enter confirms. 1–9 picks another allowed disposition (a reason is asked on the screen).
A HELD refund can be approved on the spot: the supervisor scans their badge (the way the
screen offers first), or presses S and signs with name and PIN, then gives the reason;
otherwise it waits in the supervisor's queue. Esc goes back to the inspection (or cancels
what is being asked).

Signing with a PIN starts with no name chosen and the focus on the name box: a PIN is
checked only against a name the supervisor chose themselves (↑↓ or a letter, then Enter or
Tab to the PIN), so a PIN typed at once is refused here and counts against nobody; a
preselected name would have let one person's wrong PINs lock another out.
"""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from station.common.money import format_minor
from station.common.permissions import Action, Actor, allowed
from station.common.vocabulary import Disposition, Grade, RefundAction
from station.inspection.finalize import BenchApproval, Override, UnitDraft
from station.people import signin
from station.routing.rules import Decision
from station.runtime.context import StationContext
from ui.keyed_screen import ENTER, KeyedScreen
from ui.message_line import MessageLine
from ui.screens.inspection import FieldEdit
from ui.tasks import TaskRunner

COLUMNS = ("", "Disposition", "Destination", "Expected recovery")


def named(disposition: Disposition | str, *, first: bool = False) -> str:
    """A disposition in words ("open box", not OPEN_BOX): the screen never shows the
    identifier; `first` capitalises it to start a sentence or a cell."""
    label = Disposition(disposition).label
    return label[:1].upper() + label[1:] if first else label


class DecisionScreen(KeyedScreen):
    confirmed = Signal()
    regrade = Signal()

    def __init__(self, ctx: StationContext, background: TaskRunner) -> None:
        super().__init__()
        self._ctx = ctx
        self._background = background
        self.decision: Decision | None = None
        self.override: Override | None = None
        self.approval: BenchApproval | None = None
        self._approver: Actor | None = None
        self._pending: Disposition | None = None
        self._mode = ""

        self.title = QLabel()
        self.title.setObjectName("subtitle")
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.disposition = QLabel()
        self.disposition.setObjectName("big")
        self.destination = QLabel()
        self.destination.setObjectName("destination")
        self.refund = QLabel()
        self.refund.setWordWrap(True)
        self.refund.setTextFormat(Qt.TextFormat.PlainText)
        self.why = QLabel()
        self.why.setWordWrap(True)
        self.why.setObjectName("hint")
        self.why.setTextFormat(Qt.TextFormat.PlainText)
        self.options = QTableWidget(0, len(COLUMNS))
        self.options.setObjectName("compact")
        self.options.setHorizontalHeaderLabels(COLUMNS)
        self.options.verticalHeader().setVisible(False)
        self.options.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.options.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.options.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        header = self.options.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.options.setMaximumHeight(200)
        self.not_allowed = QLabel()
        self.not_allowed.setObjectName("hint")
        self.not_allowed.setWordWrap(True)
        self.not_allowed.setTextFormat(Qt.TextFormat.PlainText)
        self.held = QLabel()
        self.held.setObjectName("panel")
        self.held.setWordWrap(True)
        self.held.setTextFormat(Qt.TextFormat.PlainText)
        self.supervisors = QComboBox()
        self.supervisors.setPlaceholderText("Choose your name (↑↓)")
        self.supervisors.setMinimumWidth(280)
        self.pin = QLineEdit()
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setPlaceholderText("Supervisor PIN, then Enter")
        self.pin.setMaxLength(12)
        self.pin.returnPressed.connect(self._check_pin)
        signer = QHBoxLayout()
        signer.addWidget(self.supervisors)
        signer.addWidget(self.pin)
        self.signer = QWidget()
        self.signer.setLayout(signer)
        self.reason = FieldEdit()
        self.reason.setMaxLength(300)
        self.reason.returnPressed.connect(self._reason_entered)
        self.message = MessageLine()
        self.confirm_button = QPushButton("Confirm  (Enter)")
        self.confirm_button.setObjectName("primary")
        self.back_button = QPushButton("Back to the inspection  (Esc)")
        buttons = QHBoxLayout()
        buttons.addWidget(self.confirm_button)
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        keys = QLabel("Enter confirms · 1–9 chooses another allowed disposition (a reason is "
                      "asked) · held refund: the supervisor scans their badge (or S for name "
                      "+ PIN) · Esc back")
        keys.setObjectName("hint")
        keys.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(40, 24, 40, 24)
        for widget in (self.title, self.disposition, self.destination, self.why,
                       self.options, self.not_allowed, self.refund, self.held, self.signer,
                       self.reason):
            layout.addWidget(widget)
        layout.addStretch(1)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        layout.addWidget(keys)

        self.confirm_button.clicked.connect(self.confirm)
        self.back_button.clicked.connect(self.back)
        self.bind_keys(ENTER, self._enter)
        self.bind_key(Qt.Key.Key_Escape, self.back)
        self.bind_key(Qt.Key.Key_S, self.ask_pin)
        for index in range(9):
            self.bind_key(Qt.Key(Qt.Key.Key_1 + index), partial(self.choose, index))

    # -- showing

    def show_decision(self, draft: UnitDraft, grade: Grade, decision: Decision) -> None:
        self.decision = decision
        self.override, self.approval, self._approver, self._pending = None, None, None, None
        self.title.setText(f"Unit {draft.lpn}  ·  grade {grade.value} ({grade.meaning})  ·  "
                           f"rules {decision.rules_version}")
        self._end_mode()
        self._show()
        self.message.clear_message()
        self.set_busy(False)
        self.setFocus()

    def _show(self) -> None:
        decision = self.decision
        if decision is None:
            return
        chosen = self.override.disposition if self.override else decision.disposition
        destination = (self._ctx.config.destinations.get(chosen, chosen.value)
                       if self.override else decision.destination)
        self.disposition.setText(named(chosen, first=True))
        self.destination.setText(f"→ {destination}")
        explanation = decision.explanation
        why = f"Why: {explanation.get('disposition', '')}."
        if self.override is not None:
            why = (f"Chosen by the grader instead of {named(decision.disposition)}: "
                   f"{self.override.reason}. (Rules: {explanation.get('disposition', '')}.)")
        self.why.setText(why)
        options = decision.options
        self.options.setRowCount(len(options))
        for row, option in enumerate(options):
            mark = "✓" if option["disposition"] == chosen.value else str(row + 1)
            values = (mark, named(option["disposition"], first=True),
                      self._ctx.config.destinations.get(option["disposition"],
                                                        option["disposition"]),
                      option["estimate"])
            for column, value in enumerate(values):
                self.options.setItem(row, column, QTableWidgetItem(value))
        reasons: dict[str, list[str]] = {}
        for item in explanation.get("not_allowed", []):
            reasons.setdefault(item["why"], []).append(named(item["disposition"]))
        self.not_allowed.setText("Not allowed: " + "; ".join(
            f"{', '.join(names)} — {why_not}" for why_not, names in reasons.items()))
        refund = explanation.get("refund", {})
        text = f"Refund: {decision.refund_summary} — {refund.get('why', '')}"
        if self.approval is not None and decision.if_approved is not None:
            action, amount = decision.if_approved
            text = (f"Refund: {action.label} {format_minor(amount, decision.currency)}, "
                    f"approved by {self.approval.supervisor.display_name}: "
                    f"{self.approval.reason}")
        self.refund.setText(text)
        held = decision.refund_action is RefundAction.HELD and self.approval is None
        self.held.setVisible(held)
        if held:
            self.held.setText("The refund is held for a supervisor. To approve it now, the "
                              "supervisor scans their badge (or presses S to sign with name "
                              "and PIN). Enter confirms and leaves it in the supervisor's "
                              "queue.")

    def set_busy(self, busy: bool) -> None:
        self.confirm_button.setEnabled(not busy)
        self.back_button.setEnabled(not busy)
        if busy:
            self.message.warning("Saving the decision…")

    # -- overriding the disposition

    def choose(self, index: int) -> None:
        decision = self.decision
        if decision is None or self._mode:
            return
        options = decision.options
        if index >= len(options):
            self.message.error(f"There are {len(options)} allowed disposition(s); press 1–"
                               f"{len(options)}.")
            return
        disposition = Disposition(options[index]["disposition"])
        if disposition is decision.disposition:
            self.override = None
            self._show()
            self.message.ok(f"{named(disposition, first=True)}, as the rules propose.")
            return
        self._pending = disposition
        self._ask(f"Why {named(disposition)} and not {named(decision.disposition)}? Type, "
                  "then Enter (Esc cancels)", "override")

    # -- approving a held refund

    def awaiting_approval(self) -> bool:
        decision = self.decision
        return (decision is not None and decision.refund_action is RefundAction.HELD
                and self.approval is None and self.isVisible())

    def ask_pin(self) -> None:
        """S: a supervisor signs with their PIN; the names offered are read first."""
        if not self.awaiting_approval() or self._mode:
            return
        self._mode = "pin"
        ctx = self._ctx
        self._background.run(lambda: signin.list_users(ctx), self._offer_supervisors,
                             self.approval_failed)

    def _offer_supervisors(self, people: list[signin.UserChoice]) -> None:
        """The names that may approve, none of them chosen: the focus is on the name box."""
        if self._mode != "pin":
            return
        self.supervisors.clear()
        for user in people:
            if allowed(user.role, Action.APPROVE_REFUND):
                self.supervisors.addItem(f"{user.display_name} ({user.role.value})",
                                         user.username)
        if self.supervisors.count() == 0:
            self._end_mode()
            self.message.error("No supervisor or administrator can sign in on this station; "
                               "Enter confirms and leaves the refund in the supervisor's "
                               "queue.")
            return
        self.supervisors.setCurrentIndex(-1)
        self.signer.setVisible(True)
        self.pin.clear()
        self.supervisors.setFocus()
        self.message.warning("Supervisor: scan your badge to approve. Or choose your name "
                             "(↑↓), Enter, then your PIN and Enter.")

    def _enter(self) -> None:
        """Enter confirms, except while signing with a PIN: on the name box it moves on to
        the PIN (the PIN field handles its own Enter)."""
        if self._mode == "pin":
            if self.supervisors.hasFocus():
                self._name_entered()
            return
        self.confirm()

    def _name_entered(self) -> None:
        if self.supervisors.currentIndex() < 0:
            self._choose_a_name_first()
            return
        self.pin.setFocus()

    def _choose_a_name_first(self) -> None:
        self.supervisors.setFocus()
        self.message.error("Choose your name first (↑↓, then Enter), or scan your badge: a PIN "
                           "is checked only against the name you chose.")

    def _check_pin(self) -> None:
        """Sign the chosen supervisor in with the PIN typed; with no name chosen the PIN is
        refused here, never tried against anyone (so it counts against nobody)."""
        pin = self.pin.text()
        self.pin.clear()
        if self._mode != "pin":
            return
        username = (self.supervisors.currentData()
                    if self.supervisors.currentIndex() >= 0 else None)
        if not username:
            self._choose_a_name_first()
            return
        self._background.run(lambda: signin.sign_in(self._ctx, str(username), pin),
                             self.approver_signed, self.approval_failed)

    def approver_signed(self, actor: Actor) -> None:
        """A supervisor proved who they are (badge or PIN): now the reason."""
        if not allowed(actor.role, Action.APPROVE_REFUND):
            self._end_mode()
            self.message.error(f"{actor.display_name} is a {actor.role.value}; only a "
                               "supervisor or an administrator can approve a held refund.")
            return
        self._approver = actor
        self.signer.setVisible(False)
        self._ask(f"{actor.display_name}: why approve this refund? Type, then Enter", "approve")

    def approval_failed(self, error: Exception) -> None:
        self.message.failed(error)
        if self._mode == "pin":
            self.pin.setFocus()

    # -- the reason field

    def _ask(self, prompt: str, mode: str) -> None:
        self._mode = mode
        self.reason.clear()
        self.reason.setPlaceholderText(prompt)
        self.reason.setVisible(True)
        self.reason.setFocus()
        self.message.warning(prompt)

    def _reason_entered(self) -> None:
        text = self.reason.text().strip()
        if not text:
            self.message.error("A reason is required.")
            return
        if self._mode == "override" and self._pending is not None:
            self.override = Override(self._pending, text)
            self.message.ok(f"{named(self._pending, first=True)} chosen; the reason is "
                            "recorded. Enter confirms.")
        elif self._mode == "approve" and self._approver is not None:
            self.approval = BenchApproval(self._approver, text)
            self.message.ok(f"Approved by {self._approver.display_name}. Enter confirms.")
        self._end_mode()
        self._show()

    def _end_mode(self) -> None:
        self._mode = ""
        self._pending = None
        self.reason.setVisible(False)
        self.signer.setVisible(False)
        self.setFocus()

    # -- leaving

    def back(self) -> None:
        if self._mode:
            self._end_mode()
            self.message.warning("Cancelled.")
            return
        if self.back_button.isEnabled():
            self.regrade.emit()

    def confirm(self) -> None:
        if self._mode:
            return
        if self.confirm_button.isEnabled():
            self.confirmed.emit()
