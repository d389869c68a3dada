"""The grader's main screen: the category checklist one question at a time, item checks,
flags, photos and the grade, all from the keyboard and the scanner.

Keys: S gives the checklist's fast path ("sealed, as new": every answer it names, then the
decision as soon as nothing else is needed), 1–9 answer (Y/N for yes/no), Backspace undoes
the last answer, Space takes a photo (with no camera: imports one, from the folder used
last), K changes the kind of the next photo, O imports one from a file, Delete/R
delete/retake the selected photo, F raises or clears a flag, N writes a note, A–D/X give
another grade than proposed (a reason is asked), Enter finishes, Esc puts the unit back.
Every change emits `changed` so the window saves the draft at once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from html import escape
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QIcon, QImage, QImageWriter, QKeyEvent, QPixmap, QValidator
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from station.codes.scans import Payload
from station.common.bounded_files import read_bounded
from station.common.errors import UserFacingError
from station.common.money import format_minor
from station.common.permissions import Actor
from station.common.vocabulary import Category, Flag, Grade, PhotoKind, Reason
from station.grading.checklists import Question, QuestionType
from station.grading.unit_in_progress import InspectionError, PhotoTaken, UnitInspection
from station.grading.verification import CheckKind
from station.ports.photos import PhotoError, PhotoStore, StoredPhoto
from ui.camera_panel import CameraPanel
from ui.keyed_screen import ENTER, KeyedScreen
from ui.message_line import MessageLine
from ui.tasks import TaskRunner

CAPTURE_QUALITY = 95  # the photo store re-encodes at the configured quality
THUMB_SIZE = QSize(150, 112)
NOTES_SAVE_MS = 400  # a note being typed is saved this long after the last key
#: Read no more of an imported photo file than this; the photo store refuses over 40 MB itself.
MAX_IMPORTED_PHOTO_BYTES = 64 * 1024 * 1024


class _AnyText(QValidator):
    """Takes any text, so Enter always reaches the checklist, whose refusal says what is
    allowed (a range-checking Qt validator swallows Enter on "25" without a word)."""

    def validate(self, text: str, pos: int) -> tuple[QValidator.State, str, int]:
        return QValidator.State.Acceptable, text, pos


def jpeg_bytes(image: QImage) -> bytes:
    """A camera frame as JPEG bytes (safe off the UI thread: QImage, not QPixmap)."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QImageWriter(buffer, QByteArray(b"JPEG"))
    writer.setQuality(CAPTURE_QUALITY)
    if not writer.write(image):
        raise PhotoError("The camera frame could not be encoded. Take the photo again.")
    buffer.close()
    return bytes(data.data())


def photo_caption(photo: PhotoTaken) -> str:
    """Kind, time, grader, size and hash: what a dispute needs to know about a photo, in
    four short lines."""
    when = photo.taken_at.astimezone().strftime("%H:%M:%S")
    size = (f"{photo.size_bytes / 1_048_576:.1f} MB" if photo.size_bytes >= 1_048_576
            else f"{photo.size_bytes / 1024:.0f} kB")
    return (f"{photo.kind.label} · {when}\n{photo.taken_by_name}\n{size} · "
            f"{photo.width}×{photo.height}\n{photo.sha256[:12]}")


class FieldEdit(QLineEdit):
    """A line edit that keeps its Enter: it answers or records, and must not also reach the
    screen, where Enter means "finish"."""

    def keyPressEvent(self, event: QKeyEvent) -> None:
        super().keyPressEvent(event)
        if event.key() in ENTER:
            event.accept()


