"""Shopify returns (Admin API Return objects as JSON) imported as RMAs: mapping, refusals,
all or nothing, idempotent re-imports, and the `import-rmas` command end to end."""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, date, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from cli_runner import run
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from station_bench import make_station

from station.common.vocabulary import Category, Reason, RequestedOutcome, Role
from station.receiving import parcels as receiving
from station.receiving import rma_shopify, rma_store
from station.receiving.rma_records import RmaLineRecord, RmaRecord
from station.receiving.rma_shopify import (
    RmaShopifyError,
    ShopifyProblem,
    ShopifyReturns,
    parse_shopify_returns,
)
from station.store.database import make_engine, session_factory, sqlite_url
from station.store.models import Rma
from station.sync.pull import pull_rmas

FIXTURE = Path(__file__).parent / "fixtures" / "shopify-returns.json"
PATTERN_TEXT = "RMA-[0-9]{6}|[0-9]+-R[0-9]+"
PATTERN = re.compile(PATTERN_TEXT, re.ASCII)
TODAY = date(2026, 11, 30)
ADMIN_PIN = "13792468"

JUMPER_RETURN = "gid://shopify/Return/9876543210"
SNEAKER_RETURN = "gid://shopify/Return/9876543211"
CANCELED_RETURN = "gid://shopify/Return/9876543212"
HEADPHONE_RETURN = "gid://shopify/Return/9876543213"


def fixture() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return data


