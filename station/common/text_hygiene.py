"""Make untrusted free text safe to draw or print.

RMA fields come from customers and shop exports; a stray ESC/GS byte can drive a thermal
printer and a bidi override can make a label read differently from what it holds.
"""

from __future__ import annotations

import unicodedata

ELLIPSIS = "…"
#: Layout controls that separate words, so they become a space rather than vanish.
_SPACING_CONTROLS = frozenset("\t\n\v\f\r\x85")


def clean_text(s: str, max_len: int = 60) -> str:
    """Drop every control/format/unassigned character (Unicode category C*) and collapse
    whitespace to single spaces; text longer than `max_len` ends in an ellipsis within it.
    """
    if max_len < 1:
        raise ValueError(f"max_len must be at least 1, not {max_len}")
    kept: list[str] = []
    for char in unicodedata.normalize("NFC", s):
        if char in _SPACING_CONTROLS:
            kept.append(" ")
        elif not unicodedata.category(char).startswith("C"):
            kept.append(char)
    text = " ".join("".join(kept).split())
    if len(text) <= max_len:
        return text
    return text[: max_len - 1].rstrip() + ELLIPSIS
