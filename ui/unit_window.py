"""One unit's whole story, opened from the summary's unit lists: where it came from, each
inspection (answers, flags, notes, grade), its photos, every disposition decision and refund
trigger, its exceptions and its label history, where a supervisor voids a label or has it
printed again, each with a reason.

Everything shown is read on the window's task runner; text from the database is escaped
before it reaches the rich-text view.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, tzinfo
from html import escape
from pathlib import Path
from typing import Final

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session, sessionmaker

from station.common.permissions import Action, Actor, allowed
from station.labels import print_queue
from station.labels.voids import void_label
from station.runtime.context import StationContext
from station.supervision.evidence import EvidencePhoto, PhotoFile
from station.supervision.unit_history import UnitHistory, unit_history
from ui.list_table import list_table
from ui.message_line import MessageLine
from ui.tasks import TaskRunner

LABEL_COLUMNS: Final = ("Requested", "By", "Kind", "Printer", "State", "Reprint of / why",
                        "Void")
THUMB: Final = 180


def _when(moment: datetime | None, tz: tzinfo) -> str:
    return "—" if moment is None else f"{moment.astimezone(tz):%d %b %Y %H:%M}"


def _section(title: str, lines: Iterable[str]) -> str:
    body = "".join(f"<li>{line}</li>" for line in lines) or "<li>none</li>"
    return f"<h3>{escape(title)}</h3><ul>{body}</ul>"


def history_html(history: UnitHistory, tz: tzinfo) -> str:
    """The unit's story as escaped rich text, oldest fact first in each section."""
    unit = history.unit
    e = escape
    parts = [
        f"<h2>{e(unit.lpn)} · {e(unit.description or unit.sku)}</h2>",
        f"<p>{e(unit.rma_number)} line {unit.line_no or '—'} · SKU {e(unit.sku)} · "
        f"{e(unit.category)} · returned as {e(unit.reason)} · paid {e(unit.price)}<br>"
        f"Received {_when(unit.received_at, tz)} · taken in at station "
        f"{e(unit.station_code)} {_when(unit.created_at, tz)}</p>",
    ]
    inspections = []
    for item in history.inspections:
        grade = f"<b>{e(item.grade)}</b>"
        if item.override_reason:
            grade += (f" (proposed {e(item.proposed_grade or '—')}; changed because "
                      f"“{e(item.override_reason)}”)")
        answers = "; ".join(f"{e(a.question)}: <i>{e(a.answer)}</i>" for a in item.answers)
        flags = ", ".join(e(flag) for flag in item.flags) or "none"
        notes = f"<br>Notes: {e(item.notes)}" if item.notes else ""
        inspections.append(
            f"{_when(item.completed_at, tz)} by {e(item.grader)} at {e(item.station_code)} "
            f"({e(item.checklist)} {e(item.checklist_version)}): grade {grade}; flags: "
            f"{flags}<br>{answers}{notes}")
    parts.append(_section("Inspection", inspections))
    parts.append(_section("Disposition decisions", (
        f"{_when(d.decided_at, tz)} by {e(d.decided_by)}: <b>{e(d.disposition)}</b> → "
        f"{e(d.destination)} (rule {e(d.rule_id)}, rules {e(d.rules_version)})"
        + ("" if d.effective else " — superseded")
        + (f"<br>Override: “{e(d.override_reason)}”" if d.override_reason else "")
        + (f"<br>{e(d.why)}" if d.why else "") for d in history.decisions)))
    parts.append(_section("Refund", (
        f"{_when(r.created_at, tz)} by {e(r.decided_by)}: <b>{e(r.action)} {e(r.amount)}</b>"
        f" · {e(r.status.value.lower())}" + (f" · {e(r.note)}" if r.note else "")
        for r in history.refunds)))
    parts.append(_section("Exceptions", (
        f"{_when(x.opened_at, tz)} {e(x.kind)}{' (its parcel)' if x.of_parcel else ''} "
        f"opened by {e(x.opened_by)}: {e(x.details)}"
        + (f"<br>Closed {_when(x.resolution.resolved_at, tz)} by "
           f"{e(x.resolution.resolved_by)}: {e(x.resolution.outcome)} — "
           f"{e(x.resolution.reason)}" if x.resolution else " — <b>open</b>")
        for x in history.exceptions)))
    return "".join(parts)


