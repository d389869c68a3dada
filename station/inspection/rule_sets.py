"""Rule sets published centrally: a supervisor publishes, every station pulls and uses it.

Which rule set a station decides with: the file its configuration names (`[rules] file`, a
deliberate local override), else the newest rule set pulled from the central database,
else the shipped default. A published version is immutable: publishing the same version
again with other text is refused (bump `version`), with the same text it is a no-op.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from station.audit import chain as audit
from station.common.errors import UserFacingError
from station.common.permissions import Action, Actor
from station.routing.rules import RuleSet, parse_rule_set, read_rule_set_text
from station.runtime.authorization import require
from station.runtime.context import StationContext
from station.store import sequences
from station.store.models import PublishedRuleSet

CHANGE_SEQ = "rule_sets_change_seq"
WATERMARK = "pull.rule_sets"


class PublishError(UserFacingError):
    """A rule set that cannot be published; the message says why."""


@dataclass(frozen=True)
class Published:
    version: str
    rules: int
    new: bool


def publish(ctx: StationContext, actor: Actor, central: sessionmaker[Session],
            path: Path) -> Published:
    """Validate `path` and publish it centrally for every station (supervisor+)."""
    require(ctx, actor, Action.EDIT_RULES)
    text = read_rule_set_text(path)  # read once: what is published is what was validated
    rule_set = parse_rule_set(text, path)
    now = ctx.clock()
    with central.begin() as session:
        existing = session.get(PublishedRuleSet, rule_set.version)
        if existing is not None:
            if existing.text != text:
                raise PublishError(f"Rule set version {rule_set.version} is already published "
                                   "with other rules; give this file a new `version`.")
            return Published(rule_set.version, len(rule_set.rules), False)
        session.add(PublishedRuleSet(
            version=rule_set.version, text=text, description=rule_set.description,
            published_at=now, published_by=actor.user_id,
            change_seq=sequences.bump(session, CHANGE_SEQ)))
    with ctx.sessions.begin() as local:
        audit.record(local, station_code=ctx.station_code, actor=actor,
                     action="rules.published", subject=rule_set.version,
                     data={"rules": len(rule_set.rules), "file": path.name}, now=now)
    return Published(rule_set.version, len(rule_set.rules), True)


def pull_rule_sets(central: sessionmaker[Session], local: sessionmaker[Session]) -> int:
    """Copy rule sets published since the watermark; returns how many."""
    with local.begin() as local_session:
        watermark = sequences.current(local_session, WATERMARK)
        with central() as central_session:
            page = list(central_session.scalars(
                select(PublishedRuleSet).where(PublishedRuleSet.change_seq > watermark)
                .order_by(PublishedRuleSet.change_seq)))
            central_session.expunge_all()
        for row in page:
            parse_rule_set(row.text)  # a set this version cannot read is not taken
            local_session.merge(row)
        if page:
            sequences.set_to(local_session, WATERMARK, page[-1].change_seq)
        return len(page)


@functools.lru_cache(maxsize=8)
def _parsed(version: str, text: str) -> RuleSet:
    return parse_rule_set(text)


def current_rule_set(ctx: StationContext) -> RuleSet:
    """The rule set this station decides with now (see the module's documentation)."""
    if ctx.config.rules_file:
        return ctx.rules
    with ctx.sessions() as session:
        newest = session.scalars(select(PublishedRuleSet)
                                 .order_by(PublishedRuleSet.change_seq.desc())).first()
        if newest is None:
            return ctx.rules
        return _parsed(newest.version, newest.text)
