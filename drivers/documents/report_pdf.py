"""The daily disposition summary as a print-ready A4 PDF, drawn with reportlab.

What a supervisor takes to the floor meeting: the period, scope and source (a report made
from this station's database alone says so in a box on the first page and in every
footer), the key figures with amounts per currency, vector charts (units by disposition per
hour of the day, grade mix, top reasons and, with a trend, 14 days of units and recovery
rate), the tables behind them and the exception list.

Every string from the document is cleaned of control characters, shortened to what fits
and XML-escaped before reportlab's paragraph parser sees it, so a reason typed as `<b>&`
prints as typed; chart labels are cleaned and shortened too. A chart with nothing to draw
says so instead. Fonts are the evidence sheet's (DejaVu when the system has it), and the
PDF is built in reportlab's invariant mode, so the same document gives the same bytes.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, Rect, String
from reportlab.graphics.widgets.markers import Marker
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from drivers.documents.evidence_pdf import (
    DASH,
    FONT_DIR,
    FOOTER_Y,
    MARGIN,
    PdfFonts,
    markup,
    pdf_fonts,
    with_page_count,
)
from station.common.money import format_minor
from station.common.text_hygiene import clean_text
from station.common.vocabulary import Category, Disposition, Reason, RefundAction
from station.reports.daily_summary import SOURCE_CENTRAL
from station.reports.document import ReportDocument, ReportException
from station.reports.trend import main_currency

NO_UNITS: Final = "No units in this period"
NO_TREND_UNITS: Final = "No units in these days"
TOP_REASONS: Final = 10
_GREY: Final = colors.HexColor("#666666")
_LINE: Final = colors.HexColor("#BBBBBB")
_PAPER: Final = colors.HexColor("#F4F4F4")
_WARN: Final = colors.HexColor("#B00020")
_BAR: Final = colors.HexColor("#3E6FB0")
#: One fixed colour per disposition, so charts of different days read alike.
DISPOSITION_COLOURS: Final = {
    Disposition.RESTOCK.value: colors.HexColor("#2E7D32"),
    Disposition.REFURBISH.value: colors.HexColor("#1565C0"),
    Disposition.OPEN_BOX.value: colors.HexColor("#4FC3F7"),
    Disposition.LIQUIDATE.value: colors.HexColor("#EF6C00"),
    Disposition.RTV.value: colors.HexColor("#6A1B9A"),
    Disposition.DONATE.value: colors.HexColor("#9E9D24"),
    Disposition.RECYCLE.value: colors.HexColor("#78909C"),
    Disposition.DESTROY.value: colors.HexColor("#C62828"),
    Disposition.HOLD.value: colors.HexColor("#FBC02D"),
}
_SPARE_COLOURS: Final = (colors.HexColor("#8D6E63"), colors.HexColor("#EC407A"),
                         colors.HexColor("#26A69A"), colors.HexColor("#5C6BC0"))
ACTION_LABELS: Final = {
    RefundAction.FULL.value: "Full refund",
    RefundAction.PARTIAL.value: "Partial refund",
    RefundAction.STORE_CREDIT.value: "Store credit",
    RefundAction.EXCHANGE.value: "Exchange",
    RefundAction.DENY.value: "Denied",
    RefundAction.HELD.value: "Held (not paid yet)",
}
_WEEKDAYS: Final = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
                    "Sunday")


# --------------------------------------------------------------------------- formatting


def _short(value: object, limit: int) -> str:
    return clean_text(str(value), limit) if value is not None else ""


def _when(text: object) -> str:
    """A local ISO timestamp as `YYYY-MM-DD HH:MM` (its zone is the report's)."""
    try:
        return datetime.fromisoformat(str(text)).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return _short(text, 40)


def _period(scope: Mapping[str, Any], *, weekday: bool = True) -> str:
    first, last = _short(scope.get("from"), 10), _short(scope.get("to"), 10)
    if first != last:
        return f"{first} to {last}"
    if not weekday:
        return first
    try:
        return f"{_WEEKDAYS[date.fromisoformat(first).weekday()]} {first}"
    except ValueError:
        return first


def _fit(text: str, font: str, size: float, width: float) -> str:
    """`text` cleaned and, if wider than `width`, shortened to fit with an ellipsis."""
    fitted = clean_text(text, 400)
    while len(fitted) > 1 and stringWidth(fitted, font, size) > width:
        fitted = clean_text(fitted, max(1, len(fitted) - 2))
    return fitted


def _hm(seconds: float | None) -> str:
    """Seconds as h:mm (hours keep counting past a day); a dash for no value."""
    if seconds is None:
        return DASH
    minutes = round(seconds / 60)
    return f"{minutes // 60}:{minutes % 60:02d}"


def _count(value: object) -> str:
    return DASH if value is None else _short(value, 20)


def _rate(value: float | None) -> str:
    return DASH if value is None else f"{value * 100:.1f} %"


def _amount(amount: int, currency: str) -> str:
    return format_minor(int(amount), _short(currency, 8))


def _amounts(amounts: Mapping[str, int]) -> str:
    return "; ".join(_amount(value, currency) for currency, value in amounts.items()) or DASH


def _reason(code: str) -> str:
    try:
        return Reason(code).label
    except ValueError:
        return code.replace("_", " ")


def _category(code: str) -> str:
    try:
        return Category(code).label
    except ValueError:
        return code.replace("_", " ")


def _axis(low: float, high: float, *, whole: bool) -> tuple[float, float, float]:
    """A value axis from at most `low` to at least `high` (0 always shown) in 4-6 round
    steps; whole steps only for counts."""
    low, high = min(low, 0.0), max(high, 0.0)
    if high - low <= 0:
        high = low + 1
    raw = (high - low) / 5
    magnitude = 10 ** math.floor(math.log10(raw))
    multiples = (1, 2, 5, 10) if whole else (1, 2, 2.5, 5, 10)
    step = next(m * magnitude for m in multiples if m * magnitude >= raw)
    if whole:
        step = max(1.0, float(math.ceil(step)))
    return math.floor(low / step) * step, math.ceil(high / step) * step, step


# --------------------------------------------------------------------------- styles


class _Styles:
    def __init__(self, fonts: PdfFonts) -> None:
        self.fonts = fonts
        self.body = ParagraphStyle("body", fontName=fonts.regular, fontSize=8.5, leading=10.5)
        self.bold = ParagraphStyle("bold", parent=self.body, fontName=fonts.bold)
        self.number = ParagraphStyle("number", parent=self.body, alignment=TA_RIGHT)
        self.number_head = ParagraphStyle("number_head", parent=self.bold, alignment=TA_RIGHT)
        self.small = ParagraphStyle("small", parent=self.body, fontSize=7.5, leading=9.5,
                                    textColor=_GREY)
        self.title = ParagraphStyle("title", parent=self.body, fontName=fonts.bold,
                                    fontSize=17, leading=21, spaceAfter=3)
        self.subtitle = ParagraphStyle("subtitle", parent=self.body, fontSize=9, leading=12)
        self.heading = ParagraphStyle("heading", parent=self.body, fontName=fonts.bold,
                                      fontSize=12.5, leading=15, spaceBefore=10,
                                      spaceAfter=4)
        self.chart_title = ParagraphStyle("chart_title", parent=self.body,
                                          fontName=fonts.bold, fontSize=9.5, leading=12,
                                          spaceBefore=6, spaceAfter=2)
        self.warning_title = ParagraphStyle("warning_title", parent=self.body,
                                            fontName=fonts.bold, fontSize=13, leading=16,
                                            textColor=_WARN)
        self.warning = ParagraphStyle("warning", parent=self.body, fontSize=9, leading=11.5)
        self.big = ParagraphStyle("big", parent=self.body, fontName=fonts.bold, fontSize=18,
                                  leading=22, alignment=TA_CENTER)
        self.caption = ParagraphStyle("caption", parent=self.small, alignment=TA_CENTER)
        self.cell = ParagraphStyle("cell", parent=self.body, fontSize=7.5, leading=9)
        self.cell_bold = ParagraphStyle("cell_bold", parent=self.cell, fontName=fonts.bold)

    def p(self, text: object, style: ParagraphStyle | None = None, *, limit: int = 300,
          empty: str = DASH) -> Paragraph:
        """Untrusted text, cleaned and shortened to `limit` characters, as a paragraph."""
        return Paragraph(markup(_short(text, limit), empty=empty), style or self.body)

    def n(self, text: object) -> Paragraph:
        return self.p(text, self.number, limit=60)

    def c(self, text: object, limit: int = 300) -> Paragraph:
        """A cell of a dense table, in a smaller size."""
        return self.p(text, self.cell, limit=limit)


# --------------------------------------------------------------------------- the renderer


class ReportLabReportRenderer:
    """`station.reports.document.ReportRenderer` for A4 paper."""

    def __init__(self, *, font_dir: Path = FONT_DIR) -> None:
        self._font_dir = font_dir

    def render(self, document: ReportDocument) -> bytes:
        styles = _Styles(pdf_fonts(self._font_dir))
        return with_page_count(lambda total: self._build(document, styles, total))

    def _build(self, document: ReportDocument, styles: _Styles, total: int | None,
               ) -> tuple[bytes, int]:
        buffer = io.BytesIO()
        scope = document.summary["scope"]
        period = _period(scope, weekday=False)
        local = scope.get("source") != SOURCE_CENTRAL
        where = "LOCAL DATA: this station only" if local else "central database"
        pages = 0

        def footer(canvas: Canvas, doc: BaseDocTemplate) -> None:
            nonlocal pages
            pages = doc.page
            canvas.saveState()
            canvas.setFont(styles.fonts.regular, 7)
            canvas.setFillColor(_WARN if local else _GREY)
            page = f"page {doc.page}/{total or '?'}"
            canvas.drawRightString(A4[0] - MARGIN, FOOTER_Y, page)
            room = doc.width - stringWidth(page + "   ", styles.fonts.regular, 7)
            canvas.drawString(MARGIN, FOOTER_Y, _fit(
                f"Daily summary {period} · {_short(scope.get('tz'), 40)} · {where} · "
                f"generated {_when(scope.get('generated_at'))} by "
                f"{_short(document.generated_by, 80)}", styles.fonts.regular, 7, room))
            canvas.restoreState()

        doc = BaseDocTemplate(
            buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
            bottomMargin=MARGIN + 4 * mm, title=clean_text(f"Daily disposition summary {period}",
                                                           100),
            author="Returns Station", subject=clean_text(
                f"Returns dock figures {period}, {where}", 200),
            creator="Returns Station", invariant=1,
        )
        frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body",
                      leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
        doc.addPageTemplates([PageTemplate(id="report", frames=[frame], onPage=footer,
                                           pagesize=A4)])
        doc.build(_story(document, styles, doc.width))
        return buffer.getvalue(), pages


# --------------------------------------------------------------------------- the story


def _story(document: ReportDocument, s: _Styles, width: float) -> list[Flowable]:
    summary = document.summary
    story = _header(document, s, width)
    story += _key_figures(summary, s, width)
    story += _refunds(summary, s, width)
    story += _recovery(summary, s, width)
    story += [CondPageBreak(90 * mm), s.p("Charts", s.heading)]
    story += _chart(s, "Units by disposition per hour of the day",
                    _hourly_chart(summary, s, width))
    story += [_side_by_side(width, 0.34, (
        [s.p("Grade mix", s.chart_title), _grade_chart(summary, s, width * 0.34)],
        [s.p(f"Top reasons (top {TOP_REASONS})", s.chart_title),
         _reasons_chart(summary, s, width * 0.66)]))]
    story += _dispositions(summary, s, width)
    story += _categories(summary, s, width)
    if document.trend is not None:
        story += [PageBreak(), *_trend(document.trend, s, width), PageBreak()]
    story += _graders(summary, s, width)
    story += _overrides(summary, s, width)
    story += _exceptions(document.exceptions, document.exceptions_total, summary, s, width)
    return story


def _header(document: ReportDocument, s: _Styles, width: float) -> list[Flowable]:
    scope = document.summary["scope"]
    filters = [f"{name} {_short(scope.get(key), 60)}" for key, name in
               (("station", "station"), ("grader", "grader"), ("category", "category"))
               if scope.get(key) is not None]
    story: list[Flowable] = [
        s.p(f"Daily disposition summary · {_period(scope)}", s.title),
        s.p(f"Time zone {_short(scope.get('tz'), 40)} · from {_when(scope.get('start'))} to "
            f"{_when(scope.get('end'))} · snapshot figures (dwell, open exceptions) as of "
            f"{_when(scope.get('as_of'))}", s.subtitle),
        s.p("Scope: " + (" · ".join(filters) if filters else "whole site"), s.subtitle),
    ]
    source = _short(scope.get("source"), 60)
    if scope.get("source") == SOURCE_CENTRAL:
        story.append(s.p(f"Source: {source} database (every station that has synced)",
                         s.subtitle))
    else:
        error = scope.get("central_error")
        why = (f"The central database could not be reached: {_short(error, 200)}."
               if error else "The central database was not asked (a local report).")
        box = Table([[s.p("LOCAL DATA: THIS STATION ONLY", s.warning_title)],
                     [s.p(f"Source: {source}. These figures come from this station's own "
                          "database; other stations' work is not in them.", s.warning)],
                     [s.p(why, s.warning)]], colWidths=[width])
        box.setStyle(TableStyle([
            ("BOX", (0, 0), (-1, -1), 2, _WARN),
            ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#FDECEA")),
            ("LEFTPADDING", (0, 0), (-1, -1), 6),
            ("TOPPADDING", (0, 0), (-1, 0), 5),
            ("BOTTOMPADDING", (0, -1), (-1, -1), 5),
        ]))
        story += [Spacer(1, 3 * mm), box]
    story.append(s.p(f"Generated {_when(scope.get('generated_at'))} by "
                     f"{_short(document.generated_by, 80)}", s.small))
    return story


def _pairs(s: _Styles, width: float, pairs: Sequence[tuple[str, str]]) -> Table:
    """Label/value rows."""
    table = Table([[s.p(label, s.bold), s.p(value)] for label, value in pairs],
                  colWidths=[48 * mm, width - 48 * mm], hAlign="LEFT")
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.3, _LINE),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]))
    return table


