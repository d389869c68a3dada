"""Station ▸ Daily summary (F7): the supervisor's view of a day or a range of days.

The figures (a tree: every number of the JSON report, in words), the four charts and the
list of units behind whatever figure, bar or slice the supervisor opens; a unit opens its
whole history. The summary comes from the central database when it answers, else from this
station's own one, and the banner says which. Counting, the trend, the lists and the exports
all run on the window's task runner; the dialog says what it is doing meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Any, Final

from PySide6.QtCore import QDate, QMargins, QRect, QSize, Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableWidgetItem,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session, sessionmaker

from station.common.atomic_file import write_atomically
from station.common.money import format_minor
from station.common.permissions import Actor
from station.common.vocabulary import Category
from station.reports import daily_summary as reports
from station.reports import summary_csv as report_csv
from station.reports import trend as report_trend
from station.reports.document import (
    ReportRenderer,
    SummaryWithExceptions,
    summary_with_exceptions,
)
from station.reports.units import Figure, UnitList, UnitRow, in_words, units_behind
from station.runtime.context import StationContext
from ui.list_table import list_table
from ui.message_line import MessageLine
from ui.summary_charts import Pick, SummaryCharts
from ui.tasks import TaskRunner

#: The dialog's size where the screen has room for it; else it takes the screen's free area.
PREFERRED_SIZE: Final = QSize(1400, 900)
#: The window frame assumed before the window system has drawn one (title bar on top).
ASSUMED_FRAME: Final = QMargins(8, 36, 8, 8)
#: Free text (an override's reason) is cut to this many characters in the figures; the
#: row's tooltip has it whole.
LABEL_CHARS: Final = 48
NUMBER: Final = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
#: The narrowest the splitter makes the charts' area (it scrolls below their own minimum).
CHARTS_MINIMUM_WIDTH: Final = 320
UNIT_COLUMNS: Final = ("LPN", "Station", "When", "SKU", "Category", "Reason", "Grade",
                       "Disposition", "Destination", "Refund")
CentralSessions = Callable[[], sessionmaker[Session]]


@dataclass(frozen=True)
class Loaded:
    """One refresh: the summary with the exceptions and the 14-day trend behind it (read in
    one transaction, so an export shows them as the figures on screen counted them), the
    database it came from and what it was asked."""

    read: SummaryWithExceptions
    sessions: sessionmaker[Session]
    options: dict[str, Any]
    now: datetime

    @property
    def summary(self) -> dict[str, Any]:
        return self.read.summary

    def users(self, local: sessionmaker[Session]) -> sessionmaker[Session] | None:
        """The station's own database, to name users, when the figures are not from it."""
        return local if self.sessions is not local else None


