"""The sync status in the status bar: online or not, waiting, parked, last sync, errors in
words, and Station ▸ Sync now (F9) — all without the screen waiting on the network."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select
from station_bench import StationUnderTest, inspect_unit

from station.common.vocabulary import Grade, Role
from station.receiving import parcels as receiving
from station.store.models import OutboxEntry, RefundTrigger
from station.sync import exchange as sync
from ui.app import create_application
from ui.main_window import MainWindow
from ui.sync_worker import SyncWorker


def identity(bench: StationUnderTest) -> sync.StationIdentity:
    config = bench.ctx.config
    return sync.StationIdentity.of(config)


def make_window(bench: StationUnderTest, qtbot: QtBot, worker: SyncWorker) -> MainWindow:
    create_application()
    window = MainWindow(bench.ctx, sync_worker=worker)
    qtbot.addWidget(window)
    window.show()
    return window


def test_f9_pushes_the_stations_facts_and_the_status_says_online(
    bench: StationUnderTest, qtbot: QtBot
) -> None:
    grader = bench.actors[Role.GRADER]
    view = receiving.receive(bench.ctx, grader, "RMA-100006")
    assert view.receipt_id is not None
    inspect_unit(bench, grader, view.receipt_id, view.lines[0].id, Grade.B)
    opened = bench.opened
    worker = SyncWorker(
        lambda: sync.sync_once(bench.ctx.sessions, opened.central_sessions(),
                               opened.central_engine(), identity(bench), clock=bench.clock),
        lambda: sync.waiting(bench.ctx.sessions), 3600)
    window = make_window(bench, qtbot, worker)
    try:
        qtbot.waitUntil(lambda: worker.status.online is True, timeout=10_000)
        qtbot.waitUntil(lambda: window.outbox_label.text().startswith("online · 0 waiting"))
        assert "last sync" in window.outbox_label.text()
        with opened.central_sessions()() as central:
            assert central.scalar(select(func.count()).select_from(RefundTrigger)) == 1
        window.sync_action.trigger()
        qtbot.waitUntil(lambda: window.outbox_label.text().startswith("online"))
    finally:
        window.close()


def test_offline_is_shown_in_words_and_nothing_is_lost(bench: StationUnderTest,
                                                       qtbot: QtBot) -> None:
    def unreachable() -> sync.SyncReport:
        raise sync.SyncOffline("The central database cannot be reached: connection refused")

    worker = SyncWorker(unreachable, lambda: sync.waiting(bench.ctx.sessions), 3600)
    window = make_window(bench, qtbot, worker)
    try:
        qtbot.waitUntil(lambda: worker.status.online is False, timeout=10_000)
        qtbot.waitUntil(lambda: window.outbox_label.text().startswith("OFFLINE"))
        assert "connection refused" in window.outbox_label.toolTip()
    finally:
        window.close()


def test_parked_facts_are_shown_with_their_error_and_can_be_sent_again(
    bench: StationUnderTest, qtbot: QtBot
) -> None:
    grader = bench.actors[Role.GRADER]
    view = receiving.receive(bench.ctx, grader, "RMA-100006")
    assert view.receipt_id is not None
    with bench.ctx.sessions.begin() as session:
        entry = session.scalars(select(OutboxEntry)).first()
        assert entry is not None
        entry.parked_at, entry.error = bench.clock(), "IntegrityError: null value in lpn"
    create_application()
    window = MainWindow(bench.ctx)
    qtbot.addWidget(window)
    seen: list[str] = []

    def press_send_again() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        seen.append(box.detailedText())
        for button in box.buttons():
            if button.text() == "Send again":
                button.click()

    window.show_parked()
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), QMessageBox))
    press_send_again()
    assert "IntegrityError: null value in lpn" in seen[0]
    qtbot.waitUntil(lambda: sync.waiting(bench.ctx.sessions)[1] == 0)


def test_a_halted_sync_is_shown_plainly_and_stays_on_screen(bench: StationUnderTest,
                                                            qtbot: QtBot) -> None:
    def restored_folder() -> sync.SyncReport:
        raise sync.SyncHalted("Sync halted: this data folder is an older copy. An admin "
                              "resolves it: re-enrol this data folder as a new station.")

    worker = SyncWorker(restored_folder, lambda: sync.waiting(bench.ctx.sessions), 3600)
    window = make_window(bench, qtbot, worker)
    try:
        qtbot.waitUntil(lambda: worker.status.halted, timeout=10_000)
        qtbot.waitUntil(lambda: window.outbox_label.text().startswith("SYNC HALTED"))
        assert "older copy" in window.outbox_label.toolTip()
        assert "re-enrol" in window.statusBar().currentMessage()
    finally:
        window.close()
