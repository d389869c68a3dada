"""A unit's history for the supervisor's drill-down: every inspection, photo, decision,
refund, exception and label in order with who and when, from this station's database or
from the central one, where a unit of another station shows with its photo files missing."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import central_site
import pytest
from scripted_printer import ScriptedPrinter, blank
from sqlalchemy import select
from station_bench import (
    START,
    TINY_PNG,
    StationUnderTest,
    inspect_unit,
    make_station,
    ready_unit,
)

from station.common.permissions import PermissionDenied
from station.common.vocabulary import Disposition, ExceptionOutcome, Grade, Role
from station.inspection import approvals
from station.inspection import finalize as inspection
from station.inspection.finalize import FinalizedUnit, Override
from station.labels import print_queue
from station.labels.print_queue import PrintQueue
from station.labels.printers import JobState
from station.labels.voids import void_label
from station.loadgen.simulated_grader import photo_variant
from station.ports.photo_files import photo_path
from station.receiving import parcels as receiving
from station.store.database import make_engine, session_factory, sqlite_url
from station.store.models import AuditEvent, ExceptionCase
from station.supervision import queues
from station.supervision.evidence import EvidenceAnswer, PhotoFile
from station.supervision.unit_history import (
    RefundStatus,
    UnitHistory,
    UnitHistoryError,
    unit_history,
)
from station.sync import exchange as sync

BOOK = "RMA-100006"  # line 1: a paperback, changed_mind, 29.99 USD
URI = "zpl+tcp://192.0.2.10:9100"


def photos_folder(bench: StationUnderTest) -> Path:
    return bench.locations.photos_folder(bench.ctx.config)


def keep_photo_file(bench: StationUnderTest) -> None:
    """Put the simulated grader's photos (one variant per photo of a unit) where the
    station keeps its photo files."""
    for index in range(4):
        content = photo_variant(TINY_PNG, index)
        path = photo_path(photos_folder(bench), hashlib.sha256(content).hexdigest())
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


def overridden_book(bench: StationUnderTest) -> FinalizedUnit:
    """The paperback graded B, sent to liquidation instead of open box; refund held."""
    grader = bench.actors[Role.GRADER]
    view = receiving.receive(bench.ctx, grader, BOOK)
    assert view.receipt_id is not None
    work = ready_unit(bench, grader, view.receipt_id, view.lines[0].id, Grade.B)
    bench.clock.advance(minutes=3)
    unit = inspection.finalize(bench.ctx, grader, work, override=Override(
        Disposition.LIQUIDATE, "open-box shelf is full this week"))
    keep_photo_file(bench)
    return unit


def history(bench: StationUnderTest, lpn: str, role: Role = Role.SUPERVISOR) -> UnitHistory:
    return unit_history(bench.ctx.sessions, bench.ctx, bench.actors[role], lpn,
                        photos_folder(bench))


@pytest.fixture
def held(tmp_path: Path) -> StationUnderTest:
    """Refunds above 10 (major units) are held for a supervisor."""
    return make_station(tmp_path / "station", high_value_threshold_major=10)


def test_the_history_lists_every_fact_of_the_unit_in_order_with_names(
    held: StationUnderTest,
) -> None:
    bench = held
    grader, supervisor = bench.actors[Role.GRADER], bench.actors[Role.SUPERVISOR]
    received_at = bench.clock.now
    unit = overridden_book(bench)
    decided_at = bench.clock.now

    bench.clock.advance(minutes=10)
    approvals.resolve_held_refund(bench.ctx, supervisor, unit.refund_trigger_id,
                                  approve=True, reason="receipt checked")
    first = print_queue.request_label(bench.ctx, grader, unit, URI)
    said = "printer said"
    PrintQueue().run_once(bench.ctx, ScriptedPrinter([JobState.PRINTED], said), blank)
    bench.clock.advance(minutes=1)
    reprint = print_queue.request_reprint(bench.ctx, grader, unit.lpn, "label torn")
    PrintQueue().run_once(bench.ctx, ScriptedPrinter([JobState.OFFLINE], said), blank)
    bench.clock.advance(minutes=1)
    void_label(bench.ctx, supervisor, unit.lpn, "printer jammed, tore it off")
    with bench.ctx.sessions.begin() as session:  # stands in for a case opened at the bench
        case = ExceptionCase(kind="wrong_item", receipt_id=None, unit_id=unit.unit_id,
                             details={"sku": "BK-1", "customer_name": "Private Person"},
                             opened_by=grader.user_id, opened_at=bench.clock(),
                             station_code="BENCH-01")
        session.add(case)
    queues.resolve_exception(bench.ctx, supervisor, case.id, ExceptionOutcome.NO_ACTION,
                             "right item after all")

    seen = history(bench, f" {unit.lpn.lower()} ")

    assert seen.unit.lpn == unit.lpn and seen.unit.unit_id == unit.unit_id
    assert (seen.unit.station_code, seen.unit.rma_number, seen.unit.line_no) == (
        "BENCH-01", BOOK, 1)
    assert (seen.unit.category, seen.unit.reason, seen.unit.price) == (
        "books & media", "changed mind", "29.99 USD")
    assert seen.unit.received_at == received_at and seen.unit.received_at.tzinfo is not None

    [graded] = seen.inspections
    assert (graded.grader, graded.grade, graded.station_code) == ("Grader Person", "B",
                                                                 "BENCH-01")
    assert graded.started_at == received_at and graded.completed_at == decided_at
    assert graded.answers and all(isinstance(a, EvidenceAnswer) for a in graded.answers)
    assert graded.answers[0].question != graded.answers[0].answer

    assert seen.photos and all(photo.file is PhotoFile.KEPT for photo in seen.photos)
    assert {photo.taken_by for photo in seen.photos} == {"Grader Person"}

    [decision] = seen.decisions
    assert (decision.disposition, decision.destination) == ("LIQUIDATE", "LIQ-CAGE")
    assert decision.override_reason == "open-box shelf is full this week"
    assert (decision.rule_id, decision.rules_version) == ("change-of-mind-b-c", "2026.11-1")
    assert decision.why and decision.effective and decision.supersedes is None
    assert (decision.decided_by, decision.decided_at) == ("Grader Person", decided_at)

    held_refund, approved = seen.refunds
    assert (held_refund.action, held_refund.status, held_refund.settling) == (
        "HELD", RefundStatus.HELD, False)
    assert held_refund.resolution_id == approved.trigger_id
    assert (approved.status, approved.settling, approved.supersedes) == (
        RefundStatus.APPROVED, True, held_refund.trigger_id)
    assert approved.amount.endswith(" USD") and approved.action != "HELD"
    assert (approved.decided_by, approved.note) == ("Supervisor Person", "receipt checked")
    assert approved.created_at > held_refund.created_at

    [exception] = seen.exceptions
    assert (exception.kind, exception.details, exception.opened_by) == (
        "wrong item", "sku: BK-1", "Grader Person")
    assert exception.resolution is not None
    assert (exception.resolution.outcome, exception.resolution.reason) == (
        "no action", "right item after all")
    assert exception.resolution.resolved_by == "Supervisor Person"

    original, again = seen.labels
    assert (original.job_id, original.kind, original.printer_uri) == (first, "disposition",
                                                                    URI)
    assert (original.requested_by, original.reprint_of, original.void) == (
        "Grader Person", None, None)
    assert [(a.state, a.detail) for a in original.attempts] == [
        ("printed", "printer said printed")]
    assert original.state == "printed"
    assert (again.job_id, again.reprint_of, again.reprint_reason) == (reprint, first,
                                                                      "label torn")
    assert [a.state for a in again.attempts] == ["offline"]
    assert again.void is not None and again.state == "voided"
    assert (again.void.reason, again.void.voided_by, again.void.voided_at) == (
        "printer jammed, tore it off", "Supervisor Person", bench.clock.now)


def test_an_over_return_set_aside_from_the_units_parcel_is_in_its_history(
    bench: StationUnderTest,
) -> None:
    grader = bench.actors[Role.GRADER]
    view = receiving.receive(bench.ctx, grader, BOOK)
    assert view.receipt_id is not None
    unit = inspection.finalize(bench.ctx, grader, ready_unit(
        bench, grader, view.receipt_id, view.lines[0].id, Grade.A))
    bench.clock.advance(minutes=2)
    inspection.set_aside_over_return(bench.ctx, grader, view.receipt_id, view.lines[0].id)
    other = receiving.receive(bench.ctx, grader, "RMA-100001")  # another parcel's case
    assert other.receipt_id is not None
    inspection.set_aside_over_return(bench.ctx, grader, other.receipt_id, other.lines[0].id)

    [case] = history(bench, unit.lpn).exceptions
    assert (case.kind, case.of_parcel, case.opened_by) == (
        "over return", True, "Grader Person")
    assert "units_taken: 1" in case.details and case.resolution is None


def test_each_look_at_a_units_history_is_audited_with_who_and_where_from(
    bench: StationUnderTest,
) -> None:
    unit = overridden_book(bench)
    history(bench, unit.lpn)
    with bench.ctx.sessions() as session:
        [event] = session.scalars(select(AuditEvent).where(
            AuditEvent.action == "unit.history_viewed")).all()
    assert (event.subject, event.data) == (unit.lpn, {"source": "local"})
    assert event.actor_id == bench.actors[Role.SUPERVISOR].user_id


def test_a_grader_may_look_and_a_clerk_may_not(bench: StationUnderTest) -> None:
    grader = bench.actors[Role.GRADER]
    view = receiving.receive(bench.ctx, grader, BOOK)
    assert view.receipt_id is not None
    unit = inspect_unit(bench, grader, view.receipt_id, view.lines[0].id, Grade.A)
    assert history(bench, unit.lpn, Role.GRADER).labels == ()
    with pytest.raises(PermissionDenied):
        history(bench, unit.lpn, Role.CLERK)


def test_an_unknown_lpn_or_a_unit_still_on_the_bench_says_what_to_do(
    bench: StationUnderTest,
) -> None:
    with pytest.raises(UnitHistoryError, match=r"No unit with LPN BN00000099Z on this "
                                               r"station\. Check the label"):
        history(bench, "bn 00000099z")
    with pytest.raises(UnitHistoryError, match=r"No unit with LPN \(empty\)"):
        history(bench, "  ")
    grader = bench.actors[Role.GRADER]
    view = receiving.receive(bench.ctx, grader, BOOK)
    assert view.receipt_id is not None
    work = inspection.start_unit(bench.ctx, grader, view.receipt_id, view.lines[0].id)
    with pytest.raises(UnitHistoryError, match=f"Unit {work.draft.lpn} is still being "
                                               "inspected"):
        history(bench, work.draft.lpn)


def test_read_from_the_central_database_another_stations_unit_shows_its_photos_missing(
    tmp_path: Path,
) -> None:
    here = make_station(tmp_path / "a", station_code="BENCH-A", lpn_prefix="BA")
    there = make_station(tmp_path / "b", station_code="BENCH-B", lpn_prefix="BB")
    central_db = tmp_path / "central.db"
    shutil.copy(here.locations.embedded_central_db, central_db)  # holds the same RMAs
    grader = there.actors[Role.GRADER]
    view = receiving.receive(there.ctx, grader, BOOK)
    assert view.receipt_id is not None
    unit = inspect_unit(there, grader, view.receipt_id, view.lines[0].id, Grade.A)
    keep_photo_file(there)
    job = print_queue.request_label(there.ctx, grader, unit, URI)
    void_label(there.ctx, there.actors[Role.SUPERVISOR], job, "wrong printer")
    engine = make_engine(sqlite_url(central_db))
    try:
        central = session_factory(engine)
        central_site.join(central, there.ctx)
        sync.push(there.ctx.sessions, central, engine, central_site.identity(there.ctx),
                  clock=there.clock)
        with pytest.raises(UnitHistoryError, match="on this station"):
            history(here, unit.lpn)
        seen = unit_history(central, here.ctx, here.actors[Role.SUPERVISOR], unit.lpn,
                            photos_folder(here))
    finally:
        engine.dispose()

    assert (seen.unit.lpn, seen.unit.station_code) == (unit.lpn, "BENCH-B")
    assert [i.grader for i in seen.inspections] == ["Grader Person"]  # named from here
    assert seen.photos and {photo.file for photo in seen.photos} == {PhotoFile.MISSING}
    assert all(len(photo.sha256) == 64 for photo in seen.photos)
    assert [photo.file for photo in history(there, unit.lpn).photos] == [
        PhotoFile.KEPT] * len(seen.photos)
    [label] = seen.labels
    assert label.void is not None and label.void.station_code == "BENCH-B"
    assert (label.state, label.void.voided_at) == ("voided", START)


def test_an_lpn_unknown_to_the_central_database_says_so(tmp_path: Path) -> None:
    bench = make_station(tmp_path / "station")
    engine = make_engine(sqlite_url(bench.locations.embedded_central_db))
    try:
        with pytest.raises(UnitHistoryError, match=r"No unit with LPN BN00000099Z in the "
                                                   r"central database\."):
            unit_history(session_factory(engine), bench.ctx, bench.actors[Role.GRADER],
                         "BN00000099Z", photos_folder(bench))
    finally:
        engine.dispose()
