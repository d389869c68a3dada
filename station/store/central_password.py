"""The central database password: from an environment variable or the OS keyring, never
from the repository, the configuration file or a log line."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from sqlalchemy.engine import URL

from station.common.errors import UserFacingError
from station.settings.config import CentralConfig
from station.settings.keyring_entries import KEYRING_SERVICE, read_entry
from station.settings.secrets_folder import (
    SecretsFolderError,
    ensure_secrets_dir,
    read_secret,
    secrets_dir,
    write_new_secret,
)

log = logging.getLogger(__name__)


class SecretStoreError(UserFacingError):
    pass


def keyring_account(url: URL) -> str:
    """The keyring entry's name for a central database: user@host:port/database."""
    return f"{url.username or ''}@{url.host or ''}:{url.port or 5432}/{url.database or ''}"


def secret_file_name(url: URL) -> str:
    """The secrets-folder file of a central password (a bench enrolled without a keyring)."""
    return f"central-{url.username or 'default'}"


def central_password(config: CentralConfig, url: URL) -> str | None:
    """The environment variable wins; then the keyring; then the secrets folder (outside
    the data folder); None when none has one."""
    from_env = os.environ.get(config.password_env)
    if from_env:
        return from_env
    from_keyring, _answered = read_entry(keyring_account(url), "central password")
    if from_keyring:
        return from_keyring
    try:
        return read_secret(secrets_dir(), secret_file_name(url))
    except (SecretsFolderError, ValueError):
        return None


def store_in_secrets_folder(url: URL, password: str, data_dir: Path) -> Path:
    """Keep a central password in the secrets folder (0600), replacing an older one."""
    folder = ensure_secrets_dir(data_dir)
    name = secret_file_name(url)
    (folder / name).unlink(missing_ok=True)
    write_new_secret(folder, name, password)
    return folder / name


def store_central_password(url: URL, password: str) -> str:
    """Save the password in the OS keyring; returns the entry's account name."""
    import keyring
    from keyring.errors import KeyringError

    account = keyring_account(url)
    try:
        keyring.set_password(KEYRING_SERVICE, account, password)
    except KeyringError as error:
        raise SecretStoreError(
            f"The OS keyring cannot store it ({error.__class__.__name__}). Set the environment "
            "variable named by central.password_env instead."
        ) from None
    return account
