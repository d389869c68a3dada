"""The supervisor's daily summary in the app: F7 opens the figures and charts of the day, a
click on a bar or a figure lists the units behind it, a unit opens its whole story, and a
label is voided there with a reason; a grader has no summary to open."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from PySide6.QtCharts import QBarSet, QChartView, QStackedBarSeries
from PySide6.QtCore import QPoint, QPointF, QRect, Qt
from PySide6.QtGui import QFont, QFontMetrics, QTextDocument
from PySide6.QtWidgets import (
    QGraphicsSimpleTextItem,
    QGraphicsTextItem,
    QLabel,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
)
from pytestqt.qtbot import QtBot
from station_bench import StationUnderTest, inspect_unit, make_station
from ui_steps import sign_in

from drivers.documents.report_pdf import ReportLabReportRenderer
from station.common.vocabulary import ExceptionOutcome, Grade, Role
from station.labels import print_queue
from station.receiving import parcels as receiving
from station.supervision import queues
from station.sync import exchange as sync
from ui.app import create_application
from ui.main_window import MainWindow
from ui.summary_dialog import SummaryDialog
from ui.tasks import TaskRunner
from ui.unit_window import UnitWindow


def _day_of_work(bench: StationUnderTest) -> dict[str, str]:
    """Three units of RMA-100001 and RMA-100006 finished this morning, each label asked for."""
    grader = bench.actors[Role.GRADER]
    lpns: dict[str, str] = {}
    for number, grades in (("RMA-100001", (Grade.A, Grade.B)), ("RMA-100006", (Grade.A,))):
        view = receiving.receive(bench.ctx, grader, number)
        assert view.receipt_id is not None
        for line, grade in enumerate(grades):
            bench.clock.now += timedelta(minutes=7)
            unit = inspect_unit(bench, grader, view.receipt_id, view.lines[line].id, grade)
            print_queue.request_label(bench.ctx, grader, unit, "pdf:///tmp/labels")
            lpns[f"{number}/{line}"] = unit.lpn
    return lpns


def _busy_day(bench: StationUnderTest) -> int:
    """Every unit of the twelve demo RMAs finished, grades A to X in turn: seven return
    reasons, six dispositions, refunds in four currencies; the number of units."""
    grader = bench.actors[Role.GRADER]
    grades = list(Grade)
    finished = 0
    for number in range(1, 13):
        view = receiving.receive(bench.ctx, grader, f"RMA-{100000 + number}")
        assert view.receipt_id is not None
        for line in view.lines:
            for _unit in range(line.quantity):
                bench.clock.now += timedelta(minutes=9)
                inspect_unit(bench, grader, view.receipt_id, line.id, grades[finished % 5])
                finished += 1
    return finished


def _summary_of(qtbot: QtBot, bench: StationUnderTest) -> SummaryDialog:
    """The supervisor's F7 dialog on the bench's day (UTC), its figures counted."""
    create_application()
    runner = TaskRunner()
    dialog = SummaryDialog(bench.ctx, bench.actors[Role.SUPERVISOR], runner, central=None,
                           tz=UTC)
    runner.setParent(dialog)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.loaded is not None and dialog.trend is not None)
    return dialog


def _figures(dialog: SummaryDialog) -> Iterator[tuple[QTreeWidgetItem, int]]:
    """Every row of the figures tree, depth first, with its depth (0: a top-level figure)."""
    def walk(item: QTreeWidgetItem, depth: int) -> Iterator[tuple[QTreeWidgetItem, int]]:
        yield item, depth
        for index in range(item.childCount()):
            yield from walk(item.child(index), depth + 1)

    for index in range(dialog.figures.topLevelItemCount()):
        yield from walk(dialog.figures.topLevelItem(index), 0)


def test_parent_figures_count_units_as_their_rows_do(qtbot: QtBot, tmp_path: Path) -> None:
    """"Return reasons" and "Destinations" say how many units they stand for, as "Grades"
    does, not how many different reasons or destinations there were."""
    bench = make_station(tmp_path / "station", high_value_threshold_major=500)
    units = _busy_day(bench)
    dialog = _summary_of(qtbot, bench)
    for name in ("Grades", "Return reasons", "Units dispositioned", "Destinations"):
        parent = dialog.figure_item(name)
        assert parent is not None, name
        rows = [int(parent.child(i).text(1)) for i in range(parent.childCount())]
        assert int(parent.text(1)) == sum(rows) == units, name


#: The screens of the trial (#17), less a task bar along the bottom.
SCREENS = {"1366x768": QRect(0, 0, 1366, 768 - 40), "1920x1080": QRect(0, 0, 1920, 1080 - 40)}


def _cell_font(tree: QTreeWidget, item: QTreeWidgetItem, column: int) -> QFont:
    """The font the cell is drawn in: its own if it has one (underlined figures), else the
    tree's."""
    own = item.data(column, Qt.ItemDataRole.FontRole)
    return own if isinstance(own, QFont) else tree.font()


