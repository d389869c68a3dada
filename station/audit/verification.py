"""`audit verify`: a station's chain checked by itself, by its signatures, and against the
central copy and anchors, naming the first entry that differs and how.

Why: the hash chain alone is recomputed by whoever can write the database. What that person
cannot recompute is a signature made with the station's key (kept outside the database,
station.audit.signing) nor the copy and anchors the central database already holds
(station.audit.anchors). So a station's chain is reported as:

- **rewrite**: an entry already sent (or anchored) differs from the central copy;
- **deletion**: an entry the central database holds is missing here (perhaps with the rest
  renumbered over the gap);
- **truncation**: the chain here ends before the highest anchored entry; centrally, the
  central copy ends before it (rows deleted in the central database);
- **fork**: here and centrally are two different, each internally valid, chains from some
  entry on (a restored backup or a cloned data folder that went on syncing);
- **bad signature** / **unsigned**: an entry not signed with the station's key (forged, or
  re-chained after an edit), or without a signature after signed ones.

Contract: `verify_station(...)` and `verify_central(...)` return `Finding`s (empty: nothing
found) and notes saying what could not be checked (no key here, central unreachable); they
read in pages, never a whole chain at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from station.audit.chain import verify_chain
from station.audit.signing import SigningKey
from station.store.models import AuditAnchor, AuditEvent, StationKey

_PAGE: Final = 5000


@dataclass(frozen=True)
class Finding:
    kind: str
    seq: int
    message: str

    @property
    def text(self) -> str:
        """E.g. "TRUNCATION at entry 58: …"; a chain broken in itself reads "BROKEN at …"."""
        return f"{self.kind.upper()} at entry {self.seq}: {self.message}"


@dataclass
class Verdict:
    station_code: str
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Entry:
    seq: int
    id: Any
    action: str
    hash: str
    signature: str | None


def _entries(session: Session, station_code: str) -> Iterator[_Entry]:
    after = 0
    while True:
        rows = session.execute(
            select(AuditEvent.seq, AuditEvent.id, AuditEvent.action, AuditEvent.hash,
                   AuditEvent.signature)
            .where(AuditEvent.station_code == station_code, AuditEvent.seq > after)
            .order_by(AuditEvent.seq).limit(_PAGE)).all()
        if not rows:
            return
        for row in rows:
            yield _Entry(row[0], row[1], row[2], row[3], row[4])
        after = rows[-1][0]


def _anchors(session: Session, station_code: str) -> Iterator[tuple[int, str]]:
    """(anchored seq, head hash), ascending by the push that made them."""
    after = -1
    while True:
        rows = session.execute(
            select(AuditAnchor.outbox_seq, AuditAnchor.seq, AuditAnchor.head_hash)
            .where(AuditAnchor.station_code == station_code, AuditAnchor.outbox_seq > after)
            .order_by(AuditAnchor.outbox_seq).limit(_PAGE)).all()
        if not rows:
            return
        for row in rows:
            yield row[1], row[2]
        after = rows[-1][0]


def _head(session: Session, station_code: str) -> int:
    return session.scalar(select(func.max(AuditEvent.seq)).where(
        AuditEvent.station_code == station_code)) or 0


def _highest_anchor(session: Session, station_code: str) -> int:
    return session.scalar(select(func.max(AuditAnchor.seq)).where(
        AuditAnchor.station_code == station_code)) or 0


def check_signatures(session: Session, station_code: str, key: SigningKey) -> Finding | None:
    """The first entry not signed with `key`; unsigned entries are accepted only before the
    first signed one (recorded before the station had a key)."""
    signed_seen = False
    for entry in _entries(session, station_code):
        if entry.signature is None:
            if signed_seen:
                return Finding("unsigned", entry.seq,
                               f"entry {entry.seq} ({entry.action}) has no signature although "
                               "earlier entries do: forged, or its signature was removed")
            continue
        signed_seen = True
        if not key.verifies(entry.hash, entry.signature):
            return Finding("bad signature", entry.seq,
                           f"entry {entry.seq} ({entry.action}) is not signed with this "
                           "station's key: forged, or the chain was recomputed after an edit")
    return None


def _local_seq_of(session: Session, entry_id: Any) -> int | None:
    return session.scalar(select(AuditEvent.seq).where(AuditEvent.id == entry_id))


def compare_with_central(local: Session, central: Session, station_code: str, *,
                         valid_here: bool) -> Finding | None:
    """The first entry where this station's chain and the central copy or anchors part."""
    here = _entries(local, station_code)
    mine = next(here, None)
    local_head = _head(local, station_code)
    anchored = _highest_anchor(central, station_code)
    for theirs in _entries(central, station_code):
        while mine is not None and mine.seq < theirs.seq:
            mine = next(here, None)
        if mine is None or mine.seq > theirs.seq:
            if local_head < theirs.seq:
                held = max(_head(central, station_code), anchored)
                return Finding("truncation", local_head + 1,
                               f"this station's chain ends at entry {local_head}, but the "
                               f"central database holds it up to entry {held}: the newest "
                               "entries were deleted here")
            return Finding("deletion", theirs.seq,
                           f"entry {theirs.seq} ({theirs.action}) is held centrally but "
                           "missing here: deleted")
        if mine.id != theirs.id:
            moved = _local_seq_of(local, theirs.id)
            if moved is not None:
                return Finding("deletion", theirs.seq,
                               f"entries were deleted before entry {theirs.seq} and the rest "
                               f"renumbered: the central entry {theirs.seq} ({theirs.action}) "
                               f"is entry {moved} here")
            if _local_seq_of(central, mine.id) is not None:
                return Finding("deletion", theirs.seq,
                               f"entry {theirs.seq} ({theirs.action}) is held centrally but "
                               "was deleted here, and the entries after it renumbered")
            if valid_here:
                return Finding("fork", theirs.seq,
                               f"from entry {theirs.seq} on, this station's chain and the "
                               "central one are two different chains: this data folder is a "
                               "restored backup or a copy of another that went on syncing")
            return Finding("rewrite", theirs.seq,
                           f"entry {theirs.seq} is {mine.action} here but {theirs.action} in "
                           "the central copy: replaced")
        if mine.hash != theirs.hash:
            return Finding("rewrite", theirs.seq,
                           f"entry {theirs.seq} ({theirs.action}) was changed after it was "
                           "sent: it differs from the central copy")
    return _against_anchors(local, central, station_code, local_head, valid_here=valid_here)


