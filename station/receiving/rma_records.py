"""Plain, validated RMA records: what an import file or the demo generator produces.

They carry no database identity; `rma_store.upsert_rmas` turns them into rows. Keeping
them separate lets every source (CSV, shop exports, demo data) share one validation path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from station.common.vocabulary import Category, Reason, RequestedOutcome


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


class RmaFileRejected(Exception):
    """An import file was rejected and nothing imported; `problems` lists what to fix (at
    most 200) and `omitted` counts further problems found but not listed.

    Shared by every import format; each names its kind of file in `what`."""

    what: ClassVar[str] = "RMA file"

    def __init__(self, problems: Sequence[object], omitted: int = 0) -> None:
        super().__init__(problems, omitted)
        self.problems = problems
        self.omitted = omitted

    def __str__(self) -> str:
        total = len(self.problems) + self.omitted
        noun = "problem" if total == 1 else "problems"
        lines = [f"the {self.what} was not imported: {total} {noun} found"]
        lines.extend(str(problem) for problem in self.problems)
        if self.omitted:
            lines.append(f"... and {self.omitted} more not shown; fix these and import again")
        return "\n".join(lines)
