"""The daily summary's charts (QtCharts): units by disposition per hour of the day
(stacked), the grade mix, the top return reasons and the 14-day trend of units and
recovery rate. A click on a bar or a slice says which units it stands for (`picked`), so
the supervisor can open the list behind it.

Each chart's title and legend are word-wrapped labels above and below its view, not drawn
by QtCharts: QtCharts cuts a title or legend entry that does not fit down to "RESTO...",
and the charts get narrow when the supervisor drags the splitter towards them, so a label
that wraps is the only way every name stays readable at any width.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from html import escape
from typing import Any, Final

from PySide6.QtCharts import (
    QAbstractAxis,
    QAbstractSeries,
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QHorizontalBarSeries,
    QLineSeries,
    QPieSeries,
    QPieSlice,
    QStackedBarSeries,
    QValueAxis,
)
from PySide6.QtCore import QMargins, QObject, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QGridLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from station.common.vocabulary import Disposition, Grade
from station.reports.trend import main_currency
from station.reports.units import Figure, in_words

#: One colour per disposition, the same on every chart and in the PDF legend's order.
DISPOSITION_COLOURS: Final = {
    Disposition.RESTOCK.value: "#2e7d32", Disposition.REFURBISH.value: "#1565c0",
    Disposition.OPEN_BOX.value: "#00838f", Disposition.LIQUIDATE.value: "#ef6c00",
    Disposition.RTV.value: "#6a1b9a", Disposition.DONATE.value: "#ad1457",
    Disposition.RECYCLE.value: "#78909c", Disposition.DESTROY.value: "#4e342e",
    Disposition.HOLD.value: "#9e9d24",
}
GRADE_COLOURS: Final = {Grade.A.value: "#2e7d32", Grade.B.value: "#7cb342",
                        Grade.C.value: "#fbc02d", Grade.D.value: "#ef6c00",
                        Grade.X.value: "#c62828"}
TOP_REASONS: Final = 10
MAX_STEPS: Final = 5
#: The smallest a chart is drawn (the grid scrolls below that): enough room for its axis
#: labels, which QtCharts would otherwise cut to "...". The reasons' chart names up to
#: TOP_REASONS reasons down its side and the trend's 14 days along its foot: they need more.
CHART_MINIMUM: Final = (300, 200)
REASONS_MINIMUM: Final = (340, 250)
TREND_MINIMUM: Final = (420, 250)


@dataclass(frozen=True)
class Pick:
    """What a click on a chart stands for: a figure, over one day of the trend or the
    summary's whole period (`day` None)."""

    figure: Figure
    day: date | None = None


def _font(points: int, bold: bool = False) -> QFont:
    font = QFont("DejaVu Sans", points)
    font.setBold(bold)
    return font


@dataclass
class _Drawn:
    """A chart with the title and legend entries (colour, text) its panel shows for it."""

    chart: QChart
    title: str
    legend: list[tuple[str, str]] = field(default_factory=list)

    def say_empty(self, text: str) -> _Drawn:
        self.title = f"{self.title} — {text}"
        return self


def _chart(title: str) -> _Drawn:
    """An empty chart that draws no title and no legend of its own (see the module's
    docstring): its panel's labels say them, whole."""
    chart = QChart()
    chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
    chart.setMargins(QMargins(4, 4, 4, 4))
    chart.legend().setVisible(False)
    return _Drawn(chart, title)


def _legend_html(entries: list[tuple[str, str]]) -> str:
    """Legend entries as rich text that wraps between entries, never inside one."""
    return "&nbsp;&nbsp; ".join(
        f'<span style="color:{colour}">&#9632;</span>&nbsp;'
        + escape(text).replace(" ", "&nbsp;") for colour, text in entries)


class _Panel(QWidget):
    """One chart view with its title above and its legend below, both word-wrapped."""

    def __init__(self, view: QChartView) -> None:
        super().__init__()
        self.view = view
        self.title = QLabel()
        self.title.setStyleSheet("font-size: 11pt; font-weight: 600;")
        self.title.setWordWrap(True)
        self.title.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.legend = QLabel()
        self.legend.setStyleSheet("font-size: 10pt;")
        self.legend.setWordWrap(True)
        self.legend.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        for label in (self.title, self.legend):
            label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.title)
        layout.addWidget(view, 1)
        layout.addWidget(self.legend)

    def show_drawn(self, drawn: _Drawn) -> None:
        self.view.setChart(drawn.chart)
        self.title.setText(drawn.title)
        self.legend.setText(_legend_html(drawn.legend))
        self.legend.setVisible(bool(drawn.legend))