@pytest.mark.parametrize("screen", SCREENS.values(), ids=SCREENS.keys())
def test_every_figure_can_be_read_whole_and_the_dialog_fits_the_screen(
    qtbot: QtBot, tmp_path: Path, screen: QRect
) -> None:
    """On a 1366x768 laptop as on a full-HD screen the dialog stays inside the screen, and
    each figure's name and value are shown whole, side by side, numbers to the right: no
    value off to the right of the tree, none cut short, nothing to scroll sideways."""
    bench = make_station(tmp_path / "station", high_value_threshold_major=500)
    _busy_day(bench)
    dialog = _summary_of(qtbot, bench)
    dialog.fit_to(screen)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert screen.contains(dialog.frameGeometry())

    tree = dialog.figures
    assert tree.horizontalScrollBar().maximum() == 0  # nothing off to the side
    value_left, value_width = tree.columnViewportPosition(1), tree.columnWidth(1)
    assert value_left + value_width <= tree.viewport().width()
    margin = 8  # the cell's own padding, left and right
    for item, depth in _figures(dialog):
        assert item.parent() is None or item.parent().isExpanded(), item.text(0)
        label = QFontMetrics(_cell_font(tree, item, 0)).horizontalAdvance(item.text(0))
        assert tree.indentation() * (depth + 1) + label + margin <= tree.columnWidth(0), (
            item.text(0))
        value = QFontMetrics(_cell_font(tree, item, 1)).horizontalAdvance(item.text(1))
        assert value + margin <= value_width, item.text(1)
        assert item.textAlignment(1) & Qt.AlignmentFlag.AlignRight, item.text(1)


def _plain(label: QLabel) -> str:
    """What a rich-text label reads (no-break spaces as spaces)."""
    document = QTextDocument()
    document.setHtml(label.text())
    return document.toPlainText().replace("\xa0", " ")


def test_every_cell_of_a_unit_list_is_shown_whole(qtbot: QtBot, tmp_path: Path) -> None:
    """The list behind a figure keeps each column as wide as its widest cell, the last one
    too ("store credit 53.99 USD", not "store credit 53.9…"): where the columns are wider
    than the dialog, the list scrolls sideways."""
    bench = make_station(tmp_path / "station", high_value_threshold_major=500)
    _busy_day(bench)
    dialog = _summary_of(qtbot, bench)
    dialog.fit_to(SCREENS["1366x768"])
    dialog.show()
    qtbot.waitExposed(dialog)
    inspected = dialog.figure_item("Units inspected")
    assert inspected is not None
    dialog.figures.itemActivated.emit(inspected, 0)
    qtbot.waitUntil(lambda: dialog.units is not None)
    qtbot.wait(50)
    table = dialog.unit_table
    for column in range(table.columnCount()):
        assert table.columnWidth(column) >= table.sizeHintForColumn(column), (
            table.horizontalHeaderItem(column).text())


def test_a_dialog_already_shown_fits_the_screen_with_its_own_frame(
    qtbot: QtBot, tmp_path: Path
) -> None:
    """Fitted again once its frame is drawn, the dialog counts that frame and takes the
    room the screen has, no more."""
    bench = make_station(tmp_path / "station")
    dialog = _summary_of(qtbot, bench)
    dialog.show()
    qtbot.waitExposed(dialog)
    screen = SCREENS["1366x768"]
    dialog.fit_to(screen)
    qtbot.wait(20)
    assert screen.contains(dialog.frameGeometry())
    assert dialog.frameGeometry().width() >= screen.width() - 8