def _against_anchors(local: Session, central: Session, station_code: str, local_head: int,
                     *, valid_here: bool) -> Finding | None:
    anchored = _highest_anchor(central, station_code)
    for seq, head_hash in _anchors(central, station_code):
        if seq > local_head:
            return Finding("truncation", local_head + 1,
                           f"this station's chain ends at entry {local_head}, but entry "
                           f"{anchored} was anchored centrally: the newest entries were "
                           "deleted here")
        held = local.scalar(select(AuditEvent.hash).where(
            AuditEvent.station_code == station_code, AuditEvent.seq == seq))
        if held != head_hash:
            kind = "fork" if valid_here else "rewrite"
            return Finding(kind, seq, f"entry {seq} is not the one anchored centrally when it "
                           "was sent" + (": two different chains (a restored backup or a "
                                         "copied data folder)" if valid_here else ""))
    return None


def verify_station(local: sessionmaker[Session], central: sessionmaker[Session] | None,
                   station_code: str, key: SigningKey | None) -> Verdict:
    """This station's own chain: by itself, by its signatures, against the central copy."""
    verdict = Verdict(station_code)
    with local() as session:
        broken = verify_chain(session, station_code)
        if broken is not None:
            verdict.findings.append(Finding("broken", broken.seq, broken.problem))
        if key is None:
            verdict.notes.append("signatures not checked: this station's signing key is not "
                                 "on this computer (OS keyring or secrets folder)")
        else:
            bad = check_signatures(session, station_code, key)
            if bad is not None:
                verdict.findings.append(bad)
            else:
                verdict.notes.append("signatures valid (this station's key)")
        if central is None:
            verdict.notes.append("not compared with the central database")
            return verdict
        try:
            with central() as remote:
                differs = compare_with_central(session, remote, station_code,
                                               valid_here=not verdict.findings)
                anchors = remote.scalar(select(func.count()).select_from(AuditAnchor).where(
                    AuditAnchor.station_code == station_code)) or 0
        except DBAPIError as error:
            reason = str(error.orig or error).strip().splitlines()[0][:200]
            verdict.notes.append(f"not compared with the central database ({reason})")
            return verdict
    if differs is not None:
        verdict.findings.append(differs)
    else:
        verdict.notes.append(f"matches the central copy and its {anchors} anchor(s)")
    return verdict


def central_keys(central: sessionmaker[Session]) -> dict[str, SigningKey] | None:
    """Every registered key, or None when this role may not read them."""
    try:
        with central() as session:
            rows = session.execute(select(StationKey.station_code, StationKey.key_hex)).all()
    except DBAPIError:
        return None
    return {code: SigningKey.from_hex(key_hex, "the central database") for code, key_hex
            in rows}


def verify_central(central: sessionmaker[Session], station_code: str,
                   keys: dict[str, SigningKey] | None) -> Verdict:
    """One station's chain as the central database holds it, against its anchors."""
    verdict = Verdict(station_code)
    with central() as session:
        broken = verify_chain(session, station_code)
        if broken is not None:
            verdict.findings.append(Finding("broken", broken.seq, broken.problem))
        if keys is None:
            verdict.notes.append("signatures not checked: this database role may not read the "
                                 "stations' keys (use the central database owner's)")
        elif station_code in keys:
            bad = check_signatures(session, station_code, keys[station_code])
            if bad is not None:
                verdict.findings.append(bad)
        else:
            verdict.notes.append("no signing key registered: signatures not checked")
        head = _head(session, station_code)
        for seq, head_hash in _anchors(session, station_code):
            if seq > head:
                verdict.findings.append(Finding(
                    "truncation", head + 1,
                    f"the central copy ends at entry {head}, but entry "
                    f"{_highest_anchor(session, station_code)} was anchored: entries were "
                    "deleted from the central database"))
                break
            held = session.scalar(select(AuditEvent.hash).where(
                AuditEvent.station_code == station_code, AuditEvent.seq == seq))
            if held != head_hash:
                verdict.findings.append(Finding(
                    "rewrite", seq, f"the central entry {seq} is not the one anchored when it "
                    "was sent: changed in the central database"))
                break
    return verdict