def _minutes(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes = round(seconds / 60)
    return f"{minutes // 60}:{minutes % 60:02d} h"


def _amounts(amounts: Mapping[str, int]) -> str:
    return ", ".join(format_minor(n, c) for c, n in amounts.items()) or "—"


def _rate(rate: float | None) -> str:
    return "—" if rate is None else f"{rate:.1%}"


class SummaryDialog(QDialog):
    """Filters on top; figures and charts on the first tab, the units of a figure on the
    second; double-click (or Enter on) a figure or a unit to open it."""

    unit_opened = Signal(str)  # an LPN

    def __init__(self, ctx: StationContext, actor: Actor, background: TaskRunner, *,
                 central: CentralSessions | None, tz: tzinfo,
                 renderer: ReportRenderer | None = None,
                 export_folder: Path | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx, self._actor, self._background = ctx, actor, background
        self._central, self.tz, self._renderer = central, tz, renderer
        self.export_folder = export_folder or Path.home()
        self.loaded: Loaded | None = None
        self.trend: dict[str, Any] | None = None
        self.units: UnitList | None = None
        self.setWindowTitle("Daily disposition summary")
        self.resize(PREFERRED_SIZE)
        self._fitted = False

        today = QDate.fromString(ctx.clock().astimezone(tz).date().isoformat(),
                                 Qt.DateFormat.ISODate)
        self.start = QDateEdit(today)
        self.end = QDateEdit(today)
        for edit in (self.start, self.end):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        self.station = QLineEdit()
        self.station.setPlaceholderText("all stations")
        self.grader = QLineEdit()
        self.grader.setPlaceholderText("all graders")
        for line_edit in (self.station, self.grader):
            line_edit.setMinimumWidth(120)
        self.category = QComboBox()
        self.category.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.category.setMinimumContentsLength(12)
        self.category.addItem("all categories", None)
        for category in Category:
            self.category.addItem(category.value.replace("_", " "), category.value)
        self.refresh_button = QPushButton("&Refresh")
        self.refresh_button.setObjectName("primary")
        self.refresh_button.clicked.connect(self.refresh)
        self.csv_button = QPushButton("Export &CSV…")
        self.csv_button.clicked.connect(self._ask_csv)
        self.pdf_button = QPushButton("Export &PDF…")
        self.pdf_button.clicked.connect(self._ask_pdf)
        self.pdf_button.setEnabled(renderer is not None)
        filters = QHBoxLayout()
        for text, widget in (("From", self.start), ("to", self.end), ("Station", self.station),
                             ("Grader", self.grader)):
            label = QLabel(text)
            label.setBuddy(widget)
            filters.addWidget(label)
            filters.addWidget(widget)
        filters.addWidget(self.category)
        filters.addWidget(self.refresh_button)
        filters.addStretch(1)

        self.source = QLabel()
        self.source.setObjectName("panel")
        self.source.setWordWrap(True)
        self.source.setTextFormat(Qt.TextFormat.PlainText)
        self.figures = QTreeWidget()
        self.figures.setObjectName("compact")
        self.figures.setColumnCount(2)
        self.figures.setHeaderLabels(["Figure", "Value"])
        self.figures.headerItem().setTextAlignment(1, NUMBER)
        # The names as wide as the widest, the values in the rest; the tree is never made
        # narrower than both need (`_fit_figures`), so no value is off to the right.
        self.figures.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.figures.header().setStretchLastSection(True)
        self.figures.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.figures.itemActivated.connect(self._figure_activated)
        self.charts = SummaryCharts()
        self.charts.picked.connect(self._picked)
        # Below their smallest readable size the charts scroll rather than shrink (and cut
        # their labels): down when the screen is low, sideways only when the splitter is
        # dragged far over them, so the figures can always have the room they need.
        charts = QScrollArea()
        charts.setWidget(self.charts)
        charts.setWidgetResizable(True)
        charts.setFrameShape(QFrame.Shape.NoFrame)
        charts.setMinimumWidth(CHARTS_MINIMUM_WIDTH)
        self.splitter = splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.figures)
        splitter.addWidget(charts)
        splitter.setChildrenCollapsible(False)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([460, 940])

        self.units_title = QLabel("Open a figure, a bar or a slice to list its units.")
        self.units_title.setObjectName("subtitle")
        self.unit_table = list_table(UNIT_COLUMNS)
        self.unit_table.itemActivated.connect(lambda item: self.open_unit(item.row()))
        units_page = QWidget()
        units_layout = QVBoxLayout(units_page)
        units_layout.addWidget(self.units_title)
        units_layout.addWidget(self.unit_table, 1)

        self.tabs = QTabWidget()
        self.tabs.addTab(splitter, "Summary")
        self.tabs.addTab(units_page, "Units")
        self.message = MessageLine()
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        banner = QHBoxLayout()
        banner.addWidget(self.source, 1)
        banner.addWidget(self.csv_button)
        banner.addWidget(self.pdf_button)
        layout.addLayout(banner)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.message)
        self.refresh()

    # ------------------------------------------------------------------ size

    def fit_to(self, available: QRect) -> None:
        """Size and place the dialog inside `available` (a screen's free area, without task
        bars), frame included: its preferred size where there is room, else as much as
        there is; centred. Done on the first show for the screen it opens on."""
        self._fitted = True
        frame = self._frame()
        room = available.size().shrunkBy(frame)
        size = PREFERRED_SIZE.boundedTo(room)
        self.resize(size)
        outer = size.grownBy(frame)
        self.move(available.x() + max(0, (available.width() - outer.width()) // 2),
                  available.y() + max(0, (available.height() - outer.height()) // 2))

    def _frame(self) -> QMargins:
        """The window frame around the dialog: its own once the window system has drawn
        it, else its parent window's (the same window manager draws both), else
        ASSUMED_FRAME. At its first show a frame is not known yet (it reads as none)."""
        parent = self.parentWidget()
        for window in (self, parent.window() if parent is not None else None):
            if window is not None and window.isVisible():
                outer, inner = window.frameGeometry(), window.geometry()
                frame = QMargins(inner.left() - outer.left(), inner.top() - outer.top(),
                                 outer.right() - inner.right(), outer.bottom() - inner.bottom())
                if not frame.isNull():
                    return frame
        return ASSUMED_FRAME

    def showEvent(self, event: QShowEvent) -> None:
        if not self._fitted:
            screen = self.screen()
            if screen is not None:
                self.fit_to(screen.availableGeometry())
        super().showEvent(event)

    def _fit_figures(self) -> None:
        """Keep the figures tree at least as wide as its widest name and widest value
        together (the splitter cannot squeeze it below that), and give it that width when
        it has less."""
        tree = self.figures
        header = tree.header()
        room = 2 * tree.fontMetrics().averageCharWidth()  # so no value ends at the edge
        needed = (max(tree.sizeHintForColumn(0), header.sectionSizeHint(0))
                  + max(tree.sizeHintForColumn(1), header.sectionSizeHint(1)) + room
                  + tree.verticalScrollBar().sizeHint().width() + 2 * tree.frameWidth())
        tree.setMinimumWidth(needed)
        sizes = self.splitter.sizes()
        if sizes[0] < needed:
            self.splitter.setSizes([needed, max(0, sum(sizes) - needed)])

    # ------------------------------------------------------------------ options

    def options(self) -> dict[str, Any]:
        """The report options the filters stand for, as `reports.summarize` takes them."""
        return {
            "start": date.fromisoformat(self.start.date().toString(Qt.DateFormat.ISODate)),
            "end": date.fromisoformat(self.end.date().toString(Qt.DateFormat.ISODate)),
            "station": self.station.text().strip() or None,
            "grader": self.grader.text().strip() or None,
            "category": self.category.currentData(),
            "tz": self.tz,
        }

    # ------------------------------------------------------------------ the summary

    def refresh(self) -> None:
        options = self.options()
        ctx, central = self._ctx, self._central

        def work() -> Loaded:
            now = ctx.clock()
            read = summary_with_exceptions(central, ctx.sessions, now=now,
                                           trend_days=report_trend.TREND_DAYS, **options)
            sessions = (central() if central is not None
                        and read.summary["scope"]["source"] == reports.SOURCE_CENTRAL
                        else ctx.sessions)
            return Loaded(read, sessions, options, now)

        self.message.warning("Counting…")
        self.refresh_button.setEnabled(False)
        self._background.run(work, self._show, self._failed)

    def _show(self, loaded: Loaded) -> None:
        self.loaded, self.trend = loaded, None
        self.refresh_button.setEnabled(True)
        self.message.clear_message()
        scope = loaded.summary["scope"]
        period = scope["from"] if scope["from"] == scope["to"] else (
            f"{scope['from']} to {scope['to']}")
        filters = ", ".join(f"{name} {scope[name]}" for name in ("station", "grader", "category")
                            if scope[name]) or "the whole site"
        if scope["source"] == reports.SOURCE_CENTRAL:
            self.source.setText(f"{period} ({scope['tz']}), {filters}: central database, "
                                f"every station. As of {scope['as_of'][:16]}.")
            self.source.setStyleSheet("")
        else:
            why = (f" The central database cannot be reached ({scope['central_error']})."
                   if scope["central_error"] else "")
            self.source.setText(f"{period} ({scope['tz']}), {filters}: THIS STATION ONLY "
                                f"(its local database).{why}")
            self.source.setStyleSheet("background: #fde2e1; color: #8a1c16;")
        self._fill_figures(loaded.summary)
        self.charts.show_summary(loaded.summary)
        self.trend = loaded.read.trend
        if self.trend is not None:
            self.charts.show_trend(self.trend)

    def _fill_figures(self, summary: Mapping[str, Any]) -> None:
        """Every figure as a row: a name, and a value short enough to read beside it (sums
        of money one row per currency, a rate's parts one row each)."""
        self.figures.clear()

        def row(parent: QTreeWidget | QTreeWidgetItem, name: str, value: object,
                figure: Figure | None = None) -> QTreeWidgetItem:
            shown = name if len(name) <= LABEL_CHARS else name[:LABEL_CHARS - 1] + "…"
            item = QTreeWidgetItem([shown, str(value)])
            item.setTextAlignment(1, NUMBER)
            if shown != name:
                item.setToolTip(0, name)
            if figure is not None and value not in (0, "0"):
                item.setData(0, Qt.ItemDataRole.UserRole, figure)
                item.setToolTip(0, "Double-click to list the units")
                font = self.figures.font()
                font.setUnderline(True)
                item.setFont(0, font)
            if isinstance(parent, QTreeWidget):
                parent.addTopLevelItem(item)
            else:
                parent.addChild(item)
            return item

        def money(parent: QTreeWidgetItem, name: str, amounts: Mapping[str, int],
                  units: int | None = None, figure: Figure | None = None) -> QTreeWidgetItem:
            """A row of units (or of money in one currency) with a row per currency."""
            value = (units if units is not None else
                     _amounts(amounts) if len(amounts) <= 1 else f"{len(amounts)} currencies")
            item = row(parent, name, value, figure)
            if units is not None or len(amounts) > 1:
                for currency, minor in amounts.items():
                    row(item, currency, format_minor(minor, currency))
            return item

        tree = self.figures
        received = summary["received"]
        parcels = row(tree, "Parcels received", received["parcels"])
        row(parcels, "expected (with an RMA)", received["parcels_expected"])
        row(parcels, "unexpected", received["parcels_unexpected"])
        row(parcels, "units announced on their RMAs", received["units_expected"])
        row(parcels, "units taken in", received["units_taken"])
        inspected = row(tree, "Units inspected", summary["inspected"]["units"],
                        Figure("inspected"))
        for category, n in summary["inspected"]["by_category"].items():
            row(inspected, in_words("category", category), n, Figure("category", category))
        grades = row(tree, "Grades", sum(summary["grades"].values()))
        for grade, n in summary["grades"].items():
            row(grades, in_words("grade", grade), n, Figure("grade", grade) if n else None)
        # A parent row counts units, as its rows do (never how many rows it has).
        reasons = row(tree, "Return reasons",
                      sum(entry["units"] for entry in summary["reasons"]))
        for entry in summary["reasons"]:
            row(reasons, in_words("reason", entry["reason"]), entry["units"],
                Figure("reason", entry["reason"]))
        dispositions = summary["dispositions"]
        routed = row(tree, "Units dispositioned", dispositions["units"],
                     Figure("dispositioned"))
        for disposition, n in dispositions["by_disposition"].items():
            if n:
                row(routed, in_words("disposition", disposition), n,
                    Figure("disposition", disposition))
        sent = row(tree, "Destinations", sum(dispositions["by_destination"].values()))
        for destination, n in dispositions["by_destination"].items():
            row(sent, destination, n, Figure("destination", destination))
        refunds = summary["refunds"]
        refunded = row(tree, "Refunds", refunds["units"], Figure("refund"))
        for action, bucket in refunds["by_action"].items():
            money(refunded, in_words("refund", action), bucket["amount_minor"],
                  bucket["units"], Figure("refund", action) if bucket["units"] else None)
        money(refunded, "money refunded", refunds["money_refunded_minor"])
        held = refunds["held_resolutions"]
        resolved = row(refunded, "held refunds resolved", held["approved"] + held["denied"])
        row(resolved, "approved", held["approved"])
        row(resolved, "denied", held["denied"])
        recovery = row(tree, "Recovery", "")
        for currency, entry in summary["recovery"]["by_currency"].items():
            rate = row(recovery, f"recovery rate, {currency}", _rate(entry["recovery_rate"]))
            row(rate, "expected recovery",
                format_minor(entry["expected_recovery_minor"], currency))
            row(rate, "refunded", format_minor(entry["refunded_minor"], currency))
            row(rate, "units", entry["units"])
        handling = summary["handling_time"]
        times = row(tree, "Handling time (receipt → disposition)",
                    f"median {_minutes(handling['median_seconds'])}")
        row(times, "90th percentile", _minutes(handling["p90_seconds"]))
        row(times, "units", handling["units"])
        dwell = summary["dwell"]
        waiting = row(tree, "Waiting (not yet dispositioned)", f"{dwell['units_waiting']} units")
        row(waiting, "in parcels", dwell["parcels_waiting"])
        row(waiting, "median wait", _minutes(dwell["median_seconds"]))
        row(waiting, "90th percentile", _minutes(dwell["p90_seconds"]))
        productivity = summary["productivity"]
        people = row(tree, "Units per grader-hour",
                     _rate_text(productivity["units_per_grader_hour"]))
        for grader in productivity["by_grader"]:
            person = row(people, grader["display_name"] or grader["username"]
                         or grader["grader_id"], f"{_rate_text(grader['units_per_hour'])}/h")
            row(person, "units", grader["units"])
            row(person, "hours", f"{grader['hours']:.2f} h")
        exceptions = summary["exceptions"]
        closed = exceptions["closed"]
        opened = row(tree, "Exceptions opened", exceptions["opened"])
        for kind, n in exceptions["opened_by_kind"].items():
            row(opened, kind.replace("_", " "), n)
        row(opened, "closed in the period", "—" if closed is None else closed)
        still = row(opened, "open at the end", exceptions["open"])
        for kind, n in exceptions["open_by_kind"].items():
            row(still, kind.replace("_", " "), n)
        overrides = summary["overrides"]
        changed = row(tree, "Overrides", overrides["grade"] + overrides["disposition"],
                      Figure("override"))
        row(changed, "grade", overrides["grade"],
            Figure("override", "grade") if overrides["grade"] else None)
        row(changed, "disposition", overrides["disposition"],
            Figure("override", "disposition") if overrides["disposition"] else None)
        for entry in overrides["by_reason"]:
            row(changed, f"{entry['kind']}: {entry['reason']}", entry["count"])
        tree.expandAll()
        self._fit_figures()

    # ------------------------------------------------------------------ the units

    def figure_item(self, name: str) -> QTreeWidgetItem | None:
        """The figure row called `name` (first match, depth first)."""
        found = self.figures.findItems(name, Qt.MatchFlag.MatchExactly
                                       | Qt.MatchFlag.MatchRecursive, 0)
        return found[0] if found else None

    def _figure_activated(self, item: QTreeWidgetItem) -> None:
        figure = item.data(0, Qt.ItemDataRole.UserRole)
        if isinstance(figure, Figure):
            self.show_units(Pick(figure))

    def _picked(self, pick: Pick) -> None:
        self.show_units(pick)

    def show_units(self, pick: Pick) -> None:
        """List the units behind `pick` on the Units tab (a trend bar: that one day)."""
        loaded = self.loaded
        if loaded is None:
            return
        options = self.options()
        if pick.day is not None:
            options["start"] = options["end"] = pick.day
        users = loaded.users(self._ctx.sessions)
        now = self._ctx.clock()

        def work() -> UnitList:
            return units_behind(loaded.sessions, pick.figure, now=now, users=users, **options)

        self.message.warning("Finding the units…")
        self._background.run(work, lambda listed: self._show_units(listed, pick), self._failed)

    def _show_units(self, listed: UnitList, pick: Pick) -> None:
        self.units = listed
        self.message.clear_message()
        when = f" on {pick.day.isoformat()}" if pick.day is not None else ""
        more = (f" (the first {len(listed.rows)} shown)" if listed.truncated else "")
        self.units_title.setText(f"{listed.title}{when}: {listed.total} unit(s){more}")
        self.unit_table.setRowCount(len(listed.rows))
        for index, unit in enumerate(listed.rows):
            for column, value in enumerate(self._unit_cells(unit)):
                self.unit_table.setItem(index, column, QTableWidgetItem(value))
        self.tabs.setCurrentIndex(1)
        if listed.rows:
            self.unit_table.selectRow(0)
            self.unit_table.setFocus()

    def _unit_cells(self, unit: UnitRow) -> tuple[str, ...]:
        def words(section: str, key: str) -> str:
            return in_words(section, key) if key else ""

        return (unit.lpn, unit.station, f"{unit.at.astimezone(self.tz):%d %b %H:%M}",
                unit.sku, words("category", unit.category), words("reason", unit.reason),
                unit.grade, words("disposition", unit.disposition), unit.destination,
                unit.refund)

    def open_unit(self, row: int) -> None:
        if self.units is not None and 0 <= row < len(self.units.rows):
            self.unit_opened.emit(self.units.rows[row].lpn)

    # ------------------------------------------------------------------ exports

    def _default_name(self, suffix: str) -> Path:
        options = self.options()
        period = options["start"].isoformat() + (
            "" if options["end"] == options["start"] else f"_{options['end'].isoformat()}")
        return self.export_folder / f"disposition-summary-{period}.{suffix}"

    def _ask_csv(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(self, "Export the summary as CSV",
                                                    str(self._default_name("csv")),
                                                    "CSV (*.csv)")
        if path:
            self.export_csv(Path(path))

    def _ask_pdf(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(self, "Export the summary as PDF",
                                                    str(self._default_name("pdf")),
                                                    "PDF (*.pdf)")
        if path:
            self.export_pdf(Path(path))

    def export_csv(self, path: Path) -> None:
        """Write the summary on screen as CSV (section,key,value rows) to `path`."""
        loaded = self.loaded
        if loaded is None:
            self.message.warning("Wait for the summary, then export it.")
            return
        data = report_csv.to_csv(loaded.summary).encode("utf-8")
        self.message.warning("Writing the CSV…")
        self._background.run(lambda: write_atomically(path, data),
                             lambda _none: self.message.ok(f"CSV written to {path}."),
                             self._failed)

    def export_pdf(self, path: Path) -> None:
        """Write the print-ready report (figures, charts, trend, exception list) to `path`:
        the figures on screen and the exceptions and trend read with them, not read again
        now."""
        loaded, renderer = self.loaded, self._renderer
        if loaded is None or renderer is None:
            self.message.warning("Wait for the summary, then export it." if renderer else
                                 "This installation has no PDF renderer.")
            return
        name = self._actor.display_name

        def work() -> None:
            document = loaded.read.document(loaded.read.trend, name)
            write_atomically(path, renderer.render(document))

        self.message.warning("Writing the PDF…")
        self._background.run(work, lambda _none: self.message.ok(f"PDF written to {path}."),
                             self._failed)

    def _failed(self, error: Exception) -> None:
        self.refresh_button.setEnabled(True)
        self.message.failed(error)


def _rate_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"
