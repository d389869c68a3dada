"""The daily summary's charts (QtCharts): units by disposition per hour of the day
(stacked), the grade mix, the top return reasons and the 14-day trend of units and
recovery rate. A click on a bar or a slice says which units it stands for (`picked`), so
the supervisor can open the list behind it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
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
from PySide6.QtWidgets import QGridLayout, QWidget

from station.common.vocabulary import Disposition, Grade
from station.reports.trend import main_currency
from station.reports.units import Figure

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


def _chart(title: str) -> QChart:
    chart = QChart()
    chart.setTitle(title)
    chart.setTitleFont(_font(11, bold=True))
    chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
    chart.setMargins(QMargins(4, 4, 4, 4))
    chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
    chart.legend().setFont(_font(9))
    return chart


def _place(chart: QChart, series: QAbstractSeries,
           *axes: tuple[QAbstractAxis, Qt.AlignmentFlag]) -> None:
    """Put each axis on its side of the chart (unless it is there already) and draw
    `series` against them."""
    for axis, side in axes:
        if axis not in chart.axes():
            axis.setLabelsFont(_font(9))
            chart.addAxis(axis, side)
        series.attachAxis(axis)


def _count_axis(maximum: float) -> QValueAxis:
    """An axis of whole units: one tick per unit up to 10, round numbers above."""
    axis = QValueAxis()
    axis.setLabelFormat("%d")
    top = max(1, math.ceil(maximum))
    axis.setRange(0, top)
    if top <= 10:
        axis.setTickCount(top + 1)
    else:
        axis.applyNiceNumbers()
    return axis


def _say_empty(chart: QChart, text: str) -> None:
    chart.setTitle(f"{chart.title()} — {text}")


class SummaryCharts(QWidget):
    """Four chart views in a grid; `show_summary` redraws them all."""

    picked = Signal(object)  # a Pick

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.hourly = QChartView()
        self.grades = QChartView()
        self.reasons = QChartView()
        self.trend = QChartView()
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        for index, view in enumerate((self.hourly, self.grades, self.reasons, self.trend)):
            view.setRenderHint(QPainter.RenderHint.Antialiasing)
            view.setMinimumSize(300, 220)
            grid.addWidget(view, index // 2, index % 2)
        self.trend_days: list[date] = []
        self._keep: list[QObject] = []

    def show_summary(self, summary: Mapping[str, Any]) -> None:
        """The day's three charts; the trend's says it is being counted until `show_trend`."""
        self._keep = []
        self.hourly.setChart(self._hourly_chart(summary["dispositions"]["by_hour"]))
        self.grades.setChart(self._grade_chart(summary["grades"]))
        self.reasons.setChart(self._reason_chart(summary["reasons"]))
        waiting = _chart("14 days: units and recovery rate")
        _say_empty(waiting, "counting…")
        self.trend_days = []
        self.trend.setChart(waiting)

    def show_trend(self, trend: Mapping[str, Any]) -> None:
        self.trend.setChart(self._trend_chart(trend))

    # ------------------------------------------------------------------ the charts

    def _hourly_chart(self, by_hour: list[dict[str, Any]]) -> QChart:
        chart = _chart("Units by disposition per hour")
        hours = [entry for entry in by_hour if entry["units"]]
        if not hours:
            _say_empty(chart, "no units dispositioned")
            return chart
        first, last = hours[0]["hour"], hours[-1]["hour"]
        shown = [entry for entry in by_hour if first <= entry["hour"] <= last]
        series = QStackedBarSeries()
        for disposition, colour in DISPOSITION_COLOURS.items():
            counts = [entry["by_disposition"].get(disposition, 0) for entry in shown]
            if not any(counts):
                continue
            bar_set = QBarSet(disposition)
            bar_set.append([float(n) for n in counts])
            bar_set.setColor(QColor(colour))
            bar_set.clicked.connect(
                lambda index, d=disposition: self.picked.emit(
                    Pick(Figure("disposition", d, hour=first + index))))
            series.append(bar_set)
        chart.addSeries(series)
        axis_x = QBarCategoryAxis()
        axis_x.append([f"{entry['hour']:02d}" for entry in shown])
        axis_y = _count_axis(max(entry["units"] for entry in shown))
        _place(chart, series, (axis_x, Qt.AlignmentFlag.AlignBottom),
               (axis_y, Qt.AlignmentFlag.AlignLeft))
        self._keep.append(series)
        return chart

    def _grade_chart(self, grades: Mapping[str, int]) -> QChart:
        chart = _chart("Grade mix")
        if not any(grades.values()):
            _say_empty(chart, "no units inspected")
            return chart
        series = QPieSeries()
        total = sum(grades.values())
        for grade, count in grades.items():
            if not count:
                continue
            part = series.append(f"{grade}: {count} ({count / total:.0%})", float(count))
            part.setColor(QColor(GRADE_COLOURS.get(grade, "#888888")))
            part.setLabelVisible(True)
            part.setLabelFont(_font(9))
            part.clicked.connect(lambda g=grade: self.picked.emit(Pick(Figure("grade", g))))
        series.setPieSize(0.65)
        chart.addSeries(series)
        chart.legend().setVisible(False)
        self._keep.append(series)
        return chart

    def slice_of(self, grade: str) -> QPieSlice | None:
        """The grade's slice on the grade chart (None if it has no units)."""
        for series in self.grades.chart().series():
            if isinstance(series, QPieSeries):
                for part in series.slices():
                    if part.label().startswith(f"{grade}:"):
                        return part
        return None

    def _reason_chart(self, reasons: list[dict[str, Any]]) -> QChart:
        chart = _chart("Top return reasons")
        top = reasons[:TOP_REASONS]
        if not top:
            _say_empty(chart, "no units inspected")
            return chart
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
        axis_y.append([entry["reason"].replace("_", " ") for entry in ordered])
        axis_x = _count_axis(max(entry["units"] for entry in top))
        _place(chart, series, (axis_y, Qt.AlignmentFlag.AlignLeft),
               (axis_x, Qt.AlignmentFlag.AlignBottom))
        chart.legend().setVisible(False)
        self._keep.append(series)
        return chart

    def _trend_chart(self, trend: Mapping[str, Any]) -> QChart:
        chart = _chart("14 days: units and recovery rate")
        self.trend_days = []
        if not trend["days"]:
            _say_empty(chart, "not available")
            return chart
        if not any(entry["dispositioned"] for entry in trend["days"]):
            _say_empty(chart, "no units dispositioned")
            return chart
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
        chart.setTitle(f"14 days to {self.trend_days[-1]:%d %b}: units and recovery rate")
        axis_y = _count_axis(max(entry["dispositioned"] for entry in days))
        _place(chart, bars, (axis_x, Qt.AlignmentFlag.AlignBottom),
               (axis_y, Qt.AlignmentFlag.AlignLeft))
        currency = main_currency(dict(trend))
        if currency is not None:
            line = QLineSeries()
            line.setName(f"recovery rate {currency} (%)")
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
        return chart
