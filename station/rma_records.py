"""Plain, validated RMA records: what an import file or the demo generator produces.

They carry no database identity; `rma_store.upsert_rmas` turns them into rows. Keeping
them separate lets every source (CSV, shop exports, demo data) share one validation path.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from station.vocabulary import Category, Reason, RequestedOutcome


@dataclass(frozen=True)
class RmaLineRecord:
    line_no: int
    sku: str
    description: str
    category: Category
    quantity: int
    unit_price_minor: int
    currency: str
    reason: Reason
    gtin: str | None = None
    expected_serial: str | None = None


@dataclass(frozen=True)
class RmaRecord:
    rma_number: str
    order_number: str
    order_date: date
    customer_name: str
    requested: RequestedOutcome
    lines: tuple[RmaLineRecord, ...]
    carrier_tracking: str | None = None