def _place(chart: QChart, series: QAbstractSeries,
           *axes: tuple[QAbstractAxis, Qt.AlignmentFlag]) -> None:
    """Put each axis on its side of the chart (unless it is there already) and draw
    `series` against them."""
    for axis, side in axes:
        if axis not in chart.axes():
            if axis.labelsFont() == QFont():  # not chosen by the chart
                axis.setLabelsFont(_font(9))
            chart.addAxis(axis, side)
        series.attachAxis(axis)


def _count_axis(maximum: float) -> QValueAxis:
    """An axis of whole units with at most five steps (one tick per unit up to 5, else a
    top that four whole steps reach): more labels than that crowd a small chart, which
    then cuts them to "..."."""
    axis = QValueAxis()
    axis.setLabelFormat("%d")
    top = max(1, math.ceil(maximum))
    if top <= MAX_STEPS:
        axis.setRange(0, top)
        axis.setTickCount(top + 1)
    else:
        step = math.ceil(top / 4)
        axis.setRange(0, step * 4)
        axis.setTickCount(5)
    return axis


class SummaryCharts(QWidget):
    """Four chart panels in a grid; `show_summary` redraws them all."""

    picked = Signal(object)  # a Pick

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.hourly = QChartView()
        self.grades = QChartView()
        self.reasons = QChartView()
        self.trend = QChartView()
        self._panels: dict[QChartView, _Panel] = {}
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        for index, view in enumerate((self.hourly, self.grades, self.reasons, self.trend)):
            view.setRenderHint(QPainter.RenderHint.Antialiasing)
            view.setMinimumSize(*{self.reasons: REASONS_MINIMUM,
                                  self.trend: TREND_MINIMUM}.get(view, CHART_MINIMUM))
            panel = _Panel(view)
            self._panels[view] = panel
            grid.addWidget(panel, index // 2, index % 2)
        self.trend_days: list[date] = []
        self._keep: list[QObject] = []

    def title_of(self, view: QChartView) -> str:
        """The title shown above the chart `view`."""
        return self._panels[view].title.text()

    def legend_of(self, view: QChartView) -> QLabel:
        """The legend shown below the chart `view` (hidden for a chart without one)."""
        return self._panels[view].legend

    def show_summary(self, summary: Mapping[str, Any]) -> None:
        """The day's three charts; the trend's says it is being counted until `show_trend`."""
        self._keep = []
        self._panels[self.hourly].show_drawn(
            self._hourly_chart(summary["dispositions"]["by_hour"]))
        self._panels[self.grades].show_drawn(self._grade_chart(summary["grades"]))
        self._panels[self.reasons].show_drawn(self._reason_chart(summary["reasons"]))
        self.trend_days = []
        self._panels[self.trend].show_drawn(
            _chart("14 days: units and recovery rate").say_empty("counting…"))

    def show_trend(self, trend: Mapping[str, Any]) -> None:
        self._panels[self.trend].show_drawn(self._trend_chart(trend))

    # ------------------------------------------------------------------ the charts

    def _hourly_chart(self, by_hour: list[dict[str, Any]]) -> _Drawn:
        drawn = _chart("Units by disposition per hour")
        chart = drawn.chart
        hours = [entry for entry in by_hour if entry["units"]]
        if not hours:
            return drawn.say_empty("no units dispositioned")
        first, last = hours[0]["hour"], hours[-1]["hour"]
        shown = [entry for entry in by_hour if first <= entry["hour"] <= last]
        series = QStackedBarSeries()
        for disposition, colour in DISPOSITION_COLOURS.items():
            counts = [entry["by_disposition"].get(disposition, 0) for entry in shown]
            if not any(counts):
                continue
            bar_set = QBarSet(in_words("disposition", disposition))
            bar_set.append([float(n) for n in counts])
            bar_set.setColor(QColor(colour))
            bar_set.clicked.connect(
                lambda index, d=disposition: self.picked.emit(
                    Pick(Figure("disposition", d, hour=first + index))))
            series.append(bar_set)
            drawn.legend.append((colour, bar_set.label()))
        chart.addSeries(series)
        axis_x = QBarCategoryAxis()
        axis_x.append([f"{entry['hour']:02d}" for entry in shown])
        axis_y = _count_axis(max(entry["units"] for entry in shown))
        _place(chart, series, (axis_x, Qt.AlignmentFlag.AlignBottom),
               (axis_y, Qt.AlignmentFlag.AlignLeft))
        self._keep.append(series)
        return drawn

    def _grade_chart(self, grades: Mapping[str, int]) -> _Drawn:
        drawn = _chart("Grade mix")
        chart = drawn.chart
        if not any(grades.values()):
            return drawn.say_empty("no units inspected")
        series = QPieSeries()
        total = sum(grades.values())
        for grade, count in grades.items():
            if not count:
                continue
            text = f"{grade}: {count} ({count / total:.0%})"
            colour = GRADE_COLOURS.get(grade, "#888888")
            part = series.append(text, float(count))
            part.setColor(QColor(colour))
            part.clicked.connect(lambda g=grade: self.picked.emit(Pick(Figure("grade", g))))
            drawn.legend.append((colour, text))  # beside the pie, slice labels get cut
        series.setPieSize(0.85)
        chart.addSeries(series)
        self._keep.append(series)
        return drawn

    def slice_of(self, grade: str) -> QPieSlice | None:
        """The grade's slice on the grade chart (None if it has no units)."""
        for series in self.grades.chart().series():
            if isinstance(series, QPieSeries):
                for part in series.slices():
                    if part.label().startswith(f"{grade}:"):
                        return part
        return None

    def _reason_chart(self, reasons: list[dict[str, Any]]) -> _Drawn:
        drawn = _chart("Top return reasons")
        chart = drawn.chart
        top = reasons[:TOP_REASONS]
        if not top:
            return drawn.say_empty("no units inspected")
        ordered = list(reversed(top))  # the biggest at the top
        bar_set = QBarSet("units")
        bar_set.append([float(entry["units"]) for entry in ordered])
        bar_set.setColor(QColor("#0b5394"))
        bar_set.clicked.connect(lambda index: self.picked.emit(
            Pick(Figure("reason", ordered[index]["reason"]))))
        series = QHorizontalBarSeries()
        series.append(bar_set)
        chart.addSeries(series)
        axis_y = QBarCategoryAxis()
        axis_y.append([in_words("reason", entry["reason"]) for entry in ordered])
        axis_x = _count_axis(max(entry["units"] for entry in top))
        _place(chart, series, (axis_y, Qt.AlignmentFlag.AlignLeft),
               (axis_x, Qt.AlignmentFlag.AlignBottom))
        self._keep.append(series)
        return drawn

    def _trend_chart(self, trend: Mapping[str, Any]) -> _Drawn:
        drawn = _chart("14 days: units and recovery rate")
        chart = drawn.chart
        self.trend_days = []
        if not trend["days"]:
            return drawn.say_empty("not available")
        if not any(entry["dispositioned"] for entry in trend["days"]):
            return drawn.say_empty("no units dispositioned")
        days = trend["days"]
        self.trend_days = [date.fromisoformat(entry["date"]) for entry in days]
        bar_set = QBarSet("units")
        bar_set.append([float(entry["dispositioned"]) for entry in days])
        bar_set.setColor(QColor("#90a4ae"))
        bar_set.clicked.connect(lambda index: self.picked.emit(
            Pick(Figure("dispositioned"), self.trend_days[index])))
        bars = QBarSeries()
        bars.append(bar_set)
        chart.addSeries(bars)
        axis_x = QBarCategoryAxis()
        axis_x.append([str(day.day) for day in self.trend_days])
        axis_x.setLabelsFont(_font(8))  # 14 of them side by side
        drawn.title = f"14 days to {self.trend_days[-1]:%d %b}: units and recovery rate"
        drawn.legend.append(("#90a4ae", "units dispositioned"))
        axis_y = _count_axis(max(entry["dispositioned"] for entry in days))
        _place(chart, bars, (axis_x, Qt.AlignmentFlag.AlignBottom),
               (axis_y, Qt.AlignmentFlag.AlignLeft))
        currency = main_currency(dict(trend))
        if currency is not None:
            line = QLineSeries()
            line.setName(f"recovery rate {currency} (%)")
            drawn.legend.append(("#c62828", line.name()))
            line.setPen(QPen(QColor("#c62828"), 2.5))
            line.setPointsVisible(True)
            for index, entry in enumerate(days):
                rate = entry["recovery"].get(currency, {}).get("recovery_rate")
                if rate is not None:
                    line.append(float(index), rate * 100)
            chart.addSeries(line)
            axis_rate = QValueAxis()
            axis_rate.setLabelFormat("%d %%")
            axis_rate.setRange(0, max([120.0] + [p.y() * 1.1 for p in line.points()]))
            axis_rate.applyNiceNumbers()
            _place(chart, line, (axis_x, Qt.AlignmentFlag.AlignBottom),
                   (axis_rate, Qt.AlignmentFlag.AlignRight))
            self._keep.append(line)
        self._keep.append(bars)
        return drawn
