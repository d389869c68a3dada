"""Reading a file the station was given, never more of it than a stated size.

Every file a person or another system hands the station (configuration, rule sets,
checklists, label layouts, case and import files, photos) is read through `read_bounded`,
so a wrong path such as /dev/zero, a FIFO or a runaway export cannot make the process
grow until the machine's OOM killer stops it.

Contract: `read_bounded(path, limit)` returns the whole file when it is a regular file of
at most `limit` bytes; otherwise it raises `FileReadError`, whose `problem` says why in
words for the person who gave the path (missing, a folder, a device or pipe, unreadable,
too large) and whose message is `path: problem`. At most `limit + 1` bytes are ever read.
`read_stream_bounded` does the same for an already open stream (standard input).
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO, Final

from station.common.errors import UserFacingError

#: Configuration, rule sets, checklists and label layouts: hand-written text, far smaller.
MAX_TEXT_FILE_BYTES: Final = 1024 * 1024

_FOLDER: Final = "cannot be read: it is a folder, not a file"
_NOT_REGULAR: Final = ("cannot be read: it is not a regular file (a device, pipe or socket); "
                       "give the path of a file")


class FileReadError(UserFacingError):
    """A file that was not read: `problem` says why, the message adds the path."""

    def __init__(self, label: str, problem: str) -> None:
        super().__init__(f"{label}: {problem}")
        self.label = label
        self.problem = problem


def size_text(count: int) -> str:
    """A byte count for people: 1 MiB, 64 MiB, 512 KiB, 100 bytes."""
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if count >= size and count % size == 0:
            return f"{count // size} {unit}"
    return f"{count:,} bytes"


def _too_large(label: str, limit: int) -> FileReadError:
    return FileReadError(label, f"is larger than the {size_text(limit)} this station reads "
                                "from such a file; is it the right file?")


def _os_problem(error: OSError) -> str:
    if error.errno == errno.ENOENT:
        return "cannot be read: no such file; check the path given"
    if error.errno == errno.EISDIR:
        return _FOLDER
    if error.errno in (errno.EACCES, errno.EPERM):
        return "cannot be read: permission denied"
    return f"cannot be read: {error.strerror or error}"


def read_bounded(path: Path, limit: int) -> bytes:
    """The bytes of the regular file `path`, at most `limit` of them, or FileReadError."""
    with open_bounded(path, limit) as stream:
        return read_stream_bounded(stream, limit, str(path))


def read_stream_bounded(stream: BinaryIO, limit: int, label: str) -> bytes:
    """At most `limit` bytes from `stream` (e.g. standard input), or FileReadError."""
    try:
        data = stream.read(limit + 1)
    except OSError as error:
        raise FileReadError(label, _os_problem(error)) from None
    if len(data) > limit:
        raise _too_large(label, limit)
    return data


def open_bounded(path: Path, limit: int) -> BinaryIO:
    """The regular file `path` of at most `limit` bytes, open for reading in binary (for a
    file read as a stream rather than whole), or FileReadError. The caller stops reading
    at `limit` bytes: the size is checked when opening, and the file might grow."""
    label = str(path)
    try:
        found = os.stat(path)
        if stat.S_ISDIR(found.st_mode):
            raise FileReadError(label, _FOLDER)
        if not stat.S_ISREG(found.st_mode):
            raise FileReadError(label, _NOT_REGULAR)
        if found.st_size > limit:
            raise _too_large(label, limit)
        # O_NONBLOCK: if the path was swapped for a FIFO since stat, opening does not hang.
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
                             | getattr(os, "O_BINARY", 0))
        stream = os.fdopen(descriptor, "rb")
    except OSError as error:
        raise FileReadError(label, _os_problem(error)) from None
    except ValueError:  # a NUL character in the path
        raise FileReadError(label, "cannot be read: the path holds a NUL character") from None
    if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
        stream.close()
        raise FileReadError(label, _NOT_REGULAR)
    return stream
