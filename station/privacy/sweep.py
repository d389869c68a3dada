"""Running the retention rule for a whole station: its own database, its photos, and the
embedded central database beside it."""

from __future__ import annotations

from station.common.permissions import Action, Actor
from station.privacy.retention import PurgeSummary, clear_expired_customer_names, purge_expired
from station.runtime.authorization import require
from station.runtime.bootstrap import OpenStation


def purge_station(opened: OpenStation, actor: Actor | None) -> tuple[PurgeSummary, int]:
    """Apply `privacy.retention_days`; `actor` None is the station's own scheduled run."""
    ctx = opened.ctx
    if actor is not None:
        require(ctx, actor, Action.PURGE_DATA)
    summary = purge_expired(ctx, opened.locations.photos_folder(ctx.config))
    central_cleared = 0
    if opened.central_is_embedded:
        central_cleared = clear_expired_customer_names(
            opened.central_sessions(), ctx.config.privacy.retention_days, ctx.clock())
    return summary, central_cleared
