"""The base of every refusal whose message is written for the person at the bench."""

from __future__ import annotations


class UserFacingError(Exception):
    """Raised for bad input or a refused action: show the message, change nothing, log no trace."""
