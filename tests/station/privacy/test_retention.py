"""Privacy retention: after N days the customer's name and the photo files go; the RMA, its
lines, every unit and decision, and each photo's hash stay, and the purge is audited once."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from station_bench import TODAY, StationUnderTest, inspect_unit, make_station

from station.audit import chain as audit
from station.common.vocabulary import Grade, Role
from station.demo.rmas import demo_rmas
from station.ports.photo_files import photo_path, thumbnail_path
from station.privacy.retention import PurgeSummary, purge_expired
from station.receiving import parcels as receiving
from station.receiving import rma_store
from station.settings.config import PrivacyConfig
from station.store.models import AuditEvent, DispositionDecision, Photo, Rma, RmaLine, Unit
from station.sync.pull import pull_rmas

RETENTION_DAYS = 30


@pytest.fixture
def retaining(tmp_path: Path) -> Iterator[StationUnderTest]:
    """A station that keeps customer data for 30 days."""
    station = make_station(tmp_path / "station",
                           privacy=PrivacyConfig(retention_days=RETENTION_DAYS))
    yield station
    station.opened.close()


def purge(bench: StationUnderTest) -> PurgeSummary:
    return purge_expired(bench.ctx, bench.locations.photos_dir)


def grade_a_unit(bench: StationUnderTest) -> uuid.UUID:
    """Receive the first RMA and grade one unit, so there are real units and decisions."""
    grader = bench.actors[Role.GRADER]
    with bench.ctx.sessions() as session:
        number = session.scalars(select(Rma.rma_number).order_by(Rma.rma_number)).first()
    view = receiving.receive(bench.ctx, grader, number)
    assert view.receipt_id is not None
    return inspect_unit(bench, grader, view.receipt_id, view.lines[0].id, Grade.B).unit_id


def take_photo(bench: StationUnderTest, unit_id: uuid.UUID, content: bytes,
               *, kind: str = "overview", thumbnail: bool = True) -> str:
    """Store a photo as the camera would: content-addressed file, thumbnail and a row."""
    sha = hashlib.sha256(content).hexdigest()
    photos_dir = bench.locations.photos_dir
    photo_path(photos_dir, sha).parent.mkdir(parents=True, exist_ok=True)
    photo_path(photos_dir, sha).write_bytes(content)
    if thumbnail:
        thumbnail_path(photos_dir, sha).write_bytes(content[:10])
    with bench.ctx.sessions.begin() as session:
        session.add(Photo(unit_id=unit_id, kind=kind, sha256=sha, size_bytes=len(content),
                          taken_by=bench.actors[Role.GRADER].user_id, taken_at=bench.clock()))
    return sha


def jpeg(label: str) -> bytes:
    return b"\xff\xd8\xff\xe0" + label.encode() * 100


def names(bench: StationUnderTest) -> dict[str, str | None]:
    with bench.ctx.sessions() as session:
        return {number: name for number, name in session.execute(
            select(Rma.rma_number, Rma.customer_name))}


def purge_events(session: Session) -> list[AuditEvent]:
    return list(session.scalars(
        select(AuditEvent).where(AuditEvent.action == "privacy.purged").order_by(AuditEvent.seq)))


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def refresh_one_rma_centrally(bench: StationUnderTest) -> str:
    """The shop changes one RMA today, so the station pulls it again with today's date."""
    record = demo_rmas(1, today=TODAY)[0]
    changed = replace(record, carrier_tracking="1Z999AA10123456784")
    with bench.opened.central_sessions().begin() as session:
        rma_store.import_records(session, [changed], now=bench.clock())
    pull_rmas(bench.opened.central_sessions(), bench.ctx.sessions)
    return record.rma_number


def test_with_retention_zero_nothing_is_ever_purged(bench: StationUnderTest) -> None:
    sha = take_photo(bench, grade_a_unit(bench), jpeg("old"))
    before = names(bench)
    bench.clock.advance(days=3650)

    assert purge(bench) == PurgeSummary(0, 0, 0, cutoff=None)

    assert names(bench) == before and all(before.values())
    assert photo_path(bench.locations.photos_dir, sha).exists()
    with bench.ctx.sessions() as session:
        assert purge_events(session) == []


def test_nothing_is_purged_until_the_retention_period_has_passed(
    retaining: StationUnderTest,
) -> None:
    sha = take_photo(retaining, grade_a_unit(retaining), jpeg("young"))
    retaining.clock.advance(days=RETENTION_DAYS - 1)

    summary = purge(retaining)

    assert (summary.customer_fields_cleared, summary.photo_files_deleted) == (0, 0)
    assert all(names(retaining).values())
    assert photo_path(retaining.locations.photos_dir, sha).exists()
    with retaining.ctx.sessions() as session:
        assert purge_events(session) == []


