"""Badges: a barcode a person scans to sign in or to switch user at the bench.

A badge code is a random secret printed once; the database keeps only its SHA-256, so
someone who can read the database cannot print a working badge from it.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets

BADGE_PATTERN = re.compile(r"BDG-[A-Z2-7]{16}")


def new_badge_code() -> str:
    raw = base64.b32encode(secrets.token_bytes(10)).decode("ascii")
    return f"BDG-{raw}"


def badge_digest(code: str) -> str:
    return "sha256:" + hashlib.sha256(code.encode("ascii")).hexdigest()


def looks_like_badge(text: str) -> bool:
    return BADGE_PATTERN.fullmatch(text) is not None
