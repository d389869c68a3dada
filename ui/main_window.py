"""The station window: one screen at a time, in the order a return flows through the bench."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QStackedWidget,
    QWidget,
)

from station.codes.scans import COMMAND_CAPTIONS, Payload, PayloadKind, inspect_scan
from station.common.errors import UserFacingError
from station.common.permissions import Action, Actor, allowed
from station.common.vocabulary import Grade
from station.inspection import drafts
from station.inspection import finalize as inspection
from station.inspection.drafts import DraftSummary
from station.inspection.finalize import FinalizedUnit, OverReturn, OverReturnError, UnitInspection
from station.labels import content as labels
from station.labels import print_queue
from station.labels.content import sample_label
from station.labels.printers import JobState, LabelPrinter, PrintOutcome, render_label
from station.labels.render import to_png_bytes
from station.people import signin
from station.people.idle import IdleTimer
from station.people.users import UserInfo
from station.ports.photos import MemoryPhotoStore, PhotoStore
from station.ports.scanner import PreviewSource, ScanSource
from station.receiving import parcels as receiving
from station.receiving.parcels import RmaView, UnexpectedReceipt
from station.reports import daily_summary as reports
from station.reports.document import ReportRenderer
from station.runtime.context import StationContext
from station.store import outbox
from station.supervision import evidence, queues
from station.supervision.evidence import EvidenceRenderer, WrittenSheet
from station.sync import exchange as sync
from ui.background import Background
from ui.bench_card import BenchCardDialog
from ui.camera_panel import CameraPanel
from ui.demo_sheet import DemoSheetDialog
from ui.draft_saver import DraftSaver
from ui.feedback import Feedback, Tone
from ui.message_line import MessageLine
from ui.print_worker import PrintWorker
from ui.queues_dialog import QueuesDialog
from ui.screens.decision import DecisionScreen
from ui.screens.first_admin import FirstAdminScreen
from ui.screens.inspection import InspectionScreen
from ui.screens.label import LabelScreen
from ui.screens.rma import RmaScreen
from ui.screens.scan import ScanScreen
from ui.screens.sign_in import SignInScreen
from ui.source_bridge import SourceBridge
from ui.summary_dialog import CentralSessions, SummaryDialog
from ui.sync_worker import SyncStatus, SyncWorker
from ui.unit_window import UnitWindow
from ui.users_dialog import UsersDialog
from ui.wedge_filter import WedgeFilter

_USER_INPUT = {QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.Wheel}
IDLE_CHECK_MS = 1000


class MainWindow(QMainWindow):
    def __init__(self, ctx: StationContext, *, demo: bool = False,
                 sources: Sequence[ScanSource] = (), camera: PreviewSource | None = None,
                 printer: LabelPrinter | None = None, photos: PhotoStore | None = None,
                 evidence: EvidenceRenderer | None = None,
                 evidence_folder: Path | None = None,
                 sync_worker: SyncWorker | None = None,
                 central: CentralSessions | None = None,
                 reports_renderer: ReportRenderer | None = None) -> None:
        """`photos` None keeps photos in memory only (tests); the app passes the photo
        store of `[photos]`, the PDF renderers, the folder evidence sheets go to and the
        central database the supervisor's summary reads (None: this station's only)."""
        super().__init__()
        self.ctx = ctx
        self.demo = demo
        self.actor: Actor | None = None
        self._work: UnitInspection | None = None
        self.background = Background(self)
        self._lookups = Background(self)  # reads that must never make a key wait on them
        self.photos = photos if photos is not None else MemoryPhotoStore()
        self.draft_saver = DraftSaver(ctx, self)
        self.evidence = evidence
        self.evidence_folder = evidence_folder
        self.sync_worker = sync_worker
        self.central = central
        self.reports_renderer = reports_renderer
        self.summary_dialog: SummaryDialog | None = None
        self.unit_windows: list[UnitWindow] = []
        self.setWindowTitle(f"Returns Station — {ctx.station_code}" + ("  [DEMO]" if demo else ""))
        self.resize(1280, 800)

        self.first_admin = FirstAdminScreen(ctx, self.background)
        self.sign_in = SignInScreen(ctx, self.background, demo=demo)
        self.scan = ScanScreen(ctx, self.background)
        self.scan.demo_hint.setVisible(demo)
        self.rma = RmaScreen(ctx, self.background)
        self.inspection = InspectionScreen(self.background, self.photos, ctx.clock)
        self.decision = DecisionScreen(ctx, self.background)
        self.label = LabelScreen()
        self.stack = QStackedWidget()
        for screen in (self.first_admin, self.sign_in, self.scan, self.rma, self.inspection,
                       self.decision, self.label):
            self.stack.addWidget(screen)
        self.setCentralWidget(self.stack)

        self.user_label = QLabel()
        self.user_label.setTextFormat(Qt.TextFormat.PlainText)
        self.outbox_label = QLabel()
        self.busy_label = QLabel()
        status = self.statusBar()
        status.addWidget(QLabel(f"Station {ctx.station_code} · {ctx.config.site}"))
        status.addWidget(self.user_label)
        status.addPermanentWidget(self.busy_label)
        status.addPermanentWidget(self.outbox_label)
        if demo:
            status.addPermanentWidget(QLabel("DEMO DATA"))
        self.feedback = Feedback(self, ctx.config.feedback)
        self.scan.tone.connect(lambda tone: self.feedback.signal(Tone(tone)))
        self.sign_in.tone.connect(lambda tone: self.feedback.signal(Tone(tone)))
        self.background.busy_changed.connect(
            lambda busy: self.busy_label.setText("Working…" if busy else ""))
        self._build_menu()
        self.mute_action.setChecked(self.feedback.muted)

        self.first_admin.created.connect(self._first_admin_created)
        self.sign_in.signed_in.connect(self._signed_in)
        self.scan.rma_found.connect(self._show_rma)
        self.scan.badge_scanned.connect(self._switch_user)
        self.rma.inspect.connect(self._inspect)
        self.rma.back.connect(self._to_scan)
        self.rma.over_return.connect(self._set_aside_over_return)
        self.inspection.changed.connect(self._save_draft)
        self.inspection.finished.connect(self._inspected)
        self.inspection.put_back.connect(self._put_back)
        self.inspection.camera_wanted.connect(self._inspection_camera)
        self.draft_saver.failed.connect(self.inspection.message.error)
        self.decision.confirmed.connect(self._confirm)
        self.decision.regrade.connect(self._regrade)
        self.label.next_unit.connect(self._back_to_rma)
        self.label.new_parcel.connect(self._to_scan)
        self.idle = IdleTimer(timedelta(minutes=ctx.config.security.idle_lock_minutes), ctx.clock)
        self._locked_screen: tuple[str, QWidget] | None = None
        self._idle_check = QTimer(self)
        self._idle_check.setInterval(IDLE_CHECK_MS)
        self._idle_check.timeout.connect(self.check_idle)
        self._idle_check.start()
        app = QApplication.instance()
        app.installEventFilter(self)
        self.wedge = WedgeFilter(ctx.config.scanner, self)
        app.installEventFilter(self.wedge)
        self.wedge.scanned.connect(self.on_scan)
        self.sources: list[SourceBridge] = []
        for source in sources:
            self._add_source(source)
        self.camera = camera
        self.printer = printer
        self.last_test_print: PrintOutcome | None = None
        self._current_job: uuid.UUID | None = None
        self.print_worker: PrintWorker | None = None
        if printer is not None:
            self.print_worker = PrintWorker(ctx, printer, self)
            self.print_worker.attempted.connect(self._print_attempted)
            self.statusBar().addPermanentWidget(QLabel(f"Printer {printer.name}"))
        self.rma.received.connect(self._print_receiving_label)
        self.scan.unexpected_received.connect(self._print_exception_label)
        self.label.reprint_requested.connect(self.reprint)
        self.label.printed_confirmed.connect(self.confirm_printed)
        self.label.evidence_requested.connect(self.write_evidence)
        self._camera_bridge: SourceBridge | None = None
        self._camera_panel: CameraPanel | None = None
        self.scan.camera_toggled.connect(self.toggle_camera)
        self.scan.resume_requested.connect(self.resume_draft)
        if sync_worker is not None:
            sync_worker.status_changed.connect(self._sync_status)
            sync_worker.start()
        if signin.has_users(ctx):
            self._show(self.sign_in)
            self.sign_in.reset()
        else:
            self._show(self.first_admin)
            self.first_admin.start()
        self._refresh_status()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _USER_INPUT:
            self.idle.touch()
        if isinstance(event, QKeyEvent) and event.type() == QEvent.Type.KeyPress:
            return self._menu_key(event)
        return False

    def _menu_key(self, event: QKeyEvent) -> bool:
        """Menu shortcuts also in a window that is not active (kiosk, no window manager).

        Qt matches shortcuts only in the active window, before the key press is delivered;
        a press that reaches this filter was not matched, so nothing is triggered twice.
        """
        pressed = QKeySequence(event.keyCombination())
        for action in self._shortcut_actions:
            if action.isEnabled() and action.isVisible() and action.shortcut() == pressed:
                action.trigger()
                return True
        return False

    def _add_source(self, source: ScanSource) -> None:
        bridge = SourceBridge(source, self)
        label = QLabel(f"{source.name}: starting")
        self.statusBar().addPermanentWidget(label)
        bridge.status.connect(lambda status: label.setText(status.text))
        bridge.scanned.connect(lambda text: self.on_scan(text, True))
        self.sources.append(bridge)
        bridge.start()

    def toggle_camera(self) -> None:
        """F3 on the scan screen: show the live preview and scan with the webcam, or stop."""
        panel = self.scan.camera
        if self.camera is None:
            self.scan.message.warning("No camera is configured (camera.source).")
            return
        if self._camera_bridge is not None:
            self._stop_camera()
            return
        self._start_camera(panel)

    def _start_camera(self, panel: CameraPanel) -> None:
        """Run the camera into `panel`: preview, photos, and codes scanned as any scan."""
        if self.camera is None:
            return
        self._stop_camera()
        self.camera.on_frame = panel.deliver
        bridge = SourceBridge(self.camera, self)
        bridge.status.connect(panel.show_status)
        bridge.scanned.connect(lambda text: self.on_scan(text, True))
        self._camera_bridge = bridge
        self._camera_panel = panel
        panel.setVisible(True)
        bridge.start()

    def _stop_camera(self) -> None:
        if self._camera_bridge is None:
            return
        self._camera_bridge.stop()
        self._camera_bridge.deleteLater()
        self._camera_bridge = None
        if self._camera_panel is self.scan.camera:
            self.scan.camera.setVisible(False)
        self._camera_panel = None

    def _inspection_camera(self, wanted: bool) -> None:
        self.inspection.camera_available = self.camera is not None
        if wanted and self.camera is not None:
            if self._camera_panel is not self.inspection.camera:
                self._start_camera(self.inspection.camera)
        elif not wanted and self._camera_panel is self.inspection.camera:
            self._stop_camera()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._camera_bridge is not None:
            self._camera_bridge.stop()
        for bridge in self.sources:
            bridge.stop()
        if self.sync_worker is not None:
            self.sync_worker.stop()
        super().closeEvent(event)

    def on_scan(self, text: str, entered: bool = True) -> None:
        """A scan from any scanner, wherever the focus is: the current screen decides.

        Where no screen uses scans (a dialog, a form, the PIN field), the code is typed into
        the focused field instead, as a very fast typist's keys would be.
        """
        self.idle.touch()
        current = self.stack.currentWidget()
        if QApplication.activeModalWidget() is not None:
            self._type_into_focus(text, entered)
            return
        payload = inspect_scan(text, self.ctx.config.rma_regex)
        if payload.kind == PayloadKind.BADGE:
            if self.actor is not None and current is self.decision and \
                    self.decision.awaiting_approval():
                self.background.run(lambda: signin.sign_in_with_badge(self.ctx, payload.value),
                                    self.decision.approver_signed, self.decision.approval_failed)
            elif self.actor is None and current is self.sign_in:
                self.sign_in.submit_badge(payload.value)
            elif self.actor is not None:
                self._switch_user(payload.value)
        elif self.actor is None:
            if not self._type_into_focus(text, entered) and current is self.sign_in:
                self.sign_in.message.error("Sign in first: scan your badge or choose your "
                                           "name and type your PIN.")
        elif current is self.inspection and payload.kind not in (
                PayloadKind.COMMAND, PayloadKind.RMA) and self.inspection.handle_scan(payload):
            self.feedback.signal(Tone.SUCCESS)
        elif not payload.valid:
            self._tell(current, payload.error or "That code cannot be used.", Tone.ERROR)
        elif payload.kind == PayloadKind.COMMAND:
            self._command(current, payload)
        elif payload.kind == PayloadKind.LPN and current in (self.scan, self.rma, self.label):
            self.reprint_lpn(payload.value, current)
        elif current in (self.scan, self.rma, self.label):
            self._to_scan()
            self.scan.submit(payload.text)
        elif not self._type_into_focus(text, entered):
            self._tell(current, "That code is not used on this screen. Finish this step "
                                "first.", Tone.UNKNOWN)

    def _command(self, current: QWidget, payload: Payload) -> None:
        """A bench-card barcode: the same action as the key shown on the current screen."""
        command = payload.fields.get("command", "")
        actions: dict[tuple[QWidget, str], Callable[[], None]] = {
            (self.rma, "NEXT"): self.rma.act,
            (self.rma, "CANCEL"): self.rma.escape,
            (self.inspection, "CANCEL"): self.inspection.ask_put_back,
            (self.inspection, "NEXT"): self.inspection.finish,
            (self.inspection, "PHOTO"): self.inspection.take_photo,
            (self.decision, "NEXT"): self.decision.confirm,
            (self.decision, "PRINT"): self.decision.confirm,
            (self.decision, "CANCEL"): self.decision.back,
            (self.label, "NEXT"): self.label.next_unit.emit,
            (self.label, "CANCEL"): self.label.new_parcel.emit,
        }
        if command == "SIGNOUT":
            self.sign_out()
        elif command == "GRADE" and current is self.inspection:
            self.inspection.choose_grade(Grade(payload.fields["grade"]))
        elif command == "ANSWER" and current is self.inspection:
            self.inspection.choose_answer(int(payload.fields["argument"]) - 1)
        elif command == "BACK" and current is self.inspection:
            self.inspection.undo()
        elif (action := actions.get((current, command))) is not None:
            action()
        else:
            self._tell(current, f"“{COMMAND_CAPTIONS.get(payload.text, payload.text)}” does "
                                "nothing on this screen.", Tone.UNKNOWN)

    def _tell(self, screen: QWidget, text: str, tone: Tone) -> None:
        self.feedback.signal(tone)
        message = getattr(screen, "message", None)
        if isinstance(message, MessageLine):
            if tone is Tone.ERROR:
                message.error(text)
            else:
                message.warning(text)

    @staticmethod
    def _type_into_focus(text: str, entered: bool) -> bool:
        field = QApplication.focusWidget()
        if not isinstance(field, QLineEdit) or not field.isEnabled() or field.isReadOnly():
            return False
        field.insert(text)
        if not entered:
            return True
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(field, QKeyEvent(kind, Qt.Key.Key_Return,
                                                    Qt.KeyboardModifier.NoModifier, "\r"))
        return True

    def check_idle(self) -> None:
        """Lock the bench after the configured time without use; resume where it was."""
        if self.actor is None or not self.idle.expired() or self.background.busy:
            return
        actor = self.actor
        while (modal := QApplication.activeModalWidget()) is not None and modal is not self:
            modal.close()
        self._locked_screen = (actor.username, self.stack.currentWidget())
        minutes = self.ctx.config.security.idle_lock_minutes
        self.background.run(lambda: signin.sign_out(self.ctx, actor, reason="idle_locked"),
                            lambda _none: None, self._error)
        self.actor = None
        self._close_supervisor_windows()
        self._show(self.sign_in)
        self.sign_in.reset(f"Locked after {minutes} min without use. Sign in to carry on where "
                           "you were.")
        self.sign_in.select_user(actor.username)
        self._refresh_status()

    @property
    def _shortcut_actions(self) -> list[QAction]:
        menus = self.menuBar().findChildren(QMenu)
        return [a for menu in menus for a in menu.actions() if not a.shortcut().isEmpty()]

    def _build_menu(self) -> None:
        station_menu = self.menuBar().addMenu("&Station")
        sign_out = QAction("Sign &out", self)
        sign_out.setShortcut(QKeySequence("Ctrl+L"))
        sign_out.triggered.connect(self.sign_out)
        station_menu.addAction(sign_out)
        self.queues_action = QAction("Supervisor &queues…", self)
        self.queues_action.setShortcut(QKeySequence(Qt.Key.Key_F6))
        self.queues_action.triggered.connect(self.show_queues)
        station_menu.addAction(self.queues_action)
        self.summary_action = QAction("Daily &summary…", self)
        self.summary_action.setShortcut(QKeySequence(Qt.Key.Key_F7))
        self.summary_action.triggered.connect(self.show_summary)
        station_menu.addAction(self.summary_action)
        self.users_action = QAction("&Users…", self)
        self.users_action.setShortcut(QKeySequence("Ctrl+U"))
        self.users_action.triggered.connect(self.show_users)
        station_menu.addAction(self.users_action)
        station_menu.addSeparator()
        self.mute_action = QAction("&Mute sounds", self)
        self.mute_action.setCheckable(True)
        self.mute_action.setShortcut(QKeySequence("Ctrl+M"))
        self.mute_action.toggled.connect(lambda muted: self.feedback.set_muted(muted))
        station_menu.addAction(self.mute_action)
        self.sync_action = QAction("S&ync now", self)
        self.sync_action.setShortcut(QKeySequence(Qt.Key.Key_F9))
        self.sync_action.triggered.connect(self.sync_now)
        station_menu.addAction(self.sync_action)
        parked = QAction("&Parked facts…", self)
        parked.triggered.connect(self.show_parked)
        station_menu.addAction(parked)
        test_print = QAction("&Test print", self)
        test_print.triggered.connect(self.test_print)
        station_menu.addAction(test_print)
        volume = QAction("Sound &volume…", self)
        volume.triggered.connect(self._ask_volume)
        station_menu.addAction(volume)
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        station_menu.addAction(quit_action)
        help_menu = self.menuBar().addMenu("&Help")
        sheet = QAction("&Demo sheet: RMA numbers and users", self)
        sheet.setShortcut(QKeySequence(Qt.Key.Key_F1))
        sheet.triggered.connect(self.show_demo_sheet)
        sheet.setEnabled(self.demo)
        help_menu.addAction(sheet)
        card = QAction("&Bench card: command barcodes", self)
        card.triggered.connect(self.show_bench_card)
        help_menu.addAction(card)

    def _show(self, screen: QWidget) -> None:
        self.stack.setCurrentWidget(screen)

    def _refresh_status(self) -> None:
        self.users_action.setVisible(self.actor is not None
                                     and allowed(self.actor.role, Action.MANAGE_USERS))
        self.queues_action.setVisible(self.actor is not None
                                      and allowed(self.actor.role, Action.APPROVE_REFUND))
        self.summary_action.setVisible(self.queues_action.isVisible())
        who = self.actor
        self.user_label.setText(f"{who.display_name} ({who.role.value})" if who else "Signed out")
        if self.sync_worker is None or self.sync_worker.status.online is None:
            with self.ctx.sessions() as session:  # else the sync status says it
                waiting = outbox.pending_count(session)
            self.outbox_label.setText(f"{waiting} fact(s) waiting to sync")

    def sync_now(self) -> None:
        """Station ▸ Sync now (F9): push and pull at once, in the background."""
        if self.sync_worker is None:
            self.statusBar().showMessage("Sync is not set up on this station.", 10_000)
            return
        self.outbox_label.setText("syncing…")
        self.sync_worker.sync_now()

    def show_parked(self) -> None:
        """Station ▸ Parked facts: what the central database refused, and send them again
        once the cause is fixed."""
        entries = sync.parked_entries(self.ctx.sessions, limit=50)
        box = QMessageBox(self)
        box.setWindowTitle("Parked facts")
        if not entries:
            box.setText("Nothing is parked: the central database took every fact.")
            box.exec()
            return
        box.setText(f"{len(entries)} fact(s) were refused by the central database and wait "
                    "here. Fix the cause, then send them again.")
        box.setDetailedText("\n".join(f"#{e.seq} {e.entity} {e.entity_id}: {e.error}"
                                      for e in entries))
        again = box.addButton("Send again", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Close)
        box.exec()
        if box.clickedButton() is again:
            count = sync.unpark(self.ctx.sessions)
            self.statusBar().showMessage(f"{count} parked fact(s) will be sent again.", 10_000)
            self.sync_now()

    def _sync_status(self, status: SyncStatus) -> None:
        self.outbox_label.setText(status.text)
        self.outbox_label.setToolTip(status.last_error or "Last sync went well.")
        if status.halted:  # stays until the next status: an admin must resolve it
            self.statusBar().showMessage(status.last_error)
        elif status.last_error:
            self.statusBar().showMessage(f"Sync: {status.last_error}", 15_000)
        if status.people_arrived and self.stack.currentWidget() is self.first_admin:
            self._show(self.sign_in)  # a new bench's people came from the central directory
            self.sign_in.reset()
        for text in status.conflicts:
            self.feedback.signal(Tone.ERROR)
            self.statusBar().showMessage(text, 30_000)
            if self.stack.currentWidget() is self.scan:
                self.scan.message.error(text)

    def _ask_volume(self) -> None:
        value, ok = QInputDialog.getInt(self, "Sound volume", "Volume (0–100 %):",
                                        self.feedback.volume, 0, 100, 10)
        if ok:
            self.feedback.set_volume(value)
            self.feedback.signal(Tone.SUCCESS)

    def show_bench_card(self) -> None:
        dialog = BenchCardDialog(self)
        dialog.exec()
        dialog.deleteLater()
        self.activateWindow()

    def show_demo_sheet(self) -> None:
        dialog = DemoSheetDialog(self.ctx, self)
        dialog.exec()
        dialog.deleteLater()
        self.activateWindow()

    def sign_out(self) -> None:
        actor = self.actor
        if actor is not None:
            self.background.run(lambda: signin.sign_out(self.ctx, actor, reason="signed_out"),
                                lambda _none: None, self._error)
        self.actor = None
        self._work = None
        self._stop_camera()
        self._close_supervisor_windows()
        self._locked_screen = None
        self._show(self.sign_in)
        self.sign_in.reset()
        self._refresh_status()

    def _close_supervisor_windows(self) -> None:
        """The summary and unit windows belong to whoever opened them: gone at sign-out."""
        windows, self.unit_windows = self.unit_windows, []
        for window in windows:
            window.close()
        if self.summary_dialog is not None:
            self.summary_dialog.close()
            self.summary_dialog.deleteLater()
            self.summary_dialog = None

    def show_queues(self) -> None:
        """F6: held refunds and exceptions (supervisors; the core checks again)."""
        if self.actor is None:
            return
        dialog = QueuesDialog(self.ctx, self.actor, self.background, self)
        dialog.exec()
        dialog.deleteLater()
        self.activateWindow()
        if self.stack.currentWidget() is self.scan:
            self._offer_drafts(self.actor)

    def show_summary(self) -> None:
        """F7: the daily disposition summary, its charts and the units behind them."""
        if self.actor is None or not allowed(self.actor.role, Action.APPROVE_REFUND):
            return
        if self.summary_dialog is None:
            self.summary_dialog = SummaryDialog(
                self.ctx, self.actor, self.background, central=self.central,
                tz=reports.local_zone(), renderer=self.reports_renderer,
                export_folder=self.evidence_folder, parent=self)
            self.summary_dialog.unit_opened.connect(self.show_unit)
        self.summary_dialog.show()
        self.summary_dialog.raise_()

    def show_unit(self, lpn: str) -> None:
        """A unit's whole history, from the database the open summary reads."""
        summary, actor = self.summary_dialog, self.actor
        if summary is None or summary.loaded is None or actor is None:
            return
        worker = self.print_worker
        window = UnitWindow(self.ctx, actor, self.background, summary.loaded.sessions, lpn,
                            self.photos.folder, summary.tz,
                            on_reprint=worker.kick if worker is not None else None,
                            parent=summary)
        window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.unit_windows.append(window)
        window.destroyed.connect(lambda _obj=None, w=window: self._forget_unit(w))
        window.show()

    def _forget_unit(self, window: UnitWindow) -> None:
        if window in self.unit_windows:
            self.unit_windows.remove(window)

    def show_users(self) -> None:
        if self.actor is None:
            return
        dialog = UsersDialog(self.ctx, self.actor, self.background, self)
        dialog.exec()
        dialog.deleteLater()
        self.activateWindow()

    def _first_admin_created(self, info: UserInfo) -> None:
        self._show(self.sign_in)
        self.sign_in.reset(f"{info.display_name} is the administrator. Sign in with the new PIN.")
        self.sign_in.select_user(info.username)

    def _switch_user(self, code: str) -> None:
        previous = self.actor
        self.background.run(lambda: signin.sign_in_with_badge(self.ctx, code),
                            lambda actor: self._switched(previous, actor), self._badge_failed)

    def _switched(self, previous: Actor | None, actor: Actor) -> None:
        if previous is not None and previous.user_id != actor.user_id:
            self.background.run(
                lambda: signin.sign_out(self.ctx, previous, reason="switched_by_badge"),
                lambda _none: None, self._error)
        self.actor = actor
        self._refresh_status()
        self._to_scan(f"Signed in as {actor.display_name} ({actor.role.value}).")

    def _badge_failed(self, error: Exception) -> None:
        self.feedback.signal(Tone.ERROR)
        self._error(error)
        self.scan.message.error(str(error))

    def _signed_in(self, actor: Actor) -> None:
        self.actor = actor
        self.idle.touch()
        self._refresh_status()
        locked, self._locked_screen = self._locked_screen, None
        if locked is not None and locked[0] == actor.username:
            self._show(locked[1])
            return
        self._to_scan()

    def _to_scan(self, message: str | None = None) -> None:
        if self.actor is None:
            return
        self._work = None
        if self._camera_panel is self.inspection.camera:
            self._stop_camera()
        self._show(self.scan)
        self.scan.start(self.actor, message)
        self._offer_drafts(self.actor)

    def _show_rma(self, view: RmaView, message: str | None = None) -> None:
        assert self.actor is not None
        self._show(self.rma)
        self.rma.show_rma(self.actor, view, message)
        self._refresh_status()

    def _back_to_rma(self) -> None:
        view, actor = self.rma.view, self.actor
        if view is None or actor is None:
            self._to_scan()
            return
        self.background.run(lambda: receiving.look_up(self.ctx, actor, view.rma_number),
                            self._show_rma, self._error)

    def _inspect(self, work: UnitInspection, message: str | None = None) -> None:
        assert self.actor is not None
        self._work = work
        self._show(self.inspection)
        self.inspection.show_work(work, self.actor, message)

    def _save_draft(self) -> None:
        if self._work is not None:
            self.draft_saver.save(self._work)

    def _inspected(self) -> None:
        """Enter on a complete inspection: the proposed disposition and refund."""
        work = self._work
        if work is None:
            return
        self._show(self.decision)
        self.decision.show_decision(work.draft, work.grade, inspection.propose(self.ctx, work))

    def _regrade(self) -> None:
        if self._work is not None:
            self._show(self.inspection)
            self.inspection.refresh()
            self._inspection_camera(True)

    def _put_back(self) -> None:
        work, actor = self._work, self.actor
        if work is None or actor is None:
            return
        self._work = None
        lpn = work.draft.lpn
        self.draft_saver.wait()
        self.background.run(lambda: drafts.discard(self.ctx, actor, lpn),
                            lambda _none: self._back_to_rma(), self._error)

    def _offer_drafts(self, actor: Actor) -> None:
        """After signing in: the grader's unfinished inspections, to carry on exactly there."""
        if not allowed(actor.role, Action.INSPECT):
            return
        self._lookups.run(lambda: drafts.open_drafts(self.ctx, actor),
                          lambda found: self._ask_resume(actor, found), self._error)
        if allowed(actor.role, Action.APPROVE_REFUND):
            self._lookups.run(lambda: self._queue_counts(actor), self.scan.show_queues,
                              self._error)

    def _queue_counts(self, actor: Actor) -> tuple[int, int]:
        with self.ctx.sessions() as session:
            return (len(queues.held_refunds(self.ctx, actor, session)),
                    len(queues.open_exceptions(self.ctx, actor, session)))

    def _ask_resume(self, actor: Actor, found: list[DraftSummary]) -> None:
        if self.actor is not actor:
            return
        self.scan.show_drafts(found)
        if found and self.stack.currentWidget() is self.scan and not self.scan.message.text():
            self.scan.message.warning(f"You have {len(found)} unfinished inspection(s): F5 "
                                      f"resumes {found[0].lpn} exactly where it was left.")

    def resume_draft(self, lpn: str) -> None:
        actor = self.actor
        if actor is None:
            return

        def work() -> tuple[UnitInspection, RmaView]:
            resumed = drafts.resume(self.ctx, actor, lpn)
            return resumed, receiving.look_up(self.ctx, actor, resumed.draft.rma_number)

        def done(result: tuple[UnitInspection, RmaView]) -> None:
            resumed, view = result
            self.rma.show_rma(actor, view)
            answers, photos = len(resumed.run.answers), len(resumed.photos)
            self._inspect(resumed, f"Resumed {lpn}: {answers} answer(s) and {photos} photo(s) "
                                   "as you left them.")

        self.background.run(work, done, self._error)

    def _set_aside_over_return(self, error: OverReturnError) -> None:
        """Enter after an over-return: the item becomes an exception, with its label."""
        actor = self.actor
        if actor is None:
            return

        def done(result: OverReturn) -> None:
            self.rma.message.warning(f"Over-return of {result.sku} set aside for a supervisor "
                                     "(exception opened). Put the exception label on it.")
            if self.print_worker is not None:
                uri = self.ctx.config.printer_uri
                self.print_worker.submit(lambda: print_queue.request_exception_label(
                    self.ctx, actor, result.exception_id, uri))

        self.background.run(
            lambda: inspection.set_aside_over_return(self.ctx, actor, error.receipt_id,
                                                     error.rma_line_id),
            done, self._error)

    def _confirm(self) -> None:
        unit_work, actor = self._work, self.actor
        override, approval = self.decision.override, self.decision.approval
        if unit_work is None or actor is None:
            return
        self.decision.set_busy(True)

        printer = self.printer

        def work() -> tuple[FinalizedUnit, bytes, uuid.UUID | None]:
            unit = inspection.finalize(self.ctx, actor, unit_work, override=override,
                                       approval=approval)
            if printer is None:
                return unit, labels.render_png(unit), None
            job = print_queue.request_label(self.ctx, actor, unit, self.ctx.config.printer_uri)
            image = render_label(labels.disposition_label(unit), printer.size)
            return unit, to_png_bytes(image), job

        self.background.run(work, self._confirmed, self._confirm_failed)

    def _confirmed(self, result: tuple[FinalizedUnit, bytes, uuid.UUID | None]) -> None:
        unit, png, job = result
        self.feedback.signal(Tone.SUCCESS)
        self._work = None
        self._current_job = job
        self._show(self.label)
        self.label.show_label(unit, png)
        if self.print_worker is None:
            self.label.message.warning(
                f"Saved: {unit.decision.disposition.value} → {unit.decision.destination}, refund "
                f"{unit.decision.refund_text}. No printer is configured (printer.uri), so the "
                "label is shown here only.")
        else:
            self.label.message.ok("Saved. Sending the label to the printer…")
            self.print_worker.kick()
        self._refresh_status()

    def _print_attempted(self, job: uuid.UUID, outcome: PrintOutcome) -> None:
        """Tell the grader what became of the label they are looking at."""
        if job != self._current_job or self.stack.currentWidget() is not self.label:
            return
        message = self.label.message
        if outcome.state is JobState.PRINTED:
            message.ok("Label printed. Stick it on the unit. (R reprints with a reason.)")
        elif outcome.state is JobState.SENT_UNCONFIRMED:
            self.feedback.signal(Tone.UNKNOWN)
            message.warning(f"The printer took the label but did not confirm it ({outcome.detail})."
                            " Check: Y if it printed, R to reprint with a reason.")
        else:
            self.feedback.signal(Tone.ERROR)
            message.error(f"Printer {outcome.state.value.replace('_', ' ')}: {outcome.detail}. "
                          "The label stays queued and is sent again when the printer is back.")

    def _print_receiving_label(self, view: RmaView) -> None:
        """The clerk's tote label for a parcel just received (when a printer is set up)."""
        actor, worker, receipt = self.actor, self.print_worker, view.receipt_id
        if actor is None or worker is None or receipt is None:
            return
        uri = self.ctx.config.printer_uri
        worker.submit(lambda: print_queue.request_receiving_label(self.ctx, actor, receipt, uri))

    def _print_exception_label(self, result: UnexpectedReceipt) -> None:
        """The label for a parcel set aside as an exception (when a printer is set up)."""
        actor, worker = self.actor, self.print_worker
        if actor is None or worker is None:
            return
        uri = self.ctx.config.printer_uri
        worker.submit(lambda: print_queue.request_exception_label(
            self.ctx, actor, result.exception_id, uri))

    def reprint(self) -> None:
        """R on the label screen: print the unit's label again; the reason is recorded."""
        if self.label.unit is not None:
            self.reprint_lpn(self.label.unit.lpn, self.label)

    def reprint_lpn(self, lpn: str, screen: QWidget) -> None:
        """Reprint any unit's label (R on the label screen, or its LPN scanned), with a
        reason that goes into the audit trail."""
        actor, worker = self.actor, self.print_worker
        if actor is None:
            return
        if worker is None:
            self._tell(screen, "No printer is configured (printer.uri).", Tone.UNKNOWN)
            return
        reason = self._ask_reason(f"Why print the label of {lpn} again?")
        if reason is None:
            return

        def work() -> uuid.UUID:
            return print_queue.request_reprint(self.ctx, actor, lpn, reason)

        def done(job: uuid.UUID) -> None:
            self._current_job = job
            message = getattr(screen, "message", None)
            if isinstance(message, MessageLine):
                message.ok(f"Reprint of {lpn} queued; the reason is in the audit trail.")
            worker.kick()

        self.background.run(work, done, lambda error: self._tell(screen, str(error),
                                                                   Tone.ERROR))

    def write_evidence(self) -> None:
        """E on the label screen: the unit's evidence sheet as a PDF in the evidence folder."""
        unit, actor, renderer = self.label.unit, self.actor, self.evidence
        if unit is None or actor is None:
            return
        if renderer is None or self.evidence_folder is None:
            self._tell(self.label, "This installation has no PDF renderer.", Tone.ERROR)
            return
        target = self.evidence_folder / f"{unit.lpn}.pdf"
        folder = self.photos.folder

        def work() -> WrittenSheet:
            target.parent.mkdir(parents=True, exist_ok=True)
            return evidence.export_pdf(self.ctx, actor, unit.lpn, folder, renderer, target)

        def done(written: WrittenSheet) -> None:
            self.label.message.ok(f"Evidence sheet written: {written.path} ({written.pages} "
                                  f"page(s), {written.photos} photo(s)).")

        self.label.message.warning("Writing the evidence sheet…")
        self.background.run(work, done, lambda error: self._tell(self.label, str(error),
                                                                   Tone.ERROR))

    def confirm_printed(self) -> None:
        """Y on the label screen: the grader saw that an unconfirmed label did print."""
        job, actor = self._current_job, self.actor
        if job is None or actor is None:
            return
        self.background.run(lambda: print_queue.confirm_printed(self.ctx, actor, job),
                            lambda _none: self.label.message.ok("Recorded as printed."),
                            lambda error: self._tell(self.label, str(error), Tone.ERROR))

    def _ask_reason(self, question: str) -> str | None:
        reason, ok = QInputDialog.getText(self, "Reprint", question)
        return reason if ok else None

    def test_print(self) -> None:
        """Station ▸ Test print: a sample label, and what the printer said about it."""
        printer = self.printer
        if printer is None:
            QMessageBox.information(self, "Test print", "No printer is configured (printer.uri).")
            return

        def work() -> PrintOutcome:
            image = render_label(sample_label("TS00000001", self.ctx.station_code), printer.size)
            return printer.print_label(image, job_id="test-print")

        def done(outcome: PrintOutcome) -> None:
            self.last_test_print = outcome
            text = f"{printer.name}: {outcome.state.value} {outcome.detail} ({outcome.ms:.0f} ms)"
            self.statusBar().showMessage(text, 15_000)
            self.feedback.signal(Tone.SUCCESS if outcome.ok else Tone.ERROR)

        self.background.run(work, done, self._error)

    def _confirm_failed(self, error: Exception) -> None:
        self.feedback.signal(Tone.ERROR)
        self.decision.set_busy(False)
        self._error(error)
        self.decision.message.error(str(error))

    def _error(self, error: Exception) -> None:
        if not isinstance(error, UserFacingError):
            QMessageBox.critical(self, "Returns Station",
                                 f"Something went wrong: {error.__class__.__name__}. Nothing was "
                                 "saved for this step; try again or call a supervisor.")