def _drawn_texts(dialog: SummaryDialog) -> list[str]:
    """Every text the four charts draw themselves (titles, legends, axis labels), each
    after the name of its chart."""
    texts: list[str] = []
    for name, view in (("hourly", dialog.charts.hourly), ("grades", dialog.charts.grades),
                       ("reasons", dialog.charts.reasons), ("trend", dialog.charts.trend)):
        for item in view.scene().items():
            if isinstance(item, QGraphicsTextItem) and item.isVisible():
                texts.append(f"{name}: {item.toPlainText()}")
            elif isinstance(item, QGraphicsSimpleTextItem) and item.isVisible():
                texts.append(f"{name}: {item.text()}")
    return texts


def test_no_chart_text_is_cut_short_when_the_splitter_moves(qtbot: QtBot,
                                                            tmp_path: Path) -> None:
    """Whichever way the supervisor drags the splitter between the figures and the charts,
    the legends say every disposition in full ("RESTOCK", never "RESTO…")."""
    bench = make_station(tmp_path / "station", high_value_threshold_major=500)
    _busy_day(bench)
    dialog = _summary_of(qtbot, bench)
    dialog.fit_to(SCREENS["1366x768"])
    dialog.show()
    qtbot.waitExposed(dialog)
    splitter = dialog.figures.parentWidget()
    assert isinstance(splitter, QSplitter)
    shown = [bar_set.label() for series in dialog.charts.hourly.chart().series()
             if isinstance(series, QStackedBarSeries) for bar_set in series.barSets()]
    assert len(shown) >= 5
    for position in (splitter.width(), 0, splitter.width() // 2):
        splitter.moveSplitter(position, 1)
        qtbot.wait(50)
        drawn = _drawn_texts(dialog)
        assert not [text for text in drawn if "…" in text or "..." in text], " | ".join(drawn)
        legend = dialog.charts.legend_of(dialog.charts.hourly)
        assert legend.isVisible()
        assert legend.heightForWidth(legend.width()) <= legend.height()  # no line cut off
        for name in shown:
            assert name in _plain(legend), name


def test_the_summary_says_dispositions_reasons_and_categories_in_words(
    qtbot: QtBot, tmp_path: Path
) -> None:
    """Figures, legends, list titles and list cells read "open box", "home & kitchen",
    "changed mind", "store credit": never OPEN_BOX, home_kitchen or STORE_CREDIT."""
    bench = make_station(tmp_path / "station", high_value_threshold_major=500)
    _busy_day(bench)
    dialog = _summary_of(qtbot, bench)
    for words in ("open box", "return to vendor", "home & kitchen", "changed mind",
                  "store credit", "B (like new / opened)"):
        assert dialog.figure_item(words) is not None, words
    for identifier in ("OPEN_BOX", "RTV", "home kitchen", "home_kitchen", "changed_mind"):
        assert dialog.figure_item(identifier) is None, identifier
    legend = _plain(dialog.charts.legend_of(dialog.charts.hourly))
    assert "open box" in legend and "OPEN_BOX" not in legend

    for name in ("open box", "store credit"):
        item = dialog.figure_item(name)
        assert item is not None
        dialog.units = None
        dialog.figures.itemActivated.emit(item, 0)
        qtbot.waitUntil(lambda: dialog.units is not None)
        cells = [dialog.unit_table.item(row, column).text()
                 for row in range(dialog.unit_table.rowCount()) for column in range(10)]
        shown = " | ".join([dialog.units_title.text(), *cells])
        assert "_" not in shown and "OPEN_BOX" not in shown and "STORE_CREDIT" not in shown
    assert dialog.units_title.text().startswith("Units whose refund is store credit: ")


def _click_bar(qtbot: QtBot, view: QChartView, bar_set: QBarSet, index: int) -> None:
    """Click the middle of one bar of a (stacked) bar chart, as the supervisor would."""
    chart = view.chart()
    series = next(s for s in chart.series() if isinstance(s, QStackedBarSeries))
    below = sum(other.at(index) for other in series.barSets()[:series.barSets().index(bar_set)])
    inside = chart.mapToPosition(QPointF(index, below + bar_set.at(index) / 2), series)
    point = view.mapFromScene(chart.mapToScene(inside))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(point.x(),
                                                                            point.y()))


