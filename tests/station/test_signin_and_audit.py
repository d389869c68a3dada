"""Signing in with a PIN, lockout after wrong PINs, and the tamper-evident audit chain."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from station_bench import PINS, StationUnderTest

from station import audit, receiving, signin
from station.models import AuditEvent, User
from station.vocabulary import Role


def test_the_right_pin_signs_in_and_is_audited(bench: StationUnderTest) -> None:
    actor = signin.sign_in(bench.ctx, "grader", PINS[Role.GRADER])
    assert actor.role == Role.GRADER
    with bench.ctx.sessions() as session:
        assert session.scalar(select(AuditEvent.action).order_by(AuditEvent.seq.desc())) == \
            "signin.ok"


def test_pins_are_stored_only_as_argon2id_hashes(bench: StationUnderTest) -> None:
    with bench.ctx.sessions() as session:
        hashes = list(session.scalars(select(User.pin_hash)))
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    assert not any(pin in h for h in hashes for pin in PINS.values())


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


@pytest.mark.parametrize(
    ("tamper", "problem"),
    [
        ("UPDATE audit_events SET subject = 'PARCEL-X' WHERE seq = 6", "entry 6 (receipt"),
        ("DELETE FROM audit_events WHERE seq = 5", "entry 5 is missing"),
        ("UPDATE audit_events SET seq = seq + 1 WHERE seq >= 6", "entry 6 is missing"),
    ],
)
def test_editing_or_deleting_an_entry_by_hand_is_found(
    bench: StationUnderTest, tamper: str, problem: str
) -> None:
    _events(bench)
    with bench.opened.local_engine.begin() as connection:
        connection.execute(text(tamper))
    with bench.ctx.sessions() as session:
        broken = audit.verify_chain(session, bench.ctx.station_code)
    assert broken is not None and problem in broken.problem
