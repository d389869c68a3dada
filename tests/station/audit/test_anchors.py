"""The audit trail cannot be recomputed by whoever can write `station.db`: its entries are
signed with a key kept outside the data folder, and every push anchors the chain head in
the central database (here the station's embedded SQLite central). `audit verify` names
the first entry rewritten, deleted, truncated or forged, as the attacker of issue 15 did it:
edit and re-chain with plain SHA-256, delete and renumber, append, cut off the newest."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from alembic import command
from cli_runner import run
from sqlalchemy import delete, func, inspect, select
from sqlalchemy.orm import Session, sessionmaker
from station_bench import StationUnderTest, inspect_unit

from station.audit import anchors as audit_anchors
from station.audit import chain as audit
from station.audit import signing as audit_signing
from station.common.vocabulary import Grade, Role
from station.people.signin import SignInError, sign_in
from station.receiving import parcels as receiving
from station.store import schema
from station.store.database import make_engine, session_factory, sqlite_url
from station.store.models import AuditAnchor, AuditEvent, OutboxEntry, StationAlarm, StationKey
from station.sync import exchange as sync

ADMIN_PIN = "97531086"


def push(bench: StationUnderTest) -> sync.PushResult:
    opened = bench.opened
    return sync.push(bench.ctx.sessions, opened.central_sessions(), opened.central_engine(),
                     sync.StationIdentity.of(bench.ctx.config), clock=bench.clock)


def finish_one(bench: StationUnderTest, number: str = "RMA-100002") -> None:
    grader = bench.actors[Role.GRADER]
    view = receiving.receive(bench.ctx, grader, number)
    assert view.receipt_id is not None
    inspect_unit(bench, grader, view.receipt_id, view.lines[0].id, Grade.A)


def raw(path: Path) -> sessionmaker[Session]:
    """The database file as an attacker opens it: no signing key."""
    return session_factory(make_engine(sqlite_url(path)))


def rechain(sessions: sessionmaker[Session], code: str, start: int) -> None:
    """What the attacker does after an edit: recompute every hash from `start` on (plain
    SHA-256, as `audit.event_hash`), keeping the signatures they cannot make."""
    with sessions.begin() as session:
        previous = session.scalar(select(AuditEvent.hash).where(
            AuditEvent.station_code == code, AuditEvent.seq == start - 1)) or audit.GENESIS_HASH
        for event in session.scalars(select(AuditEvent).where(
                AuditEvent.station_code == code, AuditEvent.seq >= start)
                .order_by(AuditEvent.seq)):
            event.prev_hash = previous
            event.hash = audit.event_hash(event)
            previous = event.hash


def verify(bench: StationUnderTest, capsys: pytest.CaptureFixture[str],
           *extra: str) -> tuple[int, str]:
    capsys.readouterr()
    code = run("--data-dir", str(bench.locations.data_dir), "audit", "verify", *extra)
    return code, capsys.readouterr().out


def head(bench: StationUnderTest) -> int:
    with bench.ctx.sessions() as session:
        return session.scalar(select(func.max(AuditEvent.seq)).where(
            AuditEvent.station_code == "BENCH-01")) or 0


@pytest.fixture
def synced(bench: StationUnderTest) -> StationUnderTest:
    """A bench that had three wrong PINs typed, finalized a unit, and pushed it all."""
    for _ in range(3):
        with pytest.raises(SignInError):
            sign_in(bench.ctx, "clerk", "0000")
    finish_one(bench)
    push(bench)
    return bench


def test_every_entry_is_signed_every_push_anchored_and_an_untouched_trail_verifies(
    synced: StationUnderTest, capsys: pytest.CaptureFixture[str],
) -> None:
    key = audit_signing.key_of_factory(synced.ctx.sessions)
    assert key is not None
    with synced.ctx.sessions() as session:
        events = list(session.scalars(select(AuditEvent)))
    assert events and all(key.verifies(e.hash, e.signature) for e in events)
    with synced.opened.central_sessions()() as central:
        anchor = audit_anchors.latest_anchor(central, "BENCH-01")
        assert central.get(StationKey, "BENCH-01") is not None
    assert anchor is not None and anchor.seq == head(synced)
    code, out = verify(synced, capsys)
    assert code == 0, out
    assert "BENCH-01" in out and "chain intact" in out
    assert "signatures valid" in out and "matches the central copy" in out


def test_an_edited_and_rechained_entry_is_reported_as_a_rewrite_at_its_seq(
    synced: StationUnderTest, capsys: pytest.CaptureFixture[str],
) -> None:
    with raw(synced.locations.local_db).begin() as session:
        target = session.scalars(select(AuditEvent).where(
            AuditEvent.action == "signin.failed_pin").order_by(AuditEvent.seq)).first()
        assert target is not None
        seq = target.seq
        target.data = {"failed_count": 0}
    rechain(raw(synced.locations.local_db), "BENCH-01", seq)
    code, out = verify(synced, capsys)
    assert code == 1
    assert f"BAD SIGNATURE at entry {seq}" in out
    assert f"REWRITE at entry {seq}" in out


def test_deleting_the_failed_pin_entries_and_renumbering_is_reported(
    synced: StationUnderTest, capsys: pytest.CaptureFixture[str],
) -> None:
    sessions = raw(synced.locations.local_db)
    with sessions.begin() as session:
        failed = list(session.scalars(select(AuditEvent.seq).where(
            AuditEvent.action == "signin.failed_pin").order_by(AuditEvent.seq)))
        assert len(failed) == 3
        session.execute(delete(AuditEvent).where(AuditEvent.seq.in_(failed)))
        for new_seq, event in enumerate(session.scalars(select(AuditEvent).where(
                AuditEvent.station_code == "BENCH-01").order_by(AuditEvent.seq)), start=1):
            event.seq = new_seq
    rechain(sessions, "BENCH-01", failed[0])
    code, out = verify(synced, capsys)
    assert code == 1
    assert f"DELETION at entry {failed[0]}" in out and "renumbered" in out


def test_an_appended_forged_event_has_no_valid_signature_and_is_refused_at_push(
    synced: StationUnderTest, capsys: pytest.CaptureFixture[str],
) -> None:
    forged_seq = head(synced) + 1
    with raw(synced.locations.local_db).begin() as session:
        audit.record(session, station_code="BENCH-01", actor=synced.actors[Role.SUPERVISOR],
                     action="refund.approved", subject="RMA-100002",
                     data={"amount_minor": 99_999}, now=synced.clock())
    code, out = verify(synced, capsys)
    assert code == 1
    assert f"UNSIGNED at entry {forged_seq}" in out

    with raw(synced.locations.local_db).begin() as session:  # "signed" with a made-up key
        event = session.scalars(select(AuditEvent).where(AuditEvent.seq == forged_seq)).one()
        event.signature = "0" * 64
        entry = session.scalars(select(OutboxEntry).where(
            OutboxEntry.entity_id == event.id)).one()
        entry.payload = {**entry.payload, "signature": "0" * 64}
    code, out = verify(synced, capsys)
    assert code == 1 and f"BAD SIGNATURE at entry {forged_seq}" in out
    result = push(synced)
    assert result.parked == 1
    parked = sync.parked_entries(synced.ctx.sessions)
    assert "not signed with the station's registered key" in parked[0].error
    with synced.opened.central_sessions()() as central:
        assert central.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.seq == forged_seq)) == 0


def test_the_same_edit_in_the_station_and_the_embedded_central_is_still_reported(
    synced: StationUnderTest, capsys: pytest.CaptureFixture[str],
) -> None:
    seq = 0
    for path in (synced.locations.local_db, synced.locations.embedded_central_db):
        with raw(path).begin() as session:
            target = session.scalars(select(AuditEvent).where(
                AuditEvent.station_code == "BENCH-01", AuditEvent.action == "signin.failed_pin")
                .order_by(AuditEvent.seq)).first()
            assert target is not None
            seq = target.seq
            target.data = {"failed_count": 0}
        rechain(raw(path), "BENCH-01", seq)
    code, out = verify(synced, capsys)
    assert code == 1
    assert f"BAD SIGNATURE at entry {seq}" in out
    assert "anchored centrally" in out  # the anchor still holds the old head
    code, out = verify(synced, capsys, "--central")
    assert code == 1 and f"BENCH-01: {head(synced)} entries, BAD SIGNATURE at entry {seq}" in out


def test_deleting_the_newest_entries_is_reported_as_a_truncation(
    synced: StationUnderTest, capsys: pytest.CaptureFixture[str],
) -> None:
    last = head(synced)
    with raw(synced.locations.local_db).begin() as session:
        session.execute(delete(AuditEvent).where(AuditEvent.seq > last - 3))
    code, out = verify(synced, capsys)
    assert code == 1
    assert f"TRUNCATION at entry {last - 2}" in out


def test_deleting_the_newest_entries_centrally_is_reported_by_verify_central(
    synced: StationUnderTest, capsys: pytest.CaptureFixture[str],
) -> None:
    last = head(synced)
    with raw(synced.locations.embedded_central_db).begin() as session:
        session.execute(delete(AuditEvent).where(AuditEvent.seq > last - 2))
    code, out = verify(synced, capsys, "--central")
    assert code == 1
    assert f"TRUNCATION at entry {last - 1}" in out and "deleted from the central" in out


def test_a_station_key_is_registered_once(synced: StationUnderTest) -> None:
    key = audit_signing.key_of_factory(synced.ctx.sessions)
    assert key is not None
    other = audit_signing.SigningKey(bytes(range(32)))
    with synced.opened.central_sessions().begin() as central:
        assert audit_anchors.register_station_key(central, "BENCH-01", key,
                                                  now=synced.clock()) is False
        with pytest.raises(audit_anchors.StationKeyConflict, match="registered once"):
            audit_anchors.register_station_key(central, "BENCH-01", other, now=synced.clock())


def test_a_restored_backup_halts_sync_with_an_alarm_until_an_admin_resolves_it(
    synced: StationUnderTest, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    backup = tmp_path / "backup"
    shutil.copy(synced.locations.local_db, backup)
    finish_one(synced, "RMA-100006")
    push(synced)
    anchored = head(synced)
    synced.opened.local_engine.dispose()
    shutil.copy(backup, synced.locations.local_db)  # the operator restores last night's copy
    for suffix in ("-wal", "-shm"):
        Path(str(synced.locations.local_db) + suffix).unlink(missing_ok=True)
    restored = make_station_from(synced)
    with pytest.raises(sync.SyncHalted, match="older copy") as halted:
        push(restored)
    assert "re-enrol this data folder as a new station" in str(halted.value)
    with restored.opened.central_sessions()() as central:
        alarms = list(central.scalars(select(StationAlarm)))
    assert [(a.station_code, a.kind, a.resolved_at) for a in alarms] == \
        [("BENCH-01", "chain_behind", None)]
    assert alarms[0].details["anchored_seq"] == anchored
    with restored.ctx.sessions() as session:  # the app shows it from its own copy
        assert session.get(StationAlarm, alarms[0].id) is not None
    finish_one(restored, "RMA-100009")
    with pytest.raises(sync.SyncHalted, match="Sync halted since"):
        push(restored)

    capsys.readouterr()
    folder = str(restored.locations.data_dir)
    assert run("--data-dir", folder, "central", "alarms") == 0
    assert str(alarms[0].id) in capsys.readouterr().out
    assert run("--data-dir", folder, "central", "alarms", "resolve", str(alarms[0].id),
               "--as", "grader", "--reason", "x", stdin="1357\n") == 1
    assert run("--data-dir", folder, "central", "alarms", "resolve", str(alarms[0].id),
               "--as", "admin", "--reason", "restored the newer copy",
               stdin=f"{ADMIN_PIN}\n") == 0
    with restored.opened.central_sessions()() as central:
        resolved = central.get(StationAlarm, alarms[0].id)
        assert resolved is not None and resolved.resolved_by == "admin"
    with restored.ctx.sessions() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "alarm.resolved")) == 1
    with pytest.raises(sync.SyncHalted, match="older copy"):  # the cause is still there
        push(restored)
    with restored.opened.central_sessions()() as central:
        assert central.scalar(select(func.count()).select_from(StationAlarm).where(
            StationAlarm.resolved_at.is_(None))) == 1
        assert central.scalar(select(func.count()).select_from(AuditAnchor)) >= 1


def make_station_from(bench: StationUnderTest) -> StationUnderTest:
    """The same folder opened again (after its database file was replaced)."""
    from dataclasses import replace

    from station.runtime.bootstrap import open_station
    from station.settings.config import resolve_locations

    locations = resolve_locations(data_dir=str(bench.locations.data_dir), env={})
    opened = open_station(bench.ctx.config, locations)
    opened = replace(opened, ctx=replace(opened.ctx, clock=bench.clock))
    return StationUnderTest(opened, bench.clock, bench.actors)


def test_migration_0014_goes_down_and_up_again_keeping_the_entries(
    synced: StationUnderTest,
) -> None:
    engine = synced.opened.local_engine
    entries = head(synced)
    with engine.begin() as connection:
        config = schema._config(engine)
        config.attributes["connection"] = connection
        command.downgrade(config, "0013")
    tables = inspect(engine).get_table_names()
    assert not {"audit_anchors", "station_keys", "station_alarms"} & set(tables)
    assert "signature" not in {c["name"] for c in inspect(engine).get_columns("audit_events")}
    schema.upgrade(engine, label="local")
    assert head(synced) == entries
    with synced.ctx.sessions() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.signature.is_not(None))) == 0  # signed again only by a new key


def test_entries_made_before_the_station_had_a_key_are_signed_once_and_reach_central(
    tmp_path: Path, secrets_folder: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    from station_bench import make_station

    bench = make_station(tmp_path / "old", station_code="OLD-01", lpn_prefix="OL")
    finish_one(bench)
    with raw(bench.locations.local_db).begin() as session:  # as before the upgrade
        for event in session.scalars(select(AuditEvent)):
            event.signature = None
        for entry in session.scalars(select(OutboxEntry).where(
                OutboxEntry.entity == "audit_events")):
            entry.payload = {k: v for k, v in entry.payload.items() if k != "signature"}
    bench.opened.close()
    (secrets_folder / "audit-signing-OLD-01.key").unlink()
    upgraded = make_station_from(bench)
    key = audit_signing.key_of_factory(upgraded.ctx.sessions)
    assert key is not None
    with upgraded.ctx.sessions() as session:
        mine = list(session.scalars(select(AuditEvent).where(
            AuditEvent.station_code == "OLD-01")))
        assert mine and all(key.verifies(e.hash, e.signature) for e in mine)
    result = push(upgraded)
    assert result.parked == 0 and result.sent > 0
    code, out = verify(upgraded, capsys)
    assert code == 0, out


def test_a_unit_reusing_an_lpn_this_station_already_sent_halts_sync(
    synced: StationUnderTest,
) -> None:
    from station.store.models import Unit

    with synced.opened.central_sessions()() as central:
        sent_lpn = central.scalars(select(Unit.lpn)).one()
    finish_one(synced, "RMA-100006")
    with raw(synced.locations.local_db).begin() as session:  # as a cloned folder would send
        entry = session.scalars(select(OutboxEntry).where(
            OutboxEntry.entity == "units", OutboxEntry.sent_at.is_(None))).one()
        entry.payload = {**entry.payload, "lpn": sent_lpn}
    with pytest.raises(sync.SyncHalted, match="issued twice"):
        push(synced)
    with synced.opened.central_sessions()() as central:
        alarm = central.scalars(select(StationAlarm)).one()
        assert (alarm.kind, alarm.details["lpn"]) == ("lpn_reused", sent_lpn)
        assert central.scalar(select(func.count()).select_from(Unit)) == 1


def test_a_central_sequence_ahead_of_this_folder_halts_sync(synced: StationUnderTest) -> None:
    from station.store.models import StationSync

    with synced.opened.central_sessions().begin() as central:  # a clone pushed further
        state = central.get(StationSync, "BENCH-01")
        assert state is not None
        state.last_seq += 400
    finish_one(synced, "RMA-100006")
    with pytest.raises(sync.SyncHalted, match="sequence runs backwards"):
        push(synced)


def test_a_replaced_signing_key_halts_sync(tmp_path: Path) -> None:
    from station_bench import make_station

    bench = make_station(tmp_path / "key", station_code="KEY-01", lpn_prefix="KY")
    with bench.opened.central_sessions().begin() as central:  # registered at enrolment
        audit_anchors.register_station_key(central, "KEY-01",
                                           audit_signing.SigningKey(bytes(32)), now=bench.clock())
    finish_one(bench)
    with pytest.raises(sync.SyncHalted, match="another audit signing key"):
        push(bench)
    with bench.opened.central_sessions()() as central:
        assert central.scalars(select(StationAlarm.kind)).one() == "signing_key_changed"
        assert central.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.station_code == "KEY-01")) == 0


def test_a_copied_data_folder_that_went_on_syncing_is_a_fork_for_the_original(
    synced: StationUnderTest, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    from dataclasses import replace

    from station.runtime.bootstrap import open_station
    from station.settings.config import resolve_locations

    synced.opened.local_engine.dispose()
    shutil.copytree(synced.locations.data_dir, tmp_path / "copy")
    opened = open_station(synced.ctx.config, resolve_locations(data_dir=str(tmp_path / "copy"),
                                                               env={}))
    copy = StationUnderTest(replace(opened, ctx=replace(opened.ctx, clock=synced.clock)),
                            synced.clock, synced.actors)
    finish_one(copy, "RMA-100006")
    original_central = synced.opened
    sync.push(copy.ctx.sessions, original_central.central_sessions(),
              original_central.central_engine(), sync.StationIdentity.of(copy.ctx.config),
              clock=copy.clock)  # the copy syncs with the original's central database
    copy.opened.close()

    finish_one(synced, "RMA-100009")
    with pytest.raises(sync.SyncHalted, match="two copies of this data folder"):
        push(synced)
    code, out = verify(synced, capsys)
    assert code == 1
    assert "FORK at entry" in out and "two different chains" in out
