"""Independent decoders for what the printer drivers send, written from the protocol manuals.

`parse_escpos` walks an ESC/POS stream command by command and fails on any byte that is not
one of the few commands the driver may send (so text, or a stray control byte from a label
field, cannot hide in it); `parse_zpl` does the same for a ZPL job and decompresses its
^GFA graphic field. Both give the printed bitmap back as a Pillow mode "1" image (0 black).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from PIL import Image

# --------------------------------------------------------------------------- ESC/POS


@dataclass
class EscposStream:
    commands: list[str] = field(default_factory=list)
    raster_blocks: list[tuple[int, int, bytes]] = field(default_factory=list)  # (bytes, rows, data)
    status_queries: list[int] = field(default_factory=list)

    def image(self) -> Image.Image:
        """The raster blocks stacked top to bottom; a set bit is a black dot."""
        assert self.raster_blocks, "no GS v 0 raster block in the stream"
        widths = {width for width, _, _ in self.raster_blocks}
        assert len(widths) == 1, f"raster blocks of different widths: {widths}"
        width_bytes = widths.pop()
        rows = sum(height for _, height, _ in self.raster_blocks)
        data = b"".join(block for _, _, block in self.raster_blocks)
        inverted = bytes(255 - value for value in data)
        return Image.frombytes("1", (width_bytes * 8, rows), inverted)


def parse_escpos(stream: bytes) -> EscposStream:
    """Split `stream` into commands; AssertionError on anything else."""
    parsed = EscposStream()
    i = 0
    while i < len(stream):
        rest = stream[i:]
        if rest.startswith(b"\x10\x04") and len(rest) >= 3 and rest[2] in (1, 2, 3, 4):
            parsed.commands.append(f"DLE EOT {rest[2]}")
            parsed.status_queries.append(rest[2])
            i += 3
        elif rest.startswith(b"\x1b@"):
            parsed.commands.append("ESC @")
            i += 2
        elif rest.startswith(b"\x1dv0"):
            assert len(rest) >= 8, f"truncated GS v 0 header at {i}"
            mode, xl, xh, yl, yh = rest[3:8]
            assert mode == 0, f"GS v 0 in mode {mode} (scaled), not normal, at {i}"
            width_bytes, rows = xl + 256 * xh, yl + 256 * yh
            size = width_bytes * rows
            assert len(rest) >= 8 + size, f"GS v 0 at {i} promises {size} bytes, has fewer"
            parsed.raster_blocks.append((width_bytes, rows, rest[8 : 8 + size]))
            parsed.commands.append(f"GS v 0 {width_bytes * 8}x{rows}")
            i += 8 + size
        elif rest.startswith(b"\x1bd") and len(rest) >= 3:
            parsed.commands.append(f"ESC d {rest[2]}")
            i += 3
        elif rest.startswith(b"\x1dV") and len(rest) >= 3 and rest[2] in (0, 1, 48, 49):
            parsed.commands.append("GS V cut")
            i += 3
        elif rest.startswith(b"\x1dV") and len(rest) >= 4 and rest[2] in (65, 66):
            parsed.commands.append("GS V cut")
            i += 4
        else:
            raise AssertionError(
                f"byte {stream[i]:#04x} at offset {i} starts no command the driver may send "
                f"(next bytes: {rest[:12].hex(' ')})"
            )
    return parsed


# --------------------------------------------------------------------------- ZPL

_ZPL_COMMAND = re.compile(r"([\^~])([A-Z@][A-Z0-9@]?)([^\^~]*)")
#: The only ZPL commands a label job may contain: no ^FD (field data), no fonts.
ZPL_ALLOWED = {"^XA", "^PW", "^LL", "^LH", "^FO", "^GF", "^FS", "^PQ", "^XZ", "~HS"}
_LOW = {letter: count for count, letter in enumerate("GHIJKLMNOPQRSTUVWXY", start=1)}
_HIGH = {letter: count * 20 for count, letter in enumerate("ghijklmnopqrstuvwxyz", start=1)}


@dataclass
class ZplJob:
    commands: list[str]
    print_width: int
    label_length: int
    image: Image.Image


def decompress_gfa(data: str, row_bytes: int, total: int) -> bytes:
    """ZPL II ASCII-hex graphic data with the compression scheme, to raw bytes."""
    digits_per_row = 2 * row_bytes
    rows: list[str] = []
    row = ""
    count = 0
    for char in data:
        if char in "\r\n":
            continue
        if char in _LOW or char in _HIGH:
            count += _LOW.get(char, 0) + _HIGH.get(char, 0)
            continue
        if char == ":":
            assert count == 0 and row == "" and rows, "':' must start a row after another"
            rows.append(rows[-1])
            continue
        if char in ",!":
            assert count == 0, f"repeat count before {char!r}"
            row += ("0" if char == "," else "F") * (digits_per_row - len(row))
        elif char in "0123456789ABCDEF":
            row += char * (count or 1)
            count = 0
        else:
            raise AssertionError(f"{char!r} is not ZPL ASCII graphic data")
        assert len(row) <= digits_per_row, f"row {len(rows)} overruns {digits_per_row} digits"
        if len(row) == digits_per_row:
            rows.append(row)
            row = ""
    assert row == "" and count == 0, "graphic data ends in the middle of a row"
    raw = bytes.fromhex("".join(rows))
    assert len(raw) == total, f"graphic field holds {len(raw)} bytes, header says {total}"
    return raw


def parse_zpl(job: bytes) -> ZplJob:
    text = job.decode("ascii")
    commands = [(f"{m.group(1)}{m.group(2)}", m.group(3)) for m in _ZPL_COMMAND.finditer(text)]
    between = _ZPL_COMMAND.sub("", text)
    assert between.strip() == "", f"text outside commands: {between.strip()[:40]!r}"
    names = [name for name, _ in commands]
    unexpected = set(names) - ZPL_ALLOWED
    assert not unexpected, f"ZPL commands a label job must not hold: {unexpected}"
    assert names[0] == "^XA" and names[-1] == "^XZ", names
    params = dict(commands)
    gf = params["^GF"].strip()
    kind, byte_count, total, row_bytes, data = gf.split(",", 4)
    assert kind == "A", f"^GF{kind}: expected ASCII hex (A)"
    assert int(byte_count) == int(total), (byte_count, total)
    raw = decompress_gfa(data, int(row_bytes), int(total))
    rows = int(total) // int(row_bytes)
    inverted = bytes(255 - value for value in raw)
    image = Image.frombytes("1", (int(row_bytes) * 8, rows), inverted)
    width, length = int(params["^PW"]), int(params["^LL"])
    return ZplJob(names, width, length, image.crop((0, 0, width, rows)))