def test_a_supervisor_goes_from_the_summary_to_a_unit_and_voids_its_label(
    qtbot: QtBot, tmp_path: Path
) -> None:
    bench = make_station(tmp_path / "station")
    lpns = _day_of_work(bench)
    create_application()
    window = MainWindow(bench.ctx, evidence_folder=tmp_path / "exports",
                        reports_renderer=ReportLabReportRenderer())
    qtbot.addWidget(window)
    window.show()

    sign_in(window, qtbot, Role.GRADER)
    assert not window.summary_action.isVisible()
    window.show_summary()  # the shortcut does nothing for a grader
    assert window.summary_dialog is None
    window.sign_out()

    sign_in(window, qtbot, Role.SUPERVISOR)
    assert window.summary_action.isVisible()
    window.summary_action.trigger()  # F7
    dialog = window.summary_dialog
    assert isinstance(dialog, SummaryDialog)
    qtbot.waitUntil(lambda: dialog.loaded is not None)
    assert "THIS STATION ONLY" in dialog.source.text()  # no central database configured
    inspected = dialog.figure_item("Units inspected")
    assert inspected is not None and inspected.text(1) == "3"
    grade_b = dialog.figure_item("B (like new / opened)")
    assert grade_b is not None and grade_b.text(1) == "1"
    assert dialog.trend is not None  # counted in the figures' own read, for the PDF too
    assert dialog.trend is dialog.loaded.read.trend
    assert dialog.trend["days"][-1]["dispositioned"] == 3
    assert len(dialog.charts.trend_days) == 14
    assert dialog.charts.title_of(dialog.charts.trend).startswith("14 days to 20 Nov")

    # A bar of the stacked hourly chart: the units routed so in that hour.
    hourly = dialog.charts.hourly.chart()
    series = next(s for s in hourly.series() if isinstance(s, QStackedBarSeries))
    restock = next(s for s in series.barSets() if s.label() == "restock")
    column = next(i for i in range(restock.count()) if restock.at(i))
    _click_bar(qtbot, dialog.charts.hourly, restock, column)
    qtbot.waitUntil(lambda: dialog.units is not None)
    assert dialog.tabs.currentIndex() == 1
    assert dialog.units is not None
    assert dialog.units.title.startswith("Units routed to restock, ")
    assert dialog.units.total == int(restock.at(column))
    assert {row.disposition for row in dialog.units.rows} == {"RESTOCK"}

    # A figure of the tree: the one unit graded B.
    dialog.tabs.setCurrentIndex(0)
    dialog.figures.itemActivated.emit(grade_b, 0)
    qtbot.waitUntil(lambda: dialog.units is not None
                    and dialog.units.title == "Units graded B (like new / opened)")
    assert [row.lpn for row in dialog.units.rows] == [lpns["RMA-100001/1"]]
    assert dialog.unit_table.item(0, 6).text() == "B"

    # The unit's story, and its label voided with a reason.
    dialog.unit_table.itemActivated.emit(dialog.unit_table.item(0, 0))
    qtbot.waitUntil(lambda: len(window.unit_windows) == 1)
    unit_window = window.unit_windows[0]
    assert isinstance(unit_window, UnitWindow)
    qtbot.waitUntil(lambda: unit_window.history is not None)
    story = unit_window.story.toPlainText()
    assert lpns["RMA-100001/1"] in story and "grade B" in story
    assert "Disposition decisions" in story and "Refund" in story
    assert unit_window.labels.rowCount() == 1
    unit_window.void_button.click()  # no reason yet
    qtbot.waitUntil(lambda: "at least 3 characters" in unit_window.message.text())
    unit_window.reason.setText("printed on the wrong tote")
    unit_window.void_button.click()
    qtbot.waitUntil(lambda: unit_window.labels.item(0, 4).text() == "voided")
    assert "printed on the wrong tote" in unit_window.labels.item(0, 6).text()
    assert "Label voided" in unit_window.message.text()

    # Exports of what is on screen.
    csv_file, pdf_file = tmp_path / "day.csv", tmp_path / "day.pdf"
    dialog.export_csv(csv_file)
    qtbot.waitUntil(lambda: "CSV written" in dialog.message.text())
    assert "inspected,units,3" in csv_file.read_text(encoding="utf-8")
    dialog.export_pdf(pdf_file)
    qtbot.waitUntil(lambda: dialog.message.tone != "warning", timeout=20_000)
    assert "PDF written" in dialog.message.text()
    text = subprocess.run(["pdftotext", "-layout", str(pdf_file), "-"], check=True,
                          capture_output=True, text=True).stdout
    assert "local (this station only)" in text.lower() or "this station only" in text.lower()

    window.sign_out()  # the supervisor's windows go with them
    assert window.summary_dialog is None and window.unit_windows == []