def test_old_customer_names_are_cleared_but_the_return_and_its_decisions_remain(
    retaining: StationUnderTest,
) -> None:
    unit_id = grade_a_unit(retaining)
    with retaining.ctx.sessions() as session:
        rmas_before = session.execute(
            select(Rma.rma_number, Rma.order_number, Rma.version)).all()
        lines_before = count(session, RmaLine)
        decision_before = session.scalar(select(DispositionDecision.disposition))
    retaining.clock.advance(days=RETENTION_DAYS + 1)

    summary = purge(retaining)

    assert summary.customer_fields_cleared == len(rmas_before) == 12
    assert set(names(retaining).values()) == {None}
    with retaining.ctx.sessions() as session:
        assert session.execute(
            select(Rma.rma_number, Rma.order_number, Rma.version)).all() == rmas_before
        assert count(session, RmaLine) == lines_before
        assert session.get(Unit, unit_id) is not None
        assert session.scalar(select(DispositionDecision.disposition)) == decision_before


def test_a_customer_name_changed_within_the_period_is_kept(retaining: StationUnderTest) -> None:
    retaining.clock.advance(days=20)
    refreshed = refresh_one_rma_centrally(retaining)
    retaining.clock.advance(days=RETENTION_DAYS - 19)

    summary = purge(retaining)

    after = names(retaining)
    assert summary.customer_fields_cleared == 11
    assert after.pop(refreshed) is not None
    assert set(after.values()) == {None}


def test_old_photo_files_and_thumbnails_are_deleted_but_their_rows_and_hashes_remain(
    retaining: StationUnderTest,
) -> None:
    photos_dir = retaining.locations.photos_dir
    unit_id = grade_a_unit(retaining)
    old = [take_photo(retaining, unit_id, jpeg(f"old {n}"), kind=f"side-{n}") for n in range(3)]
    freed = sum(photo_path(photos_dir, sha).stat().st_size
                + thumbnail_path(photos_dir, sha).stat().st_size for sha in old)
    retaining.clock.advance(days=20)
    recent = take_photo(retaining, unit_id, jpeg("recent"))
    retaining.clock.advance(days=RETENTION_DAYS - 19)

    summary = purge(retaining)

    assert summary.photo_files_deleted == 6  # three photos, three thumbnails
    assert summary.bytes_freed == freed
    for sha in old:
        assert not photo_path(photos_dir, sha).exists()
        assert not thumbnail_path(photos_dir, sha).exists()
    assert photo_path(photos_dir, recent).read_bytes() == jpeg("recent")
    assert thumbnail_path(photos_dir, recent).exists()
    with retaining.ctx.sessions() as session:
        rows = {p.sha256: (p.kind, p.size_bytes, p.unit_id) for p in session.scalars(
            select(Photo).where(Photo.sha256.in_([*old, recent])))}
    assert rows == {
        **{sha: (f"side-{n}", len(jpeg(f"old {n}")), unit_id) for n, sha in enumerate(old)},
        recent: ("overview", len(jpeg("recent")), unit_id),
    }


def test_a_file_an_old_and_a_recent_photo_share_is_kept_for_the_recent_one(
    retaining: StationUnderTest,
) -> None:
    unit_id = grade_a_unit(retaining)
    sha = take_photo(retaining, unit_id, jpeg("same picture"))
    retaining.clock.advance(days=20)
    assert take_photo(retaining, unit_id, jpeg("same picture")) == sha
    retaining.clock.advance(days=RETENTION_DAYS - 19)

    assert purge(retaining).photo_files_deleted == 0
    assert photo_path(retaining.locations.photos_dir, sha).exists()


def test_missing_photo_files_and_thumbnails_are_fine(retaining: StationUnderTest) -> None:
    photos_dir = retaining.locations.photos_dir
    unit_id = grade_a_unit(retaining)
    no_thumbnail = take_photo(retaining, unit_id, jpeg("no thumb"), thumbnail=False)
    vanished = take_photo(retaining, unit_id, jpeg("vanished"))
    photo_path(photos_dir, vanished).unlink()
    thumbnail_path(photos_dir, vanished).unlink()
    retaining.clock.advance(days=RETENTION_DAYS + 1)

    summary = purge(retaining)

    assert summary.photo_files_deleted == 1
    assert not photo_path(photos_dir, no_thumbnail).exists()


