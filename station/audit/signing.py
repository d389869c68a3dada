"""The station's audit signing key: each audit entry carries HMAC-SHA256(key, entry hash).

Why: the hash chain alone is recomputed by anyone who can write `station.db`. A signature
made with a key that never enters the data folder (the OS keyring, service
"returns-station", or where no keyring works a 0600 file in the secrets folder,
station/settings/secrets_folder.py) cannot be recomputed from the database alone; the central
database holds each station's key (registered once, station.audit.anchors) and checks every
entry and anchor a station pushes.

Contract:
- `SigningKey.sign(entry_hash)` is the hex HMAC-SHA256; `SigningKey.verifies(hash, sig)`
  compares in constant time. The key never appears in a repr or a log line.
- `load_or_create(station_code, data_dir=…)` returns the station's key, making it on first
  use; when it is made, every unsigned entry already in the station's chain is signed once
  (`sign_unsigned`), so a station's whole chain is signed from then on. An entry left
  unsigned later (or stripped of its signature) is reported by `audit verify`.
- `load(station_code, data_dir=…)` finds the key without making one (None: not here).
- `attach(sessions, key)` makes `audit.record` sign with it in sessions of that factory;
  `key_of(session)` reads it back (None: this session signs nothing, e.g. a central one).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from station.common.errors import UserFacingError
from station.settings.keyring_entries import KEYRING_SERVICE, read_entry, write_entry
from station.settings.secrets_folder import (
    ensure_secrets_dir,
    read_secret,
    secrets_dir,
    secrets_dir_is_explicit,
    write_new_secret,
)
from station.store.models import AuditEvent, OutboxEntry

SESSION_INFO_KEY: Final = "audit_signing_key"
_KEY_BYTES: Final = 32
_HEX_KEY: Final = re.compile(r"[0-9a-f]{64}")
_CODE: Final = re.compile(r"[A-Z0-9][A-Z0-9-]{0,31}")
log = logging.getLogger(__name__)


class SigningKeyError(UserFacingError):
    """The signing key cannot be found, read or kept; the message says what to do."""


@dataclass(frozen=True)
class SigningKey:
    """32 random bytes; `fingerprint` names the key without revealing it."""

    key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.key) != _KEY_BYTES:
            raise ValueError("an audit signing key is 32 bytes")

    @property
    def hex(self) -> str:
        return self.key.hex()

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(b"returns-station audit key " + self.key).hexdigest()[:16]

    def sign(self, entry_hash: str) -> str:
        return hmac.new(self.key, entry_hash.encode("ascii"), hashlib.sha256).hexdigest()

    def verifies(self, entry_hash: str, signature: str | None) -> bool:
        if signature is None:
            return False
        return hmac.compare_digest(self.sign(entry_hash), signature)

    @classmethod
    def from_hex(cls, text: str, where: str) -> SigningKey:
        text = text.strip()
        if not _HEX_KEY.fullmatch(text):
            raise SigningKeyError(
                f"The audit signing key in {where} is damaged (not 64 hex digits). Restore it "
                "from its backup; a new key makes the central database halt this station's "
                "sync until an admin re-enrols it.")
        return cls(bytes.fromhex(text))


def _entry_name(station_code: str) -> str:
    if not _CODE.fullmatch(station_code):
        raise SigningKeyError(f"{station_code[:40]!r} is not a station code; no signing key "
                              "is kept for it.")
    return f"audit-signing-{station_code}"


def load(station_code: str, *, env: Mapping[str, str] | None = None) -> SigningKey | None:
    """The station's key if this machine has it; never makes one."""
    name = _entry_name(station_code)
    if not secrets_dir_is_explicit(env):
        text, _works = read_entry(name, "audit signing key")
        if text:
            return SigningKey.from_hex(text, f"the OS keyring ({KEYRING_SERVICE} / {name})")
    folder = secrets_dir(env)
    if not folder.is_dir():
        return None
    text = read_secret(folder, name + ".key")
    return None if text is None else SigningKey.from_hex(text, str(folder / (name + ".key")))


def _create(station_code: str, data_dir: Path, env: Mapping[str, str] | None) -> SigningKey:
    name = _entry_name(station_code)
    created = os.urandom(_KEY_BYTES).hex()
    if not secrets_dir_is_explicit(env):
        _text, keyring_works = read_entry(name, "audit signing key")
        if keyring_works and write_entry(name, created, "audit signing key"):
            log.info("made a new audit signing key for %s, kept in the OS keyring as %s / %s",
                     station_code, KEYRING_SERVICE, name)
            return SigningKey.from_hex(created, "the OS keyring")
    folder = ensure_secrets_dir(data_dir, env)
    kept = write_new_secret(folder, name + ".key", created)
    log.info("made a new audit signing key for %s, kept in %s", station_code,
             folder / (name + ".key"))
    return SigningKey.from_hex(kept, str(folder / (name + ".key")))


def sign_unsigned(session: Session, station_code: str, key: SigningKey) -> int:
    """Sign the station's entries that have no signature (done once, when its key is made),
    and the copies of them still waiting in the outbox, so they reach central signed."""
    signatures = {event_id: key.sign(entry_hash) for event_id, entry_hash in session.execute(
        select(AuditEvent.id, AuditEvent.hash).where(
            AuditEvent.station_code == station_code, AuditEvent.signature.is_(None)))}
    if not signatures:
        return 0
    session.execute(update(AuditEvent), [{"id": event_id, "signature": signature}
                                         for event_id, signature in signatures.items()])
    waiting = session.execute(select(OutboxEntry.seq, OutboxEntry.entity_id, OutboxEntry.payload)
                              .where(OutboxEntry.entity == AuditEvent.__tablename__,
                                     OutboxEntry.sent_at.is_(None))).all()
    updates = [{"seq": seq, "payload": {**payload, "signature": signatures[entity_id]}}
               for seq, entity_id, payload in waiting if entity_id in signatures]
    if updates:
        session.execute(update(OutboxEntry), updates)
    return len(signatures)


def load_or_create(sessions: sessionmaker[Session], station_code: str, *, data_dir: Path,
                   env: Mapping[str, str] | None = None) -> SigningKey:
    """The station's key; a new one signs the entries recorded before it (once)."""
    key = load(station_code, env=env)
    if key is not None:
        return key
    key = _create(station_code, data_dir, env)
    with sessions.begin() as session:
        count = sign_unsigned(session, station_code, key)
    if count:
        log.info("signed the %d audit entries recorded before %s had a signing key", count,
                 station_code)
    return key


def attach(sessions: sessionmaker[Session], key: SigningKey) -> None:
    """Sessions of this factory sign the audit entries they record with `key`."""
    info = dict(sessions.kw.get("info") or {})
    info[SESSION_INFO_KEY] = key
    sessions.configure(info=info)


def key_of(session: Session) -> SigningKey | None:
    found = session.info.get(SESSION_INFO_KEY)
    return found if isinstance(found, SigningKey) else None


def key_of_factory(sessions: sessionmaker[Session]) -> SigningKey | None:
    found = (sessions.kw.get("info") or {}).get(SESSION_INFO_KEY)
    return found if isinstance(found, SigningKey) else None
