"""Writing a file so that it is either the old one or the whole new one, never half.

A temporary file in the same folder is written and fsynced, renamed over the target, and
the folder fsynced so the rename itself survives a power cut. Raises OSError; a target
that exists and is not a regular file (a folder, a device such as /dev/stdout, a pipe) is
refused before anything is written, so a rename can never replace it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from pathlib import Path


def write_atomically(target: Path, data: bytes) -> None:
    """Write `data` to `target` so that it is either the old file or the whole new one."""
    if target.is_dir():
        raise IsADirectoryError(errno.EISDIR, "that is a folder; give a file name", str(target))
    if target.exists() and not target.is_file():
        raise OSError(errno.EEXIST, "that is not a regular file (a device or pipe); give a "
                                    "file name", str(target))
    descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                                             dir=target.parent)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable where possible
        folder = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
