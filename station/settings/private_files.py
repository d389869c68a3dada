"""The station's folders and files are readable by the account that runs it, and no one else.

Why: the data folder holds customer names, addresses and PIN hashes; with the usual umask
it was created 0755 and its files 0644, so any local user of the bench PC could copy them.

Contract (POSIX; elsewhere every function does nothing, the OS keeps per-user folders):
- `make_private_dirs(path)` creates the missing folders of `path` 0700 (an umask cannot
  widen or narrow that).
- `create_private_file(path)` creates an empty file 0600 if there is none; SQLite's -wal,
  -shm and -journal files take the mode of their database file, so a database file made
  this way keeps all of them private.
- `open_private(path, mode)` opens a text file for writing, creating it 0600.
- `make_data_folder_private(data_dir)` makes the data folder 0700 and its files and
  sub-folders 0600/0700 one level deep (plus `logs/`): inside a 0700 folder nothing deeper
  is reachable by another user, so a folder of a million photos is not walked at every
  start. Returns what it changed; `report_tightened` says so in one log line and one line
  on stderr.
"""

from __future__ import annotations

import io
import logging
import os
import stat
import sys
from pathlib import Path

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
_POSIX = os.name == "posix"
log = logging.getLogger(__name__)


def make_private_dirs(path: Path) -> None:
    """Create `path` and its missing parents, each new one 0700."""
    missing: list[Path] = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=PRIVATE_DIR_MODE)
        except FileExistsError:
            continue
        if _POSIX:
            os.chmod(folder, PRIVATE_DIR_MODE)


def create_private_file(path: Path) -> None:
    """An empty file, 0600, unless the file exists already (then it is left alone)."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        return
    os.close(descriptor)
    if _POSIX:
        os.chmod(path, PRIVATE_FILE_MODE)


def open_private(path: Path, mode: str = "a", encoding: str = "utf-8") -> io.TextIOWrapper:
    """Open a text file for writing or appending; a new file is created 0600."""
    append = mode.startswith("a")
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC)
    descriptor = os.open(path, flags, PRIVATE_FILE_MODE)
    if append:
        return open(descriptor, "a", encoding=encoding)
    return open(descriptor, "w", encoding=encoding)


def _tighten(path: Path, wanted: int) -> bool:
    try:
        info = path.lstat()
    except OSError:
        return False
    if stat.S_ISLNK(info.st_mode) or not stat.S_IMODE(info.st_mode) & 0o077:
        return False
    try:
        os.chmod(path, wanted)
    except OSError as error:
        log.warning("cannot make %s private: %s", path, error.strerror or error)
        return False
    return True


def _tighten_entries(folder: Path) -> list[Path]:
    changed: list[Path] = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return changed
    for entry in entries:
        wanted = PRIVATE_DIR_MODE if entry.is_dir() and not entry.is_symlink() \
            else PRIVATE_FILE_MODE
        if _tighten(entry, wanted):
            changed.append(entry)
    return changed


def make_data_folder_private(data_dir: Path) -> list[Path]:
    """Create the data folder 0700, and make an existing one and what is in it private."""
    make_private_dirs(data_dir)
    if not _POSIX:
        return []
    changed = [data_dir] if _tighten(data_dir, PRIVATE_DIR_MODE) else []
    changed += _tighten_entries(data_dir)
    logs = data_dir / "logs"
    if logs.is_dir() and not logs.is_symlink():
        changed += _tighten_entries(logs)
    return changed


def report_tightened(data_dir: Path, changed: list[Path]) -> None:
    """One log line and one line on stderr when start-up had to make files private."""
    if not changed:
        return
    names = ", ".join(str(p.relative_to(data_dir)) if p != data_dir else "."
                      for p in changed[:5])
    more = f" and {len(changed) - 5} more" if len(changed) > 5 else ""
    message = (f"{data_dir} was readable by other users of this computer; made it private "
               f"(folders 0700, files 0600): {names}{more}")
    log.warning("%s", message)
    print(f"returns-station: {message}", file=sys.stderr)
