"""Labels, hostile label text and scanning helpers shared by the printer driver tests."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

import zxingcpp
from PIL import Image, ImageChops

from station.labels.render import DispositionLabel

LPN = "BN0100000042K"
#: Printer control bytes (ESC @, GS !, DLE EOT, ESC p drawer kick, NUL), ZPL command starts,
#: bidi overrides and invisible characters: none may reach a printer as anything but pixels.
HOSTILE = ("\x1b@\x1d!\x10\x04\x01\x1bp\x00\x07^XA^FDpwned^FS~JR\u202eKCOTSER\u202a"
           "\u2066x\u2069\u200b\ufeff")


def make_label(**changes: Any) -> DispositionLabel:
    label = DispositionLabel(
        disposition="OPEN_BOX",
        destination="A-01",
        lpn=LPN,
        rma_number="RMA-2024-000123",
        sku="SKU-TSHIRT-BLK-M",
        grade="B",
        printed_at=datetime(2024, 5, 6, 14, 3),
        station="DOCK-1",
        grader_initials="JD",
        refund="FULL 19.99 EUR",
    )
    return dataclasses.replace(label, **changes)


def hostile_label() -> DispositionLabel:
    long = HOSTILE + "A" * 10_000 + HOSTILE
    return make_label(disposition="OPEN_BOX" + HOSTILE, destination=HOSTILE + "A-01",
                      rma_number=long, sku=long, grade=HOSTILE, station=HOSTILE,
                      grader_initials=HOSTILE, refund=long)


def scanned(image: Image.Image) -> list[tuple[str, str]]:
    return [(str(r.format), r.text) for r in zxingcpp.read_barcodes(image)]


def assert_scans_to_lpn(image: Image.Image) -> None:
    assert scanned(image) == [(str(zxingcpp.BarcodeFormat.Code128), LPN)]


def assert_same_pixels(printed: Image.Image, rendered: Image.Image) -> None:
    assert printed.size == rendered.size, f"printed {printed.size}, rendered {rendered.size}"
    difference = ImageChops.difference(printed.convert("L"), rendered.convert("L"))
    assert difference.getbbox() is None, f"pixels differ inside {difference.getbbox()}"
