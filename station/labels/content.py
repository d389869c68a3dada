"""What goes on a unit's disposition label, and the one bitmap the preview and printer share."""

from __future__ import annotations

from datetime import datetime

from station.inspection.finalize import FinalizedUnit
from station.labels.render import DispositionLabel, render_disposition_label, to_png_bytes

RECEIPT_80MM_DOTS = 576


def disposition_label(unit: FinalizedUnit) -> DispositionLabel:
    """The label's fields; it carries no customer name or address, by design."""
    return DispositionLabel(
        disposition=unit.decision.disposition.value,
        destination=unit.decision.destination,
        lpn=unit.lpn,
        rma_number=unit.rma_number,
        sku=unit.sku,
        grade=unit.grade.value,
        printed_at=unit.decided_at.astimezone(),
        station=unit.station_code,
        grader_initials=unit.grader_initials,
        refund=unit.decision.refund_text,
    )


def render_png(unit: FinalizedUnit, width_dots: int = RECEIPT_80MM_DOTS) -> bytes:
    return to_png_bytes(render_disposition_label(disposition_label(unit), width_dots))


def sample_label(lpn: str, station_code: str) -> DispositionLabel:
    """A realistic label for test prints: the real layout with made-up unit data."""
    return DispositionLabel(
        disposition="RESTOCK", destination="STOCK-A", lpn=lpn, rma_number="RMA-000000",
        sku="TEST-PRINT", grade="A", printed_at=datetime.now().astimezone(),
        station=station_code, grader_initials="TP", refund="TEST PRINT",
    )