def _table(s: _Styles, header: Sequence[str], rows: Sequence[Sequence[Paragraph]],
           widths: Sequence[float], numeric: Sequence[int] = ()) -> Table:
    """A ruled table whose header repeats on every page it runs over."""
    head = [s.p(title, s.number_head if column in numeric else s.bold) for column, title
            in enumerate(header)]
    table = Table([head, *(list(row) for row in rows)], colWidths=list(widths), repeatRows=1,
                  hAlign="LEFT")
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
        ("LINEBELOW", (0, 1), (-1, -1), 0.3, _LINE),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
    ]))
    return table


def _section(s: _Styles, title: str, body: Sequence[Flowable]) -> list[Flowable]:
    """A heading kept on the page of its section's first part."""
    return [KeepTogether([s.p(title, s.heading), *body[:1]]), *body[1:]]


def _key_figures(summary: Mapping[str, Any], s: _Styles, width: float) -> list[Flowable]:
    received, dwell = summary["received"], summary["dwell"]
    handling, productivity = summary["handling_time"], summary["productivity"]
    exceptions, overrides = summary["exceptions"], summary["overrides"]
    held = summary["refunds"]["held_resolutions"]
    closed = exceptions.get("closed")
    headline = _headline(s, width, [
        (received["parcels"], "parcels received"),
        (summary["inspected"]["units"], "units inspected"),
        (summary["dispositions"]["units"], "units dispositioned"),
        (exceptions["open"], "exceptions open at the end"),
    ])
    pairs = [
        ("Parcels received", f"{received['parcels']} ({received['parcels_expected']} "
                             f"expected, {received['parcels_unexpected']} unexpected)"),
        ("Units of those parcels", f"{received['units_expected']} authorised, "
                                   f"{received['units_taken']} taken in"),
        ("Units inspected", _count(summary["inspected"]["units"])),
        ("Units dispositioned", _count(summary["dispositions"]["units"])),
        ("Money refunded", _amounts(summary["refunds"]["money_refunded_minor"])),
        ("Held refunds resolved", f"{held['approved']} approved, {held['denied']} denied"),
        ("Handling time", f"median {_hm(handling['median_seconds'])} · p90 "
                          f"{_hm(handling['p90_seconds'])} · max {_hm(handling['max_seconds'])}"
                          f" h:mm ({handling['units']} units, receipt → disposition)"),
        ("Dwell (still waiting)", f"{dwell['units_waiting']} units in "
                                  f"{dwell['parcels_waiting']} parcels · median "
                                  f"{_hm(dwell['median_seconds'])} · p90 "
                                  f"{_hm(dwell['p90_seconds'])} h:mm"),
        ("Units per grader-hour", f"{_ratio(productivity['units_per_grader_hour'])} "
                                  f"({productivity['units']} units in "
                                  f"{_hm(productivity['grader_hours'] * 3600)} h:mm)"),
        ("Exceptions", f"{exceptions['opened']} opened · {_count(closed)} closed · "
                       f"{exceptions['open']} open at the end"),
        ("Overrides", f"{overrides['grade']} grade · {overrides['disposition']} disposition"),
    ]
    return _section(s, "Key figures", [headline, Spacer(1, 2 * mm), _pairs(s, width, pairs)])


