"""Signing in with a PIN, lockout after wrong PINs, and the tamper-evident audit chain."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from station_bench import PINS, StationUnderTest

from station.audit import chain as audit
from station.common.vocabulary import Role
from station.people import signin
from station.receiving import parcels as receiving
from station.store.models import AuditEvent, User


def test_the_right_pin_signs_in_and_is_audited(bench: StationUnderTest) -> None:
    actor = signin.sign_in(bench.ctx, "grader", PINS[Role.GRADER])
    assert actor.role == Role.GRADER
    with bench.ctx.sessions() as session:
        assert session.scalar(select(AuditEvent.action).order_by(AuditEvent.seq.desc())) == \
            "signin.ok"


def test_pins_are_stored_only_as_argon2id_hashes_sealed_with_the_pepper(
    bench: StationUnderTest,
) -> None:
    with bench.ctx.sessions() as session:
        stored = list(session.scalars(select(User.pin_hash)))
    assert stored and all(s.startswith("pepper1$") for s in stored)
    hashes = [bench.ctx.pepper.open(s) for s in stored]
    assert all(h.startswith("$argon2id$") for h in hashes)
    assert not any(pin in h for h in stored + hashes for pin in PINS.values())


def test_five_wrong_pins_lock_the_user_until_the_lockout_passes(bench: StationUnderTest) -> None:
    for attempt in range(4):
        with pytest.raises(signin.SignInError, match=f"{4 - attempt} attempt"):
            signin.sign_in(bench.ctx, "clerk", "0000")
    with pytest.raises(signin.SignInError, match="locked"):
        signin.sign_in(bench.ctx, "clerk", "0000")
    with pytest.raises(signin.SignInError, match="locked"):
        signin.sign_in(bench.ctx, "clerk", PINS[Role.CLERK])
    bench.clock.advance(minutes=16)
    assert signin.sign_in(bench.ctx, "clerk", PINS[Role.CLERK]).username == "clerk"
    with bench.ctx.sessions() as session:
        actions = list(session.scalars(select(AuditEvent.action)))
    assert actions.count("signin.failed_pin") == 4
    assert "signin.locked" in actions and "signin.refused_locked" in actions


def test_an_unknown_user_gets_the_same_kind_of_refusal(bench: StationUnderTest) -> None:
    with pytest.raises(signin.SignInError, match="Unknown or disabled"):
        signin.sign_in(bench.ctx, "mallory", "1234")


def _events(bench: StationUnderTest) -> None:
    clerk = bench.actors[Role.CLERK]
    receiving.receive_unexpected(bench.ctx, clerk, "PARCEL-1")
    receiving.receive_unexpected(bench.ctx, clerk, "PARCEL-2")


def test_an_untouched_chain_verifies(bench: StationUnderTest) -> None:
    _events(bench)
    with bench.ctx.sessions() as session:
        assert audit.verify_chain(session, bench.ctx.station_code) is None


def _seq_of(bench: StationUnderTest, subject: str) -> int:
    with bench.ctx.sessions() as session:
        seq = session.scalar(select(AuditEvent.seq).where(AuditEvent.subject == subject))
    assert seq is not None
    return seq


@pytest.mark.parametrize(
    ("tamper", "problem"),
    [
        ("UPDATE audit_events SET subject = 'PARCEL-X' WHERE seq = :seq", "entry {seq} (receipt"),
        ("DELETE FROM audit_events WHERE seq = :seq", "entry {seq} is missing"),
        ("UPDATE audit_events SET seq = -seq WHERE seq >= :seq; "
         "UPDATE audit_events SET seq = 1 - seq WHERE seq < 0", "entry {seq} is missing"),
        ("UPDATE audit_events SET data = '{{}}' WHERE seq = :seq", "entry {seq} (receipt"),
    ],
)
def test_editing_deleting_or_inserting_an_entry_by_hand_is_found(
    bench: StationUnderTest, tamper: str, problem: str
) -> None:
    _events(bench)
    seq = _seq_of(bench, "PARCEL-1")
    with bench.opened.local_engine.begin() as connection:
        for statement in tamper.replace("{{}}", "{}").split("; "):
            connection.execute(text(statement), {"seq": seq})
    with bench.ctx.sessions() as session:
        broken = audit.verify_chain(session, bench.ctx.station_code)
    assert broken is not None and problem.format(seq=seq) in broken.problem


def test_a_forged_entry_copied_into_the_chain_is_found(bench: StationUnderTest) -> None:
    _events(bench)
    seq = _seq_of(bench, "PARCEL-2")
    with bench.opened.local_engine.begin() as connection:
        connection.execute(text("UPDATE audit_events SET seq = -seq WHERE seq >= :seq"),
                           {"seq": seq})
        connection.execute(text("UPDATE audit_events SET seq = 1 - seq WHERE seq < 0"))
        connection.execute(text(
            "INSERT INTO audit_events (id, station_code, seq, actor_id, actor_name, action, "
            "subject, data, occurred_at, prev_hash, hash) SELECT :id, station_code, :seq, "
            "actor_id, actor_name, 'refund.decided', 'FORGED', data, occurred_at, prev_hash, "
            "hash FROM audit_events WHERE seq = :prev"),
            {"id": "0" * 32, "seq": seq, "prev": seq - 1})
    with bench.ctx.sessions() as session:
        broken = audit.verify_chain(session, bench.ctx.station_code)
    assert broken is not None and broken.seq == seq
