"""The RMA CSV's quick paths for common cells (station.receiving.rma_csv: `_Row.take_text` and
`take_known`) give what the full parsing gives: the same values for cells they do not
know by heart, and the same problems for wrong ones."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest

from station.common.vocabulary import Category, Reason, RequestedOutcome
from station.receiving.rma_csv import CSV_COLUMNS, RmaCsvError, parse_rma_csv
from station.receiving.rma_records import RmaRecord

PATTERN = re.compile(r"RMA-\d{6}")
TODAY = date(2026, 5, 9)
COLUMNS = [name for name, _, _ in CSV_COLUMNS]


def parsed(**cells: str) -> list[RmaRecord]:
    row = {"rma_number": "RMA-100001", "order_number": "SO-1", "order_date": "2026-04-20",
           "customer_name": "Anna", "requested": "refund", "carrier_tracking": "",
           "line_no": "1", "sku": "SKU-1", "description": "Jumper", "category": "apparel",
           "quantity": "1", "unit_price": "89.00", "currency": "EUR", "reason": "wrong_size",
           "gtin": "", "expected_serial": "", **cells}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerow([row[name] for name in COLUMNS])
    return list(parse_rma_csv(out.getvalue().encode(), rma_pattern=PATTERN, today=TODAY))


def test_cells_off_the_quick_path_are_parsed_as_before() -> None:
    [record] = parsed(requested=" Store_Credit ", category="APPAREL", reason="Defective",
                      line_no="0012", quantity=" 7 ", description="Jumper\u00a0navy")
    assert record.requested is RequestedOutcome.STORE_CREDIT
    [line] = record.lines
    assert (line.category, line.reason, line.line_no, line.quantity, line.description) == (
        Category.APPAREL, Reason.DEFECTIVE, 12, 7, "Jumper\u00a0navy")


def test_numbers_beyond_those_looked_up_are_parsed() -> None:
    [record] = parsed(line_no="4321")
    assert record.lines[0].line_no == 4321


@pytest.mark.parametrize(("cells", "column", "says"), [
    ({"category": "shoes"}, "category", "must be one of"),
    ({"quantity": "1000"}, "quantity", "whole number from 1 to 999"),
    ({"line_no": "0"}, "line_no", "whole number from 1 to 9999"),
    ({"sku": "S" * 65}, "sku", "at most 64 characters"),
    ({"description": ""}, "description", "must not be empty"),
    ({"customer_name": "Anna\u200b"}, "customer_name", "U+200B"),
])
def test_wrong_cells_are_refused_as_before(cells: dict[str, str], column: str,
                                           says: str) -> None:
    with pytest.raises(RmaCsvError) as refused:
        parsed(**cells)
    [problem] = refused.value.problems
    assert problem.column == column
    assert says in str(problem)
