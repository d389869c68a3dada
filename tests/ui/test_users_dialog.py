"""The admin manages users in one dialog; the core decides who may, the dialog shows it.

Modal forms are answered the way a person would: a timer waits for the form to open, then
types into it and presses Enter (or Esc), so the real forms are exercised.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

import pytest
import zxingcpp
from PIL import Image
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QFileDialog, QLabel, QMessageBox, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select
from station_bench import PINS, StationUnderTest

from station.common.vocabulary import Role
from station.people import signin, users
from station.people.signin import SignInError
from station.people.users import UserInfo
from station.settings.config import CentralConfig
from station.store.models import AuditEvent, User
from ui.app import create_application
from ui.tasks import TaskRunner
from ui.users_dialog import COLUMNS, BadgeDialog, PinForm, RoleForm, UserForm, UsersDialog

MODAL_WAIT_MS = 10_000
W = TypeVar("W", bound=QWidget)


@dataclass
class ModalAnswer:
    answered: bool = False


def answer_next_modal(fill: Callable[[QWidget], None]) -> ModalAnswer:
    """As soon as a modal window opens, `fill` it; a form still open afterwards is cancelled.

    Cancelling in `finally` means a failing assertion inside `fill` fails the test instead of
    leaving exec() blocked for ever.
    """
    answer = ModalAnswer()
    waited = 0

    def attempt() -> None:
        nonlocal waited
        modal = QApplication.activeModalWidget()
        if modal is None:
            waited += 10
            if waited < MODAL_WAIT_MS:
                QTimer.singleShot(10, attempt)
            return
        try:
            fill(modal)
        finally:
            answer.answered = True
            if modal.isVisible():
                modal.close()

    QTimer.singleShot(0, attempt)
    return answer


@pytest.fixture
def background() -> Iterator[TaskRunner]:
    create_application()
    runner = TaskRunner()
    yield runner
    runner.wait_idle()


@pytest.fixture
def open_users(bench: StationUnderTest, background: TaskRunner, qtbot: QtBot
               ) -> Callable[[Role], UsersDialog]:
    def open_as(role: Role) -> UsersDialog:
        return shown(qtbot, UsersDialog(bench.ctx, bench.actors[role], background))

    return open_as


def shown(qtbot: QtBot, dialog: UsersDialog) -> UsersDialog:
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    settle(qtbot, dialog)
    return dialog


def settle(qtbot: QtBot, dialog: UsersDialog) -> None:
    qtbot.waitUntil(lambda: not dialog.busy, timeout=10_000)


def cell(dialog: UsersDialog, row: int, column: int) -> str:
    item = dialog.table.item(row, column)
    return item.text() if item is not None else ""


def row_of(dialog: UsersDialog, username: str) -> dict[str, str]:
    for row in range(dialog.table.rowCount()):
        if cell(dialog, row, 0) == username:
            return {name: cell(dialog, row, col) for col, name in enumerate(COLUMNS)}
    raise AssertionError(f"{username} is not in the table")


def selected_name(dialog: UsersDialog) -> str | None:
    info = dialog.selected()
    return info.username if info is not None else None


def label(button: object) -> str:
    text = button.text()  # type: ignore[attr-defined]
    assert isinstance(text, str)
    return text.replace("&", "")


def audit_events(bench: StationUnderTest, action: str, subject: str | None = None
                 ) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.action == action)
    if subject is not None:
        query = query.where(AuditEvent.subject == subject)
    with bench.ctx.sessions() as session:
        return list(session.scalars(query))


def user_count(bench: StationUnderTest) -> int:
    with bench.ctx.sessions() as session:
        return session.scalar(select(func.count()).select_from(User)) or 0


def type_new_user(qtbot: QtBot, form: QWidget, *, pin: str, again: str) -> None:
    assert isinstance(form, UserForm)
    qtbot.keyClicks(form.username, "gus")
    qtbot.keyClicks(form.display_name, "Gus Grader")
    form.role.setCurrentIndex(form.role.findData(Role.GRADER.value))
    qtbot.keyClicks(form.pin, pin)
    qtbot.keyClicks(form.pin_again, again)
    qtbot.keyClick(form.pin_again, Qt.Key.Key_Return)


def test_an_admin_adds_a_grader_who_can_then_sign_in(
    bench: StationUnderTest, open_users: Callable[[Role], UsersDialog], qtbot: QtBot,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    dialog = open_users(Role.ADMIN)
    assert dialog.table.objectName() == "compact"
    assert dialog.table.rowCount() == len(PINS)

    answer = answer_next_modal(lambda form: type_new_user(qtbot, form, pin="4826", again="4826"))
    dialog.add_button.click()
    assert answer.answered
    settle(qtbot, dialog)

    assert row_of(dialog, "gus") == {"User name": "gus", "Name": "Gus Grader",
                                     "Role": "grader", "State": "active", "Badge": "no"}
    assert selected_name(dialog) == "gus"
    assert dialog.message.tone == "ok" and "Gus Grader" in dialog.message.text()
    with bench.ctx.sessions() as session:
        pin_hash = session.scalar(select(User.pin_hash).where(User.username == "gus"))
    assert pin_hash is not None and bench.ctx.pepper.open(pin_hash).startswith("$argon2id$")
    added = audit_events(bench, "user.added", "gus")
    assert len(added) == 1 and added[0].data["role"] == "grader"
    assert signin.sign_in(bench.ctx, "gus", "4826").role is Role.GRADER

    shown = [dialog.message.text(), dialog.windowTitle(), caplog.text,
             *(w.objectName() for w in dialog.findChildren(QWidget))]
    assert not any("4826" in text for text in shown)


def test_mismatched_pins_are_refused_in_the_form_and_nothing_is_created(
    bench: StationUnderTest, open_users: Callable[[Role], UsersDialog], qtbot: QtBot,
) -> None:
    dialog = open_users(Role.ADMIN)
    users_before, added_before = user_count(bench), len(audit_events(bench, "user.added"))
    seen: dict[str, object] = {}

    def mistype(form: QWidget) -> None:
        type_new_user(qtbot, form, pin="4826", again="4862")
        assert isinstance(form, UserForm)
        seen.update(open=form.isVisible(), tone=form.message.tone, text=form.message.text(),
                    pins=form.pin.text() + form.pin_again.text())
        qtbot.keyClick(form.username, Qt.Key.Key_Escape)

    answer = answer_next_modal(mistype)
    dialog.add_button.click()
    assert answer.answered

    assert seen == {"open": True, "tone": "error",
                    "text": "The two PINs differ. Type the same PIN twice.", "pins": ""}
    assert not dialog.busy, "no core call was made"
    assert user_count(bench) == users_before
    assert len(audit_events(bench, "user.added")) == added_before
    assert dialog.message.text() == ""


def test_a_user_name_against_the_rule_is_refused_in_the_form_and_nothing_typed_is_lost(
    bench: StationUnderTest, open_users: Callable[[Role], UsersDialog], qtbot: QtBot,
) -> None:
    dialog = open_users(Role.ADMIN)
    users_before = user_count(bench)
    seen: dict[str, object] = {}

    def with_a_space_then_corrected(form: QWidget) -> None:
        assert isinstance(form, UserForm)
        qtbot.keyClicks(form.username, "Bob Smith")
        qtbot.keyClicks(form.display_name, "Bob Smith")
        form.role.setCurrentIndex(form.role.findData(Role.GRADER.value))
        qtbot.keyClicks(form.pin, "4826")
        qtbot.keyClicks(form.pin_again, "4826")
        qtbot.keyClick(form.pin_again, Qt.Key.Key_Return)
        seen.update(open=form.isVisible(), tone=form.message.tone, text=form.message.text(),
                    kept=(form.username.text(), form.display_name.text(),
                          form.role.currentData(), form.pin.text(), form.pin_again.text()),
                    focus=form.focusWidget() is form.username, busy=dialog.busy)
        form.username.selectAll()
        qtbot.keyClicks(form.username, "bob.smith")
        qtbot.keyClick(form.username, Qt.Key.Key_Return)

    answer = answer_next_modal(with_a_space_then_corrected)
    dialog.add_button.click()
    assert answer.answered
    settle(qtbot, dialog)

    with pytest.raises(users.UserError) as rule:
        users.check_username("Bob Smith")
    assert seen == {"open": True, "tone": "error", "text": str(rule.value),
                    "kept": ("Bob Smith", "Bob Smith", "grader", "4826", "4826"),
                    "focus": True, "busy": False}
    assert user_count(bench) == users_before + 1
    assert row_of(dialog, "bob.smith")["Name"] == "Bob Smith"
    assert signin.sign_in(bench.ctx, "bob.smith", "4826").role is Role.GRADER


def test_the_add_user_hint_states_the_rule_the_check_applies(qtbot: QtBot) -> None:
    form = UserForm()
    qtbot.addWidget(form)
    assert users.USERNAME_RULE in form.hint.text()
    assert "'.', '_' or '-'" in users.USERNAME_RULE
    users.check_username("bob.smith_2-x")  # what the hint allows, the check allows
    assert "lower-case letters and digits," not in form.hint.text()


def test_a_name_already_taken_is_refused_in_the_form_with_the_pins_kept(
    bench: StationUnderTest, open_users: Callable[[Role], UsersDialog], qtbot: QtBot,
) -> None:
    dialog = open_users(Role.ADMIN)
    seen: dict[str, object] = {}

    def taken(form: QWidget) -> None:
        assert isinstance(form, UserForm)
        qtbot.keyClicks(form.username, "grader")
        qtbot.keyClicks(form.display_name, "Another Grader")
        qtbot.keyClicks(form.pin, "4826")
        qtbot.keyClicks(form.pin_again, "4826")
        qtbot.keyClick(form.pin_again, Qt.Key.Key_Return)
        seen.update(open=form.isVisible(), text=form.message.text(),
                    pins=form.pin.text() + form.pin_again.text())
        qtbot.keyClick(form.username, Qt.Key.Key_Escape)

    answer = answer_next_modal(taken)
    dialog.add_button.click()
    assert answer.answered
    assert seen == {"open": True, "text": "User 'grader' already exists.",
                    "pins": "48264826"}
    assert not dialog.busy


def test_an_admin_disables_and_re_enables_a_grader_with_the_keyboard(
    bench: StationUnderTest, open_users: Callable[[Role], UsersDialog], qtbot: QtBot,
) -> None:
    dialog = open_users(Role.ADMIN)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.table.hasFocus)
    qtbot.keyClick(dialog.table, Qt.Key.Key_Return)
    assert dialog.isVisible() and not dialog.busy, "Enter on the list does nothing by surprise"
    while selected_name(dialog) != "grader":
        qtbot.keyClick(dialog.table, Qt.Key.Key_Down)
    assert label(dialog.toggle_button) == "Disable"

    qtbot.keyClick(dialog.table, Qt.Key.Key_D, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: dialog.message.tone == "ok")
    settle(qtbot, dialog)
    assert row_of(dialog, "grader")["State"] == "disabled"
    assert dialog.message.text() == "Grader Person is now disabled."
    assert label(dialog.toggle_button) == "Enable"
    assert dialog.table.hasFocus(), "focus is back on the list for the next user"
    with pytest.raises(SignInError):
        signin.sign_in(bench.ctx, "grader", PINS[Role.GRADER])

    qtbot.keyClick(dialog.table, Qt.Key.Key_E, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: row_of(dialog, "grader")["State"] == "active")
    settle(qtbot, dialog)
    assert dialog.message.text() == "Grader Person is now enabled."
    assert label(dialog.toggle_button) == "Disable"
    assert signin.sign_in(bench.ctx, "grader", PINS[Role.GRADER]).username == "grader"
    assert [e.action for e in audit_events(bench, "user.disabled", "grader")
            + audit_events(bench, "user.enabled", "grader")] == ["user.disabled", "user.enabled"]


def test_a_locked_user_shows_until_when_and_a_pin_reset_lets_them_in_with_the_new_pin(
    bench: StationUnderTest, open_users: Callable[[Role], UsersDialog], qtbot: QtBot,
) -> None:
    for _ in range(bench.ctx.config.security.max_failed_pins):
        with pytest.raises(SignInError):
            signin.sign_in(bench.ctx, "clerk", "0000")
    until = bench.clock() + timedelta(minutes=bench.ctx.config.security.lockout_minutes)
    dialog = open_users(Role.ADMIN)
    assert row_of(dialog, "clerk")["State"] == f"locked until {until.astimezone():%H:%M}"

    def new_pin(form: QWidget) -> None:
        assert isinstance(form, PinForm)
        qtbot.keyClicks(form.pin, "3141")
        qtbot.keyClicks(form.pin_again, "3141")
        qtbot.keyClick(form.pin_again, Qt.Key.Key_Return)

    assert dialog.select_user("clerk")
    answer = answer_next_modal(new_pin)
    dialog.reset_pin_button.click()
    assert answer.answered
    settle(qtbot, dialog)

    assert row_of(dialog, "clerk")["State"] == "active"
    assert dialog.message.tone == "ok" and "3141" not in dialog.message.text()
    assert signin.sign_in(bench.ctx, "clerk", "3141").username == "clerk"
    with pytest.raises(SignInError):
        signin.sign_in(bench.ctx, "clerk", PINS[Role.CLERK])
    assert len(audit_events(bench, "user.pin_reset", "clerk")) == 1


def test_a_pin_against_the_policy_is_refused_in_the_form(
    open_users: Callable[[Role], UsersDialog], qtbot: QtBot,
) -> None:
    dialog = open_users(Role.ADMIN)
    seen: dict[str, str] = {}

    def weak_pin(form: QWidget) -> None:
        assert isinstance(form, PinForm)
        qtbot.keyClicks(form.pin, "1111")
        qtbot.keyClicks(form.pin_again, "1111")
        qtbot.keyClick(form.pin_again, Qt.Key.Key_Return)
        seen["text"] = form.message.text()

    assert dialog.select_user("clerk")
    answer = answer_next_modal(weak_pin)
    dialog.reset_pin_button.click()
    assert answer.answered
    assert seen["text"] == "PIN refused: a PIN cannot be one digit repeated."
    assert not dialog.busy


def answer_modal_of(kind: type[W], fill: Callable[[W], None]) -> ModalAnswer:
    """Like answer_next_modal, for a modal of `kind` that opens after another modal has
    closed."""
    answer = ModalAnswer()
    waited = 0

    def attempt() -> None:
        nonlocal waited
        modal = QApplication.activeModalWidget()
        if not isinstance(modal, kind):
            waited += 10
            if waited < MODAL_WAIT_MS:
                QTimer.singleShot(10, attempt)
            return
        try:
            fill(modal)
        finally:
            answer.answered = True
            if modal.isVisible():
                modal.close()

    QTimer.singleShot(0, attempt)
    return answer


def answer_pin_form_when_it_opens(fill: Callable[[PinForm], None]) -> ModalAnswer:
    return answer_modal_of(PinForm, fill)


def test_an_admin_makes_a_grader_a_supervisor_with_a_new_six_digit_pin(
    bench: StationUnderTest, open_users: Callable[[Role], UsersDialog], qtbot: QtBot,
) -> None:
    dialog = open_users(Role.ADMIN)
    seen: dict[str, str] = {}

    def promote(form: QWidget) -> None:
        assert isinstance(form, RoleForm)
        assert form.chosen_role() is Role.GRADER
        form.role.setCurrentIndex(form.role.findData(Role.SUPERVISOR.value))
        qtbot.keyClick(form.role, Qt.Key.Key_Return)

    def new_pin(form: PinForm) -> None:
        seen["hint"] = " ".join(w.text() for w in form.findChildren(QLabel))
        qtbot.keyClicks(form.pin, "4826")
        qtbot.keyClicks(form.pin_again, "4826")
        qtbot.keyClick(form.pin_again, Qt.Key.Key_Return)
        seen["short"] = form.message.text()
        form.pin.clear()
        form.pin_again.clear()
        qtbot.keyClicks(form.pin, "482613")
        qtbot.keyClicks(form.pin_again, "482613")
        qtbot.keyClick(form.pin_again, Qt.Key.Key_Return)

    assert dialog.select_user("grader")
    answer = answer_next_modal(promote)
    pin_answer = answer_pin_form_when_it_opens(new_pin)
    dialog.role_button.click()
    assert answer.answered and pin_answer.answered
    settle(qtbot, dialog)

    assert "a supervisor's PIN has 6 to 12 digits" in seen["hint"]
    assert seen["short"] == "PIN refused: a supervisor's PIN has 6 to 12 digits."
    assert row_of(dialog, "grader")["Role"] == "supervisor"
    assert dialog.message.text() == "Grader Person is now a supervisor."
    changed = audit_events(bench, "user.role_changed", "grader")
    assert [(e.data["from"], e.data["to"]) for e in changed] == [("grader", "supervisor")]
    with pytest.raises(SignInError):
        signin.sign_in(bench.ctx, "grader", PINS[Role.GRADER])
    assert signin.sign_in(bench.ctx, "grader", "482613").role is Role.SUPERVISOR


def test_a_promotion_cancelled_at_the_new_pin_changes_nothing(
    bench: StationUnderTest, open_users: Callable[[Role], UsersDialog], qtbot: QtBot,
) -> None:
    dialog = open_users(Role.ADMIN)

    def promote(form: QWidget) -> None:
        assert isinstance(form, RoleForm)
        form.role.setCurrentIndex(form.role.findData(Role.ADMIN.value))
        qtbot.keyClick(form.role, Qt.Key.Key_Return)

    def cancel(form: PinForm) -> None:
        qtbot.keyClick(form.pin, Qt.Key.Key_Escape)

    assert dialog.select_user("clerk")
    answer = answer_next_modal(promote)
    pin_answer = answer_pin_form_when_it_opens(cancel)
    dialog.role_button.click()
    assert answer.answered and pin_answer.answered
    settle(qtbot, dialog)

    assert row_of(dialog, "clerk")["Role"] == "clerk"
    assert audit_events(bench, "user.role_changed", "clerk") == []


def test_a_new_badge_is_shown_once_saved_as_a_scannable_png_and_signs_in(
    bench: StationUnderTest, open_users: Callable[[Role], UsersDialog], qtbot: QtBot,
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    dialog = open_users(Role.ADMIN)
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *args, **kwargs: (str(tmp_path / "badge"), "PNG image (*.png)"))
    shown: dict[str, str] = {}

    def keep_and_save(window: QWidget) -> None:
        assert isinstance(window, BadgeDialog)
        shown["code"] = window.code_label.text()
        shown["title"] = window.windowTitle()
        window.save_button.click()
        shown["saved"] = window.message.toolTip() or window.message.text()  # a long path
        # is shortened on the line; the whole message is its tooltip

    assert dialog.select_user("grader")
    answer = answer_next_modal(keep_and_save)
    dialog.badge_button.click()
    qtbot.waitUntil(lambda: answer.answered, timeout=10_000)
    settle(qtbot, dialog)

    code = shown["code"]
    assert code.startswith("BDG-")
    assert code not in shown["title"] and code not in dialog.message.text()
    assert row_of(dialog, "grader")["Badge"] == "yes"
    assert signin.sign_in_with_badge(bench.ctx, code).username == "grader"
    png = tmp_path / "badge.png"
    assert str(png) in shown["saved"]
    assert [r.text for r in zxingcpp.read_barcodes(Image.open(png))] == [code]

    # Issuing again asks first; saying No keeps the badge that was printed.
    def decline(box: QWidget) -> None:
        assert isinstance(box, QMessageBox)
        assert "The old badge stops working" in box.text()
        box.button(QMessageBox.StandardButton.No).click()

    answer = answer_next_modal(decline)
    dialog.badge_button.click()
    assert answer.answered and not dialog.busy
    assert signin.sign_in_with_badge(bench.ctx, code).username == "grader"
    assert len(audit_events(bench, "user.badge_issued", "grader")) == 1


def test_a_badge_issued_behind_the_lists_back_is_still_not_replaced_without_asking(
    bench: StationUnderTest, open_users: Callable[[Role], UsersDialog], qtbot: QtBot,
) -> None:
    """The list said "no badge" (it was issued elsewhere after the list was read): the core
    refuses to replace a badge unasked, and the dialog asks before it replaces it."""
    dialog = open_users(Role.ADMIN)
    assert row_of(dialog, "grader")["Badge"] == "no"
    first = users.issue_badge(bench.ctx, bench.actors[Role.ADMIN], "grader")  # elsewhere
    asked: dict[str, str] = {}

    def decline(box: QWidget) -> None:
        assert isinstance(box, QMessageBox)
        asked["question"] = box.text()
        box.button(QMessageBox.StandardButton.No).click()

    assert dialog.select_user("grader")
    answer = answer_next_modal(decline)
    dialog.badge_button.click()
    qtbot.waitUntil(lambda: answer.answered, timeout=10_000)
    settle(qtbot, dialog)

    assert "The old badge stops working" in asked["question"]
    assert signin.sign_in_with_badge(bench.ctx, first).username == "grader"
    assert len(audit_events(bench, "user.badge_issued", "grader")) == 1
    assert row_of(dialog, "grader")["Badge"] == "yes", "the list now shows the badge"


def test_a_badge_issued_behind_the_lists_back_is_replaced_once_the_admin_says_yes(
    bench: StationUnderTest, open_users: Callable[[Role], UsersDialog], qtbot: QtBot,
) -> None:
    dialog = open_users(Role.ADMIN)
    first = users.issue_badge(bench.ctx, bench.actors[Role.ADMIN], "grader")  # elsewhere
    shown: dict[str, str] = {}

    def agree(box: QMessageBox) -> None:
        box.button(QMessageBox.StandardButton.Yes).click()

    def keep_code(badge: BadgeDialog) -> None:
        shown["code"] = badge.code_label.text()
        badge.close_button.click()

    assert dialog.select_user("grader")
    asked = answer_modal_of(QMessageBox, agree)
    issued = answer_modal_of(BadgeDialog, keep_code)
    dialog.badge_button.click()
    qtbot.waitUntil(lambda: asked.answered and issued.answered, timeout=10_000)
    settle(qtbot, dialog)

    with pytest.raises(SignInError):
        signin.sign_in_with_badge(bench.ctx, first)
    assert signin.sign_in_with_badge(bench.ctx, shown["code"]).username == "grader"
    replaced = audit_events(bench, "user.badge_issued", "grader")
    assert [event.data["replaced"] for event in replaced] == [False, True]


def test_the_saved_message_wraps_below_the_badge_and_never_squeezes_the_barcode(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A long saved-to message takes lines of its own under the code: the barcode keeps its
    size and the code drawn under its bars never runs into the code printed below it."""
    folder = tmp_path / "Badges for the new starters of the night shift in the east hall"
    folder.mkdir()
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *args, **kwargs: (str(folder / "badge of Grader"), ""))
    info = UserInfo("grader", "Grader Person", Role.GRADER, True, True, None)
    badge = BadgeDialog(info, "BDG-ABCDEFGHJKMNPQRS")
    qtbot.addWidget(badge)
    badge.show()
    qtbot.waitExposed(badge)
    before = badge.barcode.geometry()

    badge.save_button.click()
    qtbot.waitUntil(lambda: badge.message.tone == "ok")
    qtbot.wait(50)  # the layout settles

    assert (folder / "badge of Grader.png").exists()
    assert badge.message.wordWrap() and badge.message.height() > badge.code_label.height()
    assert badge.barcode.size() == before.size()
    assert badge.barcode.height() >= badge.barcode.minimumHeight() >= 180
    in_order = (badge.barcode, badge.code_label, badge.message, badge.save_button)
    for upper, lower in itertools.pairwise(in_order):
        assert upper.geometry().bottom() < lower.geometry().top(), (upper, lower)
    assert badge.rect().contains(badge.save_button.geometry())


