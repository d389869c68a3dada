"""The decision screen: why, the alternatives and their estimates, an override with a
reason, and a held refund approved on the spot by a supervisor's badge or PIN."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select
from station_bench import PINS, StationUnderTest, make_station
from ui_steps import finish_inspection, scan, sign_in, write_photo

from station.common.vocabulary import Role
from station.people import users
from station.store.models import AuditEvent, DispositionDecision, RefundTrigger
from ui.app import create_application
from ui.main_window import MainWindow

BOOK = "RMA-100006"  # a paperback, changed mind, 29.99 USD


@pytest.fixture
def held_bench(tmp_path: Path) -> StationUnderTest:
    """Refunds above 10 (major units) are held, so the paperback's is."""
    return make_station(tmp_path / "station", high_value_threshold_major=10)


def open_window(bench: StationUnderTest, qtbot: QtBot) -> MainWindow:
    create_application()
    window = MainWindow(bench.ctx)
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    return window


@pytest.fixture
def window(bench: StationUnderTest, qtbot: QtBot) -> Iterator[MainWindow]:
    win = open_window(bench, qtbot)
    yield win
    win.tasks.wait_idle()


def to_decision(window: MainWindow, qtbot: QtBot, photo: Path) -> None:
    sign_in(window, qtbot, Role.GRADER)
    window.scan.submit(BOOK)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.rma)
    window.rma.act()
    qtbot.waitUntil(lambda: "Inspect" in window.rma.primary.text())
    window.rma.act()
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.inspection)
    finish_inspection(window, qtbot, photo)


def confirm_to_label(window: MainWindow, qtbot: QtBot) -> None:
    qtbot.keyClick(window.decision, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.label, timeout=10_000)


def test_the_decision_shows_why_and_the_alternatives_and_an_override_needs_a_reason(
    bench: StationUnderTest, window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    to_decision(window, qtbot, write_photo(tmp_path))
    screen = window.decision
    assert screen.decision is not None
    assert "rule 'grade-a-restock'" in screen.why.text()
    assert screen.options.rowCount() == 3  # RESTOCK, OPEN_BOX, LIQUIDATE
    assert screen.options.item(0, 0).text() == "✓"
    assert screen.options.item(0, 1).text() == "RESTOCK"
    assert "USD" in screen.options.item(1, 3).text()
    assert "not allowed by rule 'grade-a-restock'" in screen.not_allowed.text()

    qtbot.keyClick(screen, Qt.Key.Key_3)  # LIQUIDATE instead
    qtbot.waitUntil(lambda: screen.reason.hasFocus())
    qtbot.keyClicks(screen.reason, "cover creased in transit", delay=30)
    qtbot.keyClick(screen.reason, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: screen.disposition.text() == "LIQUIDATE")
    assert "cover creased in transit" in screen.why.text()
    confirm_to_label(window, qtbot)

    with bench.ctx.sessions() as session:
        row = session.scalar(select(DispositionDecision))
        assert row is not None
        assert (row.disposition, row.override_reason) == ("LIQUIDATE", "cover creased in transit")
        assert session.scalar(select(AuditEvent).where(
            AuditEvent.action == "disposition.overridden")) is not None


def test_a_supervisor_approves_a_held_refund_at_the_bench_with_a_badge(
    held_bench: StationUnderTest, qtbot: QtBot, tmp_path: Path
) -> None:
    badge = users.issue_badge(held_bench.ctx, held_bench.actors[Role.ADMIN], "supervisor")
    window = open_window(held_bench, qtbot)
    to_decision(window, qtbot, write_photo(tmp_path))
    screen = window.decision
    assert screen.held.isVisible() and "HELD" in screen.refund.text()

    scan(qtbot, badge)  # the supervisor's badge approves here; it does not switch user
    qtbot.waitUntil(lambda: screen.reason.hasFocus())
    assert window.actor is not None and window.actor.username == "grader"
    qtbot.keyClicks(screen.reason, "known customer", delay=30)
    qtbot.keyClick(screen.reason, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "approved by Supervisor Person" in screen.refund.text())
    confirm_to_label(window, qtbot)

    with held_bench.ctx.sessions() as session:
        actions = [t.action for t in session.scalars(
            select(RefundTrigger).order_by(RefundTrigger.created_at, RefundTrigger.id))]
        assert actions == ["HELD", "FULL"]
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "refund.approved"))
        assert event is not None and event.actor_name == "supervisor"
        assert event.data["reason"] == "known customer"
    window.tasks.wait_idle()


def test_a_held_refund_approved_with_a_supervisors_pin_offers_only_supervisors(
    held_bench: StationUnderTest, qtbot: QtBot, tmp_path: Path
) -> None:
    window = open_window(held_bench, qtbot)
    to_decision(window, qtbot, write_photo(tmp_path))
    screen = window.decision
    qtbot.keyClick(screen, Qt.Key.Key_S)
    qtbot.waitUntil(lambda: screen.pin.hasFocus())
    names = [screen.supervisors.itemData(i) for i in range(screen.supervisors.count())]
    assert sorted(names) == ["admin", "supervisor"]  # no clerk, no grader
    screen.supervisors.setCurrentIndex(names.index("supervisor"))
    qtbot.keyClicks(screen.pin, PINS[Role.SUPERVISOR], delay=40)
    qtbot.keyClick(screen.pin, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: screen.reason.hasFocus())
    qtbot.keyClicks(screen.reason, "checked the receipt", delay=30)
    qtbot.keyClick(screen.reason, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: screen.approval is not None)
    confirm_to_label(window, qtbot)
    with held_bench.ctx.sessions() as session:
        approved = session.scalars(select(RefundTrigger).where(
            RefundTrigger.supersedes_id.is_not(None))).one()
        assert approved.note == "checked the receipt" and approved.settling
    window.tasks.wait_idle()