def nodes(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [edge["node"] for edge in document["data"]["returns"]["edges"]]


def encode(document: object) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def parse(data: bytes, **options: Any) -> ShopifyReturns:
    options.setdefault("rma_pattern", PATTERN)
    options.setdefault("today", TODAY)
    options.setdefault("tz", UTC)
    return parse_shopify_returns(data, **options)


def problems(data: bytes, **options: Any) -> list[ShopifyProblem]:
    with pytest.raises(RmaShopifyError) as caught:
        parse(data, **options)
    return caught.value.problems


def messages(data: bytes, **options: Any) -> list[str]:
    return [str(problem) for problem in problems(data, **options)]


def only_message(data: bytes, **options: Any) -> str:
    found = messages(data, **options)
    assert len(found) == 1, found
    return found[0]


def by_number(result: ShopifyReturns) -> dict[str, RmaRecord]:
    return {record.rma_number: record for record in result.records}


# --- what a valid export becomes -------------------------------------------------------


EXPECTED = {
    "1001-R1": RmaRecord(
        rma_number="1001-R1", order_number="#1001", order_date=date(2026, 10, 3),
        customer_name="Ingrid Larsen", requested=RequestedOutcome.REFUND,
        carrier_tracking="1Z999AA10123456784",
        lines=(
            # Line numbers follow the ReturnLineItem ids (55501 < 55502), not file order.
            RmaLineRecord(line_no=1, sku="APP-JMP-1187",
                          description="Merino crew-neck jumper - Navy / M",
                          category=Category.APPAREL, quantity=1, unit_price_minor=8900,
                          currency="EUR", reason=Reason.WRONG_SIZE, gtin=None),
            RmaLineRecord(line_no=2, sku="FTW-RUN-4410",
                          description="Road running shoes - Grey/Lime / EU 43",
                          category=Category.FOOTWEAR, quantity=1, unit_price_minor=12596,
                          currency="EUR", reason=Reason.LATE_DELIVERY, gtin="4006381333931"),
        ),
    ),
    "1002-R1": RmaRecord(
        rma_number="1002-R1", order_number="#1002", order_date=date(2026, 10, 14),
        customer_name="Mateo García", requested=RequestedOutcome.EXCHANGE,
        carrier_tracking=None,
        lines=(
            RmaLineRecord(line_no=1, sku="FTW-SNK-2031",
                          description="Leather low-top sneakers - White / EU 40",
                          category=Category.FOOTWEAR, quantity=1, unit_price_minor=9900,
                          currency="EUR", reason=Reason.WRONG_SIZE, gtin=None),
        ),
    ),
    "1004-R1": RmaRecord(
        rma_number="1004-R1", order_number="#1004", order_date=date(2026, 10, 28),
        customer_name="Daniel Okafor", requested=RequestedOutcome.REFUND,
        carrier_tracking=None,
        lines=(
            RmaLineRecord(line_no=1, sku="ELE-HPH-0788",
                          description="Wireless noise-cancelling headphones - Black",
                          category=Category.ELECTRONICS, quantity=1, unit_price_minor=32900,
                          currency="EUR", reason=Reason.DEFECTIVE, gtin="0885909950805"),
        ),
    ),
}


def test_a_returns_query_result_becomes_one_rma_per_open_or_closed_return() -> None:
    result = parse(FIXTURE.read_bytes())

    assert by_number(result) == EXPECTED
    assert [record.rma_number for record in result.records] == ["1001-R1", "1002-R1", "1004-R1"]
    assert result.notes == []


def test_a_canceled_return_is_skipped_and_reported_not_imported() -> None:
    result = parse(FIXTURE.read_bytes())

    assert [(s.record, s.return_id, s.status, s.rma_number) for s in result.skipped] == [
        (3, CANCELED_RETURN, "CANCELED", "1003-R2")]
    assert str(result.skipped[0]) == (
        f"record 3 ({CANCELED_RETURN}, #1003-R2): CANCELED, canceled in Shopify; not imported")


@pytest.mark.parametrize("status", ["REQUESTED", "DECLINED", "CANCELED"])
def test_returns_that_are_not_authorised_are_skipped_even_when_incomplete(status: str) -> None:
    node = {"id": "gid://shopify/Return/1", "name": "#2001-R1", "status": status}

    result = parse(encode(node))

    assert result.records == []
    assert [s.status for s in result.skipped] == [status]


def test_a_closed_return_is_imported_like_an_open_one() -> None:
    document = fixture()
    nodes(document)[0]["status"] = "CLOSED"

    assert by_number(parse(encode(document)))["1001-R1"] == EXPECTED["1001-R1"]


def test_the_price_paid_after_discounts_is_preferred_and_the_list_price_is_the_fallback(
) -> None:
    document = fixture()
    shoe = nodes(document)[0]["returnLineItems"]["nodes"][0]["fulfillmentLineItem"]["lineItem"]
    del shoe["discountedUnitPriceAfterAllDiscountsSet"]

    lines = by_number(parse(encode(document)))["1001-R1"].lines

    assert lines[1].sku == "FTW-RUN-4410" and lines[1].unit_price_minor == 13995


def test_an_approximate_discounted_price_is_rounded_to_the_cent() -> None:
    document = fixture()
    shoe = nodes(document)[0]["returnLineItems"]["nodes"][0]["fulfillmentLineItem"]["lineItem"]
    shoe["discountedUnitPriceAfterAllDiscountsSet"]["shopMoney"]["amount"] = "125.955"

    assert by_number(parse(encode(document)))["1001-R1"].lines[1].unit_price_minor == 12596


def test_the_order_date_is_the_calendar_date_where_the_station_is() -> None:
    document = fixture()
    nodes(document)[0]["order"]["createdAt"] = "2026-10-03T23:30:00Z"

    in_utc = by_number(parse(encode(document), tz=UTC))["1001-R1"]
    in_tokyo = by_number(parse(encode(document), tz=timezone(timedelta(hours=9))))["1001-R1"]

    assert in_utc.order_date == date(2026, 10, 3)
    assert in_tokyo.order_date == date(2026, 10, 4)


def test_an_rma_prefix_goes_before_the_return_name() -> None:
    result = parse(FIXTURE.read_bytes(), rma_prefix="SHOP-",
                   rma_pattern=re.compile(r"SHOP-[0-9]+-R[0-9]+"))

    assert sorted(by_number(result)) == ["SHOP-1001-R1", "SHOP-1002-R1", "SHOP-1004-R1"]
    assert result.skipped[0].rma_number == "SHOP-1003-R2"


@pytest.mark.parametrize("prefix", ["SHOP 1", "A" * 17, "RMA#", "ÄÖ-"])
def test_an_unusable_rma_prefix_is_refused(prefix: str) -> None:
    assert rma_shopify.rma_prefix_problem(prefix) is not None
    with pytest.raises(ValueError, match="prefix"):
        parse(FIXTURE.read_bytes(), rma_prefix=prefix)


def test_several_return_parcels_keep_the_first_tracking_number_and_say_so() -> None:
    document = fixture()
    deliveries = nodes(document)[0]["reverseFulfillmentOrders"]["nodes"][0][
        "reverseDeliveries"]["nodes"]
    second = copy.deepcopy(deliveries[0])
    second["deliverable"]["tracking"]["number"] = "jjd 0001 2345 6789"
    deliveries.append(second)

    result = parse(encode(document))

    assert by_number(result)["1001-R1"].carrier_tracking == "1Z999AA10123456784"
    assert len(result.notes) == 1
    assert "2 return parcels" in result.notes[0] and "JJD000123456789" in result.notes[0]


def test_a_barcode_with_a_wrong_check_digit_is_imported_without_a_gtin_and_noted() -> None:
    document = fixture()
    variant = nodes(document)[3]["returnLineItems"]["nodes"][0]["fulfillmentLineItem"][
        "lineItem"]["variant"]
    variant["barcode"] = "0885909950806"

    result = parse(encode(document))

    assert by_number(result)["1004-R1"].lines[0].gtin is None
    assert result.notes == [
        f"record 4 ({HEADPHONE_RETURN}): returnLineItems[1].fulfillmentLineItem.lineItem."
        "variant.barcode '0885909950806' has a wrong GTIN check digit; imported without a GTIN"]


def test_a_query_without_exchanges_or_tracking_imports_refunds_and_says_why() -> None:
    document = fixture()
    for node in nodes(document):
        del node["exchangeLineItems"]
        del node["reverseFulfillmentOrders"]

    result = parse(encode(document))

    assert {r.requested for r in result.records} == {RequestedOutcome.REFUND}
    assert {r.carrier_tracking for r in result.records} == {None}
    assert len(result.notes) == 2
    assert "exchangeLineItems" in result.notes[0]
    assert "reverseFulfillmentOrders" in result.notes[1]


# --- the shapes an integration saves ---------------------------------------------------


def shapes() -> dict[str, object]:
    document = fixture()
    returns = nodes(document)
    orders = []
    for node in returns:
        order = copy.deepcopy(node["order"])
        nested = copy.deepcopy(node)
        del nested["order"]  # nested under its order, a Return need not repeat it
        order["returns"] = {"nodes": [nested]}
        orders.append(order)
    return {
        "data.returns as edges": document,
        "data.returns as nodes": {"data": {"returns": {"nodes": returns}}},
        "a plain list of Return nodes": returns,
        "a list of pages": [{"data": {"returns": {"nodes": returns[:2]}}},
                            {"data": {"returns": {"edges": [{"node": r} for r in returns[2:]]}}}],
        "data.orders with nested returns": {"data": {"orders": {
            "edges": [{"node": order} for order in orders]}}},
        "plain lists instead of connections": [
            {**node, "returnLineItems": node["returnLineItems"]["nodes"]}
            if "nodes" in node["returnLineItems"] else node for node in returns],
    }


@pytest.mark.parametrize("shape", list(shapes()))
def test_every_saved_shape_gives_the_same_rmas(shape: str) -> None:
    result = parse(encode(shapes()[shape]))

    assert by_number(result) == EXPECTED
    assert [s.return_id for s in result.skipped] == [CANCELED_RETURN]


def test_one_order_with_its_returns_and_one_return_node_are_accepted() -> None:
    returns = nodes(fixture())
    order = copy.deepcopy(returns[1]["order"])
    order["returns"] = {"edges": [{"node": {k: v for k, v in returns[1].items() if k != "order"}}]}

    assert by_number(parse(encode({"data": {"order": order}}))) == {
        "1002-R1": EXPECTED["1002-R1"]}
    assert by_number(parse(encode(returns[3]))) == {"1004-R1": EXPECTED["1004-R1"]}
    assert by_number(parse(encode({"data": {"return": returns[3]}}))) == {
        "1004-R1": EXPECTED["1004-R1"]}


def test_the_newer_reason_definition_and_taxonomy_fields_are_read() -> None:
    node = nodes(fixture())[3]
    item = node["returnLineItems"]["nodes"][0]
    del item["returnReason"]
    item["returnReasonDefinition"] = {"handle": "too-tight", "name": "Too tight"}
    product = item["fulfillmentLineItem"]["lineItem"]["product"]
    del product["category"]
    product["productCategory"] = {"productTaxonomyNode": {
        "fullName": "Apparel & Accessories > Jewelry > Watches"}}

    line = parse(encode(node)).records[0].lines[0]

    assert (line.reason, line.category) == (Reason.WRONG_SIZE, Category.JEWELLERY_WATCHES)


# --- mapping tables --------------------------------------------------------------------


def with_reason(enum: str | None, handle: str | None) -> bytes:
    node = nodes(fixture())[3]
    item = node["returnLineItems"]["nodes"][0]
    item.pop("returnReason")
    if enum is not None:
        item["returnReason"] = enum
    if handle is not None:
        item["returnReasonDefinition"] = {"handle": handle}
    return encode(node)


@pytest.mark.parametrize(("enum", "handle", "reason"), [
    ("COLOR", None, Reason.CHANGED_MIND),
    ("STYLE", None, Reason.CHANGED_MIND),
    ("UNWANTED", None, Reason.CHANGED_MIND),
    ("SIZE_TOO_LARGE", None, Reason.WRONG_SIZE),
    ("SIZE_TOO_SMALL", None, Reason.WRONG_SIZE),
    ("DEFECTIVE", None, Reason.DEFECTIVE),
    ("NOT_AS_DESCRIBED", None, Reason.NOT_AS_DESCRIBED),
    ("WRONG_ITEM", None, Reason.WRONG_ITEM_SENT),
    ("OTHER", None, Reason.OTHER),
    ("UNKNOWN", None, Reason.OTHER),
    (None, "changed-my-mind", Reason.CHANGED_MIND),
    (None, "received-the-wrong-item", Reason.WRONG_ITEM_SENT),
    (None, "damaged-or-defective", Reason.DEFECTIVE),
    (None, "item-not-as-described", Reason.NOT_AS_DESCRIBED),
    ("OTHER", "arrived-late", Reason.LATE_DELIVERY),
    ("OTHER", "waist-too-loose", Reason.WRONG_SIZE),
    ("OTHER", "battery-life", Reason.OTHER),
    ("DEFECTIVE", "battery-life", Reason.DEFECTIVE),
    (None, "scent", Reason.OTHER),
])
def test_shopify_return_reasons_map_to_the_station_reasons(
    enum: str | None, handle: str | None, reason: Reason
) -> None:
    assert parse(with_reason(enum, handle)).records[0].lines[0].reason is reason


def with_product(product: dict[str, Any] | None) -> bytes:
    node = nodes(fixture())[3]
    line_item = node["returnLineItems"]["nodes"][0]["fulfillmentLineItem"]["lineItem"]
    if product is None:
        del line_item["product"]
    else:
        line_item["product"] = product
    return encode(node)


@pytest.mark.parametrize(("product", "category"), [
    ({"tags": ["Returns-Category: Toys"], "productType": "Shoes",
      "category": {"fullName": "Electronics"}}, Category.TOYS),
    ({"category": {"fullName": "Apparel & Accessories > Shoes > Sneakers"},
      "productType": "Gadgets"}, Category.FOOTWEAR),
    ({"category": {"fullName": "Health & Beauty > Personal Care"}},
     Category.BEAUTY_PERSONAL_CARE),
    ({"category": {"fullName": "Home & Garden > Kitchen & Dining"}}, Category.HOME_KITCHEN),
    ({"category": {"fullName": "Media > Books > Print Books"}}, Category.BOOKS_MEDIA),
    ({"category": {"fullName": "Sporting Goods > Outdoor Recreation"},
      "productType": "Hiking boots"}, Category.FOOTWEAR),
    ({"productType": "Smart Watch"}, Category.JEWELLERY_WATCHES),
    ({"productType": "Bluetooth speaker"}, Category.ELECTRONICS),
    ({"productType": "T-Shirts"}, Category.APPAREL),
    ({"productType": "Board games"}, Category.TOYS),
    ({"productType": "Garden hose", "tags": []}, Category.OTHER),
    ({"productType": "", "tags": "sale, returns-category:home_kitchen"}, Category.HOME_KITCHEN),
    (None, Category.OTHER),
])
def test_the_category_comes_from_a_tag_the_taxonomy_or_the_product_type(
    product: dict[str, Any] | None, category: Category
) -> None:
    assert parse(with_product(product)).records[0].lines[0].category is category


# --- refusals name the record and the field --------------------------------------------


def test_a_bad_quantity_names_the_record_the_return_and_the_field() -> None:
    document = fixture()
    nodes(document)[0]["returnLineItems"]["nodes"][1]["quantity"] = 0

    assert only_message(encode(document)) == (
        f"record 1 ({JUMPER_RETURN}): returnLineItems[2].quantity: must be 1 or more (got 0)")


def test_every_problem_in_every_return_is_listed_in_one_pass() -> None:
    document = fixture()
    returns = nodes(document)
    shoe = returns[0]["returnLineItems"]["nodes"][0]
    shoe["quantity"] = 2.5
    shoe["fulfillmentLineItem"]["lineItem"]["discountedUnitPriceAfterAllDiscountsSet"][
        "shopMoney"]["currencyCode"] = "XBT"
    sneaker = returns[1]["returnLineItems"]["edges"][0]["node"]["fulfillmentLineItem"][
        "lineItem"]
    del sneaker["sku"]
    del sneaker["variant"]["sku"]
    returns[3]["order"]["createdAt"] = "2026-12-24T10:00:00Z"
    del returns[3]["order"]["customer"]

    found = messages(encode(document))

    price = ("returnLineItems[1].fulfillmentLineItem.lineItem."
             "discountedUnitPriceAfterAllDiscountsSet.shopMoney.currencyCode")
    assert found == [
        f"record 1 ({JUMPER_RETURN}): returnLineItems[1].quantity: must be a whole number, "
        "not Decimal('2.5')",
        f"record 1 ({JUMPER_RETURN}): {price}: unknown currency 'XBT'; use a three-letter "
        "ISO 4217 code such as EUR, GBP or USD",
        f"record 2 ({SNEAKER_RETURN}): returnLineItems[1].fulfillmentLineItem.lineItem.sku: "
        "missing or empty; the station needs a SKU for every item: give the product variant "
        "a SKU in Shopify (and ask for lineItem { sku } in the query)",
        f"record 4 ({HEADPHONE_RETURN}): order.createdAt: is in the future "
        "(got '2026-12-24T10:00:00Z'), today is 2026-11-30; check the order",
        f"record 4 ({HEADPHONE_RETURN}): order.customer.displayName: missing; the order has "
        "no customer name (ask for order { customer { displayName } } in the query; an order "
        "without a customer cannot be imported)",
    ]


@pytest.mark.parametrize(("change", "expected"), [
    (lambda n: n.pop("status"),
     "status: missing; add `status` to the GraphQL query that produced the file"),
    (lambda n: n.update(status="PENDING"),
     "status: must be one of CANCELED, CLOSED, DECLINED, OPEN, REQUESTED (got 'PENDING')"),
    (lambda n: n.update(returnLineItems={"nodes": []}),
     "returnLineItems: is empty; a return needs at least one item"),
    (lambda n: n["returnLineItems"].update(pageInfo={"hasNextPage": True}),
     "returnLineItems: holds only the first page of the return's items (pageInfo.hasNextPage "
     "is true); ask for more, e.g. returnLineItems(first: 250), and export again"),
    (lambda n: n["returnLineItems"]["nodes"][0].update(quantity=1000),
     "returnLineItems[1].quantity: must be at most 999 (got 1000)"),
    (lambda n: n["returnLineItems"]["nodes"][0].update(returnReason="BORED"),
     "returnLineItems[1].returnReason: must be one of COLOR, STYLE, UNWANTED, SIZE_TOO_LARGE, "
     "SIZE_TOO_SMALL, DEFECTIVE, NOT_AS_DESCRIBED, WRONG_ITEM, OTHER, UNKNOWN (got 'BORED')"),
    (lambda n: n["returnLineItems"]["nodes"][0].pop("fulfillmentLineItem"),
     "returnLineItems[1].fulfillmentLineItem: missing; add `fulfillmentLineItem { lineItem { "
     "... } }` to the GraphQL query that produced the file (an unverified return line item, "
     "not linked to an order line, cannot be imported)"),
    (lambda n: n["returnLineItems"]["nodes"][0]["fulfillmentLineItem"]["lineItem"].update(
        sku="ELE\u202eHPH"),
     "returnLineItems[1].fulfillmentLineItem.lineItem.sku: contains an invisible character "
     "U+202E (RIGHT-TO-LEFT OVERRIDE) at position 4; correct it in Shopify"),
    (lambda n: n["returnLineItems"]["nodes"][0]["fulfillmentLineItem"]["lineItem"][
        "discountedUnitPriceAfterAllDiscountsSet"]["shopMoney"].update(amount="3,29"),
     "returnLineItems[1].fulfillmentLineItem.lineItem.discountedUnitPriceAfterAllDiscountsSet"
     ".shopMoney.amount: must be a decimal amount like \"19.99\" (got '3,29')"),
    (lambda n: n["order"].update(createdAt="yesterday"),
     "order.createdAt: must be a date and time like 2026-03-14T10:15:00Z (got 'yesterday')"),
    (lambda n: n["order"].update(createdAt="0001-01-01T00:00:00+14:00"),
     "order.createdAt: is not a date an order can have (got '0001-01-01T00:00:00+14:00')"),
    (lambda n: n["order"].update(name="#" + "9" * 70),
     "order.name: must be at most 64 characters (got 71)"),
    (lambda n: n.pop("order"),
     "order: missing; add `order` to the GraphQL query that produced the file"),
])
def test_each_kind_of_bad_return_is_refused_with_its_field(change: Any, expected: str) -> None:
    node = nodes(fixture())[3]
    change(node)

    assert only_message(encode(node)) == f"record 1 ({HEADPHONE_RETURN}): {expected}"


def test_the_list_price_must_be_exact_in_the_currency() -> None:
    node = nodes(fixture())[3]
    line_item = node["returnLineItems"]["nodes"][0]["fulfillmentLineItem"]["lineItem"]
    del line_item["discountedUnitPriceAfterAllDiscountsSet"]
    line_item["originalUnitPriceSet"]["shopMoney"] = {"amount": "329.005", "currencyCode": "EUR"}

    assert only_message(encode(node)).endswith(
        "originalUnitPriceSet.shopMoney.amount: has more than 2 decimal places for EUR "
        "(got 329.005)")


def test_a_return_without_an_id_is_named_by_its_position_alone() -> None:
    node = nodes(fixture())[3]
    del node["id"]

    assert only_message(encode([node])) == (
        "record 1: id: missing; add `id` to the GraphQL query that produced the file")


def test_a_name_this_station_does_not_accept_says_how_to_configure_the_pattern() -> None:
    node = nodes(fixture())[3]

    found = only_message(encode(node), rma_pattern=re.compile(r"RMA-[0-9]{6}"))

    assert found == (
        f"record 1 ({HEADPHONE_RETURN}): name: '#1004-R1' gives RMA number '1004-R1', which "
        "this station does not accept: this station's rma.number_pattern is 'RMA-[0-9]{6}'; "
        "to import Shopify returns, let it accept their names too, e.g. number_pattern = "
        "'RMA-[0-9]{6}|[0-9]+-R[0-9]+'")


def test_when_no_name_fits_the_pattern_it_is_said_once_not_per_return() -> None:
    found = messages(FIXTURE.read_bytes(), rma_pattern=re.compile(r"RMA-[0-9]{6}"))

    assert len(found) == 1
    assert found[0].startswith(f"record 1 ({JUMPER_RETURN}): name: '#1001-R1' gives RMA "
                               "number '1001-R1', and none of the 3 returns to import")


def test_two_different_returns_with_one_rma_number_are_refused() -> None:
    returns = nodes(fixture())
    twin = copy.deepcopy(returns[3])
    twin["id"] = "gid://shopify/Return/1"
    twin["returnLineItems"]["nodes"][0]["quantity"] = 2

    assert only_message(encode([returns[3], twin])) == (
        "record 2 (gid://shopify/Return/1): name: '#1004-R1' gives RMA number 1004-R1, which "
        f"record 1 ({HEADPHONE_RETURN}) already has with different contents; export each "
        "return once")


def test_a_return_exported_twice_in_overlapping_pages_is_read_once() -> None:
    returns = nodes(fixture())

    result = parse(encode([returns[3], returns[3]]))

    assert len(result.records) == 1
    assert result.notes == ["record 2 repeats record 1 (1004-R1) exactly; it was read once"]


def test_the_problem_list_is_capped_and_counts_the_rest() -> None:
    node = nodes(fixture())[3]
    node["returnLineItems"]["nodes"][0]["quantity"] = 0
    many = []
    for number in range(250):
        copy_ = copy.deepcopy(node)
        copy_["name"] = f"#{5000 + number}-R1"
        many.append(copy_)

    with pytest.raises(RmaShopifyError) as caught:
        parse(encode(many))

    assert len(caught.value.problems) == 200 and caught.value.omitted == 50
    assert "and 50 more" in str(caught.value)


# --- the file as a whole ---------------------------------------------------------------


def file_message(data: bytes) -> str:
    return only_message(data)


def test_json_that_does_not_parse_is_refused_with_its_line_and_column() -> None:
    data = b'{"data": {"returns": {"nodes": [\n  {"id": "gid://shopify/Return/1",}\n]}}}'

    assert file_message(data) == (
        "line 2, column 35: the file is not valid JSON (Expecting property name enclosed in "
        "double quotes)")


def test_a_bulk_operation_jsonl_file_gets_a_hint() -> None:
    lines = [json.dumps(node) for node in nodes(fixture())[:2]]

    assert "bulk-operation JSONL file) is not supported" in file_message(
        "\n".join(lines).encode())


def test_a_file_that_is_not_utf8_is_refused_with_the_line() -> None:
    data = encode(nodes(fixture())[3]).replace(b"Okafor", b"Ok\xe4for")

    found = file_message(data)

    assert found.startswith("line 1: the file is not UTF-8 text (byte 0xE4 is not valid UTF-8)")


def test_a_utf16_file_is_named_as_such() -> None:
    data = json.dumps(nodes(fixture())[3]).encode("utf-16")

    assert "UTF-16" in file_message(data)


def test_a_utf8_bom_is_fine() -> None:
    assert len(parse(b"\xef\xbb\xbf" + FIXTURE.read_bytes()).records) == 3


def test_json_nested_deeper_than_any_export_is_refused_before_parsing() -> None:
    data = b'{"data": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"

    assert file_message(data) == (
        "line 1: the JSON is nested more than 64 levels deep; a Shopify returns export is far "
        "shallower, so this is not one")


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    node = nodes(fixture())[3]
    node["returnLineItems"]["nodes"][0]["customerNote"] = "[[[[" * 100 + '\\"{{{{' * 100

    assert len(parse(encode(node)).records) == 1


def test_a_file_over_the_size_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rma_shopify, "MAX_FILE_BYTES", 1000)

    assert file_message(FIXTURE.read_bytes()).startswith(
        "the file is larger than the 1,000 bytes this import reads")


