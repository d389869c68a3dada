"""The window's task runner: work off the UI thread, in order, outcomes back on the UI
thread, and a word to the views about what changed."""

from __future__ import annotations

import threading

from pytestqt.qtbot import QtBot

from station.common.errors import UserFacingError
from ui.app import create_application
from ui.tasks import Changed, Lane, TaskRunner


def test_database_work_runs_in_the_order_asked_on_one_thread_that_is_not_the_ui_thread(
    qtbot: QtBot,
) -> None:
    create_application()
    tasks = TaskRunner()
    threads: list[threading.Thread] = []
    done: list[int] = []
    delivered_on: list[threading.Thread] = []

    def work(n: int) -> int:
        threads.append(threading.current_thread())
        return n

    def finished(n: int) -> None:
        done.append(n)
        delivered_on.append(threading.current_thread())

    for n in range(20):
        tasks.run(lambda n=n: work(n), finished, lambda error: None)
    qtbot.waitUntil(lambda: len(done) == 20)
    assert done == list(range(20))
    assert len(set(threads)) == 1 and threads[0] is not threading.main_thread()
    assert set(delivered_on) == {threading.main_thread()}


def test_a_slow_device_does_not_hold_up_the_database_lane(qtbot: QtBot) -> None:
    create_application()
    tasks = TaskRunner()
    printer_free = threading.Event()
    saved: list[str] = []
    tasks.run(lambda: printer_free.wait(10), lambda _ok: None, lambda error: None,
              lane=Lane.DEVICES, shows_busy=False)
    tasks.run(lambda: "saved", saved.append, lambda error: None)
    qtbot.waitUntil(lambda: saved == ["saved"])
    printer_free.set()
    assert tasks.wait_idle()


def test_views_hear_what_an_operation_changed_after_it_succeeded_and_errors_reach_the_caller(
    qtbot: QtBot,
) -> None:
    create_application()
    tasks = TaskRunner()
    heard: list[Changed] = []
    errors: list[str] = []
    busy: list[bool] = []
    tasks.changed.connect(heard.append)
    tasks.busy_changed.connect(busy.append)

    def refused() -> None:
        raise UserFacingError("Not allowed.")

    tasks.run(refused, lambda _none: None, lambda error: errors.append(str(error)),
              changes=Changed.OUTBOX)
    tasks.run(lambda: None, lambda _none: None, lambda error: None,
              changes=Changed.OUTBOX | Changed.QUEUES)
    qtbot.waitUntil(lambda: not tasks.busy)
    qtbot.waitUntil(lambda: heard == [Changed.OUTBOX | Changed.QUEUES])
    assert errors == ["Not allowed."]
    assert busy == [True, False]
