"""Every use case, as every role: allowed ones work, the others are refused in the core and
the refusal is audited, whatever the UI shows."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select
from station_bench import StationUnderTest, ready_unit

from station.common.permissions import Action, Actor, PermissionDenied, allowed
from station.common.vocabulary import Grade, Role
from station.demo.rmas import demo_rmas
from station.inspection import finalize as inspection
from station.people import users
from station.privacy.sweep import purge_station
from station.receiving import parcels as receiving
from station.receiving import rma_store
from station.store.models import AuditEvent, Rma

UseCase = Callable[[StationUnderTest, Actor], object]


def _rma(bench: StationUnderTest) -> str:
    with bench.ctx.sessions() as session:
        number = session.scalars(select(Rma.rma_number).order_by(Rma.rma_number)).first()
    assert number is not None
    return number


def _received(bench: StationUnderTest) -> receiving.RmaView:
    view = receiving.receive(bench.ctx, bench.actors[Role.CLERK], _rma(bench))
    assert view.receipt_id is not None
    return view


def _start(bench: StationUnderTest, actor: Actor) -> object:
    view = _received(bench)
    assert view.receipt_id is not None
    return inspection.start_unit(bench.ctx, actor, view.receipt_id, view.lines[0].id)


def _finalize(bench: StationUnderTest, actor: Actor) -> object:
    view = _received(bench)
    assert view.receipt_id is not None
    work = ready_unit(bench, bench.actors[Role.GRADER], view.receipt_id, view.lines[0].id,
                      Grade.B)
    return inspection.finalize(bench.ctx, actor, work)


USE_CASES: dict[str, tuple[Action, UseCase]] = {
    "look up a parcel": (Action.RECEIVE, lambda b, a: receiving.look_up(b.ctx, a, _rma(b))),
    "receive a parcel": (Action.RECEIVE, lambda b, a: receiving.receive(b.ctx, a, _rma(b))),
    "receive an unexpected parcel": (
        Action.RECEIVE, lambda b, a: receiving.receive_unexpected(b.ctx, a, "PARCEL-9")),
    "start a unit": (Action.INSPECT, _start),
    "finalize a unit": (Action.INSPECT, _finalize),
    "import RMAs": (Action.IMPORT_RMAS, lambda b, a: rma_store.import_as(
        b.ctx, a, b.opened.central_sessions(), demo_rmas(2, seed=99, today=b.clock().date()))),
    "list users": (Action.MANAGE_USERS, lambda b, a: users.list_all(b.ctx, a)),
    "add a user": (Action.MANAGE_USERS, lambda b, a: users.create_user(
        b.ctx, a, username="newbie", display_name="New Bie", role=Role.CLERK, pin="4826")),
    "disable a user": (Action.MANAGE_USERS, lambda b, a: users.set_active(b.ctx, a, "clerk",
                                                                          False)),
    "reset a PIN": (Action.MANAGE_USERS, lambda b, a: users.reset_pin(b.ctx, a, "clerk",
                                                                       "4826")),
    "change a role": (Action.MANAGE_USERS, lambda b, a: users.set_role(b.ctx, a, "clerk",
                                                                        Role.GRADER)),
    "issue a badge": (Action.MANAGE_USERS, lambda b, a: users.issue_badge(b.ctx, a, "clerk")),
    "purge customer data": (Action.PURGE_DATA, lambda b, a: purge_station(b.opened, a)),
}


def refusals(bench: StationUnderTest) -> list[tuple[str, str]]:
    with bench.ctx.sessions() as session:
        return [(e.actor_name, e.subject) for e in session.scalars(
            select(AuditEvent).where(AuditEvent.action == "permission.refused"))]


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
@pytest.mark.parametrize("use_case", list(USE_CASES), ids=lambda n: n.replace(" ", "-"))
def test_each_role_may_do_exactly_what_its_level_allows(
    bench: StationUnderTest, role: Role, use_case: str
) -> None:
    action, run = USE_CASES[use_case]
    actor = bench.actors[role]
    if allowed(role, action):
        run(bench, actor)
        assert refusals(bench) == []
    else:
        with pytest.raises(PermissionDenied, match="may not"):
            run(bench, actor)
        assert refusals(bench) == [(actor.username, action.value)]


def test_the_levels_are_the_documented_ones() -> None:
    assert [r for r in Role if allowed(r, Action.RECEIVE)] == list(Role)
    assert [r for r in Role if allowed(r, Action.INSPECT)] == [
        Role.GRADER, Role.SUPERVISOR, Role.ADMIN]
    for supervisor_action in (Action.APPROVE_REFUND, Action.VOID, Action.RESOLVE_EXCEPTION,
                              Action.EDIT_RULES, Action.IMPORT_RMAS):
        assert [r for r in Role if allowed(r, supervisor_action)] == [Role.SUPERVISOR,
                                                                      Role.ADMIN]
    assert [r for r in Role if allowed(r, Action.MANAGE_USERS)] == [Role.ADMIN]
    assert [r for r in Role if allowed(r, Action.PURGE_DATA)] == [Role.ADMIN]
