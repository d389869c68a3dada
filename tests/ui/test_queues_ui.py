"""The supervisor's queues in the app: counts on the home screen, F6 opens them, held refunds
approved or denied and exceptions closed with a reason; a grader never sees them."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select
from station_bench import PINS, inspect_unit, make_station
from ui_steps import sign_in

from station.common.vocabulary import Grade, Role
from station.receiving import parcels as receiving
from station.store.models import ExceptionResolution, RefundTrigger
from ui.app import create_application
from ui.main_window import MainWindow
from ui.queues_dialog import QueuesDialog


def test_a_supervisor_works_the_queues_and_a_grader_does_not_see_them(
    qtbot: QtBot, tmp_path: Path
) -> None:
    bench = make_station(tmp_path / "station", high_value_threshold_major=10)
    grader = bench.actors[Role.GRADER]
    view = receiving.receive(bench.ctx, grader, "RMA-100006")
    assert view.receipt_id is not None
    inspect_unit(bench, grader, view.receipt_id, view.lines[0].id, Grade.A)  # held: 29.99 USD
    receiving.receive_unexpected(bench.ctx, bench.actors[Role.CLERK], "PARCEL-NO-RMA")
    create_application()
    window = MainWindow(bench.ctx)
    qtbot.addWidget(window)
    window.show()

    sign_in(window, qtbot, Role.GRADER)
    assert not window.queues_action.isVisible()
    window.sign_out()
    sign_in(window, qtbot, Role.SUPERVISOR)
    assert window.queues_action.isVisible()
    qtbot.waitUntil(lambda: window.scan.queue_hint.isVisible())
    assert "1 held refund(s), 1 open exception(s)" in window.scan.queue_hint.text()

    opened: list[str] = []

    def close_it() -> None:
        modal = QApplication.activeModalWidget()
        if isinstance(modal, QueuesDialog):
            opened.append(modal.windowTitle())
            modal.reject()
        else:
            QTimer.singleShot(20, close_it)

    QTimer.singleShot(20, close_it)
    window.queues_action.trigger()  # F6
    assert opened == ["Supervisor queues"]

    assert window.actor is not None
    dialog = QueuesDialog(bench.ctx, window.actor, window.tasks)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: len(dialog.refunds) == 1 and len(dialog.exceptions) == 1)
    qtbot.wait(20)
    assert dialog.refund_table.item(0, 3).text() == "29.99 USD"
    # What the decision rests on, in words: the unit's grade, where it goes, why it waits.
    shown = {dialog.refund_table.horizontalHeaderItem(column).text():
             dialog.refund_table.item(0, column).text()
             for column in range(dialog.refund_table.columnCount())}
    assert shown["Grade"] == "A (new / sealed)"
    assert shown["Disposition"] == "restock"
    assert shown["Why held"] == "the unit is worth more than the high-value threshold (10 USD)"
    table = dialog.refund_table
    for column in range(table.columnCount()):  # every cell whole, if need be by scrolling
        assert table.columnWidth(column) >= table.sizeHintForColumn(column), column
    # and the chosen refund's case in a sentence that wraps, whatever the dialog's width
    assert dialog.refund_case.wordWrap()
    assert dialog.refund_case.text() == (
        f"{dialog.refunds[0].lpn}, grade A (new / sealed), going to restock. Why held: "
        "the unit is worth more than the high-value threshold (10 USD).")
    dialog.refund_pin.setText(PINS[Role.SUPERVISOR])
    dialog.approve_button.click()  # no reason yet: refused by the core
    qtbot.waitUntil(lambda: "reason is required" in dialog.message.text())
    assert dialog.refund_pin.text() == ""  # typed once per decision
    dialog.refund_reason.setText("receipt checked")
    dialog.refund_pin.setText("0000")
    dialog.approve_button.click()  # the PIN is checked again, as at the bench
    qtbot.waitUntil(lambda: "Wrong PIN" in dialog.message.text())
    assert len(dialog.refunds) == 1
    dialog.refund_pin.setText(PINS[Role.SUPERVISOR])
    dialog.approve_button.click()
    qtbot.waitUntil(lambda: dialog.refunds == []
                    and "approved: full 29.99 USD" in dialog.message.text())
    dialog.tabs.setCurrentIndex(1)
    dialog.exception_reason.setText("no RMA; sent back to the carrier")
    dialog.outcome.setCurrentIndex(dialog.outcome.findData("returned_to_carrier"))
    dialog.close_button.click()
    qtbot.waitUntil(lambda: dialog.exceptions == [])
    assert dialog.tabs.tabText(0) == "Held refunds (0)"

    with bench.ctx.sessions() as session:
        approved = session.scalar(select(RefundTrigger).where(
            RefundTrigger.supersedes_id.is_not(None)))
        assert approved is not None and approved.note == "receipt checked"
        resolution = session.scalar(select(ExceptionResolution))
        assert resolution is not None and resolution.outcome == "returned_to_carrier"
    window.tasks.wait_idle()
