"""The evidence sheet as an A4 PDF, drawn with reportlab.

Real text throughout (searchable, and `pdftotext` reads it back), DejaVu Sans when the
system has it (so names in any European script print as written) and reportlab's built-in
Helvetica otherwise. Every string from the sheet is cleaned of control characters and
XML-escaped before reportlab's paragraph parser sees it, so a note like `<b>` or `&` prints
as typed. Photos are embedded as stored (JPEG passes through unchanged), two per row,
each with its caption and full SHA-256; a photo whose file is gone, or no longer matches
its hash, is shown as a box saying so. The PDF is built with reportlab's invariant mode, so
the same sheet gives the same bytes.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    Image,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from station.common.text_hygiene import clean_text
from station.supervision.evidence import EvidencePhoto, EvidenceSheet, PhotoFile, human_size

FONT_DIR: Final = Path("/usr/share/fonts/truetype/dejavu")
MARGIN: Final = 15 * mm
FOOTER_Y: Final = 9 * mm
PHOTO_MAX_HEIGHT: Final = 85 * mm
#: Largest photo file read into the sheet; a bigger one is not a photo the station stored.
PHOTO_MAX_BYTES: Final = 40 * 1024 * 1024
DASH: Final = "—"
_GREY: Final = colors.HexColor("#666666")
_LINE: Final = colors.HexColor("#BBBBBB")

PHOTO_NOTES: Final = {
    PhotoFile.DELETED_BY_RETENTION: "file deleted by retention; hash kept",
    PhotoFile.MISSING: "file not found in the photo folder; hash kept",
    PhotoFile.ALTERED: "file no longer matches its hash; not shown",
}
UNREADABLE_NOTE: Final = "file cannot be read as an image; hash kept"


@dataclass(frozen=True)
class PdfFonts:
    regular: str
    bold: str
    mono: str


@lru_cache(maxsize=4)
def pdf_fonts(font_dir: Path) -> PdfFonts:
    """DejaVu Sans, Bold and Sans Mono registered once; the built-in fonts without them."""
    files = {"EvidenceSans": "DejaVuSans.ttf", "EvidenceSans-Bold": "DejaVuSans-Bold.ttf",
             "EvidenceMono": "DejaVuSansMono.ttf"}
    if not all((font_dir / file).is_file() for file in files.values()):
        return PdfFonts("Helvetica", "Helvetica-Bold", "Courier")
    for name, file in files.items():
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, str(font_dir / file)))
    return PdfFonts("EvidenceSans", "EvidenceSans-Bold", "EvidenceMono")


def markup(text: str, *, empty: str = DASH) -> str:
    """Untrusted text as safe paragraph markup: control characters dropped, `<`, `>` and `&`
    escaped, line breaks kept as <br/>."""
    lines = [escape(clean_text(line, 4000)) for line in text.splitlines()]
    kept = "<br/>".join(line for line in lines if line)
    return kept or escape(empty)


def _plain(text: str) -> str:
    return clean_text(text, 200)


class _Styles:
    def __init__(self, fonts: PdfFonts) -> None:
        self.fonts = fonts
        self.body = ParagraphStyle("body", fontName=fonts.regular, fontSize=9, leading=11.5)
        self.label = ParagraphStyle("label", parent=self.body, fontName=fonts.bold)
        self.small = ParagraphStyle("small", parent=self.body, fontSize=7.5, leading=9.5)
        self.title = ParagraphStyle("title", parent=self.body, fontName=fonts.bold,
                                    fontSize=16, leading=20, spaceAfter=2)
        self.subtitle = ParagraphStyle("subtitle", parent=self.body, textColor=_GREY)
        self.heading = ParagraphStyle("heading", parent=self.body, fontName=fonts.bold,
                                      fontSize=11.5, leading=14, spaceBefore=9, spaceAfter=4)
        self.grade = ParagraphStyle("grade", parent=self.body, fontName=fonts.bold,
                                    fontSize=30, leading=34, alignment=TA_CENTER)
        self.note = ParagraphStyle("note", parent=self.small, alignment=TA_CENTER,
                                   textColor=_GREY)

    def p(self, text: str, style: ParagraphStyle | None = None, *, empty: str = DASH,
          ) -> Paragraph:
        return Paragraph(markup(text, empty=empty), style or self.body)


def with_page_count(build: Callable[[int | None], tuple[bytes, int]]) -> bytes:
    """The PDF `build` makes, built twice: the first pass counts the pages (`build` gets
    None and returns the count) so that the second can print "page x of y"."""
    _, pages = build(None)
    pdf, _ = build(pages)
    return pdf


class ReportLabEvidenceRenderer:
    """`station.supervision.evidence.EvidenceRenderer` for A4 paper."""

    def __init__(self, *, font_dir: Path = FONT_DIR) -> None:
        self._font_dir = font_dir

    def render(self, sheet: EvidenceSheet) -> bytes:
        styles = _Styles(pdf_fonts(self._font_dir))
        return with_page_count(lambda total: self._build(sheet, styles, total))

    def _build(self, sheet: EvidenceSheet, styles: _Styles, total: int | None,
               ) -> tuple[bytes, int]:
        buffer = io.BytesIO()
        width, height = A4
        pages = 0

        def footer(canvas: Canvas, doc: BaseDocTemplate) -> None:
            nonlocal pages
            pages = doc.page
            canvas.saveState()
            canvas.setFont(styles.fonts.regular, 7.5)
            canvas.setFillColor(_GREY)
            canvas.drawString(MARGIN, FOOTER_Y, _plain(
                f"Evidence sheet {sheet.lpn} · page {doc.page}/{total or '?'} · generated "
                f"{sheet.generated_at} by station {sheet.station_code}"))
            canvas.restoreState()

        doc = BaseDocTemplate(
            buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
            bottomMargin=MARGIN + 4 * mm, title=_plain(f"Evidence sheet {sheet.lpn}"),
            author=_plain(f"Returns Station {sheet.station_code}"),
            subject=_plain(f"Inspection evidence for LPN {sheet.lpn}, RMA {sheet.rma_number}"),
            creator="Returns Station", invariant=1,
        )
        frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body",
                      leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
        doc.addPageTemplates([PageTemplate(id="sheet", frames=[frame], onPage=footer,
                                           pagesize=(width, height))])
        doc.build(_story(sheet, styles, doc.width))
        return buffer.getvalue(), pages


# --------------------------------------------------------------------------- the story


def _story(sheet: EvidenceSheet, s: _Styles, width: float) -> list[Flowable]:
    story: list[Flowable] = [
        s.p(f"Evidence sheet · LPN {sheet.lpn}", s.title),
        s.p(f"Station {sheet.station_code} · generated {sheet.generated_at} by "
            f"{sheet.generated_by}", s.subtitle),
    ]
    line = DASH if sheet.line_no is None else str(sheet.line_no)
    story += _section(s, "Return", _pairs(s, width, [
        ("RMA", sheet.rma_number),
        ("Order", f"{sheet.order_number or DASH} of {sheet.order_date or DASH}"),
        ("Line", f"{line} · SKU {sheet.sku or DASH} · GTIN {sheet.gtin or DASH}"),
        ("Description", sheet.description),
        ("Category", sheet.category),
        ("Customer's reason", sheet.reason),
        ("Requested", sheet.requested),
        ("Price paid", sheet.price_paid),
    ]))
    checklist = " ".join(part for part in (sheet.checklist, sheet.checklist_version) if part)
    story += _section(s, "Inspection", _pairs(s, width, [
        ("Grader", sheet.grader),
        ("Started", sheet.started_at),
        ("Completed", sheet.completed_at),
        ("Checklist", checklist),
    ]))
    story += _section(s, "Answers", _answers(s, width, sheet))
    story += _section(s, "Flags", _bullets(s, sheet.flags, empty="none raised"))
    story += _section(s, "Grade", _grade_box(s, width, sheet))
    story += _section(s, "Notes", [s.p(sheet.notes, empty="none")])
    story += _section(s, "Verification", _bullets(s, sheet.verification, empty="nothing scanned"))
    story += _section(s, "Decision", _decision(s, width, sheet))
    story += _section(s, "Exceptions", _bullets(s, sheet.exceptions, empty="none"))
    story += _photos(s, width, sheet.photos)
    return story


def _section(s: _Styles, title: str, body: Sequence[Flowable]) -> list[Flowable]:
    """A heading kept on the page of its section's first lines."""
    heading = s.p(title, s.heading)
    return [KeepTogether([heading, *body[:1]]), *body[1:]]


