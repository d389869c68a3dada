"""The permission check every use case starts with; a refusal is audited, then raised."""

from __future__ import annotations

from station.audit import chain as audit
from station.common.permissions import Action, Actor, PermissionDenied, allowed
from station.runtime.context import StationContext


def require(ctx: StationContext, actor: Actor, action: Action) -> None:
    if allowed(actor.role, action):
        return
    with ctx.sessions.begin() as session:
        audit.record(session, station_code=ctx.station_code, actor=actor,
                     action="permission.refused", subject=action.value,
                     data={"role": actor.role.value}, now=ctx.clock())
    raise PermissionDenied(actor, action)