def _headline(s: _Styles, width: float, figures: Sequence[tuple[object, str]]) -> Table:
    """The day at a glance: big numbers in boxes."""
    cells = [[s.p(number, s.big, limit=20), s.p(caption, s.caption)] for number, caption
             in figures]
    table = Table([cells], colWidths=[width / len(figures)] * len(figures), hAlign="LEFT")
    table.setStyle(TableStyle([
        ("BOX", (0, 0), (-1, -1), 0.6, _LINE),
        ("INNERGRID", (0, 0), (-1, -1), 0.6, _LINE),
        ("BACKGROUND", (0, 0), (-1, -1), _PAPER),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
    ]))
    return table


def _ratio(value: float | None) -> str:
    return DASH if value is None else f"{value:.2f}"


def _refunds(summary: Mapping[str, Any], s: _Styles, width: float) -> list[Flowable]:
    refunds = summary["refunds"]
    rows = [[s.p(ACTION_LABELS.get(action, action), limit=40), s.n(bucket["units"]),
             s.p(_amounts(bucket["amount_minor"]).replace("; ", "\n"))]
            for action, bucket in refunds["by_action"].items()]
    rows.append([s.p("All actions", s.bold), s.n(refunds["units"]),
                 s.p(f"refunded: {_amounts(refunds['money_refunded_minor'])}", s.bold)])
    return _section(s, "Refunds by action", [
        _table(s, ("Action", "Units", "Amount per currency"), rows,
               (width * 0.3, width * 0.15, width * 0.55), numeric=(1,)),
        s.p("A held amount is what an approval would refund, not money paid.", s.small)])