def _pairs(s: _Styles, width: float, rows: Sequence[tuple[str, str]]) -> list[Flowable]:
    table = Table([[s.p(key, s.label), s.p(value)] for key, value in rows],
                  colWidths=[38 * mm, width - 38 * mm], hAlign="LEFT")
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("TOPPADDING", (0, 0), (-1, -1), 1),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
    ]))
    return [table]


def _answers(s: _Styles, width: float, sheet: EvidenceSheet) -> list[Flowable]:
    if not sheet.answers:
        return [s.p("No checklist answers were recorded.")]
    rows = [[s.p("Question", s.label), s.p("Answer", s.label)]]
    rows += [[s.p(answer.question), s.p(answer.answer)] for answer in sheet.answers]
    table = Table(rows, colWidths=[width * 0.62, width * 0.38], repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
        ("LINEBELOW", (0, 1), (-1, -1), 0.3, _LINE),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
    ]))
    return [table]


def _bullets(s: _Styles, lines: Sequence[str], *, empty: str) -> list[Flowable]:
    if not lines:
        return [s.p(empty)]
    return [Paragraph(markup(line), s.body, bulletText="•") for line in lines]


def _grade_box(s: _Styles, width: float, sheet: EvidenceSheet) -> list[Flowable]:
    details = [s.p(f"Grade {sheet.grade}: {sheet.grade_meaning or DASH}", s.label)]
    if sheet.proposed_grade:
        agreed = "confirmed" if sheet.proposed_grade == sheet.grade else "overridden"
        details.append(s.p(f"The checklist proposed {sheet.proposed_grade} ({agreed})."))
    if sheet.override_reason:
        details.append(s.p(f"Override reason: {sheet.override_reason}"))
    box = Table([[s.p(sheet.grade, s.grade), details]], colWidths=[22 * mm, width - 22 * mm],
                hAlign="LEFT")
    box.setStyle(TableStyle([
        ("BOX", (0, 0), (-1, -1), 1.2, colors.black),
        ("LINEAFTER", (0, 0), (0, 0), 0.8, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
    ]))
    return [box]


def _decision(s: _Styles, width: float, sheet: EvidenceSheet) -> list[Flowable]:
    decision = sheet.decision
    rows: list[tuple[str, str]] = []
    if decision is None:
        rows.append(("Disposition", "no disposition recorded"))
    else:
        rows += [
            ("Disposition", decision.disposition),
            ("Destination", decision.destination),
            ("Rule", f"{decision.rule_id} (rules {decision.rules_version})"),
            ("Why", decision.why),
            ("Decided", f"{decision.decided_at} by {decision.decided_by}"),
        ]
    rows.append(("Refund", sheet.refund or "no refund decision recorded"))
    if sheet.refund_why:
        rows.append(("Refund why", sheet.refund_why))
    return _pairs(s, width, rows)


# --------------------------------------------------------------------------- photos


def _photos(s: _Styles, width: float, photos: Sequence[EvidencePhoto]) -> list[Flowable]:
    heading = s.p(f"Photos ({len(photos)})", s.heading)
    if not photos:
        return [heading, s.p("No photos were taken.")]
    gap = 4 * mm
    column = (width - gap) / 2
    cells = [_photo_cell(s, photo, column) for photo in photos]
    rows = [cells[i:i + 2] for i in range(0, len(cells), 2)]
    if len(rows[-1]) == 1:
        rows[-1].append([])
    table = Table(rows, colWidths=[column + gap / 2, column + gap / 2], hAlign="LEFT")
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (0, -1), 0),
        ("RIGHTPADDING", (0, 0), (0, -1), gap / 2),
        ("LEFTPADDING", (1, 0), (1, -1), gap / 2),
        ("RIGHTPADDING", (1, 0), (1, -1), 0),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
    ]))
    return [heading, table]