@pytest.mark.parametrize(("data", "expected"), [
    (b"", "the file is empty"),
    (b"[]", "the file holds no returns"),
    (b'{"data": {"shop": {"name": "x"}}}', "the response: the file does not hold Shopify "
                                           "returns"),
    (b'{"errors": [{"message": "Access denied for returns field."}]}',
     "the response is a GraphQL error, not returns: Access denied for returns field."),
    (b'{"data": {"return": null}}', "data.return is null"),
    (b'"returns"', "it holds a single string"),
    (b'{"id": "gid://shopify/Return/1", "id": "gid://shopify/Return/2"}',
     "the JSON is ambiguous: an object has the key 'id' twice"),
    (b'[{"id": "gid://shopify/Return/1", "quantity": NaN}]',
     "the JSON holds an unusable value: NaN is not a number JSON allows"),
])
def test_files_that_hold_no_usable_returns_are_refused(data: bytes, expected: str) -> None:
    assert expected in file_message(data)


def test_json_is_recognised_by_its_first_character() -> None:
    assert rma_shopify.looks_like_json(b"\xef\xbb\xbf \n {")
    assert rma_shopify.looks_like_json(b"[")
    assert not rma_shopify.looks_like_json(b"rma_number,order_number")


# --- into the central database: all or nothing, idempotent -----------------------------


