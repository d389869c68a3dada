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
from ui_steps import complete_checklist, finish_inspection, scan, sign_in, write_photo

from station.common.vocabulary import Disposition, RefundAction, Role
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
    to_inspection(window, qtbot)
    finish_inspection(window, qtbot, photo)


def to_inspection(window: MainWindow, qtbot: QtBot) -> None:
    sign_in(window, qtbot, Role.GRADER)
    window.scan.submit(BOOK)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.rma)
    window.rma.act()
    qtbot.waitUntil(lambda: "Inspect" in window.rma.primary.text())
    window.rma.act()
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.inspection)


def to_held_decision(window: MainWindow, qtbot: QtBot, photo: Path) -> None:
    """To the decision of a unit whose refund will be held: the grader takes the photos a
    held refund needs as evidence (the station refuses to confirm it without them), then
    finishes."""
    to_inspection(window, qtbot)
    complete_checklist(window, qtbot)
    assert window.inspection.work is not None
    window.inspection.work.require_refund_evidence("a held refund")
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
    assert screen.options.item(0, 1).text() == "Restock"
    assert "USD" in screen.options.item(1, 3).text()
    assert "not allowed by rule 'grade-a-restock'" in screen.not_allowed.text()

    qtbot.keyClick(screen, Qt.Key.Key_3)  # LIQUIDATE instead
    qtbot.waitUntil(lambda: screen.reason.hasFocus())
    qtbot.keyClicks(screen.reason, "cover creased in transit", delay=30)
    qtbot.keyClick(screen.reason, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: screen.disposition.text() == "Liquidate")
    assert "cover creased in transit" in screen.why.text()
    confirm_to_label(window, qtbot)

    with bench.ctx.sessions() as session:
        row = session.scalar(select(DispositionDecision))
        assert row is not None
        assert (row.disposition, row.override_reason) == ("LIQUIDATE", "cover creased in transit")
        assert session.scalar(select(AuditEvent).where(
            AuditEvent.action == "disposition.overridden")) is not None


