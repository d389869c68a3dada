"""A restored or cloned station stops syncing, with an alarm, until an admin resolves it.

Why: a data folder copied to a second PC (or restored from last week's backup) carries the
station's code, its LPN counter and its outbox sequence. Pushed as if nothing happened, its
facts collide with the ones the other copy already sent: LPNs reissued, units parked, and
refunds without their units. So before every push the station compares itself with what
the central database knows of it:

- its signing key is the one registered centrally at enrolment
  (`audit_anchors.register_station_key`; a station that has none yet, standalone or
  enrolled before migration 0014, registers it at its first push);
- its audit chain reaches the newest central anchor, with the same entry there (behind:
  an older copy; another entry: two copies both in use, a fork);
- central's `station_sync.last_seq` is not beyond the outbox this folder ever made (its
  sequence would run backwards);
- no unit waiting to be sent reuses an LPN this station already sent for another unit;
- the central database still holds the station's audit entries up to its newest anchor
  (else entries were deleted there, and every later entry would be refused).

Any of these raises an alarm (`station_alarms`, committed centrally in a transaction of its
own, and copied into the station's database so the app shows it), and nothing is pushed
while an alarm of the station is open. An admin resolves it (`returns-station central
alarms resolve`); the checks run again at the next push, so resolving an alarm whose cause
remains raises a new one. docs/admin-guide.md, "Restored or cloned stations", has the steps.

Contract: `check_before_push(...)` returns None, or a `Halt` with the message for people
(station.sync.exchange raises `SyncHalted` with it). `open_alarms` and `resolve` serve the CLI.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import func, select, update
from sqlalchemy.exc import ProgrammingError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from station.audit import anchors as audit_anchors
from station.audit.signing import SigningKey
from station.common.errors import UserFacingError
from station.common.ids import uuid7
from station.store.models import AuditEvent, OutboxEntry, StationAlarm, StationSync, Unit
from station.trust import enrolment

ADVICE: Final = ("Nothing was sent. An admin resolves it: re-enrol this data folder as a new "
                 "station, or restore the newer copy of the folder, then `returns-station "
                 "central alarms resolve {id} --as ADMIN --reason …` (docs/admin-guide.md, "
                 "\"Restored or cloned stations\").")
_LPN_CHUNK: Final = 500


class AlarmError(UserFacingError):
    """An alarm cannot be listed or resolved; the message says why."""


@dataclass(frozen=True)
class Halt:
    """Why this station may not push; `alarm_id` is the central alarm (None: not recorded,
    `alarm` False: a set-up problem, not a divergence, and no alarm is raised)."""

    kind: str
    message: str
    alarm_id: uuid.UUID | None = None
    alarm: bool = True


@dataclass(frozen=True)
class AlarmInfo:
    id: uuid.UUID
    station_code: str
    kind: str
    details: dict[str, Any]
    raised_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None
    resolution: str | None


def _info(alarm: StationAlarm) -> AlarmInfo:
    return AlarmInfo(alarm.id, alarm.station_code, alarm.kind, dict(alarm.details),
                     alarm.raised_at, alarm.resolved_at, alarm.resolved_by, alarm.resolution)


# ---------------------------------------------------------------------------- checks


def _unsent_units(local: Session) -> Iterator[list[tuple[str, str]]]:
    """(unit id, LPN) of the units waiting to be sent, a chunk at a time."""
    after = 0
    while True:
        rows = local.execute(
            select(OutboxEntry.seq, OutboxEntry.payload)
            .where(OutboxEntry.entity == Unit.__tablename__, OutboxEntry.sent_at.is_(None),
                   OutboxEntry.parked_at.is_(None), OutboxEntry.seq > after)
            .order_by(OutboxEntry.seq).limit(_LPN_CHUNK)).all()
        if not rows:
            return
        after = rows[-1][0]
        yield [(str(payload.get("id")), str(payload.get("lpn"))) for _seq, payload in rows]


def _divergence(local: sessionmaker[Session], central: sessionmaker[Session],
                station_code: str) -> tuple[str, str, dict[str, Any]] | None:
    """(kind, what happened, details) of the first way this folder disagrees with central."""
    with central() as remote, local() as here:
        anchor = audit_anchors.latest_anchor(remote, station_code)
        if anchor is not None:
            head = here.scalar(select(func.max(AuditEvent.seq)).where(
                AuditEvent.station_code == station_code)) or 0
            held = here.scalar(select(AuditEvent.hash).where(
                AuditEvent.station_code == station_code, AuditEvent.seq == anchor.seq))
            if held is None and head < anchor.seq:
                return ("chain_behind",
                        f"this station's audit trail ends at entry {head}, but the central "
                        f"database already holds it up to entry {anchor.seq}: this data folder "
                        "is an older copy (a restored backup, or a cloned disk while the other "
                        "copy went on)",
                        {"local_head": head, "anchored_seq": anchor.seq})
            if held != anchor.head_hash:
                return ("chain_fork",
                        f"this station's audit entry {anchor.seq} is not the one the central "
                        "database anchored: two copies of this data folder have both been "
                        "used (a cloned disk, or a restored backup used alongside the "
                        "original)",
                        {"seq": anchor.seq, "local_hash": held, "anchored_hash":
                         anchor.head_hash})
            central_head = remote.scalar(select(func.max(AuditEvent.seq)).where(
                AuditEvent.station_code == station_code)) or 0
            if central_head < anchor.seq:
                return ("central_truncated",
                        f"the central database holds this station's audit trail only up to "
                        f"entry {central_head}, though entry {anchor.seq} was anchored: "
                        "entries were deleted there (returns-station audit verify --central "
                        "names them)", {"central_head": central_head,
                                        "anchored_seq": anchor.seq})
        state = remote.get(StationSync, station_code)
        made = here.scalar(select(func.max(OutboxEntry.seq))) or 0
        if state is not None and state.last_seq > made:
            return ("sequence_backwards",
                    f"the central database has applied this station's facts up to number "
                    f"{state.last_seq}, but this data folder has only ever made {made}: its "
                    "sequence runs backwards (a restored backup or a cloned disk)",
                    {"central_last_seq": state.last_seq, "local_last_seq": made})
        for chunk in _unsent_units(here):
            lpns = {lpn: unit_id for unit_id, lpn in chunk}
            clash = remote.execute(select(Unit.lpn, Unit.id).where(
                Unit.station_code == station_code, Unit.lpn.in_(list(lpns)))).all()
            for lpn, central_id in clash:
                if str(central_id) != lpns[lpn]:
                    return ("lpn_reused",
                            f"unit {lpn} waiting to be sent is another unit than the {lpn} "
                            "this station already sent: the LPN was issued twice (a restored "
                            "backup or a cloned disk)",
                            {"lpn": lpn, "local_unit": lpns[lpn],
                             "central_unit": str(central_id)})
    return None


def _raise_alarm(local: sessionmaker[Session], central: sessionmaker[Session],
                 station_code: str, kind: str, what: str, details: dict[str, Any],
                 now: datetime) -> Halt:
    """Record the alarm centrally (its own transaction) and locally; the halt to report."""
    alarm_id = uuid7()
    recorded = True
    try:
        with central.begin() as session:
            session.add(StationAlarm(id=alarm_id, station_code=station_code, kind=kind,
                                     details={"message": what, **details}, raised_at=now))
            enrolment.record(session, actor=station_code, action="sync.halted",
                             subject=station_code, data={"alarm": str(alarm_id), "kind": kind},
                             now=now)
    except SQLAlchemyError:
        recorded = False
    with local.begin() as session:
        session.add(StationAlarm(id=alarm_id, station_code=station_code, kind=kind,
                                 details={"message": what, **details}, raised_at=now))
    message = f"Sync halted: {what}. " + ADVICE.format(id=alarm_id)
    if not recorded:
        message += (" (The alarm could not be recorded in the central database; it is kept "
                    "in this station's.)")
    return Halt(kind, message, alarm_id)


def _open_alarm(local: sessionmaker[Session], central: sessionmaker[Session],
                station_code: str) -> Halt | None:
    """An alarm of this station still open centrally; local copies follow central."""
    with central() as remote:
        alarms = {alarm.id: alarm for alarm in remote.scalars(
            select(StationAlarm).where(StationAlarm.station_code == station_code)
            .order_by(StationAlarm.raised_at))}
        remote.expunge_all()
    with local() as here:
        open_here = set(here.scalars(select(StationAlarm.id).where(
            StationAlarm.station_code == station_code, StationAlarm.resolved_at.is_(None))))
        known_here = set(here.scalars(select(StationAlarm.id).where(
            StationAlarm.id.in_(list(alarms))))) if alarms else set()
    resolved = [alarm for alarm_id, alarm in alarms.items()
                if alarm_id in open_here and alarm.resolved_at is not None]
    missing = [alarm for alarm_id, alarm in alarms.items()
               if alarm.resolved_at is None and alarm_id not in known_here]
    if resolved or missing:  # the station's write lock only when its copy must change
        with local.begin() as here:
            for alarm in resolved:
                here.execute(update(StationAlarm).where(StationAlarm.id == alarm.id).values(
                    resolved_at=alarm.resolved_at, resolved_by=alarm.resolved_by,
                    resolution=alarm.resolution))
            for alarm in missing:
                here.add(StationAlarm(id=alarm.id, station_code=alarm.station_code,
                                      kind=alarm.kind, details=dict(alarm.details),
                                      raised_at=alarm.raised_at))
    for alarm in alarms.values():
        if alarm.resolved_at is None:
            what = str(alarm.details.get("message") or alarm.kind)
            return Halt(alarm.kind, f"Sync halted since {alarm.raised_at:%Y-%m-%d %H:%M} UTC: "
                        f"{what}. " + ADVICE.format(id=alarm.id), alarm.id)
    return None


def check_before_push(local: sessionmaker[Session], central: sessionmaker[Session],
                      station_code: str, key: SigningKey | None, *,
                      now: datetime) -> Halt | None:
    """None when this folder may push; else why not (an alarm raised when it diverged)."""
    halted = _open_alarm(local, central, station_code)
    if halted is not None:
        return halted
    if key is not None:
        try:
            with central.begin() as session:
                audit_anchors.register_station_key(session, station_code, key, now=now)
        except audit_anchors.StationKeyConflict as conflict:
            return _raise_alarm(
                local, central, station_code, "signing_key_changed",
                f"{conflict} This PC's key (OS keyring or secrets folder) is new or was "
                "replaced: the folder was copied to another PC, or the key was lost",
                {"key_fingerprint": key.fingerprint}, now)
        except ProgrammingError as error:  # no grant, or a database without migration 0014
            reason = str(error.orig).strip().splitlines()[0][:200] if error.orig else ""
            return Halt("setup", "The central database does not let this station register "
                        f"its audit signing key ({reason}). Its administrator grants it: "
                        "returns-station central grants.", alarm=False)
    found = _divergence(local, central, station_code)
    if found is None:
        return None
    kind, what, details = found
    return _raise_alarm(local, central, station_code, kind, what, details, now)


# ---------------------------------------------------------------------------- admins


def open_alarms(central: sessionmaker[Session], *, include_resolved: bool = False,
                limit: int = 200) -> list[AlarmInfo]:
    with central() as session:
        query = select(StationAlarm).order_by(StationAlarm.raised_at.desc()).limit(limit)
        if not include_resolved:
            query = query.where(StationAlarm.resolved_at.is_(None))
        return [_info(alarm) for alarm in session.scalars(query)]


def resolve(central: sessionmaker[Session], local: sessionmaker[Session], alarm_id: uuid.UUID,
            *, by: str, reason: str, now: datetime) -> AlarmInfo:
    """Mark an open alarm resolved centrally (and in this station's copy, if it has one)."""
    reason = reason.strip()
    if not reason:
        raise AlarmError("Say why the alarm is resolved (--reason): what was done about it.")
    try:
        with central.begin() as session:
            alarm = session.get(StationAlarm, alarm_id)
            if alarm is None:
                raise AlarmError(f"There is no alarm {alarm_id} in the central database "
                                 "(returns-station central alarms lists them).")
            if alarm.resolved_at is not None:
                raise AlarmError(f"Alarm {alarm_id} was already resolved by "
                                 f"{alarm.resolved_by} at {alarm.resolved_at:%Y-%m-%d %H:%M}.")
            session.execute(update(StationAlarm).where(StationAlarm.id == alarm_id).values(
                resolved_at=now, resolved_by=by[:64], resolution=reason[:500]))
            enrolment.record(session, actor=by[:64], action="alarm.resolved",
                             subject=alarm.station_code,
                             data={"alarm": str(alarm_id), "kind": alarm.kind,
                                   "reason": reason[:500]}, now=now)
            session.flush()
            session.refresh(alarm)
            resolved = _info(alarm)
    except ProgrammingError as error:  # a station's role may not update alarms
        reason_text = str(error.orig).strip().splitlines()[0][:200] if error.orig else ""
        raise AlarmError(f"The central database refused it ({reason_text}). Resolving an "
                         "alarm takes the central database owner's credentials: add --url "
                         "postgresql://OWNER@HOST/DB.") from None
    with local.begin() as session:
        session.execute(update(StationAlarm).where(StationAlarm.id == alarm_id).values(
            resolved_at=now, resolved_by=by[:64], resolution=reason[:500]))
    return resolved