def test_after_sync_the_summary_and_the_unit_come_from_the_central_database(
    qtbot: QtBot, tmp_path: Path
) -> None:
    bench = make_station(tmp_path / "station")
    lpns = _day_of_work(bench)
    sync.sync_once(bench.ctx.sessions, bench.opened.central_sessions(),
                   bench.opened.central_engine(), sync.StationIdentity.of(bench.ctx.config),
                   clock=bench.clock)
    create_application()
    window = MainWindow(bench.ctx, central=bench.opened.central_sessions)
    qtbot.addWidget(window)
    window.show()
    sign_in(window, qtbot, Role.SUPERVISOR)
    window.show_summary()
    dialog = window.summary_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.loaded is not None)
    assert "central database, every station" in dialog.source.text()
    assert not dialog.pdf_button.isEnabled()  # this window was given no PDF renderer
    restock = dialog.figure_item("restock")
    assert restock is not None
    dialog.figures.itemActivated.emit(restock, 0)
    qtbot.waitUntil(lambda: dialog.units is not None)
    assert dialog.units is not None
    assert lpns["RMA-100001/0"] in {row.lpn for row in dialog.units.rows}
    dialog.open_unit(0)
    qtbot.waitUntil(lambda: bool(window.unit_windows)
                    and window.unit_windows[0].history is not None)
    history = window.unit_windows[0].history
    assert history is not None and history.unit.station_code == "BENCH-01"
    assert len(history.labels) == 1  # the print job reached the central database too


def test_the_exported_pdf_shows_the_exceptions_as_the_figures_on_screen_counted_them(
    qtbot: QtBot, tmp_path: Path
) -> None:
    """Three parcels wait as exceptions when F7 counts the day. A closing stamped a minute
    before that count (a supervisor's bench clock a little behind, or a closing that synced
    late) lands while the figures are on screen: the exported PDF still lists the
    exceptions as they stood when its figures were counted, not one closed among three
    counted open."""
    bench = make_station(tmp_path / "station")
    clerk, supervisor = bench.actors[Role.CLERK], bench.actors[Role.SUPERVISOR]
    waiting = []
    for code in ("NO-RMA-1", "NO-RMA-2", "NO-RMA-3"):
        bench.clock.now += timedelta(minutes=5)
        waiting.append(receiving.receive_unexpected(bench.ctx, clerk, code).exception_id)
    bench.clock.now += timedelta(minutes=5)
    create_application()
    window = MainWindow(bench.ctx, evidence_folder=tmp_path / "exports",
                        reports_renderer=ReportLabReportRenderer())
    qtbot.addWidget(window)
    window.show()
    sign_in(window, qtbot, Role.SUPERVISOR)
    window.show_summary()
    dialog = window.summary_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.loaded is not None)
    assert dialog.loaded is not None
    assert dialog.loaded.summary["exceptions"]["open"] == 3

    counted_at = bench.clock.now
    bench.clock.now = counted_at - timedelta(minutes=1)
    queues.resolve_exception(bench.ctx, supervisor, waiting[0], ExceptionOutcome.ACCEPTED,
                             "matched RMA-100002 by the packing slip")
    bench.clock.now = counted_at

    pdf_file = tmp_path / "day.pdf"
    dialog.export_pdf(pdf_file)
    qtbot.waitUntil(lambda: dialog.message.tone != "warning", timeout=20_000)
    assert "PDF written" in dialog.message.text()
    text = " ".join(subprocess.run(["pdftotext", str(pdf_file), "-"], check=True,
                                   capture_output=True, text=True).stdout.split())
    assert "3 opened · 0 closed · 3 open at the end" in text
    assert "Exceptions (3 listed, 3 open)" in text
    window.sign_out()
