"""Errors the barcode decoder drivers raise, kept apart so callers need no decoder library.

The composition root catches `DecoderUnavailable` to fall back to another decoder (or to
tell the user what to install) without importing zxing-cpp or pyzbar itself.
"""

from __future__ import annotations


class DecoderUnavailable(RuntimeError):
    """A decoder cannot run on this machine: its package or shared library failed to load.

    The message says what to install; the original import error is chained as __cause__.
    """
