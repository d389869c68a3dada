"""The folder for station secrets the OS keyring cannot hold (headless benches, CI).

Why: a secret that protects the data folder (the PIN pepper, a signing key) is worthless if
it sits in that folder, because whoever copies the folder copies the secret too. So the
fallback folder is elsewhere: `RETURNS_STATION_SECRETS_DIR` when set, else
`<user config dir>/returns-station/keys`.

Contract:
- `secrets_dir()` names the folder; `ensure_secrets_dir()` creates it 0700 (and tightens
  an existing one) and refuses, with a clear message, a folder inside the data folder.
- `read_secret(name)` returns the text of one secret file, or None if there is none.
- `write_new_secret(name, text)` creates the file 0600, refusing to overwrite one that
  appeared meanwhile (two processes starting at once keep the first one written).
Secrets never go to a log line; file names are not secret.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Mapping
from pathlib import Path

import platformdirs

from station.common.errors import UserFacingError

SECRETS_DIR_ENV = "RETURNS_STATION_SECRETS_DIR"
_APP_NAME = "returns-station"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_MAX_SECRET_BYTES = 4096


class SecretsFolderError(UserFacingError):
    pass


def secrets_dir(env: Mapping[str, str] | None = None) -> Path:
    """`RETURNS_STATION_SECRETS_DIR`, else the platform's user config folder + `keys`."""
    environ = os.environ if env is None else env
    chosen = environ.get(SECRETS_DIR_ENV)
    if chosen:
        return Path(chosen).expanduser().resolve()
    return Path(platformdirs.user_config_dir(_APP_NAME, appauthor=False)) / "keys"


def secrets_dir_is_explicit(env: Mapping[str, str] | None = None) -> bool:
    environ = os.environ if env is None else env
    return bool(environ.get(SECRETS_DIR_ENV))


def ensure_secrets_dir(data_dir: Path, env: Mapping[str, str] | None = None) -> Path:
    """The secrets folder, created 0700; refused if it lies inside the data folder."""
    folder = secrets_dir(env)
    data = data_dir.expanduser().resolve()
    if folder.resolve() == data or data in folder.resolve().parents:
        raise SecretsFolderError(
            f"The secrets folder {folder} is inside the data folder {data}; a copy of the data "
            f"folder would carry its keys. Set {SECRETS_DIR_ENV} to a folder outside it.")
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if folder.stat().st_mode & 0o077:
            os.chmod(folder, 0o700)
    except OSError as error:
        raise SecretsFolderError(
            f"Cannot use the secrets folder {folder}: {error.strerror or error}. Set "
            f"{SECRETS_DIR_ENV} to a folder this user can write.") from None
    return folder


def _path(folder: Path, name: str) -> Path:
    if not _NAME.fullmatch(name):
        raise ValueError(f"not a secret file name: {name!r}")
    return folder / name


def read_secret(folder: Path, name: str) -> str | None:
    """The secret's text, or None when the file does not exist."""
    path = _path(folder, name)
    try:
        with path.open("rb") as file:
            data = file.read(_MAX_SECRET_BYTES + 1)
        if path.stat().st_mode & 0o077:
            os.chmod(path, 0o600)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise SecretsFolderError(
            f"Cannot read the secret file {path}: {error.strerror or error}.") from None
    if len(data) > _MAX_SECRET_BYTES:
        raise SecretsFolderError(f"The secret file {path} is too large to be one of ours.")
    try:
        return data.decode("ascii").strip()
    except UnicodeDecodeError:
        raise SecretsFolderError(f"The secret file {path} is not one of ours (not text).") \
            from None


def write_new_secret(folder: Path, name: str, text: str) -> str:
    """Create the file 0600 with `text`; if it already exists, return what it holds."""
    path = _path(folder, name)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        existing = read_secret(folder, name)
        if existing:
            return existing
        raise SecretsFolderError(f"The secret file {path} is empty; move it away.") from None
    except OSError as error:
        raise SecretsFolderError(
            f"Cannot write the secret file {path}: {error.strerror or error}.") from None
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(text.encode("ascii"))
            file.flush()
            os.fsync(file.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            path.unlink()
        raise
    return text