def _photo_cell(s: _Styles, photo: EvidencePhoto, column: float) -> list[Flowable]:
    return [_picture(s, photo, column), Spacer(1, 2), _caption(s, photo, column)]


def _caption(s: _Styles, photo: EvidencePhoto, column: float) -> Paragraph:
    """The caption, then `sha256 <hash>` on a line of its own, the hash monospaced at a size
    that keeps it on that one line (so it can be read, or copied, in one piece)."""
    parts = [photo.kind, photo.taken_at, photo.taken_by, human_size(photo.size_bytes)]
    if photo.width and photo.height:
        parts.append(f"{photo.width}×{photo.height}")
    label = "sha256 "
    room = column - pdfmetrics.stringWidth(label, s.fonts.regular, s.small.fontSize) - 1
    hash_width = pdfmetrics.stringWidth("0" * max(len(photo.sha256), 1), s.fonts.mono, 1)
    mono_size = max(4.0, min(s.small.fontSize, room / hash_width))
    text = " · ".join(markup(part) for part in parts)
    return Paragraph(f"{text}<br/>{label}<font face='{s.fonts.mono}' size='{mono_size:.2f}'>"
                     f"{markup(photo.sha256)}</font>", s.small)


def _picture(s: _Styles, photo: EvidencePhoto, column: float) -> Flowable:
    if photo.file is not PhotoFile.KEPT:
        return _placeholder(s, PHOTO_NOTES[photo.file], column)
    data, problem = _read_photo(photo)
    if data is None:
        return _placeholder(s, problem, column)
    try:
        reader = ImageReader(io.BytesIO(data))
        image_width, image_height = reader.getSize()
        scale = min(column / image_width, PHOTO_MAX_HEIGHT / image_height)
        return Image(io.BytesIO(data), width=image_width * scale, height=image_height * scale,
                     hAlign="LEFT")
    except Exception:  # any decoding failure: the sheet still lists the photo and its hash
        return _placeholder(s, UNREADABLE_NOTE, column)


def _read_photo(photo: EvidencePhoto) -> tuple[bytes | None, str]:
    """The photo's bytes if the file is still the one hashed; else None and why not."""
    try:
        if photo.path.stat().st_size > PHOTO_MAX_BYTES:
            return None, UNREADABLE_NOTE
        data = photo.path.read_bytes()
    except FileNotFoundError:
        return None, PHOTO_NOTES[PhotoFile.MISSING]
    except OSError:
        return None, UNREADABLE_NOTE
    if hashlib.sha256(data).hexdigest() != photo.sha256:
        return None, PHOTO_NOTES[PhotoFile.ALTERED]
    return data, ""


def _placeholder(s: _Styles, note: str, column: float) -> Flowable:
    box = Table([[s.p(note, s.note)]], colWidths=[column], rowHeights=[28 * mm])
    box.setStyle(TableStyle([
        ("BOX", (0, 0), (-1, -1), 0.6, _GREY),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#F2F2F2")),
    ]))
    return box
