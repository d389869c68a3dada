"""The station window: one screen at a time, in the order a return flows through the bench."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QStackedWidget,
    QWidget,
)
from shiboken6 import isValid

from station.bench import confirm as bench
from station.bench.confirm import Confirmed
from station.bench.grader_arrival import Arrival, arrive, grades_at_this_bench
from station.bench.scan_router import (
    Alert,
    ApproveWithBadge,
    BenchAction,
    BenchState,
    ChooseAnswer,
    ChooseGrade,
    Decision,
    Do,
    Ignore,
    LookUpParcel,
    OfferToInspection,
    ReprintLabel,
    Screen,
    SignInFirst,
    SignInWithBadge,
    SwitchUser,
    Tell,
    TypeIntoFocus,
    route,
)
from station.codes.scans import inspect_scan
from station.common.errors import UserFacingError
from station.common.permissions import Action, Actor, allowed
from station.inspection import drafts
from station.inspection import finalize as inspection
from station.inspection.drafts import DraftSummary
from station.inspection.finalize import OverReturn, OverReturnError, UnitInspection
from station.labels import content as labels
from station.labels import print_queue
from station.labels.content import sample_label
from station.labels.printers import JobState, LabelPrinter, PrintOutcome, render_label
from station.labels.render import to_png_bytes
from station.people import signin
from station.people.idle import IdleTimer
from station.people.signin import UserChoice
from station.people.users import UserInfo
from station.ports.photos import MemoryPhotoStore, PhotoStore
from station.ports.scanner import PreviewSource, ScanSource
from station.receiving import parcels as receiving
from station.receiving.parcels import RmaView, UnexpectedReceipt
from station.routing.rules import Decision as RoutingDecision
from station.runtime.context import StationContext
from station.store import outbox
from station.supervision import queues
from station.sync import exchange as sync
from station.sync.exchange import ParkedEntry
from ui.camera_panel import CameraPanel
from ui.draft_saver import DraftSaver
from ui.feedback import Feedback, Tone
from ui.message_line import MessageLine
from ui.print_worker import PrintWorker
from ui.screens.decision import DecisionScreen
from ui.screens.first_admin import FirstAdminScreen
from ui.screens.inspection import InspectionScreen
from ui.screens.label import LabelScreen
from ui.screens.rma import RmaScreen
from ui.screens.scan import ScanScreen
from ui.screens.sign_in import SignInScreen
from ui.source_bridge import SourceBridge
from ui.sync_worker import SyncStatus, SyncWorker
from ui.tasks import Changed, Lane, TaskRunner
from ui.wedge_filter import WedgeFilter

if TYPE_CHECKING:  # the supervisor's and admin's windows load when first opened, not at start
    from station.reports.document import ReportRenderer
    from station.supervision.evidence import EvidenceRenderer, WrittenSheet
    from ui.summary_dialog import CentralSessions, SummaryDialog
    from ui.unit_window import UnitWindow

log = logging.getLogger(__name__)
_USER_INPUT = {QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.Wheel}
IDLE_CHECK_MS = 1000
_TONES = {Alert.ERROR: Tone.ERROR, Alert.UNKNOWN: Tone.UNKNOWN}


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
        self.tasks = TaskRunner(self)
        self.photos = photos if photos is not None else MemoryPhotoStore()
        self.draft_saver = DraftSaver(ctx, self.tasks, self)
        self.evidence = evidence
        self.evidence_folder = evidence_folder
        self.sync_worker = sync_worker
        self.central = central
        self.reports_renderer = reports_renderer
        self.summary_dialog: SummaryDialog | None = None
        self.unit_windows: list[UnitWindow] = []
        self.setWindowTitle(f"Returns Station — {ctx.station_code}" + ("  [DEMO]" if demo else ""))
        self.resize(1280, 800)

        self.first_admin = FirstAdminScreen(ctx, self.tasks)
        self.sign_in = SignInScreen(ctx, self.tasks, demo=demo)
        self.scan = ScanScreen(ctx, self.tasks)
        self.scan.demo_hint.setVisible(demo)
        self.rma = RmaScreen(ctx, self.tasks)
        self.inspection = InspectionScreen(self.tasks, self.photos, ctx.clock)
        self.decision = DecisionScreen(ctx, self.tasks)
        self.label = LabelScreen()
        self.stack = QStackedWidget()
        self._screens: dict[Screen, QWidget] = {
            Screen.FIRST_ADMIN: self.first_admin, Screen.SIGN_IN: self.sign_in,
            Screen.SCAN: self.scan, Screen.RMA: self.rma, Screen.INSPECTION: self.inspection,
            Screen.DECISION: self.decision, Screen.LABEL: self.label,
        }
        for screen in self._screens.values():
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
        self.tasks.busy_changed.connect(
            lambda busy: self.busy_label.setText("Working…" if busy else ""))
        self.tasks.changed.connect(self._changed)
        self._build_menu()
        self.mute_action.setChecked(self.feedback.muted)

        self.first_admin.created.connect(self._first_admin_created)
        self.sign_in.signed_in.connect(self._signed_in)
        self.scan.rma_found.connect(lambda view: self._open_parcel(view, self.scan.read_as))
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
        self.label.next_unit.connect(self._next_unit)
        self.label.new_parcel.connect(self._to_scan)
        self.idle = IdleTimer(timedelta(minutes=ctx.config.security.idle_lock_minutes), ctx.clock)
        self._locked_screen: tuple[str, QWidget] | None = None
        self._idle_check = QTimer(self)
        self._idle_check.setInterval(IDLE_CHECK_MS)
        self._idle_check.timeout.connect(self.check_idle)
        self._idle_check.start()
        app = QApplication.instance()
        assert app is not None, "the window needs the QApplication"
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
            self.print_worker = PrintWorker(ctx, printer, self.tasks, self)
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
            sync_worker.start(self.tasks)
        # Start-up, before the window shows: the first screen depends on these two reads,
        # the only ones made on the UI thread.
        people: list[UserChoice] = signin.list_users(ctx) if signin.has_users(ctx) else []
        if people:
            self._show(self.sign_in)
            self.sign_in.show_users(people)
            self.sign_in.reset()
        else:
            self._show(self.first_admin)
            self.first_admin.start()
        self._refresh_status()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _USER_INPUT:
            self.idle.touch()
        if event.type() == QEvent.Type.Hide and isinstance(watched, QDialog) \
                and watched.isWindow() and (parent := watched.parentWidget()) is not None:
            owner = parent.window()
            QTimer.singleShot(0, lambda: self._reactivate(owner))
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
        """A closed bench stops listening: no scans, keys or timers reach it any more (the
        application may carry on, as under tests or a second window)."""
        if self._camera_bridge is not None:
            self._camera_bridge.stop()
        for bridge in self.sources:
            bridge.stop()
        if self.sync_worker is not None:
            self.sync_worker.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self.wedge)
            app.removeEventFilter(self)
        self._idle_check.stop()
        if self.print_worker is not None:
            self.print_worker.stop()
        super().closeEvent(event)

    def on_scan(self, text: str, entered: bool = True) -> None:
        """A scan from any scanner, wherever the focus is: classified once, then the bench's
        rules (`station.bench.scan_router`) say which screen or use case takes it."""
        self.idle.touch()
        payload = inspect_scan(text, self.ctx.config.rma_regex)
        self._carry_out(route(payload, self._bench_state()), text, entered)

    def _bench_state(self) -> BenchState:
        current = self.stack.currentWidget()
        screen = next(name for name, widget in self._screens.items() if widget is current)
        return BenchState(screen=screen, signed_in=self.actor is not None,
                          modal_open=QApplication.activeModalWidget() is not None,
                          awaiting_approval=self.decision.awaiting_approval())

    def _carry_out(self, decision: Decision, text: str, entered: bool) -> None:
        """Do what the scan router decided; `text` and `entered` for typing into a field."""
        current = self.stack.currentWidget()
        match decision:
            case TypeIntoFocus(otherwise=otherwise):
                if not self._type_into_focus(text, entered):
                    self._carry_out(otherwise, text, entered)
            case OfferToInspection(payload=payload, otherwise=otherwise):
                if self.inspection.handle_scan(payload):
                    self.feedback.signal(Tone.SUCCESS)
                else:
                    self._carry_out(otherwise, text, entered)
            case Tell(text=message, alert=alert):
                self._tell(current, message, _TONES[alert])
            case SignInFirst(text=message):
                self.sign_in.message.error(message)
            case SignInWithBadge(code=code):
                self.sign_in.submit_badge(code)
            case SwitchUser(code=code):
                self._switch_user(code)
            case ApproveWithBadge(code=code):
                self.tasks.run(lambda: signin.sign_in_with_badge(self.ctx, code),
                               self.decision.approver_signed, self.decision.approval_failed)
            case ReprintLabel(lpn=lpn):
                self.reprint_lpn(lpn, current)
            case LookUpParcel(payload=payload):
                self._to_scan()
                self.scan.submit_scan(payload)
            case Do(action=action):
                self._bench_actions()[action]()
            case ChooseGrade(grade=grade):
                self.inspection.choose_grade(grade)
            case ChooseAnswer(index=index):
                self.inspection.choose_answer(index)
            case Ignore():
                pass

    def _bench_actions(self) -> dict[BenchAction, Callable[[], object]]:
        """What each bench-card command does: the same as the key shown on its screen."""
        return {
            BenchAction.SIGN_OUT: self.sign_out,
            BenchAction.RECEIVE_OR_INSPECT: self.rma.act,
            BenchAction.LEAVE_RMA: self.rma.escape,
            BenchAction.PUT_BACK: self.inspection.ask_put_back,
            BenchAction.FINISH_INSPECTION: self.inspection.finish,
            BenchAction.TAKE_PHOTO: self.inspection.take_photo,
            BenchAction.FAST_PATH: self.inspection.fast_path,
            BenchAction.UNDO_ANSWER: self.inspection.undo,
            BenchAction.CONFIRM: self.decision.confirm,
            BenchAction.BACK_TO_INSPECTION: self.decision.back,
            BenchAction.NEXT_UNIT: self.label.next,
            BenchAction.NEW_PARCEL: self.label.new_parcel.emit,
        }

    def _tell(self, screen: QWidget | None, text: str, tone: Tone) -> None:
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
        if self.actor is None or not self.idle.expired() or self.tasks.busy:
            return
        actor = self.actor
        while (modal := QApplication.activeModalWidget()) is not None and modal is not self:
            modal.close()
        screen = self.stack.currentWidget()
        self._locked_screen = (actor.username, screen) if screen is not None else None
        minutes = self.ctx.config.security.idle_lock_minutes
        self.tasks.run(lambda: signin.sign_out(self.ctx, actor, reason="idle_locked"),
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
        for menu in (station_menu, help_menu):
            menu.aboutToShow.connect(self._menu_opened)
            menu.aboutToHide.connect(self._menu_closed)

    def _menu_opened(self) -> None:
        """An open menu takes its mnemonics (Alt+S, then U): the wedge filter stands aside.

        It holds every printable key to tell a scanner from a person and replays a person's
        keys to the focused widget, which is the field under the menu, not the menu; so
        the menu never saw its letter.
        """
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self.wedge)

    def _menu_closed(self) -> None:
        app = QApplication.instance()
        if app is not None and self.isVisible():
            app.installEventFilter(self.wedge)

    def _show(self, screen: QWidget) -> None:
        self.stack.setCurrentWidget(screen)
        name = next((key for key, widget in self._screens.items() if widget is screen), None)
        if name is not None:
            log.info("screen: %s", name.value)

    def _reactivate(self, owner: QWidget) -> None:
        """A dialog closed and left no window active (window managers, and Qt itself for a
        dialog of a dialog, do not always hand activation back): its owner takes the
        keyboard again, wherever the dialog was opened (a save dialog of the summary, the
        badge of the users dialog)."""
        if QApplication.activeWindow() is not None or not isValid(owner) \
                or not owner.isVisible():
            return
        if owner is self:
            self._dialog_closed()
            return
        owner.raise_()
        owner.activateWindow()

    def _dialog_closed(self) -> None:
        """A child dialog closed: this window takes the keyboard again, on its screen.

        Window managers do not reliably activate the parent of a closed dialog (and a
        non-modal one leaves activation wherever it falls), which left no window with the
        keyboard until the bench was clicked.
        """
        if not self.isVisible():
            return
        self.raise_()
        self.activateWindow()
        self._focus_screen()

    def _focus_screen(self) -> None:
        """Give the keyboard back to the current screen after it was left without being
        shown anew (idle lock, a dialog closed).

        The stacked widget hands the focus to the first field of the page it shows (the
        inspection's notes), where answer keys would be typed as text. On the bench's
        screens focus goes to the field the screen waits to be typed into, if one is open,
        else to the screen itself, whose keys work from there; the forms (sign-in, first
        administrator) keep the field that had it.
        """
        screen = self.stack.currentWidget()
        if screen is None:
            return
        fields: dict[QWidget, tuple[QWidget, ...]] = {
            self.scan: (self.scan.field,),
            self.rma: (self.rma.table,),
            self.inspection: (self.inspection.reason_field, self.inspection.field),
            self.decision: (self.decision.pin, self.decision.reason),
            self.label: (),
        }
        typed = fields.get(screen)
        if typed is None:
            last = screen.focusWidget()
            typed = (last,) if last is not None else ()
        target = next((field for field in typed
                       if field.isVisibleTo(screen) and field.isEnabled()), screen)
        target.setFocus(Qt.FocusReason.OtherFocusReason)

    def _refresh_status(self) -> None:
        self.users_action.setVisible(self.actor is not None
                                     and allowed(self.actor.role, Action.MANAGE_USERS))
        self.queues_action.setVisible(self.actor is not None
                                      and allowed(self.actor.role, Action.APPROVE_REFUND))
        self.summary_action.setVisible(self.queues_action.isVisible())
        who = self.actor
        self.user_label.setText(f"{who.display_name} ({who.role.value})" if who else "Signed out")
        self._refresh_outbox()

    def _refresh_outbox(self) -> None:
        """The count of facts waiting to sync, while no sync status says it."""
        if self.sync_worker is not None and self.sync_worker.status.online is not None:
            return

        def count() -> int:
            with self.ctx.sessions() as session:
                return outbox.pending_count(session)

        def show(waiting: int) -> None:
            if self.sync_worker is None or self.sync_worker.status.online is None:
                self.outbox_label.setText(f"{waiting} fact(s) waiting to sync")

        self.tasks.run(count, show, self._error, shows_busy=False)

    def _changed(self, changes: Changed) -> None:
        """An operation changed what a view shows: that view reads it again."""
        if Changed.OUTBOX in changes:
            self._refresh_outbox()
        actor = self.actor
        if Changed.QUEUES in changes and actor is not None and \
                allowed(actor.role, Action.APPROVE_REFUND) and \
                self.stack.currentWidget() is self.scan:
            self.tasks.run(lambda: self._queue_counts(actor), self.scan.show_queues,
                           self._error, shows_busy=False)

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
        self.tasks.run(lambda: sync.parked_entries(self.ctx.sessions, limit=50),
                       self._show_parked, self._error)

    def _show_parked(self, entries: list[ParkedEntry]) -> None:
        box = QMessageBox(self)
        box.setWindowTitle("Parked facts")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setWindowModality(Qt.WindowModality.ApplicationModal)
        box.finished.connect(lambda _result: self._dialog_closed())
        if not entries:
            box.setText("Nothing is parked: the central database took every fact.")
            box.show()
            return
        box.setText(f"{len(entries)} fact(s) were refused by the central database and wait "
                    "here. Fix the cause, then send them again.")
        box.setDetailedText("\n".join(f"#{e.seq} {e.entity} {e.entity_id}: {e.error}"
                                      for e in entries))
        again = box.addButton("Send again", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Close)
        box.buttonClicked.connect(lambda button: self._send_parked_again()
                                  if button is again else None)
        box.show()

    def _send_parked_again(self) -> None:
        def sent(count: int) -> None:
            self.statusBar().showMessage(f"{count} parked fact(s) will be sent again.", 10_000)
            self.sync_now()

        self.tasks.run(lambda: sync.unpark(self.ctx.sessions), sent, self._error,
                       changes=Changed.OUTBOX)

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
        self._dialog_closed()
        if ok:
            self.feedback.set_volume(value)
            self.feedback.signal(Tone.SUCCESS)

    def show_bench_card(self) -> None:
        from ui.bench_card import BenchCardDialog

        dialog = BenchCardDialog(self)
        dialog.exec()
        dialog.deleteLater()
        self._dialog_closed()

    def show_demo_sheet(self) -> None:
        from ui.demo_sheet import DemoSheetDialog

        dialog = DemoSheetDialog(self.ctx, self.tasks, self)
        dialog.exec()
        dialog.deleteLater()
        self._dialog_closed()

    def sign_out(self) -> None:
        actor = self.actor
        if actor is not None:
            self.tasks.run(lambda: signin.sign_out(self.ctx, actor, reason="signed_out"),
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
        dialog, self.summary_dialog = self.summary_dialog, None
        if dialog is not None:
            dialog.close()
            dialog.deleteLater()
            self.summary_dialog = None

    def show_queues(self) -> None:
        """F6: held refunds and exceptions (supervisors; the core checks again)."""
        if self.actor is None:
            return
        from ui.queues_dialog import QueuesDialog

        dialog = QueuesDialog(self.ctx, self.actor, self.tasks, self)
        dialog.exec()
        dialog.deleteLater()
        self._dialog_closed()
        if self.stack.currentWidget() is self.scan:
            self._offer_drafts(self.actor)

    def show_summary(self) -> None:
        """F7: the daily disposition summary, its charts and the units behind them."""
        if self.actor is None or not allowed(self.actor.role, Action.APPROVE_REFUND):
            return
        if self.summary_dialog is None:
            from station.reports import daily_summary as reports
            from ui.summary_dialog import SummaryDialog

            self.summary_dialog = SummaryDialog(
                self.ctx, self.actor, self.tasks, central=self.central,
                tz=reports.local_zone(), renderer=self.reports_renderer,
                export_folder=self.evidence_folder, parent=self)
            self.summary_dialog.unit_opened.connect(self.show_unit)
            self.summary_dialog.finished.connect(lambda _result: self._summary_closed())
        self.summary_dialog.show()
        self.summary_dialog.raise_()
        self.summary_dialog.activateWindow()

    def _summary_closed(self) -> None:
        """F7 closed: the dialog, its charts and the figures it read are let go (about 5 MB;
        the next F7 makes it anew and reads afresh), with the unit windows opened from it."""
        self._dialog_closed()
        dialog, self.summary_dialog = self.summary_dialog, None
        if dialog is not None:
            self.unit_windows = [w for w in self.unit_windows if w.parent() is not dialog]
            dialog.deleteLater()

    def show_unit(self, lpn: str) -> None:
        """A unit's whole history, from the database the open summary reads."""
        summary, actor = self.summary_dialog, self.actor
        if summary is None or summary.loaded is None or actor is None:
            return
        worker = self.print_worker
        from ui.unit_window import UnitWindow

        window = UnitWindow(self.ctx, actor, self.tasks, summary.loaded.sessions, lpn,
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
        from ui.users_dialog import UsersDialog

        dialog = UsersDialog(self.ctx, self.actor, self.tasks, self)
        dialog.exec()
        dialog.deleteLater()
        self._dialog_closed()

    def _first_admin_created(self, info: UserInfo) -> None:
        self._show(self.sign_in)
        self.sign_in.reset(f"{info.display_name} is the administrator. Sign in with the new PIN.")
        self.sign_in.select_user(info.username)

    def _switch_user(self, code: str) -> None:
        previous = self.actor
        self.tasks.run(lambda: signin.sign_in_with_badge(self.ctx, code),
                            lambda actor: self._switched(previous, actor), self._badge_failed)

    def _switched(self, previous: Actor | None, actor: Actor) -> None:
        if previous is not None and previous.user_id != actor.user_id:
            self.tasks.run(
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
            self._focus_screen()
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

    def _open_parcel(self, view: RmaView, message: str | None = None) -> None:
        """A parcel scanned: at a grader's bench it is received and its one open line
        started (`station.bench.grader_arrival`); a clerk sees the RMA and receives it."""
        actor = self.actor
        if actor is None:
            return
        if not grades_at_this_bench(actor) or (view.receipt_id is not None and not any(
                line.units_left for line in view.lines)):
            self._show_rma(view, message)
            return
        self.tasks.run(lambda: arrive(self.ctx, actor, view),
                       lambda arrival: self._arrived(actor, arrival, message),
                       lambda error: self._show_rma(view, str(error)),
                       changes=Changed.OUTBOX)

    def _arrived(self, actor: Actor, arrival: Arrival, read_as: str | None = None) -> None:
        """`read_as`: what a look-alike scan was read as, said first."""
        if self.actor is not actor:
            return
        view, work = arrival.view, arrival.work
        received = (f"{read_as} " if read_as else "") + (
            f"Received {view.rma_number}. " if arrival.received_now else
            f"{self.rma.received_text(view)} ")
        if isinstance(arrival.refused, OverReturnError):
            self._show_rma(view)
            self.rma.act()  # the RMA screen offers to set the item aside
            return
        if work is None:
            self._show_rma(view, str(arrival.refused) if arrival.refused else (
                received + "Choose the line to inspect (↑↓), then Enter."))
            return
        self.rma.show_rma(actor, view)
        path = work.checklist.fast_path
        self._inspect(work, f"{received}Line {work.draft.line_no}, unit {work.draft.lpn}"
                            + (f": S if it is {path.label.lower()}." if path else "."))

    def _next_unit(self) -> None:
        """Enter on the label screen: the RMA again, for its next unit (started at once at
        a grader's bench when one line is open)."""
        view, actor = self.rma.view, self.actor
        if view is None or actor is None:
            self._to_scan()
            return
        self.tasks.run(lambda: receiving.look_up(self.ctx, actor, view.rma_number),
                       self._open_parcel, self._error)

    def _back_to_rma(self) -> None:
        view, actor = self.rma.view, self.actor
        if view is None or actor is None:
            self._to_scan()
            return
        self.tasks.run(lambda: receiving.look_up(self.ctx, actor, view.rma_number),
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
        self.tasks.run(lambda: inspection.propose(self.ctx, work),
                       lambda proposal: self._show_decision(work, proposal), self._error)

    def _show_decision(self, work: UnitInspection, proposal: RoutingDecision) -> None:
        if work is not self._work:
            return
        refund = inspection.refund_evidence(proposal)
        if refund is not None and work.require_refund_evidence(refund):
            self._save_draft()
            self.inspection.ask_for_evidence(refund)
            self.feedback.signal(Tone.UNKNOWN)
            return
        self._show(self.decision)
        self.decision.show_decision(work.draft, work.grade, proposal)

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
        self.tasks.run(lambda: drafts.discard(self.ctx, actor, lpn),
                            lambda _none: self._back_to_rma(), self._error)

    def _offer_drafts(self, actor: Actor) -> None:
        """After signing in: the grader's unfinished inspections, to carry on exactly there."""
        if not allowed(actor.role, Action.INSPECT):
            return
        self.tasks.run(lambda: drafts.open_drafts(self.ctx, actor),
                       lambda found: self._ask_resume(actor, found), self._error,
                       shows_busy=False)
        if allowed(actor.role, Action.APPROVE_REFUND):
            self.tasks.run(lambda: self._queue_counts(actor), self.scan.show_queues,
                           self._error, shows_busy=False)

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

        self.tasks.run(work, done, self._error)

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

        self.tasks.run(
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
        uri = self.ctx.config.printer_uri if printer is not None else None

        def work() -> tuple[Confirmed, bytes, bool]:
            confirmed = bench.confirm(self.ctx, actor, unit_work, printer_uri=uri,
                                      override=override, approval=approval)
            rma_done = self._rma_done(actor, confirmed.unit.rma_number)
            if printer is None:
                return confirmed, labels.render_png(confirmed.unit), rma_done
            image = render_label(labels.disposition_label(confirmed.unit), printer.size)
            return confirmed, to_png_bytes(image), rma_done

        self.tasks.run(work, self._confirmed, self._confirm_failed,
                       changes=Changed.OUTBOX | Changed.QUEUES)

    def _rma_done(self, actor: Actor, rma_number: str) -> bool:
        """Whether every unit of the RMA is done, read after a unit was saved (off the UI
        thread); the unit is saved whatever this read says, so a failed read only means the
        label screen offers the next unit, whose RMA screen then says it is done."""
        try:
            rma = receiving.look_up(self.ctx, actor, rma_number)
        except UserFacingError:
            return False
        return all(line.units_left == 0 for line in rma.lines)

    def _confirmed(self, result: tuple[Confirmed, bytes, bool]) -> None:
        confirmed, png, rma_done = result
        unit, job = confirmed.unit, confirmed.label_job
        self.feedback.signal(Tone.SUCCESS)
        self._work = None
        self._current_job = job
        self._show(self.label)
        self.label.show_label(unit, png, rma_done=rma_done)
        if self.print_worker is None:
            self.label.message.warning(
                f"Saved: {unit.decision.disposition.value} → {unit.decision.destination}, refund "
                f"{unit.decision.refund_text}. No printer is configured (printer.uri), so the "
                "label is shown here only.")
        else:
            self.label.message.ok("Saved. Sending the label to the printer…")
            self.print_worker.kick()

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

    def reprint_lpn(self, lpn: str, screen: QWidget | None) -> None:
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

        self.tasks.run(work, done, lambda error: self._tell(screen, str(error),
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
            from station.supervision import evidence

            return evidence.export_pdf(self.ctx, actor, unit.lpn, folder, renderer, target)

        def done(written: WrittenSheet) -> None:
            self.label.message.ok(f"Evidence sheet written: {written.path} ({written.pages} "
                                  f"page(s), {written.photos} photo(s)).")

        self.label.message.warning("Writing the evidence sheet…")
        self.tasks.run(work, done, lambda error: self._tell(self.label, str(error),
                                                                   Tone.ERROR))

    def confirm_printed(self) -> None:
        """Y on the label screen: the grader saw that an unconfirmed label did print."""
        job, actor = self._current_job, self.actor
        if job is None or actor is None:
            return
        self.tasks.run(lambda: print_queue.confirm_printed(self.ctx, actor, job),
                            lambda _none: self.label.message.ok("Recorded as printed."),
                            lambda error: self._tell(self.label, str(error), Tone.ERROR))

    def _ask_reason(self, question: str) -> str | None:
        reason, ok = QInputDialog.getText(self, "Reprint", question)
        self._dialog_closed()
        return reason if ok else None

    def test_print(self) -> None:
        """Station ▸ Test print: a sample label, and what the printer said about it."""
        printer = self.printer
        if printer is None:
            QMessageBox.information(self, "Test print", "No printer is configured (printer.uri).")
            self._dialog_closed()
            return

        def work() -> PrintOutcome:
            image = render_label(sample_label("TS00000001", self.ctx.station_code), printer.size)
            return printer.print_label(image, job_id="test-print")

        def done(outcome: PrintOutcome) -> None:
            self.last_test_print = outcome
            text = f"{printer.name}: {outcome.state.value} {outcome.detail} ({outcome.ms:.0f} ms)"
            self.statusBar().showMessage(text, 15_000)
            self.feedback.signal(Tone.SUCCESS if outcome.ok else Tone.ERROR)

        self.tasks.run(work, done, self._error, lane=Lane.DEVICES)

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
            self._dialog_closed()