def central_rmas(bench: Any) -> dict[str, Rma]:
    with bench.opened.central_sessions()() as session:
        return {rma.rma_number: rma for rma in session.scalars(
            select(Rma).options(selectinload(Rma.lines)))}


def test_reimporting_updates_changed_rmas_only_and_stations_pull_the_change(
    tmp_path: Path,
) -> None:
    bench = make_station(tmp_path / "station", rma_count=0, rma_pattern=PATTERN_TEXT)
    admin = bench.actors[Role.ADMIN]
    central = bench.opened.central_sessions()
    records = parse(FIXTURE.read_bytes()).records

    first = rma_store.import_as(bench.ctx, admin, central, records)
    again = rma_store.import_as(bench.ctx, admin, central, parse(FIXTURE.read_bytes()).records)
    assert (first.created, again.created, again.updated, again.unchanged) == (3, 0, 0, 3)
    assert {n: r.version for n, r in central_rmas(bench).items()} == {
        "1001-R1": 1, "1002-R1": 1, "1004-R1": 1}

    document = fixture()
    nodes(document)[3]["returnLineItems"]["nodes"][0]["quantity"] = 2
    changed = rma_store.import_as(bench.ctx, admin, central, parse(encode(document)).records)
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 2)
    assert {n: r.version for n, r in central_rmas(bench).items()} == {
        "1001-R1": 1, "1002-R1": 1, "1004-R1": 2}

    assert pull_rmas(central, bench.ctx.sessions) == 3
    clerk = bench.actors[Role.CLERK]
    by_tracking = receiving.look_up(bench.ctx, clerk, "1Z999AA10123456784")
    by_number_ = receiving.look_up(bench.ctx, clerk, "1004-R1")
    assert by_tracking.rma_number == "1001-R1" and len(by_tracking.lines) == 2
    assert [line.quantity for line in by_number_.lines] == [2]
    bench.opened.close()