def test_dispositions_are_named_in_words_not_identifiers(
    window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    to_decision(window, qtbot, write_photo(tmp_path))
    screen = window.decision
    assert screen.disposition.text() == "Restock"
    assert [screen.options.item(row, 1).text() for row in range(screen.options.rowCount())] \
        == ["Restock", "Open box", "Liquidate"]
    assert screen.not_allowed.text().startswith(
        "Not allowed: refurbish, return to vendor, donate, recycle, destroy, hold — ")
    assert "; restock has the highest expected recovery of the 3" in screen.why.text()

    qtbot.keyClick(screen, Qt.Key.Key_2)
    qtbot.waitUntil(lambda: screen.reason.hasFocus())
    assert screen.message.text().startswith("Why open box and not restock?")
    qtbot.keyClicks(screen.reason, "box opened, all parts there", delay=10)
    qtbot.keyClick(screen.reason, Qt.Key.Key_Return)
    assert screen.disposition.text() == "Open box"
    assert screen.why.text().startswith("Chosen by the grader instead of restock: ")
    assert screen.message.text().startswith("Open box chosen")

    shown = [screen.disposition.text(), screen.why.text(), screen.not_allowed.text(),
             screen.message.text(), screen.reason.placeholderText(),
             *(screen.options.item(row, 1).text() for row in range(screen.options.rowCount())),
             screen.refund.text()]
    for disposition in Disposition:
        assert not any(disposition.value in text for text in shown), disposition
    for action in RefundAction:
        assert not any(action.value in text for text in shown), action


def test_a_supervisor_approves_a_held_refund_at_the_bench_with_a_badge(
    held_bench: StationUnderTest, qtbot: QtBot, tmp_path: Path
) -> None:
    badge = users.issue_badge(held_bench.ctx, held_bench.actors[Role.ADMIN], "supervisor")
    window = open_window(held_bench, qtbot)
    to_held_decision(window, qtbot, write_photo(tmp_path))
    screen = window.decision
    assert screen.held.isVisible() and "Refund: held (if approved: " in screen.refund.text()

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
    to_held_decision(window, qtbot, write_photo(tmp_path))
    screen = window.decision
    qtbot.keyClick(screen, Qt.Key.Key_S)
    qtbot.waitUntil(lambda: screen.supervisors.hasFocus())
    names = [screen.supervisors.itemData(i) for i in range(screen.supervisors.count())]
    assert names == ["admin", "supervisor"]  # by name (Admin Person first); no clerk, grader
    while screen.supervisors.currentData() != "supervisor":  # ↓ until their own name
        qtbot.keyClick(screen.supervisors, Qt.Key.Key_Down)
    qtbot.keyClick(screen.supervisors, Qt.Key.Key_Return)  # on to the PIN
    assert screen.pin.hasFocus()
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


def failed_pins(bench: StationUnderTest) -> dict[str, int]:
    """Each person's count of wrong PINs in a row, as the core keeps it."""
    return {info.username: info.failed_pins
            for info in users.list_all(bench.ctx, bench.actors[Role.ADMIN])}


def test_a_pin_typed_before_choosing_a_name_counts_against_nobody(
    held_bench: StationUnderTest, qtbot: QtBot, tmp_path: Path
) -> None:
    """The name box starts empty, with the focus on it: a supervisor who types their PIN
    at once is told to choose their name (or scan their badge), and no one's wrong-PIN
    count moves, so no one can be locked out by a PIN typed against a name they did not
    choose."""
    window = open_window(held_bench, qtbot)
    to_held_decision(window, qtbot, write_photo(tmp_path))
    screen = window.decision
    qtbot.keyClick(screen, Qt.Key.Key_S)
    qtbot.waitUntil(lambda: screen.signer.isVisible())
    screen.pin.setFocus()  # straight into the PIN field, no name chosen
    qtbot.keyClicks(screen.pin, PINS[Role.SUPERVISOR], delay=10)
    qtbot.keyClick(screen.pin, Qt.Key.Key_Return)
    window.tasks.wait_idle()

    assert set(failed_pins(held_bench).values()) == {0}
    with held_bench.ctx.sessions() as session:
        tried = session.scalars(select(AuditEvent.action).where(
            AuditEvent.action.like("signin.%"))).all()
    assert "signin.failed_pin" not in tried
    assert screen.message.tone == "error"
    assert "choose your name" in screen.message.text().lower()
    assert "badge" in screen.message.text()
    assert screen.pin.text() == "" and screen.supervisors.hasFocus()
    assert screen.supervisors.currentIndex() == -1 and screen.approval is None

    qtbot.keyClick(screen.supervisors, Qt.Key.Key_Return)  # Enter with no name: refused
    assert screen.supervisors.hasFocus()
    assert "choose your name" in screen.message.text().lower()


def test_a_wrong_pin_counts_only_against_the_name_the_supervisor_chose(
    held_bench: StationUnderTest, qtbot: QtBot, tmp_path: Path
) -> None:
    window = open_window(held_bench, qtbot)
    to_held_decision(window, qtbot, write_photo(tmp_path))
    screen = window.decision
    qtbot.keyClick(screen, Qt.Key.Key_S)
    qtbot.waitUntil(lambda: screen.supervisors.hasFocus())
    while screen.supervisors.currentData() != "supervisor":
        qtbot.keyClick(screen.supervisors, Qt.Key.Key_Down)
    qtbot.keyClick(screen.supervisors, Qt.Key.Key_Tab)
    assert screen.pin.hasFocus()
    qtbot.keyClicks(screen.pin, "999999", delay=10)
    qtbot.keyClick(screen.pin, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "Wrong PIN" in screen.message.text())
    window.tasks.wait_idle()

    counts = failed_pins(held_bench)
    assert counts.pop("supervisor") == 1
    assert set(counts.values()) == {0}


def test_the_held_refund_offers_the_badge_first_and_a_badge_still_works_after_s(
    held_bench: StationUnderTest, qtbot: QtBot, tmp_path: Path
) -> None:
    badge = users.issue_badge(held_bench.ctx, held_bench.actors[Role.ADMIN], "supervisor")
    window = open_window(held_bench, qtbot)
    to_held_decision(window, qtbot, write_photo(tmp_path))
    screen = window.decision
    assert screen.held.text().startswith("The refund is held for a supervisor. To approve it "
                                         "now, the supervisor scans their badge")
    qtbot.keyClick(screen, Qt.Key.Key_S)
    qtbot.waitUntil(lambda: screen.supervisors.hasFocus())
    assert screen.message.text().startswith("Supervisor: scan your badge")
    qtbot.keyClick(screen.supervisors, Qt.Key.Key_Escape)
    assert not screen.signer.isVisible() and screen.hasFocus()

    qtbot.keyClick(screen, Qt.Key.Key_S)
    qtbot.waitUntil(lambda: screen.supervisors.hasFocus())
    scan(qtbot, badge)  # changed their mind: the badge, with the name box open
    qtbot.waitUntil(lambda: screen.reason.hasFocus())
    assert not screen.signer.isVisible()
    assert "Supervisor Person: why approve" in screen.message.text()
    window.tasks.wait_idle()