def _recovery(summary: Mapping[str, Any], s: _Styles, width: float) -> list[Flowable]:
    by_currency = summary["recovery"]["by_currency"]
    if not by_currency:
        return _section(s, "Recovery", [s.p("No units were dispositioned in this period.")])
    rows = [[s.p(currency, limit=8), s.n(entry["units"]),
             s.n(_amount(entry["expected_recovery_minor"], currency)),
             s.n(_amount(entry["refunded_minor"], currency)),
             s.n(_rate(entry["recovery_rate"]))]
            for currency, entry in by_currency.items()]
    return _section(s, "Recovery of the units dispositioned", [
        _table(s, ("Currency", "Units", "Expected recovery", "Refunded", "Recovery rate"),
               rows, [width * w for w in (0.16, 0.12, 0.26, 0.26, 0.2)],
               numeric=(1, 2, 3, 4)),
        s.p("Recovery rate = expected recovery ÷ money refunded for the same units.",
            s.small)])


# --------------------------------------------------------------------------- charts


def _chart(s: _Styles, title: str, drawing: Drawing) -> list[Flowable]:
    return [KeepTogether([s.p(title, s.chart_title), drawing])]


def _side_by_side(width: float, left: float, cells: tuple[list[Flowable], list[Flowable]],
                  ) -> Table:
    table = Table([list(cells)], colWidths=[width * left, width * (1 - left)], hAlign="LEFT")
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    return table


