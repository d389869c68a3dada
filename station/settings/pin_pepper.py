"""A per-station secret (the pepper) that seals PIN hashes, kept outside the database.

Why: a PIN has few digits, so an argon2 hash alone is guessed offline in minutes by whoever
copies `station.db` (the lockout only slows guessing at the bench). Each stored hash is
therefore encrypted with a key that never enters the data folder: the OS keyring (service
"returns-station") or, where no keyring works, a 0600 file in the secrets folder
(station/settings/secrets_folder.py). A stolen database alone cannot test a single PIN.

Contract:
- `PinPepper.seal(argon2_hash)` returns `pepper1$<nonce>$<ciphertext>` (AES-256-GCM,
  URL-safe base64); the central database keeps plain argon2 hashes and a station seals
  what it pulls.
- `PinPepper.open(stored)` returns the argon2 hash, or raises `PepperError` with a message
  for the person at the bench when the value is not sealed, is damaged, or was sealed with
  another key (the key was lost or replaced: an administrator resets the PIN).
- `load_or_create_pepper(key_id, data_dir=…)` finds the station's key by its id (kept in
  the station database; the id is not secret) or makes a new one. With
  `RETURNS_STATION_SECRETS_DIR` set, only that folder is used (benches without a keyring,
  tests); otherwise the keyring first, the secrets folder as the fallback.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from station.common.errors import UserFacingError
from station.settings.keyring_entries import KEYRING_SERVICE, read_entry, write_entry
from station.settings.secrets_folder import (
    ensure_secrets_dir,
    read_secret,
    secrets_dir,
    secrets_dir_is_explicit,
    write_new_secret,
)

SEALED_PREFIX = "pepper1$"
_KEY_BYTES = 32
_NONCE_BYTES = 12
_AAD = b"returns-station pin pepper v1"
_KEY_ID = re.compile(r"[0-9a-f]{16}")
log = logging.getLogger(__name__)

RESET_ADVICE = ("An administrator must reset the PIN (a badge still signs in), or restore "
                "this station's PIN key from its backup.")


class PepperError(UserFacingError):
    """A sealed PIN hash that cannot be opened, or a PIN key that cannot be kept."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def is_sealed(stored: str) -> bool:
    return stored.startswith(SEALED_PREFIX)


@dataclass(frozen=True)
class PinPepper:
    """The station's 32-byte PIN key; never printed (kept out of repr)."""

    key: bytes = field(repr=False)
    key_id: str = ""

    def __post_init__(self) -> None:
        if len(self.key) != _KEY_BYTES:
            raise ValueError("a PIN pepper is 32 bytes")

    def seal(self, argon2_hash: str) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = AESGCM(self.key).encrypt(nonce, argon2_hash.encode("utf-8"), _AAD)
        return f"{SEALED_PREFIX}{_b64(nonce)}${_b64(sealed)}"

    def open(self, stored: str) -> str:
        if not is_sealed(stored):
            raise PepperError("This PIN was not set on this station (its stored form is not "
                              "sealed with the station's PIN key). " + RESET_ADVICE)
        try:
            nonce_text, sealed_text = stored[len(SEALED_PREFIX):].split("$")
            nonce, sealed = _unb64(nonce_text), _unb64(sealed_text)
        except (ValueError, binascii.Error):
            raise PepperError("This PIN's stored form is damaged. " + RESET_ADVICE) from None
        if len(nonce) != _NONCE_BYTES:
            raise PepperError("This PIN's stored form is damaged. " + RESET_ADVICE)
        try:
            return AESGCM(self.key).decrypt(nonce, sealed, _AAD).decode("utf-8")
        except (InvalidTag, UnicodeDecodeError):
            raise PepperError(
                "This PIN cannot be checked: the station's PIN key (kept outside the database, "
                "in the OS keyring or the secrets folder) is missing or not the one it was "
                "set with. " + RESET_ADVICE) from None


def _entry_name(key_id: str) -> str:
    return f"pin-pepper-{key_id}"


def _decode_key(text: str, where: str) -> bytes:
    try:
        key = _unb64(text.strip())
    except (ValueError, binascii.Error):
        key = b""
    if len(key) != _KEY_BYTES:
        raise PepperError(f"The PIN key in {where} is damaged (not 32 bytes of base64). "
                          "Restore it from its backup, or move it away and reset every PIN.")
    return key


def load_or_create_pepper(key_id: str, *, data_dir: Path,
                          env: Mapping[str, str] | None = None) -> PinPepper:
    """The station's PIN key named `key_id`, made (and kept) on first use."""
    if not _KEY_ID.fullmatch(key_id):
        raise PepperError(f"The station database names its PIN key {key_id[:40]!r}, which is "
                          "not a key id this station makes; the database was altered.")
    name = _entry_name(key_id)
    explicit = secrets_dir_is_explicit(env)
    keyring_works = False
    if not explicit:
        text, keyring_works = read_entry(name, "PIN key")
        if text:
            return PinPepper(_decode_key(text, f"the OS keyring ({KEYRING_SERVICE} / {name})"),
                             key_id)
    if explicit or (secrets_dir(env) / (name + ".key")).exists():
        folder = ensure_secrets_dir(data_dir, env)
        text = read_secret(folder, name + ".key")
        if text is not None:
            return PinPepper(_decode_key(text, str(folder / (name + ".key"))), key_id)
    created = _b64(os.urandom(_KEY_BYTES))
    if keyring_works and write_entry(name, created, "PIN key"):
        log.info("made a new PIN key, kept in the OS keyring as %s / %s", KEYRING_SERVICE, name)
        return PinPepper(_decode_key(created, "the OS keyring"), key_id)
    folder = ensure_secrets_dir(data_dir, env)
    kept = write_new_secret(folder, name + ".key", created)
    log.info("made a new PIN key, kept in %s", folder / (name + ".key"))
    return PinPepper(_decode_key(kept, str(folder / (name + ".key"))), key_id)
