"""The station's secrets in the OS keyring (service "returns-station"): one way to read and
write an entry, saying whether a keyring backend answered at all, so that each caller can
fall back to the secrets folder (station.settings.secrets_folder) on a bench without one."""

from __future__ import annotations

import logging
from typing import Final

KEYRING_SERVICE: Final = "returns-station"
log = logging.getLogger(__name__)


def read_entry(account: str, what: str) -> tuple[str | None, bool]:
    """(the entry's text or None, whether a keyring backend answered). `what` names the
    secret in the log line written when there is no usable keyring."""
    try:
        import keyring
        from keyring.errors import KeyringError
    except ImportError:
        return None, False
    try:
        return keyring.get_password(KEYRING_SERVICE, account), True
    except (KeyringError, RuntimeError) as error:
        log.info("keyring unavailable (%s); no %s from it", error.__class__.__name__, what)
        return None, False


def write_entry(account: str, text: str, what: str) -> bool:
    """Store `text` and read it back; False when no keyring could keep it."""
    try:
        import keyring
        from keyring.errors import KeyringError
    except ImportError:
        return False
    try:
        keyring.set_password(KEYRING_SERVICE, account, text)
        return keyring.get_password(KEYRING_SERVICE, account) == text
    except (KeyringError, RuntimeError) as error:
        log.info("keyring cannot store the %s (%s)", what, error.__class__.__name__)
        return False
