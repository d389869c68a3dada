"""Small files that lie about themselves, for the tests that feed the station bad input."""

from __future__ import annotations

import struct
import zlib


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def png_claiming(width: int, height: int) -> bytes:
    """A 100-byte PNG whose header claims width × height RGB pixels (a decompression bomb
    when they are many): a valid signature and IHDR, a token IDAT, IEND."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(b"\0" * 64)) + _chunk(b"IEND", b""))


def nested_json(depth: int) -> str:
    """[[[...]]] nested `depth` deep."""
    return "[" * depth + "]" * depth


def nested_toml(depth: int, key: str = "a") -> str:
    """`key = [[[...]]]` nested `depth` deep."""
    return f"{key} = " + "[" * depth + "]" * depth + "\n"
