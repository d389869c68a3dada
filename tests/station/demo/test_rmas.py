"""The demo RMAs: plenty of them, realistic in shape, reproducible, and importable as CSV."""

from __future__ import annotations

import csv
import io
import random
import re
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import pytest

from station.codes.check_digits import is_valid_gtin
from station.common.money import CURRENCY_EXPONENTS
from station.common.vocabulary import Category, Reason, RequestedOutcome
from station.demo.rmas import demo_rmas
from station.receiving.rma_csv import CSV_COLUMNS, parse_rma_csv
from station.receiving.rma_records import RmaLineRecord, RmaRecord

TODAY = date(2026, 5, 9)
RMA_PATTERN = re.compile(r"RMA-\d{6}")
PRODUCT_CATEGORIES = set(Category) - {Category.OTHER}


@pytest.fixture(scope="module")
def demo() -> list[RmaRecord]:
    return demo_rmas(today=TODAY)


@pytest.fixture(scope="module")
def demo_lines(demo: list[RmaRecord]) -> list[RmaLineRecord]:
    return [line for rma in demo for line in rma.lines]


def major(amount_minor: int, currency: str) -> Decimal:
    return Decimal(amount_minor).scaleb(-CURRENCY_EXPONENTS[currency])


def to_import_csv(records: list[RmaRecord]) -> str:
    """The records in the documented import format: one row per line, every column."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([name for name, _, _ in CSV_COLUMNS])
    for rma in records:
        for line in rma.lines:
            exponent = CURRENCY_EXPONENTS[line.currency]
            cells = {
                "rma_number": rma.rma_number,
                "order_number": rma.order_number,
                "order_date": rma.order_date.isoformat(),
                "customer_name": rma.customer_name,
                "requested": rma.requested.value,
                "carrier_tracking": rma.carrier_tracking or "",
                "line_no": str(line.line_no),
                "sku": line.sku,
                "description": line.description,
                "category": line.category.value,
                "quantity": str(line.quantity),
                "unit_price": f"{major(line.unit_price_minor, line.currency):.{exponent}f}",
                "currency": line.currency,
                "reason": line.reason.value,
                "gtin": line.gtin or "",
                "expected_serial": line.expected_serial or "",
            }
            writer.writerow([cells[name] for name, _, _ in CSV_COLUMNS])
    return out.getvalue()


def test_there_are_at_least_200_rmas_by_default(demo: list[RmaRecord]) -> None:
    assert len(demo) >= 200


def test_count_is_honoured() -> None:
    assert len(demo_rmas(12, today=TODAY)) == 12
    assert demo_rmas(0, today=TODAY) == []
    with pytest.raises(ValueError, match="count"):
        demo_rmas(-1, today=TODAY)


def test_rma_numbers_count_up_from_rma_100001(demo: list[RmaRecord]) -> None:
    assert [rma.rma_number for rma in demo] == [
        f"RMA-{100_001 + index:06d}" for index in range(len(demo))
    ]


def test_order_numbers_are_unique_and_shop_shaped(demo: list[RmaRecord]) -> None:
    numbers = [rma.order_number for rma in demo]
    assert len(set(numbers)) == len(numbers)
    assert all(re.fullmatch(r"SO-\d{4}-\d{6}", number) for number in numbers)


def test_orders_were_placed_1_to_60_days_before_today(demo: list[RmaRecord]) -> None:
    assert all(
        TODAY - timedelta(days=60) <= rma.order_date <= TODAY - timedelta(days=1) for rma in demo
    )


def test_customer_names_are_varied(demo: list[RmaRecord]) -> None:
    names = {rma.customer_name for rma in demo}
    assert len(names) >= 100
    assert any(not name.isascii() for name in names)  # Müller, Núñez, Söderström ...


def test_all_eight_product_categories_and_a_few_others_are_present(
    demo_lines: list[RmaLineRecord],
) -> None:
    counts = Counter(line.category for line in demo_lines)
    assert set(counts) >= PRODUCT_CATEGORIES
    assert 0 < counts[Category.OTHER] < len(demo_lines) / 10


def test_even_a_small_demo_shows_every_category() -> None:
    lines = [line for rma in demo_rmas(9, today=TODAY) for line in rma.lines]
    assert {line.category for line in lines} == set(Category)


def test_the_catalogue_has_at_least_eight_products_per_category() -> None:
    skus: dict[Category, set[str]] = {}
    for rma in demo_rmas(2000, today=TODAY):
        for line in rma.lines:
            skus.setdefault(line.category, set()).add(line.sku)
    assert all(len(skus[category]) >= 8 for category in Category)


def test_a_sku_always_has_the_same_description_category_and_gtin(
    demo_lines: list[RmaLineRecord],
) -> None:
    facts: dict[str, tuple[str, Category, str | None]] = {}
    for line in demo_lines:
        assert facts.setdefault(line.sku, (line.description, line.category, line.gtin)) == (
            line.description, line.category, line.gtin,
        )
    assert all(re.fullmatch(r"[A-Z]{3}-[A-Z0-9]{3}-[A-Z0-9]{4}", sku) for sku in facts)


def test_every_line_has_a_valid_gtin_13(demo_lines: list[RmaLineRecord]) -> None:
    for line in demo_lines:
        assert line.gtin is not None
        assert len(line.gtin) == 13
        assert is_valid_gtin(line.gtin)


def test_several_currencies_including_one_without_minor_units(
    demo_lines: list[RmaLineRecord],
) -> None:
    currencies = {line.currency for line in demo_lines}
    assert {"EUR", "GBP", "USD", "SEK", "JPY"} <= currencies
    assert CURRENCY_EXPONENTS["JPY"] == 0


def test_all_lines_of_one_rma_share_its_currency(demo: list[RmaRecord]) -> None:
    assert all(len({line.currency for line in rma.lines}) == 1 for rma in demo)


def test_prices_are_positive_local_price_points(demo_lines: list[RmaLineRecord]) -> None:
    assert all(line.unit_price_minor > 0 for line in demo_lines)
    # A JPY price is whole yen; a 12980 yen item is not stored as 1,298,000.
    yen = [line.unit_price_minor for line in demo_lines if line.currency == "JPY"]
    assert yen
    assert all(500 <= price <= 500_000 for price in yen)


def test_a_handful_of_lines_are_high_value(demo_lines: list[RmaLineRecord]) -> None:
    high = [
        line for line in demo_lines
        if line.currency != "JPY" and major(line.unit_price_minor, line.currency) > 500
    ]
    assert len(high) >= 5


def test_one_to_three_lines_per_rma_numbered_from_one(demo: list[RmaRecord]) -> None:
    assert {len(rma.lines) for rma in demo} == {1, 2, 3}
    assert all(
        [line.line_no for line in rma.lines] == list(range(1, len(rma.lines) + 1))
        for rma in demo
    )


def test_quantities_are_mostly_one_with_some_more(demo_lines: list[RmaLineRecord]) -> None:
    quantities = Counter(line.quantity for line in demo_lines)
    assert set(quantities) <= {1, 2, 3}
    assert quantities[1] > len(demo_lines) / 2
    assert quantities[2] + quantities[3] > 0


def test_every_electronics_line_and_every_watch_has_an_expected_serial(
    demo_lines: list[RmaLineRecord],
) -> None:
    for line in demo_lines:
        if line.category is Category.ELECTRONICS:
            assert line.expected_serial is not None
            assert re.fullmatch(r"SN-[0-9A-Z]{9}", line.expected_serial)
            assert line.quantity == 1
        elif "watch" in line.description:
            assert line.expected_serial is not None
    serials = [line.expected_serial for line in demo_lines if line.expected_serial]
    assert len(serials) == len(set(serials))


def test_reasons_fit_the_category(demo_lines: list[RmaLineRecord]) -> None:
    def top_reason(category: Category) -> Reason:
        reasons = Counter(line.reason for line in demo_lines if line.category is category)
        return reasons.most_common(1)[0][0]

    assert top_reason(Category.ELECTRONICS) is Reason.DEFECTIVE
    assert top_reason(Category.APPAREL) is Reason.WRONG_SIZE
    assert top_reason(Category.FOOTWEAR) is Reason.WRONG_SIZE
    assert not any(
        line.reason is Reason.WRONG_SIZE for line in demo_lines
        if line.category is Category.ELECTRONICS
    )


def test_refund_is_requested_most_often_but_not_always(demo: list[RmaRecord]) -> None:
    requested = Counter(rma.requested for rma in demo)
    assert set(requested) == set(RequestedOutcome)
    assert requested.most_common(1)[0][0] is RequestedOutcome.REFUND


def test_some_rmas_carry_a_carrier_tracking_number(demo: list[RmaRecord]) -> None:
    tracked = [rma.carrier_tracking for rma in demo if rma.carrier_tracking]
    assert 0 < len(tracked) < len(demo)
    assert any(number.startswith("1Z") and len(number) == 18 for number in tracked)


def test_the_same_seed_gives_the_same_records() -> None:
    assert demo_rmas(50, seed=3, today=TODAY) == demo_rmas(50, seed=3, today=TODAY)


def test_another_seed_gives_other_records() -> None:
    assert demo_rmas(50, seed=3, today=TODAY) != demo_rmas(50, seed=4, today=TODAY)


def test_the_global_random_generator_is_left_alone() -> None:
    random.seed(1234)
    state = random.getstate()
    demo_rmas(20, today=TODAY)
    assert random.getstate() == state


def test_demo_records_survive_a_round_trip_through_the_import_csv(
    demo: list[RmaRecord],
) -> None:
    text = to_import_csv(demo)
    assert parse_rma_csv(text.encode("utf-8"), rma_pattern=RMA_PATTERN, today=TODAY) == demo
