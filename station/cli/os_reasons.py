"""Why a file could not be read or written, in words for the person who named it.

Used by the error mapping of `main` and by commands that report a file they could not
write; the wording is part of the commands' output.
"""

from __future__ import annotations


def os_reason(error: OSError, *, writing: bool = False) -> str:
    """The reason for `error`, e.g. "no such file" or "permission denied"."""
    if isinstance(error, FileNotFoundError):
        return "the folder it should go in does not exist" if writing else "no such file"
    if isinstance(error, IsADirectoryError):
        return "that is a folder; give a file name"
    if isinstance(error, NotADirectoryError):
        return "a part of the path is not a folder"
    if isinstance(error, PermissionError):
        return "permission denied"
    return error.strerror or error.__class__.__name__