def test_a_second_run_changes_nothing_and_records_no_event(retaining: StationUnderTest) -> None:
    sha = take_photo(retaining, grade_a_unit(retaining), jpeg("old"))
    retaining.clock.advance(days=RETENTION_DAYS + 1)
    first = purge(retaining)
    assert first.customer_fields_cleared and first.photo_files_deleted
    with retaining.ctx.sessions() as session:
        events_after_first = count(session, AuditEvent)
    retaining.clock.advance(days=1)

    second = purge(retaining)

    assert (second.customer_fields_cleared, second.photo_files_deleted, second.bytes_freed) == (
        0, 0, 0)
    with retaining.ctx.sessions() as session:
        assert count(session, AuditEvent) == events_after_first
        assert session.scalar(select(Photo.sha256).where(Photo.sha256 == sha)) == sha


def test_the_purge_is_one_audit_event_with_its_counts_and_the_chain_still_verifies(
    retaining: StationUnderTest,
) -> None:
    take_photo(retaining, grade_a_unit(retaining), jpeg("old"))
    retaining.clock.advance(days=RETENTION_DAYS + 1)

    summary = purge(retaining)

    assert summary.cutoff == retaining.clock() - timedelta(days=RETENTION_DAYS)
    with retaining.ctx.sessions() as session:
        [event] = purge_events(session)
        assert event.actor_id is None and event.actor_name == "retention"
        assert event.data == {
            "customer_fields_cleared": 12, "photo_files_deleted": 2,
            "bytes_freed": summary.bytes_freed, "cutoff": summary.cutoff.isoformat(),
            "retention_days": RETENTION_DAYS,
        }
        assert audit.verify_chain(session, retaining.ctx.station_code) is None


def test_a_file_that_could_not_be_deleted_is_deleted_and_recorded_by_the_next_run(
    retaining: StationUnderTest, monkeypatch: pytest.MonkeyPatch,
) -> None:
    photos_dir = retaining.locations.photos_dir
    sha = take_photo(retaining, grade_a_unit(retaining), jpeg("stuck"))
    stuck = photo_path(photos_dir, sha)
    real_unlink = Path.unlink

    def refuse_the_photo(self: Path, missing_ok: bool = False) -> None:
        if self == stuck:
            raise PermissionError(13, "in use by another program")
        real_unlink(self, missing_ok)

    retaining.clock.advance(days=RETENTION_DAYS + 1)
    with monkeypatch.context() as patch:
        patch.setattr(Path, "unlink", refuse_the_photo)
        first = purge(retaining)
    assert first.photo_files_deleted == 1 and stuck.exists()

    second = purge(retaining)

    assert (second.customer_fields_cleared, second.photo_files_deleted) == (0, 1)
    assert not stuck.exists()
    with retaining.ctx.sessions() as session:
        assert [e.data["photo_files_deleted"] for e in purge_events(session)] == [2, 1]
        assert audit.verify_chain(session, retaining.ctx.station_code) is None


def test_a_link_leading_outside_the_photos_folder_is_never_followed(
    retaining: StationUnderTest, tmp_path: Path,
) -> None:
    photos_dir = retaining.locations.photos_dir
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    unit_id = grade_a_unit(retaining)
    # A photo whose file is a symlink to a file outside the folder ...
    linked = take_photo(retaining, unit_id, jpeg("linked"), thumbnail=False)
    precious = outside / "precious.jpg"
    precious.write_bytes(b"not ours")
    photo_path(photos_dir, linked).unlink()
    photo_path(photos_dir, linked).symlink_to(precious)
    # ... and one whose whole shard folder is a symlink to a folder outside.
    content = jpeg("shard")
    shard_sha = hashlib.sha256(content).hexdigest()
    assert shard_sha[:2] != linked[:2]
    photos_dir.mkdir(parents=True, exist_ok=True)
    (photos_dir / shard_sha[:2]).symlink_to(outside, target_is_directory=True)
    take_photo(retaining, unit_id, content, thumbnail=False)
    retaining.clock.advance(days=RETENTION_DAYS + 1)

    summary = purge(retaining)

    assert summary.photo_files_deleted == 0
    assert precious.read_bytes() == b"not ours"
    assert (outside / f"{shard_sha}.jpg").read_bytes() == content
    assert purge(retaining).photo_files_deleted == 0  # and it does not become a retry loop


def test_the_layout_is_content_addressed_and_accepts_only_hashes(tmp_path: Path) -> None:
    sha = hashlib.sha256(b"x").hexdigest()
    assert photo_path(tmp_path, sha) == tmp_path / sha[:2] / f"{sha}.jpg"
    assert thumbnail_path(tmp_path, sha) == tmp_path / sha[:2] / f"{sha}.thumb.jpg"
    for bad in ["../" + sha[3:], sha.upper(), sha[:-1], ""]:
        with pytest.raises(ValueError, match="SHA-256"):
            photo_path(tmp_path, bad)
