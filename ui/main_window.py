"""The station window: one screen at a time, in the order a return flows through the bench."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QStackedWidget, QWidget

from station import inspection, labels, outbox, receiving
from station.context import StationContext
from station.errors import UserFacingError
from station.inspection import FinalizedUnit, UnitDraft
from station.permissions import Actor
from station.receiving import RmaView
from station.vocabulary import Grade
from ui.background import Background
from ui.demo_sheet import DemoSheetDialog
from ui.screens.decision import DecisionScreen
from ui.screens.grade import GradeScreen
from ui.screens.label import LabelScreen
from ui.screens.rma import RmaScreen
from ui.screens.scan import ScanScreen
from ui.screens.sign_in import SignInScreen


class MainWindow(QMainWindow):
    def __init__(self, ctx: StationContext, *, demo: bool = False) -> None:
        super().__init__()
        self.ctx = ctx
        self.demo = demo
        self.actor: Actor | None = None
        self._draft: UnitDraft | None = None
        self._grade: Grade | None = None
        self.background = Background(self)
        self.setWindowTitle(f"Returns Station — {ctx.station_code}" + ("  [DEMO]" if demo else ""))
        self.resize(1280, 800)

        self.sign_in = SignInScreen(ctx, self.background, demo=demo)
        self.scan = ScanScreen(ctx, self.background)
        self.scan.demo_hint.setVisible(demo)
        self.rma = RmaScreen(ctx, self.background)
        self.grade = GradeScreen()
        self.decision = DecisionScreen()
        self.label = LabelScreen()
        self.stack = QStackedWidget()
        for screen in (self.sign_in, self.scan, self.rma, self.grade, self.decision, self.label):
            self.stack.addWidget(screen)
        self.setCentralWidget(self.stack)

        self.user_label = QLabel()
        self.outbox_label = QLabel()
        self.busy_label = QLabel()
        status = self.statusBar()
        status.addWidget(QLabel(f"Station {ctx.station_code} · {ctx.config.site}"))
        status.addWidget(self.user_label)
        status.addPermanentWidget(self.busy_label)
        status.addPermanentWidget(self.outbox_label)
        if demo:
            status.addPermanentWidget(QLabel("DEMO DATA"))
        self.background.busy_changed.connect(
            lambda busy: self.busy_label.setText("Working…" if busy else ""))
        self._build_menu()

        self.sign_in.signed_in.connect(self._signed_in)
        self.scan.rma_found.connect(self._show_rma)
        self.rma.inspect.connect(self._inspect)
        self.rma.back.connect(self._to_scan)
        self.grade.graded.connect(self._graded)
        self.grade.cancelled.connect(self._back_to_rma)
        self.decision.confirmed.connect(self._confirm)
        self.decision.regrade.connect(self._regrade)
        self.label.next_unit.connect(self._back_to_rma)
        self.label.new_parcel.connect(self._to_scan)
        self._show(self.sign_in)
        self.sign_in.reset()
        self._refresh_status()

    def _build_menu(self) -> None:
        station_menu = self.menuBar().addMenu("&Station")
        sign_out = QAction("Sign &out", self)
        sign_out.setShortcut(QKeySequence("Ctrl+L"))
        sign_out.triggered.connect(self.sign_out)
        station_menu.addAction(sign_out)
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

    def _show(self, screen: QWidget) -> None:
        self.stack.setCurrentWidget(screen)

    def _refresh_status(self) -> None:
        who = self.actor
        self.user_label.setText(f"{who.display_name} ({who.role.value})" if who else "Signed out")
        with self.ctx.sessions() as session:
            waiting = outbox.pending_count(session)
        self.outbox_label.setText(f"{waiting} fact(s) waiting to sync")

    def show_demo_sheet(self) -> None:
        DemoSheetDialog(self.ctx, self).exec()
        self.activateWindow()

    def sign_out(self) -> None:
        self.actor = None
        self._draft = None
        self._show(self.sign_in)
        self.sign_in.reset()
        self._refresh_status()

    def _signed_in(self, actor: Actor) -> None:
        self.actor = actor
        self._refresh_status()
        self._to_scan()

    def _to_scan(self, message: str | None = None) -> None:
        if self.actor is None:
            return
        self._draft = None
        self._show(self.scan)
        self.scan.start(self.actor, message)

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

    def _inspect(self, draft: UnitDraft) -> None:
        self._draft = draft
        self._show(self.grade)
        self.grade.show_unit(draft)

    def _graded(self, grade: Grade) -> None:
        assert self._draft is not None
        self._grade = grade
        self._show(self.decision)
        self.decision.show_decision(self._draft, grade, inspection.propose(self.ctx, self._draft,
                                                                           grade))

    def _regrade(self) -> None:
        if self._draft is not None:
            self._inspect(self._draft)

    def _confirm(self) -> None:
        draft, grade, actor = self._draft, self._grade, self.actor
        if draft is None or grade is None or actor is None:
            return
        self.decision.set_busy(True)

        def work() -> tuple[FinalizedUnit, bytes]:
            unit = inspection.finalize(self.ctx, actor, draft, grade)
            return unit, labels.render_png(unit)

        self.background.run(work, self._confirmed, self._confirm_failed)

    def _confirmed(self, result: tuple[FinalizedUnit, bytes]) -> None:
        unit, png = result
        self._draft = None
        self._show(self.label)
        self.label.show_label(unit, png)
        if not self.ctx.config.printer_uri:
            self.label.message.warning(
                f"Saved: {unit.decision.disposition.value} → {unit.decision.destination}, refund "
                f"{unit.decision.refund_text}. No printer is configured (printer.uri), so the "
                "label is shown here only.")
        self._refresh_status()

    def _confirm_failed(self, error: Exception) -> None:
        self.decision.set_busy(False)
        self._error(error)
        self.decision.message.error(str(error))

    def _error(self, error: Exception) -> None:
        if not isinstance(error, UserFacingError):
            QMessageBox.critical(self, "Returns Station",
                                 f"Something went wrong: {error.__class__.__name__}. Nothing was "
                                 "saved for this step; try again or call a supervisor.")