def _no_data(s: _Styles, width: float, height: float, text: str) -> Drawing:
    drawing = Drawing(width, height)
    frame = Rect(0, 0, width, height)
    frame.fillColor, frame.strokeColor, frame.strokeWidth = _PAPER, _LINE, 0.5
    drawing.add(frame)
    drawing.add(String(width / 2, height / 2 - 3, text, fontName=s.fonts.regular,
                       fontSize=9, fillColor=_GREY, textAnchor="middle"))
    return drawing


def _style_axes(chart: VerticalBarChart | HorizontalBarChart | HorizontalLineChart,
                s: _Styles, low: float, high: float, step: float, value_format: str) -> None:
    for axis in (chart.categoryAxis, chart.valueAxis):
        axis.labels.fontName = s.fonts.regular
        axis.labels.fontSize = 6.5
        axis.strokeColor = _GREY
    chart.valueAxis.valueMin, chart.valueAxis.valueMax = low, high
    chart.valueAxis.valueStep = step
    chart.valueAxis.labelTextFormat = value_format
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = colors.HexColor("#E0E0E0")
    chart.valueAxis.gridStrokeWidth = 0.4


def _bar_labels(chart: VerticalBarChart | HorizontalBarChart, s: _Styles) -> None:
    chart.barLabelFormat = "%d"
    chart.barLabels.fontName = s.fonts.regular
    chart.barLabels.fontSize = 6.5
    chart.barLabels.nudge = 6


def _legend(s: _Styles, pairs: Sequence[tuple[colors.Color, str]], x: float, y: float,
            ) -> Legend:
    legend = Legend()
    legend.colorNamePairs = list(pairs)
    legend.fontName = s.fonts.regular
    legend.fontSize = 7
    legend.x, legend.y = round(x), round(y)
    legend.boxAnchor = "nw"
    legend.alignment = "right"
    legend.columnMaximum = 10
    legend.dx = legend.dy = 6
    legend.deltay = 9
    legend.strokeColor = None
    return legend


def _disposition_colour(disposition: str, index: int) -> colors.Color:
    return DISPOSITION_COLOURS.get(disposition, _SPARE_COLOURS[index % len(_SPARE_COLOURS)])