class UnitWindow(QDialog):
    """Not modal: the supervisor can keep the summary and several units open side by side."""

    def __init__(self, ctx: StationContext, actor: Actor, background: TaskRunner,
                 sessions: sessionmaker[Session], lpn: str, photos_folder: Path, tz: tzinfo,
                 *, on_reprint: Callable[[], None] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx, self._actor, self._background = ctx, actor, background
        self._sessions, self._lpn, self._folder, self._tz = sessions, lpn, photos_folder, tz
        self._on_reprint = on_reprint
        self.history: UnitHistory | None = None
        self._after_reading: str | None = None
        self.setWindowTitle(f"Unit {lpn}")
        self.resize(1150, 860)

        self.story = QTextBrowser()
        self.story.setObjectName("compact")
        self.story.setOpenLinks(False)
        self.photo_strip = QHBoxLayout()
        strip = QWidget()
        strip.setLayout(self.photo_strip)
        photos = QScrollArea()
        photos.setWidget(strip)
        photos.setWidgetResizable(True)
        photos.setFixedHeight(THUMB + 70)
        self.labels = list_table(LABEL_COLUMNS)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("Reason (required), then Void or Reprint")
        self.void_button = QPushButton("&Void label")
        self.void_button.clicked.connect(self.void_selected)
        self.reprint_button = QPushButton("Re&print label")
        self.reprint_button.clicked.connect(self.reprint_selected)
        may_void = allowed(actor.role, Action.VOID)
        self.void_button.setVisible(may_void)
        actions = QHBoxLayout()
        actions.addWidget(self.reason, 1)
        actions.addWidget(self.void_button)
        actions.addWidget(self.reprint_button)
        label_box = QWidget()
        label_layout = QVBoxLayout(label_box)
        label_layout.setContentsMargins(0, 0, 0, 0)
        title = QLabel("Labels")
        title.setObjectName("subtitle")
        label_layout.addWidget(title)
        label_layout.addWidget(self.labels, 1)
        label_layout.addLayout(actions)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.story)
        splitter.addWidget(label_box)
        splitter.setSizes([560, 240])
        self.message = MessageLine()
        layout = QVBoxLayout(self)
        layout.addWidget(photos)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.message)
        self.reload()

    def reload(self) -> None:
        ctx, actor, sessions = self._ctx, self._actor, self._sessions
        lpn, folder = self._lpn, self._folder
        self.message.warning(f"Reading {lpn}…")
        self._background.run(lambda: unit_history(sessions, ctx, actor, lpn, folder),
                             self._show, self._failed)

    def _show(self, history: UnitHistory) -> None:
        self.history = history
        here = history.unit.station_code == self._ctx.station_code
        for button in (self.void_button, self.reprint_button):
            button.setEnabled(here)
        self.reason.setEnabled(here)
        if self._after_reading is not None:
            self.message.ok(self._after_reading)
        elif not here:
            self.message.warning(f"{history.unit.lpn} was taken in at station "
                                 f"{history.unit.station_code}: its labels are voided or "
                                 "printed again there.")
        else:
            self.message.clear_message()
        self._after_reading = None
        self.story.setHtml(history_html(history, self._tz))
        while self.photo_strip.count():
            item = self.photo_strip.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        for photo in history.photos:
            self.photo_strip.addWidget(self._thumbnail(photo))
        if not history.photos:
            self.photo_strip.addWidget(QLabel("No photos."))
        self.photo_strip.addStretch(1)
        self.labels.setRowCount(len(history.labels))
        for row, label in enumerate(history.labels):
            reprint = (f"reprint: {label.reprint_reason}" if label.reprint_of else "first print")
            void = (f"VOID {_when(label.void.voided_at, self._tz)} by {label.void.voided_by}:"
                    f" {label.void.reason}" if label.void else "")
            values = (_when(label.requested_at, self._tz), label.requested_by, label.kind,
                      label.printer_uri, label.state, reprint, void)
            for column, value in enumerate(values):
                self.labels.setItem(row, column, QTableWidgetItem(value))
        if history.labels:
            self.labels.selectRow(len(history.labels) - 1)

    def _thumbnail(self, photo: EvidencePhoto) -> QWidget:
        box = QLabel()
        box.setAlignment(Qt.AlignmentFlag.AlignCenter)
        box.setFixedWidth(THUMB + 20)
        box.setWordWrap(True)
        pixmap = QPixmap(str(photo.path)) if photo.file is PhotoFile.KEPT else QPixmap()
        if not pixmap.isNull():
            box.setPixmap(pixmap.scaled(THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio,
                                        Qt.TransformationMode.SmoothTransformation))
        else:
            where = photo.file.value.replace("_", " ")
            if photo.file is PhotoFile.MISSING and self.history is not None \
                    and self.history.unit.station_code != self._ctx.station_code:
                where = f"the file is at {self.history.unit.station_code}"
            box.setText(f"{photo.kind}\n{where}\nsha256 {photo.sha256[:12]}…")
        box.setToolTip(photo.caption)
        return box

    def _selected_job(self) -> uuid.UUID | None:
        row = self.labels.currentRow()
        if self.history is None or not 0 <= row < len(self.history.labels):
            self.message.warning("Choose a label first.")
            return None
        return self.history.labels[row].job_id

    def void_selected(self) -> None:
        job = self._selected_job()
        if job is None:
            return
        ctx, actor, reason = self._ctx, self._actor, self.reason.text()
        self._background.run(lambda: void_label(ctx, actor, job, reason),
                             lambda _void: self._done("Label voided; the reason is recorded."),
                             self._failed)

    def reprint_selected(self) -> None:
        job = self._selected_job()
        if job is None:
            return
        ctx, actor, reason = self._ctx, self._actor, self.reason.text()
        self._background.run(lambda: print_queue.request_reprint(ctx, actor, job, reason),
                             lambda _job: self._done("Reprint queued; the reason is recorded."),
                             self._failed)

    def _done(self, text: str) -> None:
        self.reason.clear()
        if self._on_reprint is not None:
            self._on_reprint()
        self.reload()
        self._after_reading = text

    def _failed(self, error: Exception) -> None:
        self.message.failed(error)