# --- the command -----------------------------------------------------------------------


@pytest.fixture
def station_dir(tmp_path: Path) -> Path:
    """A station whose RMA pattern also accepts Shopify return names; admin `boss`."""
    folder = tmp_path / "station"
    folder.mkdir()
    (folder / "config.toml").write_text(f"[rma]\nnumber_pattern = '{PATTERN_TEXT}'\n",
                                        encoding="utf-8")
    assert run("--data-dir", str(folder), "users", "add", "boss", "--name", "Bea Boss",
               "--role", "admin", stdin=f"{ADMIN_PIN}\n") == 0
    return folder


def import_rmas(folder: Path, path: Path, *options: str) -> int:
    return run("--data-dir", str(folder), "import-rmas", str(path), *options, "--as", "boss",
               stdin=f"{ADMIN_PIN}\n")


def versions(db: Path) -> dict[str, int]:
    sessions = session_factory(make_engine(sqlite_url(db)))
    with sessions() as session:
        return {rma.rma_number: rma.version for rma in session.scalars(select(Rma))}


def test_the_command_imports_a_shopify_file_and_a_second_run_changes_nothing(
    station_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert import_rmas(station_dir, FIXTURE) == 0
    out = capsys.readouterr().out
    assert "3 RMAs read from Shopify returns: 3 new, 0 updated, 0 unchanged; 3 pulled" in out
    assert f"1 return skipped:\n  record 3 ({CANCELED_RETURN}, #1003-R2): CANCELED" in out
    expected = {"1001-R1": 1, "1002-R1": 1, "1004-R1": 1}
    assert versions(station_dir / "central.db") == expected
    assert versions(station_dir / "station.db") == expected

    assert import_rmas(station_dir, FIXTURE) == 0
    assert "0 new, 0 updated, 3 unchanged; 0 pulled" in capsys.readouterr().out


def test_the_command_reimports_a_changed_return_with_a_new_version(
    tmp_path: Path, station_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert import_rmas(station_dir, FIXTURE) == 0
    document = fixture()
    nodes(document)[0]["order"]["customer"]["displayName"] = "Ingrid Larsen-Berg"
    changed = tmp_path / "returns-later.json"
    changed.write_bytes(encode(document))

    assert import_rmas(station_dir, changed) == 0

    assert "0 new, 1 updated, 2 unchanged; 1 pulled" in capsys.readouterr().out
    assert versions(station_dir / "station.db") == {"1001-R1": 2, "1002-R1": 1, "1004-R1": 1}


def test_a_bad_return_makes_the_command_import_nothing_and_name_it(
    tmp_path: Path, station_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = fixture()
    nodes(document)[3]["returnLineItems"]["nodes"][0]["quantity"] = 0
    bad = tmp_path / "returns.json"
    bad.write_bytes(encode(document))

    assert run("--data-dir", str(station_dir), "import-rmas", str(bad)) == 1

    err = capsys.readouterr().err
    assert "nothing was imported" in err
    assert (f"  returns.json: record 4 ({HEADPHONE_RETURN}): returnLineItems[1].quantity: "
            "must be 1 or more (got 0)") in err
    assert versions(station_dir / "central.db") == {}
    assert versions(station_dir / "station.db") == {}


def test_the_default_rma_pattern_refuses_shopify_names_with_a_hint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("--data-dir", str(tmp_path), "import-rmas", str(FIXTURE)) == 1

    assert "rma.number_pattern is 'RMA-[0-9]{6}'" in capsys.readouterr().err
    assert versions(tmp_path / "central.db") == {}


def test_the_format_comes_from_the_option_or_the_content(
    tmp_path: Path, station_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    unnamed = tmp_path / "export"
    unnamed.write_bytes(FIXTURE.read_bytes())
    text_file = tmp_path / "export.txt"
    text_file.write_bytes(FIXTURE.read_bytes())

    assert import_rmas(station_dir, unnamed) == 0
    assert "3 new" in capsys.readouterr().out
    assert import_rmas(station_dir, text_file, "--format", "shopify") == 0
    assert "3 unchanged" in capsys.readouterr().out
    assert import_rmas(station_dir, FIXTURE, "--format", "csv") == 1
    assert "line 1" in capsys.readouterr().err


def test_the_rma_prefix_is_for_shopify_files_only(
    tmp_path: Path, station_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv_file = tmp_path / "rmas.csv"
    csv_file.write_text("rma_number\n", encoding="utf-8")

    assert run("--data-dir", str(station_dir), "import-rmas", str(csv_file),
               "--rma-prefix", "SH-") == 2
    assert "Shopify returns files only" in capsys.readouterr().err
    assert run("--data-dir", str(station_dir), "import-rmas", str(FIXTURE),
               "--rma-prefix", "SH 1") == 2
    assert "--rma-prefix" in capsys.readouterr().err


def test_a_return_canceled_after_its_import_is_skipped_with_a_warning(
    tmp_path: Path, station_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert import_rmas(station_dir, FIXTURE) == 0
    capsys.readouterr()
    document = fixture()
    nodes(document)[3]["status"] = "CANCELED"
    later = tmp_path / "returns-later.json"
    later.write_bytes(encode(document))

    assert import_rmas(station_dir, later) == 0

    out = capsys.readouterr().out
    assert "2 RMAs read from Shopify returns: 0 new, 0 updated, 2 unchanged" in out
    assert "warning: RMA 1004-R1 was imported earlier and stays receivable here" in out


def test_a_file_of_only_skipped_returns_changes_nothing_and_needs_no_sign_in(
    tmp_path: Path, station_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    canceled = tmp_path / "canceled.json"
    canceled.write_bytes(encode([nodes(fixture())[2]]))

    assert run("--data-dir", str(station_dir), "import-rmas", str(canceled)) == 0

    assert "no Shopify return to import; nothing changed" in capsys.readouterr().out