def _hourly_chart(summary: Mapping[str, Any], s: _Styles, width: float) -> Drawing:
    height = 62 * mm
    dispositions = summary["dispositions"]
    by_hour = {int(row["hour"]): row.get("by_disposition", {})
               for row in dispositions.get("by_hour") or []}
    names = list(dict.fromkeys([*dispositions["by_disposition"],
                                *(key for row in by_hour.values() for key in row)]))
    series = [name for name in names
              if sum(int(row.get(name, 0)) for row in by_hour.values()) > 0]
    if not series:
        empty = NO_UNITS if not dispositions["units"] else (
            "No hourly breakdown in this summary")
        return _no_data(s, width, height, empty)
    data = [[int(by_hour.get(hour, {}).get(name, 0)) for hour in range(24)] for name in series]
    tallest = max(sum(column) for column in zip(*data, strict=True))
    drawing = Drawing(width, height)
    chart = VerticalBarChart()
    chart.x, chart.y = round(10 * mm), round(9 * mm)
    chart.width, chart.height = round(width - 52 * mm), round(height - 14 * mm)
    chart.data = data
    chart.categoryAxis.style = "stacked"
    chart.categoryAxis.categoryNames = [str(hour) for hour in range(24)]
    chart.barSpacing = 0
    chart.groupSpacing = 2
    _style_axes(chart, s, *_axis(0, tallest, whole=True), "%d")
    for index, name in enumerate(series):
        chart.bars[index].fillColor = _disposition_colour(name, index)
        chart.bars[index].strokeColor = None
    drawing.add(chart)
    drawing.add(String(chart.x + chart.width / 2, 0, "hour of the day (local time)",
                       fontName=s.fonts.regular, fontSize=7, fillColor=_GREY,
                       textAnchor="middle"))
    drawing.add(String(0, height - 4, "units", fontName=s.fonts.regular, fontSize=7,
                       fillColor=_GREY))
    drawing.add(_legend(s, [(_disposition_colour(name, index), _short(name, 18))
                            for index, name in enumerate(series)],
                        chart.x + chart.width + 8 * mm, chart.y + chart.height))
    return drawing


def _single_series(drawing: Drawing, chart: VerticalBarChart | HorizontalBarChart,
                   s: _Styles, values: list[int], names: list[str]) -> None:
    """One series of unit counts in the house colour, each bar labelled with its count."""
    chart.data = [values]
    chart.categoryAxis.categoryNames = names
    chart.bars[0].fillColor = _BAR
    chart.bars[0].strokeColor = None
    _style_axes(chart, s, *_axis(0, max(values) * 1.15, whole=True), "%d")
    _bar_labels(chart, s)
    drawing.add(chart)


def _grade_chart(summary: Mapping[str, Any], s: _Styles, width: float) -> Drawing:
    height = 55 * mm
    grades = summary["grades"]
    if not any(int(units) for units in grades.values()):
        return _no_data(s, width - 4 * mm, height, NO_UNITS)
    drawing = Drawing(width, height)
    chart = VerticalBarChart()
    chart.x, chart.y = round(9 * mm), round(7 * mm)
    chart.width, chart.height = round(width - 14 * mm), round(height - 12 * mm)
    _single_series(drawing, chart, s, [int(units) for units in grades.values()],
                   [_short(grade, 4) for grade in grades])
    return drawing


def _reasons_chart(summary: Mapping[str, Any], s: _Styles, width: float) -> Drawing:
    height = 55 * mm
    reasons = [row for row in summary["reasons"] if int(row["units"]) > 0][:TOP_REASONS]
    if not reasons:
        return _no_data(s, width, height, NO_UNITS)
    top_first = list(reversed(reasons))  # the chart draws its first category at the bottom
    drawing = Drawing(width, height)
    chart = HorizontalBarChart()
    chart.x, chart.y = round(42 * mm), round(6 * mm)
    chart.width, chart.height = round(width - 50 * mm), round(height - 9 * mm)
    _single_series(drawing, chart, s, [int(row["units"]) for row in top_first],
                   [_short(_reason(str(row["reason"])), 30) for row in top_first])
    return drawing


# --------------------------------------------------------------------------- the trend


def _trend(trend: Mapping[str, Any], s: _Styles, width: float) -> list[Flowable]:
    days = list(trend["days"])
    source = _short(trend.get("source"), 60)
    story: list[Flowable] = [
        s.p(f"{len(days)}-day trend: {_short(trend.get('from'), 10)} to "
            f"{_short(trend.get('to'), 10)}", s.heading),
        s.p(f"Time zone {_short(trend.get('tz'), 40)} · source: {source}", s.subtitle),
    ]
    story += _chart(s, f"Units per day, last {len(days)} days", _trend_units_chart(days, s,
                                                                                  width))
    currency = main_currency(dict(trend))
    rate_title = f"Recovery rate per day ({_short(currency, 8)})" if currency else (
        "Recovery rate per day")
    story += _chart(s, rate_title, _trend_rate_chart(days, currency, s, width))
    rows = []
    for day in days:
        entry = day.get("recovery", {}).get(currency, {}) if currency else {}
        rows.append([
            s.p(day["date"], limit=10), s.n(day["parcels"]), s.n(day["inspected"]),
            s.n(day["dispositioned"]),
            s.n(_amount(entry["expected_recovery_minor"], currency) if entry and currency
                else DASH),
            s.n(_amount(entry["refunded_minor"], currency) if entry and currency else DASH),
            s.n(_rate(entry.get("recovery_rate")))])
    story.append(Spacer(1, 3 * mm))
    story.append(_table(s, ("Day", "Parcels", "Inspected", "Dispositioned",
                            "Expected recovery", "Refunded", "Recovery rate"), rows,
                        [width * w for w in (0.14, 0.1, 0.12, 0.15, 0.18, 0.18, 0.13)],
                        numeric=(1, 2, 3, 4, 5, 6)))
    return story