class InspectionScreen(KeyedScreen):
    changed = Signal()
    finished = Signal()
    put_back = Signal()
    camera_wanted = Signal(bool)

    def __init__(self, background: TaskRunner, store: PhotoStore,
                 clock: Callable[[], datetime]) -> None:
        super().__init__()
        self._background = background
        self._store = store
        self._clock = clock
        self.work: UnitInspection | None = None
        self._actor: Actor | None = None
        self._kind: PhotoKind | None = None
        self.camera_available = False
        #: Where the last photo was imported from: the next import dialog opens there.
        self.import_folder = Path.home()

        self.title = QLabel()
        self.title.setObjectName("subtitle")
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.item = QLabel()
        self.item.setWordWrap(True)
        self.checks = QLabel()
        self.checks.setWordWrap(True)
        self.checks.setTextFormat(Qt.TextFormat.RichText)

        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.question = QLabel()
        self.question.setObjectName("question")
        self.question.setWordWrap(True)
        self.question.setTextFormat(Qt.TextFormat.PlainText)
        self.question_hint = QLabel()
        self.question_hint.setObjectName("hint")
        self.question_hint.setWordWrap(True)
        self.question_hint.setTextFormat(Qt.TextFormat.PlainText)
        self.fast_button = QPushButton()
        self.fast_button.setObjectName("primary")
        self.fast_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.fast_button.clicked.connect(self.fast_path)
        self.answers = QWidget()
        self.answer_grid = QGridLayout(self.answers)
        self.answer_grid.setContentsMargins(0, 0, 0, 0)
        self.answer_buttons: list[QPushButton] = []
        self.field = FieldEdit()
        self._any_text = _AnyText(self.field)
        self.field.setObjectName("answer")
        self.field.returnPressed.connect(self._answer_field)
        self.outcome = QLabel()
        self.outcome.setWordWrap(True)
        self.outcome.setTextFormat(Qt.TextFormat.RichText)
        self.missing = QLabel()
        self.missing.setObjectName("missing")
        self.missing.setWordWrap(True)
        self.missing.setTextFormat(Qt.TextFormat.PlainText)
        self.mode_panel = QLabel()
        self.mode_panel.setObjectName("panel")
        self.mode_panel.setTextFormat(Qt.TextFormat.PlainText)
        self.mode_panel.setVisible(False)
        self.reason_field = FieldEdit()
        self.reason_field.setMaxLength(300)
        self.reason_field.setVisible(False)
        self.reason_field.returnPressed.connect(self._reason_entered)
        self._mode = ""
        self._pending_grade: Grade | None = None
        self.notes = FieldEdit()
        self.notes.setPlaceholderText("Notes for the next person (N)")
        self.notes.setMaxLength(2000)
        self.notes.editingFinished.connect(self._notes_edited)
        self._notes_timer = QTimer(self)
        self._notes_timer.setSingleShot(True)
        self._notes_timer.setInterval(NOTES_SAVE_MS)
        self._notes_timer.timeout.connect(self._notes_edited)
        self.notes.textEdited.connect(lambda _text: self._notes_timer.start())
        self.notes.returnPressed.connect(self.setFocus)
        self.message = MessageLine()
        keys = QLabel("S as new (fast path) · 1–9 answer · Backspace back · Space photo · "
                      "K kind · O import · Del/R delete/retake photo · F flag · N note · "
                      "A–X grade · Enter finish · Esc put back")
        keys.setObjectName("hint")
        keys.setWordWrap(True)

        status = QWidget()
        status_layout = QVBoxLayout(status)
        status_layout.setContentsMargins(0, 0, 0, 0)
        status_layout.addWidget(self.outcome)
        status_layout.addWidget(self.missing)
        status_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(status)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        left = QVBoxLayout()
        for widget in (self.title, self.item, self.checks, self.progress, self.fast_button,
                       self.question, self.question_hint, self.answers, self.field,
                       self.mode_panel, self.reason_field):
            left.addWidget(widget)
        left.addWidget(scroll, 1)
        left.addWidget(self.notes)
        left.addWidget(self.message)
        left.addWidget(keys)

        self.camera = CameraPanel()
        self.camera.setMinimumHeight(240)
        self.photo_kind = QLabel()
        self.photo_kind.setWordWrap(True)
        self.photo_needs = QLabel()
        self.photo_needs.setObjectName("hint")
        self.photo_needs.setWordWrap(True)
        self.thumbs = QListWidget()
        self.thumbs.setViewMode(QListView.ViewMode.IconMode)
        self.thumbs.setIconSize(THUMB_SIZE)
        self.thumbs.setGridSize(QSize(THUMB_SIZE.width() + 50, THUMB_SIZE.height() + 90))
        self.thumbs.setResizeMode(QListView.ResizeMode.Adjust)
        self.thumbs.setMovement(QListView.Movement.Static)
        self.thumbs.setUniformItemSizes(True)
        self.thumbs.setWordWrap(True)
        self.thumbs.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.thumbs.setObjectName("compact")
        self.thumbs.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        right = QVBoxLayout()
        right.addWidget(self.camera, 2)
        right.addWidget(self.photo_kind)
        right.addWidget(self.photo_needs)
        right.addWidget(self.thumbs, 3)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(24, 16, 24, 16)
        layout.addLayout(left, 3)
        layout.addLayout(right, 2)

        for index in range(9):
            self.bind_key(Qt.Key(Qt.Key.Key_1 + index), partial(self.choose_answer, index))
        self.bind_key(Qt.Key.Key_Y, lambda: self._yes_no(True))
        self.bind_key(Qt.Key.Key_S, self.fast_path)
        self.bind_key(Qt.Key.Key_Backspace, self.undo)
        self.bind_key(Qt.Key.Key_Space, self.photo_key)
        self.bind_key(Qt.Key.Key_K, self.next_kind)
        self.bind_key(Qt.Key.Key_O, self.import_photo)
        self.bind_key(Qt.Key.Key_Delete, self.delete_photo)
        self.bind_key(Qt.Key.Key_R, self.retake_photo)
        self.bind_key(Qt.Key.Key_F, self.toggle_flag)
        self.bind_key(Qt.Key.Key_N, self._n_key)
        for grade in Grade:
            if grade is not Grade.X:
                self.bind_key(Qt.Key(ord(grade.value)), partial(self.choose_grade, grade))
        self.bind_key(Qt.Key.Key_X, lambda: self.choose_grade(Grade.X))
        self.bind_keys(ENTER, self.finish)
        self.bind_key(Qt.Key.Key_Escape, self.ask_put_back)

    # -- showing

    def show_work(self, work: UnitInspection, actor: Actor, message: str | None = None) -> None:
        self.work, self._actor, self._kind = work, actor, None
        self._end_mode("")
        draft = work.draft
        self.title.setText(f"Unit {draft.lpn}  ·  {Category(draft.category).label} checklist "
                           f"{work.checklist.version}")
        self.item.setText(
            f"<b>{escape(draft.sku)}</b> — {escape(draft.description)}<br>"
            f"Customer says: {Reason(draft.reason).label} · paid "
            f"{format_minor(draft.unit_price_minor, draft.currency)} · RMA "
            f"{escape(draft.rma_number)} line {draft.line_no}")
        self.notes.setText(work.notes)
        self.camera_wanted.emit(True)  # first: the photo hint depends on the camera
        self._reload_thumbs()
        self.refresh()
        if message:
            self.message.ok(message)
        else:
            self.message.clear_message()

    def refresh(self) -> None:
        work = self.work
        if work is None:
            return
        answered, total = work.progress
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(answered)
        self.progress.setFormat(f"{answered} of {total} questions")
        self._show_checks(work)
        path = work.checklist.fast_path
        self.fast_button.setText(f"S   {path.label}" if path else "")
        self.fast_button.setVisible(path is not None and work.current is not None
                                    and not work.fast_path_on)
        question = work.current
        self._clear_answers()
        if question is not None:
            self._show_question(question)
        else:
            self.question.setText("Checklist complete.")
            self.question_hint.setText("Enter: accept the grade and see the decision · "
                                       "A B C D X: give another grade (a reason is asked) · "
                                       "Backspace: change the last answer.")
            self.field.setVisible(False)
            self.setFocus()
        self._show_outcome(work)
        self._show_photo_needs(work)

    def _show_checks(self, work: UnitInspection) -> None:
        expected = work.draft.expected
        lines = []
        for kind, what, on_file in ((CheckKind.GTIN, "product barcode", expected.gtin),
                                    (CheckKind.SERIAL, "serial", expected.serial)):
            check = work.checks.get(kind)
            if check is None:
                hint = f"expected {escape(on_file)}" if on_file else "none on file"
                lines.append(f"○ Scan the {what} ({hint}).")
            else:
                mark, colour = {True: ("✓", "#14532d"), False: ("✗", "#8a1c16"),
                                None: ("•", "#4c5967")}[check.ok]
                lines.append(f"<span style='color:{colour}'>{mark} {escape(check.message)}"
                             "</span>")
        self.checks.setText("<br>".join(lines))

    def _show_question(self, question: Question) -> None:
        self.question.setText(question.text + ("" if question.required else "  (optional)"))
        self.question_hint.setText(question.hint)
        options = self._options(question)
        for index, (label, value) in enumerate(options):
            button = QPushButton(f"{index + 1}   {label}")
            button.setObjectName("answerButton")
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.clicked.connect(lambda _c=False, v=value: self._answer(v))
            self.answer_grid.addWidget(button, index // 3, index % 3)
            self.answer_buttons.append(button)
        typed = question.type in (QuestionType.NUMBER, QuestionType.TEXT)
        self.field.setVisible(typed)
        self.field.clear()
        self.field.setValidator(self._any_text)
        if question.type is QuestionType.NUMBER:
            low = int(question.min) if question.min is not None else 0
            high = int(question.max) if question.max is not None else 1_000_000
            self.field.setPlaceholderText(f"Type a number {low}–{high}, then Enter")
        elif question.type is QuestionType.TEXT:
            self.field.setMaxLength(question.max_length)
            self.field.setPlaceholderText("Type the answer, then Enter"
                                          + ("" if question.required else
                                             " (Enter alone to skip)"))
        if typed:
            self.field.setFocus()
        else:
            self.setFocus()

    @staticmethod
    def _options(question: Question) -> list[tuple[str, object]]:
        if question.type is QuestionType.YES_NO:
            return [("Yes", True), ("No", False)]
        if question.type is QuestionType.CHOICE:
            return [(choice, choice) for choice in question.choices]
        return []

    def _clear_answers(self) -> None:
        for button in self.answer_buttons:
            button.hide()
            self.answer_grid.removeWidget(button)
            button.deleteLater()
        self.answer_buttons = []

    def _show_outcome(self, work: UnitInspection) -> None:
        outcome = work.outcome()
        grade = work.grade
        flags = ", ".join(flag.value.replace("_", " ") for flag in sorted(outcome.flags))
        text = f"<span style='font-size:30pt; font-weight:700'>{grade.value}</span> "
        text += escape(outcome.reason if grade == outcome.grade else
                       f"{grade.value} ({grade.meaning}) given by the grader instead of "
                       f"{outcome.grade.value}: {work.override_reason}")
        if outcome.ceiling != Grade.A:
            text += f"<br>Best possible: {outcome.ceiling.value}"
        if flags:
            text += f"<br><b>Flags:</b> {escape(flags)}"
        for note in outcome.notes:
            text += f"<br>• {escape(note)}"
        self.outcome.setText(text)
        missing = work.missing()
        self.missing.setText("" if missing.complete else
                             "Still needed:\n" + "\n".join(missing.lines()))

    def _show_photo_needs(self, work: UnitInspection) -> None:
        kind = self._kind or work.next_photo_kind()
        source = ("Space: camera (a file while it shows nothing) · O: import a file"
                  if self.camera_available else "No camera: Space or O imports a file")
        self.photo_kind.setText(f"Next photo: <b>{escape(kind.label)}</b> (K to change)<br>"
                                f"{source}")
        needs = []
        taken = [photo.kind for photo in work.photos]
        evidence = bool(work.evidence_reasons())
        for requirement, count in work.run.photos_needed(work.grade, evidence):
            have = taken.count(requirement.kind)
            mark = "✓" if have >= count else "✗"
            needs.append(f"{mark} {requirement.kind.label}: {min(have, count)}/{count} — "
                         f"{requirement.caption}")
        if needs:
            needs.insert(0, self._evidence_text(work) + ":")
        self.photo_needs.setText("\n".join(needs) or "No photos required: they are not "
                                 "evidence for this unit (grade B or better, no flag, "
                                 "ordinary value).")

    def _reload_thumbs(self) -> None:
        self.thumbs.clear()
        if self.work is None:
            return
        for photo in self.work.photos:
            self._add_thumb(photo, None)
        self.thumbs.scrollToTop()

    def _add_thumb(self, photo: PhotoTaken, data: bytes | None) -> None:
        item = QListWidgetItem(photo_caption(photo))
        item.setToolTip(f"SHA-256 {photo.sha256}")
        pixmap = QPixmap()
        if data is None:
            try:
                data = self._store.thumbnail(photo.sha256)
            except (PhotoError, ValueError):
                data = b""
        if data and pixmap.loadFromData(data):
            item.setIcon(QIcon(pixmap.scaled(THUMB_SIZE, Qt.AspectRatioMode.KeepAspectRatio)))
        item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self._fit_grid(item.text())
        self.thumbs.addItem(item)
        self.thumbs.setCurrentItem(item)
        self.thumbs.scrollToItem(item)

    def _fit_grid(self, caption: str) -> None:
        """Grow the strip's cells to hold this caption whole in the strip's own font (known
        only once the theme has styled it), so no caption is cut or elided."""
        self.thumbs.ensurePolished()
        metrics = self.thumbs.fontMetrics()
        lines = caption.splitlines()
        width = max(THUMB_SIZE.width(), *(metrics.horizontalAdvance(line) for line in lines))
        height = THUMB_SIZE.height() + len(lines) * metrics.lineSpacing()
        grid = self.thumbs.gridSize()
        wanted = QSize(max(grid.width(), width + 24), max(grid.height(), height + 24))
        if wanted != grid:
            self.thumbs.setGridSize(wanted)

    # -- answering

    def _changed(self) -> None:
        self.refresh()
        self.changed.emit()

    def _answer(self, value: object) -> None:
        work, actor = self.work, self._actor
        if work is None or work.current is None:
            return
        try:
            work.answer(value, question_id=work.current.id, at=self._clock(),
                        by=actor.user_id if actor else None)
        except UserFacingError as error:
            self.message.error(str(error))
            return
        self.message.clear_message()
        if work.fast_path_on:
            self._carry_on(work)
            return
        self._changed()

    def fast_path(self) -> None:
        """S (or the bench card's AS NEW): the checklist's fast-path answers, then the
        decision as soon as nothing else is needed."""
        work = self.work
        if work is None or self._mode:
            return
        if work.checklist.fast_path is None:
            self.message.warning("This checklist has no fast path: answer the questions.")
            return
        if work.current is None:
            self.message.warning("Every question is answered. Enter finishes.")
            return
        work.fast_path_on = True
        self._carry_on(work)

    def _carry_on(self, work: UnitInspection) -> None:
        """Let the fast path answer what it can, then say what it waits for, or finish."""
        actor = self._actor
        stop = work.resume_fast_path(self._clock(), actor.user_id if actor else None)
        self._changed()
        if stop is None:
            if work.ready:
                self.finish()
                return
            self.message.warning(f"{self._evidence_text(work)}: take "
                                 f"{self._photos_wanted(work)} (Space), then Enter.")
        elif stop.check is not None:
            check = work.checks.get(CheckKind(stop.check))
            if check is not None and check.ok is False:
                self.message.error(f"{check.message} Answer “{stop.question.text}” yourself.")
            else:
                on_file = (work.draft.expected.serial if stop.check == CheckKind.SERIAL
                           else work.draft.expected.gtin)
                self.message.warning(f"Scan the {stop.check} ({on_file}): the fast path "
                                     "carries on when it matches.")
        else:
            self.message.warning(f"The fast path does not answer “{stop.question.text}”: "
                                 "answer it, the rest follows.")

    def ask_for_evidence(self, why: str) -> None:
        """The decision needs photos the unit lacks (`why`, e.g. "a held refund"): say which,
        on this screen, where they are taken."""
        work = self.work
        if work is None:
            return
        self.refresh()
        self.message.warning(f"Photos are evidence for {why}: take "
                             f"{self._photos_wanted(work)} (Space), then Enter.")

    @staticmethod
    def _photos_wanted(work: UnitInspection) -> str:
        """The photos still missing, briefly: "front, back, defect close-up ×2"."""
        return ", ".join(need.kind.label + (f" ×{need.short}" if need.short > 1 else "")
                         for need in work.missing().photos)

    @staticmethod
    def _evidence_text(work: UnitInspection) -> str:
        reasons = work.evidence_reasons()
        return ("Photos are evidence here (" + "; ".join(reasons) + ")") if reasons else \
            "Photos are required for this checklist"

    def _answer_field(self) -> None:
        work = self.work
        if work is None or (question := work.current) is None:
            return
        text = self.field.text().strip()
        if question.type is QuestionType.NUMBER:
            if not text:
                self.message.error("Type a number, then Enter.")
                return
            self._answer(text)
        else:
            self._answer(text or None)

    def choose_answer(self, index: int) -> None:
        work = self.work
        if work is None or (question := work.current) is None:
            self.message.warning("Every question is answered. Enter finishes.")
            return
        options = self._options(question)
        if not options:
            self.field.setFocus()
            return
        if index >= len(options):
            self.message.error(f"There are only {len(options)} answers; press 1–"
                               f"{len(options)}.")
            return
        self._answer(options[index][1])

    def _yes_no(self, value: bool) -> None:
        work = self.work
        if work is not None and work.current is not None and \
                work.current.type is QuestionType.YES_NO:
            self._answer(value)

    def undo(self) -> None:
        if self.work is None:
            return
        if self.work.back():
            self.message.ok("Last answer undone: answer it again.")
            self._changed()
        else:
            self.message.warning("Nothing to undo yet.")

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if self._mode == "flags" and Qt.Key.Key_1 <= key <= Qt.Key.Key_9:
            event.accept()
            self._flag_key(key - Qt.Key.Key_1)
            return
        if self._mode == "put_back" and key != Qt.Key.Key_Escape:
            self._mode = ""
            self.message.clear_message()
        super().keyPressEvent(event)

    def _n_key(self) -> None:
        """N is "No" while a yes/no question waits, else it opens the notes."""
        work = self.work
        if work is not None and work.current is not None and \
                work.current.type is QuestionType.YES_NO:
            self._yes_no(False)
        else:
            self.notes.setFocus()

    def _notes_edited(self) -> None:
        if self.work is not None and self.notes.text() != self.work.notes:
            self.work.set_notes(self.notes.text())
            self.changed.emit()

    # -- scans, flags and grade

    def handle_scan(self, payload: Payload) -> bool:
        """A product barcode or serial scanned on this screen; False if it is neither."""
        if self.work is None:
            return False
        checks = self.work.scan(payload)
        if not checks:
            return False
        if any(check.ok is False for check in checks):
            self.message.error(" ".join(c.message for c in checks))
        else:
            self.message.ok(" ".join(c.message for c in checks))
        if self.work.fast_path_on and self.work.current is not None:
            self._carry_on(self.work)
        else:
            self._changed()
        return True

    def toggle_flag(self) -> None:
        """F: list the flags with numbers; the next number key raises or clears one."""
        work = self.work
        if work is None:
            return
        if self._mode == "flags":
            self._end_mode("")
            return
        self._mode = "flags"
        raised = work.outcome().flags

        def state(flag: Flag) -> str:
            if flag in work.manual_flags:
                return "raised by hand"
            return "raised" if flag in raised else "—"

        lines = [f"{n}  {flag.value.replace('_', ' ')}: {state(flag)}"
                 for n, flag in enumerate(list(Flag)[:9], start=1)]
        self.mode_panel.setText("Flags — press a number to raise or clear one, F or Esc to "
                                "close:\n" + "\n".join(lines))
        self.mode_panel.setVisible(True)
        self.setFocus()

    def _flag_key(self, index: int) -> None:
        work = self.work
        flags = list(Flag)
        if work is None or index >= min(len(flags), 9):
            return
        flag = flags[index]
        if flag in work.outcome().flags and flag not in work.manual_flags:
            self._end_mode("")
            self.message.warning(f"{flag.value.replace('_', ' ')} comes from an answer or a "
                                 "scan; change that instead.")
            return
        raised = work.toggle_flag(flag)
        self._end_mode(f"Flag {flag.value.replace('_', ' ')} {'raised' if raised else 'cleared'}.")
        self._changed()

    def choose_grade(self, grade: Grade) -> None:
        """Another grade than proposed: asks for the reason on the screen (Enter records it,
        Esc cancels); the proposed grade itself needs none."""
        work = self.work
        if work is None:
            return
        if work.current is not None:
            self.message.warning("Answer the checklist first; the grade follows from it.")
            return
        outcome = work.outcome()
        if grade == outcome.grade or not outcome.allows(grade):
            self._apply_grade(grade, "")
            return
        self._mode = "reason"
        self._pending_grade = grade
        self.reason_field.clear()
        self.reason_field.setPlaceholderText(
            f"Why {grade.value} and not the proposed {outcome.grade.value}? Type, then Enter "
            "(Esc cancels)")
        self.reason_field.setVisible(True)
        self.reason_field.setFocus()

    def _reason_entered(self) -> None:
        grade = self._pending_grade
        if grade is None:
            return
        self._apply_grade(grade, self.reason_field.text())

    def _apply_grade(self, grade: Grade, reason: str) -> None:
        work = self.work
        if work is None:
            return
        try:
            work.choose_grade(grade, reason)
        except InspectionError as error:
            self.message.error(str(error))
            return
        self._end_mode(f"Grade {grade.value}" + (
            f" — reason recorded: {work.override_reason}" if work.override_reason else ""))
        self._changed()

    def _end_mode(self, message: str) -> None:
        self._mode = ""
        self._pending_grade = None
        self.mode_panel.setVisible(False)
        self.reason_field.setVisible(False)
        self.setFocus()
        if message:
            self.message.ok(message)

    # -- photos

    def next_kind(self) -> None:
        if self.work is None:
            return
        kinds = list(PhotoKind)
        current = self._kind or self.work.next_photo_kind()
        self._kind = kinds[(kinds.index(current) + 1) % len(kinds)]
        self._show_photo_needs(self.work)

    def _photo_kind(self) -> PhotoKind:
        assert self.work is not None
        kind = self._kind or self.work.next_photo_kind()
        self._kind = None
        return kind

    def photo_key(self) -> None:
        """Space: a photo from the camera, or while no camera picture is coming (none
        configured, unplugged), from a file."""
        if self.camera_available and not self.camera.view.image.isNull():
            self.take_photo()
        else:
            self.import_photo()

    def take_photo(self) -> None:
        if self.work is None:
            return
        image = self.camera.view.image
        if not self.camera_available or image.isNull():
            self.message.warning("No camera picture yet: check camera.source, or import a "
                                 "photo from a file (O).")
            return
        frame = image.copy()
        self._store_photo(lambda: jpeg_bytes(frame), self._photo_kind())

    def import_photo(self) -> None:
        if self.work is None:
            return
        kind = self._kind or self.work.next_photo_kind()
        folder = self.import_folder if self.import_folder.is_dir() else Path.home()
        name, _filter = QFileDialog.getOpenFileName(
            self, f"Import the {kind.label} photo", str(folder), "Photos (*.jpg *.jpeg *.png)")
        self.setFocus()
        if name:
            self.import_folder = Path(name).parent
            self.import_file(Path(name))

    def import_file(self, path: Path, kind: PhotoKind | None = None) -> None:
        """Store a photo from a handheld camera's file as the next (or given) kind."""
        self._store_photo(lambda: read_bounded(path, MAX_IMPORTED_PHOTO_BYTES),
                          kind or self._photo_kind())

    def _store_photo(self, read: Callable[[], bytes], kind: PhotoKind) -> None:
        work, actor, store = self.work, self._actor, self._store
        if work is None or actor is None:
            return
        self.message.warning(f"Saving the {kind.label} photo…")

        def job() -> tuple[StoredPhoto, bytes]:
            stored = store.store(read())
            return stored, store.thumbnail(stored.sha256)

        def done(result: tuple[StoredPhoto, bytes]) -> None:
            stored, thumb = result
            if self.work is not work:
                return
            photo = PhotoTaken(stored.sha256, kind, stored.size_bytes, stored.width,
                               stored.height, self._clock(), actor.user_id, actor.display_name)
            try:
                work.add_photo(photo)
            except InspectionError as error:
                self.message.error(str(error))
                return
            self._add_thumb(photo, thumb)
            self.message.ok(f"Photo kept: {photo.kind.label}, {photo.width}×{photo.height}.")
            self._changed()

        def failed(error: Exception) -> None:
            self.message.error(str(error) if isinstance(error, UserFacingError | OSError)
                               else f"The photo was not kept ({error.__class__.__name__}).")

        self._background.run(job, done, failed)

    def delete_photo(self) -> PhotoTaken | None:
        work = self.work
        row = self.thumbs.currentRow()
        if work is None or row < 0:
            self.message.warning("No photo selected.")
            return None
        photo = work.remove_photo(row)
        self.thumbs.takeItem(row)
        self.message.ok(f"Deleted the {photo.kind.label} photo.")
        self._changed()
        return photo

    def retake_photo(self) -> None:
        photo = self.delete_photo()
        if photo is not None:
            self._kind = photo.kind
            self.take_photo()

    # -- leaving

    def finish(self) -> None:
        work = self.work
        if work is None:
            return
        if work.current is not None:
            self.message.warning("Answer the question first (1–9, or type and Enter).")
            return
        missing = work.missing()
        if not missing.complete:
            self.message.error("Cannot finish yet — " + "; ".join(missing.lines()) + ".")
            return
        self.camera_wanted.emit(False)
        self.finished.emit()

    def ask_put_back(self) -> None:
        """Esc: close a panel; else ask, and a second Esc puts the unit back unfinished."""
        if self.work is None:
            return
        if self._mode in ("flags", "reason"):
            self._end_mode("Cancelled.")
            return
        if self._mode != "put_back":
            self._mode = "put_back"
            self.message.warning(f"Press Esc again to put {self.work.draft.lpn} back "
                                 "unfinished: its answers and photos are discarded and the LPN "
                                 "is not used. Any other key carries on.")
            return
        self._mode = ""
        self.camera_wanted.emit(False)
        self.put_back.emit()
