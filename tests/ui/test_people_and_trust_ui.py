"""Signing in and out at the bench: first admin, badges, idle lock, admin-only menus."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select
from station_bench import PINS, StationUnderTest

from station.common.vocabulary import Role
from station.people import users
from station.runtime.bootstrap import open_station
from station.settings.config import CentralConfig, StationConfig, resolve_locations
from station.store.models import AuditEvent, User
from ui.app import create_application
from ui.main_window import MainWindow
from ui.sync_worker import SyncStatus

HUMAN_KEY_DELAY_MS = 60


def make_window(qtbot: QtBot, ctx: object) -> MainWindow:
    create_application()
    win = MainWindow(ctx)  # type: ignore[arg-type]
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


@pytest.fixture
def window(bench: StationUnderTest, qtbot: QtBot) -> Iterator[MainWindow]:
    win = make_window(qtbot, bench.ctx)
    yield win
    win.tasks.wait_idle()


def type_into_focus(qtbot: QtBot, text: str, delay: int = 3) -> None:
    widget = QApplication.focusWidget()
    assert widget is not None
    qtbot.keyClicks(widget, text, delay=delay)
    qtbot.keyClick(widget, Qt.Key.Key_Return)


def actions(bench: StationUnderTest) -> list[str]:
    with bench.ctx.sessions() as session:
        return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


def test_a_new_station_asks_for_its_first_admin_and_then_signs_them_in(
    tmp_path: Path, qtbot: QtBot
) -> None:
    opened = open_station(StationConfig(station_code="NEW-01"),
                          resolve_locations(data_dir=str(tmp_path), env={}))
    win = make_window(qtbot, opened.ctx)
    assert win.stack.currentWidget() is win.first_admin
    screen = win.first_admin
    for field, text in ((screen.username, "ada"), (screen.display_name, "Ada Admin"),
                        (screen.pin, "25801470"), (screen.pin_again, "25801470")):
        field.setFocus()
        qtbot.keyClicks(field, text, delay=HUMAN_KEY_DELAY_MS)
    qtbot.keyClick(screen.pin_again, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: win.stack.currentWidget() is win.sign_in)
    assert win.sign_in.pin.hasFocus()
    type_into_focus(qtbot, "25801470", delay=10)
    qtbot.waitUntil(lambda: win.stack.currentWidget() is win.scan)
    assert win.actor is not None and win.actor.role == Role.ADMIN
    assert win.users_action.isVisible()
    win.tasks.wait_idle()
    opened.close()


def test_a_new_bench_of_a_site_creates_nobody_and_signs_in_once_its_people_arrive(
    tmp_path: Path, qtbot: QtBot
) -> None:
    opened = open_station(
        StationConfig(station_code="NEW-02", central=CentralConfig(
            url="postgresql://rs_station_new_02@127.0.0.1:9/returns")),
        resolve_locations(data_dir=str(tmp_path), env={}))
    win = make_window(qtbot, opened.ctx)
    screen = win.first_admin
    assert win.stack.currentWidget() is screen
    assert not screen.button.isVisible() and not screen.username.isVisible()
    qtbot.keyClick(screen, Qt.Key.Key_Return)  # nothing to submit: it says where people come from
    qtbot.waitUntil(lambda: "central database" in screen.message.text())
    with opened.ctx.sessions() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 0
    win._sync_status(SyncStatus(True, 0, 0, None, "", people_arrived=True))
    assert win.stack.currentWidget() is win.sign_in
    win.tasks.wait_idle()
    opened.close()


def test_a_badge_scan_signs_in_and_another_badge_switches_user(
    bench: StationUnderTest, window: MainWindow, qtbot: QtBot
) -> None:
    admin = bench.actors[Role.ADMIN]
    grader_badge = users.issue_badge(bench.ctx, admin, "grader")
    clerk_badge = users.issue_badge(bench.ctx, admin, "clerk")
    qtbot.waitUntil(lambda: window.sign_in.badge.hasFocus())
    type_into_focus(qtbot, grader_badge)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.scan)
    assert window.actor is not None and window.actor.username == "grader"
    assert not window.users_action.isVisible()
    assert window.scan.field.hasFocus()
    type_into_focus(qtbot, clerk_badge)
    qtbot.waitUntil(lambda: window.actor is not None and window.actor.username == "clerk")
    assert "Signed in as Clerk Person" in window.scan.message.text()
    assert window.scan.field.text() == ""
    window.tasks.wait_idle()
    assert "session.switched_by_badge" in actions(bench)


def test_an_unknown_badge_is_refused(window: MainWindow, qtbot: QtBot) -> None:
    qtbot.waitUntil(lambda: window.sign_in.badge.hasFocus())
    type_into_focus(qtbot, "BDG-AAAAAAAAAAAAAAAA")
    qtbot.waitUntil(lambda: window.sign_in.message.tone == "error")
    assert "not valid" in window.sign_in.message.text()
    assert window.actor is None


def test_the_bench_locks_when_idle_and_the_same_user_resumes_where_they_were(
    bench: StationUnderTest, window: MainWindow, qtbot: QtBot
) -> None:
    qtbot.waitUntil(lambda: window.sign_in.badge.hasFocus())
    window.sign_in.select_user("grader")
    type_into_focus(qtbot, PINS[Role.GRADER], delay=10)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.scan)
    window.scan.field.setText("RMA-999999")
    qtbot.waitUntil(lambda: not window.tasks.busy)  # the unfinished-drafts look-up
    bench.clock.advance(minutes=4)
    window.check_idle()
    assert window.actor is not None
    bench.clock.advance(minutes=1)
    window.check_idle()
    assert window.actor is None
    assert window.stack.currentWidget() is window.sign_in
    assert "Locked after 5 min" in window.sign_in.message.text()
    assert window.sign_in.pin.hasFocus()
    type_into_focus(qtbot, PINS[Role.GRADER], delay=10)
    qtbot.waitUntil(lambda: window.actor is not None)
    assert window.stack.currentWidget() is window.scan
    assert window.scan.field.text() == "RMA-999999"
    window.tasks.wait_idle()
    assert "session.idle_locked" in actions(bench)


def test_locking_an_idle_bench_closes_an_open_admin_dialog(
    bench: StationUnderTest, window: MainWindow, qtbot: QtBot
) -> None:
    window.sign_in.select_user("admin")
    type_into_focus(qtbot, PINS[Role.ADMIN], delay=10)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.scan)
    assert window.users_action.isVisible()
    qtbot.waitUntil(lambda: not window.tasks.busy)

    def lock_while_open() -> None:
        qtbot.waitUntil(lambda: QApplication.activeModalWidget() is not None)
        bench.clock.advance(minutes=6)
        window.check_idle()

    QTimer.singleShot(0, lock_while_open)
    window.show_users()
    assert QApplication.activeModalWidget() is None
    assert window.actor is None and window.stack.currentWidget() is window.sign_in