def _day_label(day: Mapping[str, Any]) -> str:
    text = _short(day.get("date"), 10)
    return text[5:] if len(text) == 10 else text


def _trend_units_chart(days: Sequence[Mapping[str, Any]], s: _Styles, width: float,
                       ) -> Drawing:
    height = 62 * mm
    data = [[int(day["inspected"]) for day in days], [int(day["dispositioned"]) for day in days]]
    if not days or not any(any(series) for series in data):
        return _no_data(s, width, height, NO_TREND_UNITS)
    drawing = Drawing(width, height)
    chart = VerticalBarChart()
    chart.x, chart.y = round(10 * mm), round(9 * mm)
    chart.width, chart.height = round(width - 52 * mm), round(height - 14 * mm)
    chart.data = data
    chart.categoryAxis.categoryNames = [_day_label(day) for day in days]
    chart.barSpacing = 1
    pairs = [(_BAR, "units inspected"), (colors.HexColor("#2E7D32"), "units dispositioned")]
    for index, (colour, _label) in enumerate(pairs):
        chart.bars[index].fillColor = colour
        chart.bars[index].strokeColor = None
    _style_axes(chart, s, *_axis(0, max(max(series) for series in data), whole=True), "%d")
    drawing.add(chart)
    drawing.add(String(0, height - 4, "units", fontName=s.fonts.regular, fontSize=7,
                       fillColor=_GREY))
    drawing.add(_legend(s, pairs, chart.x + chart.width + 8 * mm, chart.y + chart.height))
    return drawing


def _trend_rate_chart(days: Sequence[Mapping[str, Any]], currency: str | None, s: _Styles,
                      width: float) -> Drawing:
    height = 55 * mm
    rates: list[float | None] = []
    for day in days:
        rate = day.get("recovery", {}).get(currency, {}).get("recovery_rate") if currency else (
            None)
        rates.append(None if rate is None else float(rate) * 100)
    known = [rate for rate in rates if rate is not None]
    if not known:
        return _no_data(s, width, height, "No money refunded in these days: no recovery rate")
    drawing = Drawing(width, height)
    chart = HorizontalLineChart()
    chart.x, chart.y = round(14 * mm), round(8 * mm)
    chart.width, chart.height = round(width - 56 * mm), round(height - 13 * mm)
    chart.data = [rates]
    chart.categoryAxis.categoryNames = [_day_label(day) for day in days]
    chart.lines[0].strokeColor = _BAR
    chart.lines[0].strokeWidth = 1.5
    marker = Marker()
    marker.kind, marker.size, marker.fillColor = "FilledCircle", 3.5, _BAR
    chart.lines[0].symbol = marker
    low, high, step = _axis(min(known), max(max(known), 100.0), whole=False)
    _style_axes(chart, s, low, high, step, "%g %%")
    drawing.add(chart)
    drawing.add(String(0, height - 4, "recovery rate", fontName=s.fonts.regular, fontSize=7,
                       fillColor=_GREY))
    drawing.add(String(chart.x + chart.width + 6 * mm, chart.y + chart.height - 8,
                       "days without refunds", fontName=s.fonts.regular, fontSize=6.5,
                       fillColor=_GREY))
    drawing.add(String(chart.x + chart.width + 6 * mm, chart.y + chart.height - 17,
                       "have no point", fontName=s.fonts.regular, fontSize=6.5,
                       fillColor=_GREY))
    return drawing


# --------------------------------------------------------------------------- tables


def _dispositions(summary: Mapping[str, Any], s: _Styles, width: float) -> list[Flowable]:
    dispositions = summary["dispositions"]
    total = int(dispositions["units"])
    rows = [[s.p(name, limit=40), s.n(units),
             s.n(f"{int(units) / total * 100:.1f} %" if total else DASH)]
            for name, units in dispositions["by_disposition"].items()]
    destinations = [[s.p(name, limit=80), s.n(units)]
                    for name, units in dispositions["by_destination"].items()]
    by_destination: Flowable = (
        _table(s, ("Destination", "Units"), destinations, (width * 0.34, width * 0.12),
               numeric=(1,)) if destinations else s.p("No units were dispositioned."))
    both = _side_by_side(width, 0.5, (
        [_table(s, ("Disposition", "Units", "Share"), rows,
                (width * 0.22, width * 0.11, width * 0.12), numeric=(1, 2))],
        [by_destination]))
    return _section(s, f"Dispositions ({total} units)", [both])