def test_a_grader_is_refused_by_the_core_and_sees_why(
    bench: StationUnderTest, open_users: Callable[[Role], UsersDialog], qtbot: QtBot,
) -> None:
    dialog = open_users(Role.GRADER)
    assert dialog.table.rowCount() == 0
    assert dialog.message.tone == "error"
    assert "may not manage users" in dialog.message.text()

    # Even a form filled in and sent is refused by the core, not only hidden by the UI.
    users_before = user_count(bench)
    answer = answer_next_modal(lambda form: type_new_user(qtbot, form, pin="4826", again="4826"))
    dialog.add_button.click()
    assert answer.answered
    settle(qtbot, dialog)
    assert "may not manage users" in dialog.message.text()
    assert user_count(bench) == users_before
    assert len(audit_events(bench, "permission.refused", "manage_users")) == 2


def test_at_a_station_of_a_site_the_list_is_read_only_and_says_who_manages_people(
    bench: StationUnderTest, background: TaskRunner, qtbot: QtBot
) -> None:
    site_config = dataclasses.replace(bench.ctx.config, central=CentralConfig(
        url="postgresql://rs_station_bench_01@127.0.0.1:9/returns"))
    ctx = dataclasses.replace(bench.ctx, config=site_config)
    dialog = shown(qtbot, UsersDialog(ctx, bench.actors[Role.ADMIN], background))
    assert dialog.table.rowCount() == len(PINS)
    assert dialog.select_user("grader")
    buttons = (dialog.add_button, dialog.toggle_button, dialog.reset_pin_button,
               dialog.role_button, dialog.badge_button)
    assert not any(button.isEnabled() for button in buttons)
    assert any("central users" in label.text() for label in dialog.findChildren(QLabel))