def _categories(summary: Mapping[str, Any], s: _Styles, width: float) -> list[Flowable]:
    by_category = summary["inspected"]["by_category"]
    if not by_category:
        return _section(s, "Units inspected by category", [s.p("No units were inspected.")])
    rows = [[s.p(_category(str(name)), limit=60), s.n(units)]
            for name, units in by_category.items()]
    return _section(s, "Units inspected by category", [
        _table(s, ("Category", "Units"), rows, (width * 0.34, width * 0.12), numeric=(1,))])


def _graders(summary: Mapping[str, Any], s: _Styles, width: float) -> list[Flowable]:
    productivity = summary["productivity"]
    graders = productivity["by_grader"]
    if not graders:
        return _section(s, "Graders", [s.p("No units were inspected.")])
    rows = []
    for grader in graders:
        username, display = grader["username"], grader["display_name"]
        name = (f"unknown user {grader['grader_id']}" if not username
                else f"{display} ({username})" if display else str(username))
        rows.append([s.p(name, limit=100), s.n(grader["units"]),
                     s.n(_hm(float(grader["hours"]) * 3600)),
                     s.n(_ratio(grader["units_per_hour"]))])
    rows.append([s.p("All graders", s.bold), s.n(productivity["units"]),
                 s.n(_hm(float(productivity["grader_hours"]) * 3600)),
                 s.n(_ratio(productivity["units_per_grader_hour"]))])
    return _section(s, "Graders", [
        _table(s, ("Grader", "Units", "Hours (h:mm)", "Units per hour"), rows,
               [width * w for w in (0.5, 0.14, 0.18, 0.18)], numeric=(1, 2, 3))])


def _overrides(summary: Mapping[str, Any], s: _Styles, width: float) -> list[Flowable]:
    overrides = summary["overrides"]
    title = (f"Overrides ({overrides['grade']} grade, {overrides['disposition']} "
             "disposition)")
    if not overrides["items"]:
        return _section(s, title, [s.p("Nobody overrode a grade or disposition.")])
    reasons = [[s.p(row["kind"], limit=20), s.p(row["reason"], limit=300), s.n(row["count"])]
               for row in overrides["by_reason"]]
    items = [[s.c(_when(item["at"])), s.c(item["kind"], 20), s.c(item["lpn"], 40),
              s.c(item["station"], 32), s.c(item["by"], 64),
              s.c(f"{_short(item['proposed'], 20) or DASH} → {_short(item['chosen'], 20)}"),
              s.c(item["reason"])]
             for item in overrides["items"]]
    return _section(s, title, [
        _table(s, ("Kind", "Reason", "Times"), reasons,
               (width * 0.16, width * 0.7, width * 0.14), numeric=(2,)),
        Spacer(1, 3 * mm),
        _table(s, ("When", "Kind", "LPN", "Station", "By", "Proposed → chosen", "Reason"),
               items, [width * w for w in (0.15, 0.1, 0.13, 0.1, 0.09, 0.17, 0.26)])])


def _exceptions(exceptions: Sequence[ReportException], total: int | None,
                summary: Mapping[str, Any], s: _Styles, width: float) -> list[Flowable]:
    as_of = _when(summary["scope"].get("as_of"))
    intro = s.p(f"Exceptions opened or closed in the period, or still open at {as_of}, "
                f"oldest first; the outcome is as it stood at {as_of}.", s.small)
    if not exceptions:
        return _section(s, "Exceptions (none)", [
            s.p(f"No exception was opened or closed in the period, or open at {as_of}.")])
    rows = [[s.c(case.opened_at.strftime("%Y-%m-%d %H:%M")), s.c(case.kind, 40),
             s.c(case.station, 32), s.c(case.details, 400),
             s.p("OPEN", s.cell_bold) if case.outcome is None else s.c(case.outcome, 340)]
            for case in exceptions]
    still_open = sum(1 for case in exceptions if case.outcome is None)
    heading = f"Exceptions ({len(exceptions)} listed, {still_open} open)"
    parts: list[Flowable] = [intro]
    if total is not None and total > len(exceptions):
        heading = (f"Exceptions (the oldest {len(exceptions)} of {total} listed, "
                   f"{still_open} of them open)")
        parts.append(s.p(f"Only the oldest {len(exceptions)} of the {total} exceptions fit "
                         "this report; the supervisor queues (F6) list every one still "
                         "open.", s.cell_bold))
    return _section(s, heading, [
        *parts,
        _table(s, ("Opened", "Kind", "Station", "Details", "Outcome"), rows,
               [width * w for w in (0.15, 0.15, 0.1, 0.34, 0.26)])])
