"""Import of RMAs from Shopify returns: GraphQL Admin API `Return` objects saved as JSON.

The file is what an integration saves from the Admin API: a `returns` query result, an
`order { returns }` or `orders { returns }` result, a list of Return nodes or one Return
node (see `parse_shopify_returns`). Each Return becomes the same `RmaRecord` the CSV
import produces, so `rma_store.import_as` stores both the same way: all or nothing per
file, and re-importing updates only what changed (its version goes up).

Every problem names the Return by its position in the file (record 1 is the first Return,
counting across pages and orders) and its Shopify id, then the field inside it, e.g.
``record 3 (gid://shopify/Return/945): returnLineItems[1].quantity: must be 1 or more``.
List positions in paths count from 1.

Choices (docs/commands.md documents them for people with the `import-rmas` command):

* RMA number: the Return's ``name`` ("#1001-R1") without its leading ``#``, after an
  optional prefix, e.g. "1001-R1". It is what the merchant sees in Shopify, unique per
  shop and stable, so re-imports find the same RMA. The station's ``rma.number_pattern``
  must accept it. (Deriving "RMA-" + the numeric Return id was rejected: real ids are 10+
  digits, so they do not fit RMA-[0-9]{6}, and nobody at the dock can read them anywhere.)
* Only OPEN and CLOSED returns are imported. REQUESTED returns are not approved yet, and
  CANCELED and DECLINED ones are not authorised returns; all three are skipped and listed.
* Line numbers are positions of the return line items in ascending id order, so they do
  not depend on the query's sort order.

Kept whole: it is the reader of one file format, and finding the Return nodes, mapping each
one and naming every problem by record, id and field path all walk the same structure
through the same private problem bookkeeping (`_Problems`, `_Record`), so a split would
only turn those private helpers into an interface.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Final

from station.codes.check_digits import is_valid_gtin
from station.common.money import CURRENCY_EXPONENTS, MoneyError, check_currency
from station.common.strict_json import JsonInputError, parse_json
from station.common.text_hygiene import clean_text
from station.common.vocabulary import Category, Reason, RequestedOutcome
from station.receiving.rma_records import RmaFileRejected, RmaLineRecord, RmaRecord

MAX_FILE_BYTES: Final = 64 * 1024 * 1024
MAX_DEPTH: Final = 64
MAX_RETURNS: Final = 100_000
MAX_LINES_PER_RETURN: Final = 9999
MAX_QUANTITY: Final = 999
MAX_REPORTED_PROBLEMS: Final = 200
MAX_PREFIX_LENGTH: Final = 16

#: Statuses whose returns become RMAs; the others are skipped and reported.
IMPORTED_STATUSES: Final = frozenset({"OPEN", "CLOSED"})
SKIPPED_STATUSES: Final = {
    "REQUESTED": "requested by the customer but not approved yet",
    "CANCELED": "canceled in Shopify",
    "DECLINED": "declined in Shopify",
}
#: A product tag that names the station's category outright, e.g. "returns-category:footwear".
CATEGORY_TAG_PREFIX: Final = "returns-category:"

#: ReturnLineItem.returnReason (deprecated in newer API versions, still answered).
REASON_BY_ENUM: Final = {
    "COLOR": Reason.CHANGED_MIND,
    "STYLE": Reason.CHANGED_MIND,
    "UNWANTED": Reason.CHANGED_MIND,
    "SIZE_TOO_LARGE": Reason.WRONG_SIZE,
    "SIZE_TOO_SMALL": Reason.WRONG_SIZE,
    "DEFECTIVE": Reason.DEFECTIVE,
    "NOT_AS_DESCRIBED": Reason.NOT_AS_DESCRIBED,
    "WRONG_ITEM": Reason.WRONG_ITEM_SENT,
    "OTHER": Reason.OTHER,
    "UNKNOWN": Reason.OTHER,
}
#: ReturnLineItem.returnReasonDefinition.handle: Shopify's return-reason library.
REASON_BY_HANDLE: Final = {
    "changed-my-mind": Reason.CHANGED_MIND,
    "color": Reason.CHANGED_MIND,
    "style": Reason.CHANGED_MIND,
    "too-small": Reason.WRONG_SIZE,
    "too-big": Reason.WRONG_SIZE,
    "damaged-or-defective": Reason.DEFECTIVE,
    "item-not-as-described": Reason.NOT_AS_DESCRIBED,
    "condition": Reason.NOT_AS_DESCRIBED,
    "received-the-wrong-item": Reason.WRONG_ITEM_SENT,
    "arrived-late": Reason.LATE_DELIVERY,
    "other-reason": Reason.OTHER,
    "unknown": Reason.OTHER,
}
#: Any other handle with one of these words ("waist-too-tight", "fit") is a size problem.
SIZE_HANDLE_WORDS: Final = frozenset(
    {"size", "fit", "small", "big", "tight", "loose", "long", "short", "narrow", "wide"}
)

#: Shopify Standard Product Taxonomy (Product.category.fullName): first matching prefix wins.
CATEGORY_BY_TAXONOMY: Final = (
    ("Apparel & Accessories > Shoes", Category.FOOTWEAR),
    ("Apparel & Accessories > Jewelry", Category.JEWELLERY_WATCHES),
    ("Apparel & Accessories", Category.APPAREL),
    ("Electronics", Category.ELECTRONICS),
    ("Cameras & Optics", Category.ELECTRONICS),
    ("Health & Beauty", Category.BEAUTY_PERSONAL_CARE),
    ("Toys & Games", Category.TOYS),
    ("Media", Category.BOOKS_MEDIA),
    ("Home & Garden", Category.HOME_KITCHEN),
)
#: Words of the merchant's free-text Product.productType: first category with a match wins.
CATEGORY_BY_PRODUCT_TYPE_WORD: Final = (
    (Category.FOOTWEAR, frozenset({
        "footwear", "shoe", "shoes", "sneaker", "sneakers", "trainer", "trainers", "boot",
        "boots", "sandal", "sandals", "slipper", "slippers", "loafer", "loafers", "heels"})),
    (Category.JEWELLERY_WATCHES, frozenset({
        "jewellery", "jewelry", "watch", "watches", "ring", "rings", "necklace", "necklaces",
        "bracelet", "bracelets", "earring", "earrings", "pendant", "pendants"})),
    (Category.ELECTRONICS, frozenset({
        "electronics", "electronic", "laptop", "laptops", "computer", "computers", "phone",
        "phones", "smartphone", "smartphones", "tablet", "tablets", "headphones", "earbuds",
        "speaker", "speakers", "camera", "cameras", "monitor", "monitors", "tv", "console",
        "consoles", "smartwatch", "smartwatches"})),
    (Category.BEAUTY_PERSONAL_CARE, frozenset({
        "beauty", "cosmetics", "makeup", "skincare", "fragrance", "fragrances", "perfume",
        "haircare", "toiletries"})),
    (Category.TOYS, frozenset({"toy", "toys", "game", "games", "puzzle", "puzzles"})),
    (Category.BOOKS_MEDIA, frozenset({
        "book", "books", "media", "music", "vinyl", "dvd", "dvds", "film", "films",
        "magazine", "magazines"})),
    (Category.HOME_KITCHEN, frozenset({
        "home", "kitchen", "cookware", "kitchenware", "homeware", "homewares", "bedding",
        "appliance", "appliances", "furniture", "decor", "tableware"})),
    (Category.APPAREL, frozenset({
        "apparel", "clothing", "clothes", "shirt", "shirts", "t-shirt", "t-shirts", "tee",
        "tees", "top", "tops", "dress", "dresses", "jacket", "jackets", "coat", "coats",
        "jeans", "trousers", "pants", "hoodie", "hoodies", "sweater", "sweaters", "jumper",
        "jumpers", "skirt", "skirts", "leggings", "shorts", "knitwear", "outerwear"})),
)
DEFAULT_CATEGORY: Final = Category.OTHER

_GID_NUMBER = re.compile(r"gid://shopify/[A-Za-z]+/([0-9]{1,20})(?:\?.*)?")
_WORD = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Co", "Cn", "Cs"})


# --- result and error types ------------------------------------------------------------


@dataclass(frozen=True)
class ShopifyProblem:
    """One thing wrong with a returns file.

    `record` is the Return's position in the file (from 1; None for the file as a whole),
    `path` the field inside that Return, `line`/`column` a place in the file's text (for
    JSON that does not parse).
    """

    record: int | None
    return_id: str | None
    path: str | None
    message: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        parts: list[str] = []
        if self.record is not None:
            parts.append(f"record {self.record}" + (f" ({self.return_id})"
                                                    if self.return_id else ""))
        elif self.line is not None:
            parts.append(f"line {self.line}" + (f", column {self.column}"
                                                if self.column is not None else ""))
        if self.path:
            parts.append(self.path)
        parts.append(self.message)
        return ": ".join(parts)


class RmaShopifyError(RmaFileRejected):
    """A Shopify returns file rejected; `problems` are ShopifyProblem (record and path)."""

    what = "Shopify returns file"
    problems: list[ShopifyProblem]

    def __init__(self, problems: list[ShopifyProblem], omitted: int = 0) -> None:
        super().__init__(problems, omitted)


@dataclass(frozen=True)
class SkippedReturn:
    """A Return in the file that is deliberately not imported (see SKIPPED_STATUSES)."""

    record: int
    return_id: str | None
    name: str | None
    status: str
    rma_number: str | None  # what it would be called here, to find an earlier import

    def __str__(self) -> str:
        label = ", ".join(part for part in (self.return_id, self.name) if part)
        where = f"record {self.record}" + (f" ({label})" if label else "")
        return f"{where}: {self.status}, {SKIPPED_STATUSES[self.status]}; not imported"


@dataclass(frozen=True)
class ShopifyReturns:
    """What a valid file holds: RMAs to import, Returns skipped on purpose, and remarks."""

    records: list[RmaRecord]
    skipped: list[SkippedReturn] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# --- entry points ----------------------------------------------------------------------


def looks_like_json(head: bytes) -> bool:
    """True if a file starting with `head` is JSON (an object or a list), not CSV."""
    text = head[len(codecs.BOM_UTF8):] if head.startswith(codecs.BOM_UTF8) else head
    return text.lstrip(b" \t\r\n")[:1] in (b"{", b"[")


def parse_shopify_returns(
    data: bytes, *, rma_pattern: re.Pattern[str], today: date, rma_prefix: str = "",
    tz: tzinfo | None = None,
) -> ShopifyReturns:
    """Parse a Shopify returns file into RMA records (lines sorted by line_no).

    Accepted shapes: a GraphQL response (or a list of page responses) whose `data` holds
    `returns`, `return`, `order { returns }` or `orders { ... returns }`; a list of Return
    nodes; one Return node. Connections may be `{edges: [{node}]}`, `{nodes: [...]}` or a
    plain list. Order dates are taken in `tz` (None: this machine's time zone).

    Raises RmaShopifyError listing every problem found (capped at 200) if anything is wrong.
    """
    problems = _Problems()
    prefix_problem = rma_prefix_problem(rma_prefix)
    if prefix_problem:
        raise ValueError(prefix_problem)
    document = _load(data, problems)
    if document is _INVALID:
        raise RmaShopifyError(problems.reported, problems.omitted)
    found = _returns_in(document, problems)
    if not problems.found and not found:
        problems.add(ShopifyProblem(
            None, None, None,
            "the file holds no returns; export Return objects from the Shopify Admin API "
            "(e.g. the `returns` query) and import that file",
        ))
    mapper = _Mapper(rma_pattern=rma_pattern, today=today, prefix=rma_prefix, tz=tz,
                     problems=problems)
    result = mapper.map_all(found)
    if problems.found:
        raise RmaShopifyError(problems.reported, problems.omitted)
    return result


def rma_prefix_problem(prefix: str) -> str | None:
    """Why `prefix` cannot start an RMA number, or None if it can."""
    if len(prefix) > MAX_PREFIX_LENGTH:
        return f"the RMA prefix must be at most {MAX_PREFIX_LENGTH} characters"
    if prefix and not re.fullmatch(r"[A-Za-z0-9_./-]+", prefix):
        return ("the RMA prefix may hold only letters A-Z, digits and - _ . / "
                f"(got {prefix!r})")
    return None


# --- problems --------------------------------------------------------------------------


class _Problems:
    def __init__(self) -> None:
        self.reported: list[ShopifyProblem] = []
        self.omitted = 0

    @property
    def found(self) -> bool:
        return bool(self.reported) or self.omitted > 0

    def add(self, problem: ShopifyProblem) -> None:
        if len(self.reported) < MAX_REPORTED_PROBLEMS:
            self.reported.append(problem)
        else:
            self.omitted += 1


# --- reading the JSON ------------------------------------------------------------------


class _Invalid:
    pass


_INVALID: Final = _Invalid()


def _file_problem(problems: _Problems, message: str, line: int | None = None,
                  column: int | None = None) -> object:
    problems.add(ShopifyProblem(None, None, None, message, line, column))
    return _INVALID


def _load(data: bytes, problems: _Problems) -> object:
    if len(data) > MAX_FILE_BYTES:
        return _file_problem(
            problems,
            f"the file is larger than the {MAX_FILE_BYTES:,} bytes this import reads; export "
            "the returns in several smaller files (e.g. by date range)",
        )
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _file_problem(problems, "the file is UTF-16 text; save it as UTF-8 and import it "
                                       "again")
    body = data[len(codecs.BOM_UTF8):] if data.startswith(codecs.BOM_UTF8) else data
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = body[:exc.start].count(b"\n") + 1
        return _file_problem(
            problems,
            f"the file is not UTF-8 text (byte 0x{body[exc.start]:02X} is not valid UTF-8); "
            "save the API response as UTF-8 and import it again",
            line,
        )
    if not text.strip():
        return _file_problem(problems, "the file is empty; it should hold Shopify returns as "
                                       "JSON")
    try:
        return parse_json(text, max_depth=MAX_DEPTH, parse_float=Decimal)
    except JsonInputError as exc:
        if exc.syntax is not None:
            hint = ""
            if exc.syntax == "Extra data" and text.lstrip().startswith("{"):
                hint = ("; one JSON object per line (a bulk-operation JSONL file) is not "
                        "supported: save the result of a `returns` query instead")
            return _file_problem(problems, f"the file is not valid JSON ({exc.syntax}){hint}",
                                 exc.line, exc.column)
        if exc.message.startswith("the JSON is nested more than"):
            return _file_problem(problems, f"{exc.message}; a Shopify returns export is far "
                                           "shallower, so this is not one", exc.line)
        return _file_problem(problems, exc.message, exc.line, exc.column)


# --- finding the Return nodes ----------------------------------------------------------


@dataclass(frozen=True)
class _Found:
    node: object
    order: object  # the enclosing Order when the returns were nested in one, else None


def _returns_in(document: object, problems: _Problems) -> list[_Found]:
    found: list[_Found] = []
    if isinstance(document, list):
        pages = [item for item in document if isinstance(item, dict) and "data" in item]
        if pages and len(pages) == len(document):
            for number, page in enumerate(document, start=1):
                _from_response(page, f"page {number}", found, problems)
        else:
            found.extend(_Found(node, None) for node in document)
    elif isinstance(document, dict):
        if "data" in document or "errors" in document:
            _from_response(document, "the response", found, problems)
        elif "returnLineItems" in document or _is_gid(document.get("id"), "Return"):
            found.append(_Found(document, None))
        elif "returns" in document:
            order = document if _looks_like_order(document) else None
            _from_connection(document["returns"], order, "returns", found, problems)
        elif "edges" in document or "nodes" in document:
            _from_connection(document, None, "the top level", found, problems)
        else:
            _file_problem(problems, _NOT_RETURNS + _keys(document))
    else:
        _file_problem(problems, _NOT_RETURNS + f"; it holds a single {_kind(document)}")
    if len(found) > MAX_RETURNS:
        _file_problem(problems, f"the file holds {len(found):,} returns, more than "
                                f"{MAX_RETURNS:,}; import them in several files")
        return []
    return found


_NOT_RETURNS = ("the file does not hold Shopify returns: expected a GraphQL response with "
                "data.returns, data.order.returns or data.orders, a list of Return objects or "
                "one Return object")


def _keys(value: dict[str, Any]) -> str:
    shown = ", ".join(sorted(value)[:8]) or "none"
    return f" (its keys: {shown})"


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | Decimal):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    return "object"


def _is_gid(value: object, kind: str) -> bool:
    return isinstance(value, str) and value.startswith(f"gid://shopify/{kind}/")


def _looks_like_order(value: dict[str, Any]) -> bool:
    return _is_gid(value.get("id"), "Order") or "createdAt" in value or "customer" in value


def _from_response(response: object, where: str, found: list[_Found],
                   problems: _Problems) -> None:
    if not isinstance(response, dict):
        _file_problem(problems, f"{where} is a {_kind(response)}, not a GraphQL response")
        return
    errors = response.get("errors")
    if errors:
        messages = []
        for error in errors if isinstance(errors, list) else [errors]:
            message = error.get("message") if isinstance(error, dict) else error
            messages.append(clean_text(str(message), 200))
        _file_problem(problems, f"{where} is a GraphQL error, not returns: "
                                + "; ".join(messages[:5]))
        return
    data = response.get("data")
    if not isinstance(data, dict):
        _file_problem(problems, f"{where} has no data object")
        return
    if "returns" in data:
        _from_connection(data["returns"], None, "data.returns", found, problems)
    elif "return" in data:
        if data["return"] is None:
            _file_problem(problems, f"{where}: data.return is null (no such return)")
        else:
            found.append(_Found(data["return"], None))
    elif "order" in data:
        order = data["order"]
        if not isinstance(order, dict):
            _file_problem(problems, f"{where}: data.order is {_kind(order)}, not an order")
        else:
            _from_connection(order.get("returns"), order, "data.order.returns", found, problems)
    elif "orders" in data:
        orders = _connection_items(data["orders"])
        if orders is None:
            _file_problem(problems, f"{where}: data.orders is not a list or connection")
            return
        for number, order in enumerate(orders, start=1):
            if not isinstance(order, dict):
                _file_problem(problems, f"{where}: data.orders[{number}] is not an order")
                continue
            _from_connection(order.get("returns"), order, f"data.orders[{number}].returns",
                             found, problems)
    else:
        _file_problem(problems, f"{where}: " + _NOT_RETURNS + _keys(data))


def _from_connection(value: object, order: object, where: str, found: list[_Found],
                     problems: _Problems) -> None:
    items = _connection_items(value)
    if items is None:
        _file_problem(problems, f"{where} is {_kind(value)}, not a list of returns "
                                "(expected {edges: [{node: ...}]} or {nodes: [...]})")
        return
    found.extend(_Found(node, order) for node in items)


def _connection_items(value: object) -> list[object] | None:
    """The nodes of a GraphQL connection or plain list; None if `value` is neither."""
    if isinstance(value, list):
        return list(value)
    if not isinstance(value, dict):
        return None
    if isinstance(value.get("nodes"), list):
        return list(value["nodes"])
    if isinstance(value.get("edges"), list):
        return [edge.get("node") if isinstance(edge, dict) else edge for edge in value["edges"]]
    return None


# --- mapping one Return ----------------------------------------------------------------


class _Bad(Exception):
    """A field is wrong; the problem has been recorded."""


class _Record:
    """One Return being read: records problems against its number, id and field path."""

    def __init__(self, number: int, node: object, problems: _Problems) -> None:
        self.number = number
        self.node = node
        raw_id = node.get("id") if isinstance(node, dict) else None
        self.return_id = clean_text(raw_id, 80) if isinstance(raw_id, str) else None
        self._problems = problems
        self.bad = False

    def problem(self, path: str | None, message: str) -> None:
        self.bad = True
        self._problems.add(ShopifyProblem(self.number, self.return_id, path, message))

    def fail(self, path: str | None, message: str) -> _Bad:
        self.problem(path, message)
        return _Bad()

    # Typed access. `required` fields raise _Bad when missing; optional ones give None.

    def obj(self, parent: object, key: str, path: str, *, required: bool = True
            ) -> dict[str, Any] | None:
        value = parent.get(key) if isinstance(parent, dict) else None
        if value is None:
            if required:
                raise self.fail(path, _missing(key))
            return None
        if not isinstance(value, dict):
            raise self.fail(path, f"must be an object, not a {_kind(value)}")
        return value

    def text(self, parent: object, key: str, path: str, *, required: bool = True
             ) -> str | None:
        value = parent.get(key) if isinstance(parent, dict) else None
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                raise self.fail(path, _missing(key) if value is None
                                else "must not be empty")
            return None
        if not isinstance(value, str):
            raise self.fail(path, f"must be a string, not a {_kind(value)}")
        return value.strip()

    def identifier(self, parent: object, key: str, path: str, *, max_length: int = 64,
                   required: bool = True) -> str | None:
        """A code people match or scan: refused (not cleaned) if it has hidden characters."""
        value = self.text(parent, key, path, required=required)
        if value is None:
            return None
        control = _control_character(value)
        if control:
            raise self.fail(path, control)
        if len(value) > max_length:
            raise self.fail(path, f"must be at most {max_length} characters (got "
                                  f"{len(value)})")
        return value

    def connection(self, parent: object, key: str, path: str, *, required: bool = True
                   ) -> list[tuple[str, dict[str, Any]]] | None:
        raw = parent.get(key) if isinstance(parent, dict) else None
        if raw is None:
            if required:
                raise self.fail(path, _missing(key))
            return None
        items = _connection_items(raw)
        if items is None:
            raise self.fail(path, f"must be a list or a connection ({{nodes: [...]}} or "
                                  f"{{edges: [{{node: ...}}]}}), not a {_kind(raw)}")
        result = []
        for position, item in enumerate(items, start=1):
            item_path = f"{path}[{position}]"
            if not isinstance(item, dict):
                self.problem(item_path, f"must be an object, not a {_kind(item)}")
                continue
            result.append((item_path, item))
        return result


def _missing(key: str) -> str:
    return f"missing; add `{key}` to the GraphQL query that produced the file"


def _control_character(value: str) -> str | None:
    for position, char in enumerate(value, start=1):
        if unicodedata.category(char) in _FORBIDDEN_CATEGORIES:
            name = unicodedata.name(char, "control character")
            return (f"contains an invisible character U+{ord(char):04X} ({name}) at position "
                    f"{position}; correct it in Shopify")
    return None


def _got(value: str) -> str:
    shown = value if len(value) <= 40 else value[:37] + "..."
    return f"(got {shown!r})"


@dataclass
class _Seen:
    record: int
    return_id: str | None
    rma: RmaRecord


class _Mapper:
    def __init__(self, *, rma_pattern: re.Pattern[str], today: date, prefix: str,
                 tz: tzinfo | None, problems: _Problems) -> None:
        self.rma_pattern = rma_pattern
        self.today = today
        self.prefix = prefix
        self.tz = tz
        self.problems = problems
        self.notes: list[str] = []
        self.seen: dict[str, _Seen] = {}
        self.pattern_misses: list[tuple[_Record, str, str]] = []
        self.pattern_checked = 0

    def map_all(self, found: list[_Found]) -> ShopifyReturns:
        records: list[RmaRecord] = []
        skipped: list[SkippedReturn] = []
        asked_exchanges = asked_tracking = False
        for number, item in enumerate(found, start=1):
            rec = _Record(number, item.node, self.problems)
            if not isinstance(item.node, dict):
                rec.problem(None, f"must be a Return object, not a {_kind(item.node)}")
                continue
            asked_exchanges |= "exchangeLineItems" in item.node
            asked_tracking |= "reverseFulfillmentOrders" in item.node
            try:
                outcome = self._map(rec, item.node, item.order)
            except _Bad:
                continue
            if isinstance(outcome, SkippedReturn):
                skipped.append(outcome)
            elif outcome is not None and not rec.bad:
                records.append(outcome)
        self._report_pattern_misses()
        if records and not asked_exchanges:
            self.notes.append("no return in the file lists exchangeLineItems, so every RMA was "
                              "imported as a refund; add exchangeLineItems to the query to "
                              "import exchanges as exchanges")
        if records and not asked_tracking:
            self.notes.append("no return in the file lists reverseFulfillmentOrders, so no RMA "
                              "got a carrier tracking number; add reverseFulfillmentOrders "
                              "{ reverseDeliveries { deliverable { tracking { number } } } } to "
                              "the query so parcels can be received by their tracking number")
        return ShopifyReturns(records, skipped, self.notes)

    def _map(self, rec: _Record, node: dict[str, Any], parent_order: object
             ) -> RmaRecord | SkippedReturn | None:
        if rec.return_id is None:
            rec.problem("id", _missing("id") if node.get("id") is None
                        else "must be a Shopify id like gid://shopify/Return/123")
        status = rec.text(node, "status", "status")
        assert status is not None
        if status not in IMPORTED_STATUSES and status not in SKIPPED_STATUSES:
            known = ", ".join(sorted(IMPORTED_STATUSES | SKIPPED_STATUSES.keys()))
            raise rec.fail("status", f"must be one of {known} {_got(status)}")
        name = rec.identifier(node, "name", "name", max_length=64)
        assert name is not None
        rma_number = self.prefix + (name[1:] if name.startswith("#") else name).strip()
        if status in SKIPPED_STATUSES:
            return SkippedReturn(rec.number, rec.return_id, name, status, rma_number)

        number_ok = self._check_rma_number(rec, name, rma_number)
        order = rec.obj(node, "order", "order", required=parent_order is None) or parent_order
        header = self._order_fields(rec, order)
        lines = self._lines(rec, node)
        requested = self._requested(rec, node)
        tracking = self._tracking(rec, node)
        if rec.bad or not number_ok or header is None or lines is None:
            return None
        order_number, order_date, customer_name = header
        record = RmaRecord(
            rma_number=rma_number, order_number=order_number, order_date=order_date,
            customer_name=customer_name, requested=requested, lines=lines,
            carrier_tracking=tracking,
        )
        earlier = self.seen.get(rma_number)
        if earlier is not None:
            if earlier.rma == record:
                self.notes.append(f"record {rec.number} repeats record {earlier.record} "
                                  f"({rma_number}) exactly; it was read once")
                return None
            raise rec.fail("name", f"{name!r} gives RMA number {rma_number}, which record "
                                   f"{earlier.record} ({earlier.return_id}) already has with "
                                   "different contents; export each return once")
        self.seen[rma_number] = _Seen(rec.number, rec.return_id, record)
        return record

    # RMA number ----------------------------------------------------------------------

    def _check_rma_number(self, rec: _Record, name: str, rma_number: str) -> bool:
        self.pattern_checked += 1
        if len(rma_number) > 64:
            rec.problem("name", f"{name!r} with the prefix is longer than 64 characters")
            return False
        if self.rma_pattern.fullmatch(rma_number) is None:
            self.pattern_misses.append((rec, name, rma_number))
            return False
        return True

    def _report_pattern_misses(self) -> None:
        if not self.pattern_misses:
            return
        checked = self.pattern_checked
        hint = (f"this station's rma.number_pattern is {self.rma_pattern.pattern!r}; to "
                "import Shopify returns, let it accept their names too, e.g. "
                "number_pattern = 'RMA-[0-9]{6}|[0-9]+-R[0-9]+'")
        if len(self.pattern_misses) == checked > 1:
            rec, name, number = self.pattern_misses[0]
            rec.problem("name", f"{name!r} gives RMA number {number!r}, and none of the "
                                f"{checked} returns to import gives a number this station "
                                "accepts: " + hint)
            return
        for rec, name, number in self.pattern_misses:
            rec.problem("name", f"{name!r} gives RMA number {number!r}, which this station "
                                "does not accept: " + hint)

    # Order ---------------------------------------------------------------------------

    def _order_fields(self, rec: _Record, order: object) -> tuple[str, date, str] | None:
        if not isinstance(order, dict):
            return None
        try:
            order_number = rec.identifier(order, "name", "order.name")
        except _Bad:
            order_number = None
        order_date = self._order_date(rec, order)
        customer = self._customer_name(rec, order)
        if order_number is None or order_date is None or customer is None:
            return None
        return order_number, order_date, customer

    def _order_date(self, rec: _Record, order: dict[str, Any]) -> date | None:
        key = "createdAt" if order.get("createdAt") is not None else "processedAt"
        path = f"order.{key}"
        try:
            raw = rec.text(order, key, path)
        except _Bad:
            return None
        assert raw is not None
        try:
            moment = datetime.fromisoformat(raw)
            if moment.tzinfo is not None:
                moment = moment.astimezone(self.tz)
        except ValueError:
            rec.problem(path, f"must be a date and time like 2026-03-14T10:15:00Z {_got(raw)}")
            return None
        except OverflowError:  # e.g. 0001-01-01T00:00:00+14:00 is before the year 1 in UTC
            rec.problem(path, f"is not a date an order can have {_got(raw)}")
            return None
        day = moment.date()
        if day > self.today:
            rec.problem(path, f"is in the future {_got(raw)}, today is "
                              f"{self.today.isoformat()}; check the order")
            return None
        return day

    def _customer_name(self, rec: _Record, order: dict[str, Any]) -> str | None:
        candidates = (("customer", "displayName"), ("shippingAddress", "name"),
                      ("billingAddress", "name"))
        for holder_key, key in candidates:
            holder = order.get(holder_key)
            value = holder.get(key) if isinstance(holder, dict) else None
            if isinstance(value, str):
                name = clean_text(value, 200)
                if name:
                    return name
        rec.problem("order.customer.displayName",
                    "missing; the order has no customer name (ask for order { customer { "
                    "displayName } } in the query; an order without a customer cannot be "
                    "imported)")
        return None

    # Lines ---------------------------------------------------------------------------

    def _lines(self, rec: _Record, node: dict[str, Any]) -> tuple[RmaLineRecord, ...] | None:
        try:
            items = rec.connection(node, "returnLineItems", "returnLineItems")
        except _Bad:
            return None
        assert items is not None
        page_info = node["returnLineItems"].get("pageInfo") \
            if isinstance(node["returnLineItems"], dict) else None
        if isinstance(page_info, dict) and page_info.get("hasNextPage") is True:
            rec.problem("returnLineItems", "holds only the first page of the return's items "
                                           "(pageInfo.hasNextPage is true); ask for more, e.g. "
                                           "returnLineItems(first: 250), and export again")
            return None
        if not items:
            if not rec.bad:
                rec.problem("returnLineItems", "is empty; a return needs at least one item")
            return None
        if len(items) > MAX_LINES_PER_RETURN:
            rec.problem("returnLineItems", f"has {len(items)} items, more than "
                                           f"{MAX_LINES_PER_RETURN}")
            return None
        ids = [_gid_number(item.get("id")) for _, item in items]
        order = list(range(len(items)))
        if all(number is not None for number in ids):
            order.sort(key=lambda index: ids[index] or 0)
        lines = []
        for line_no, index in enumerate(order, start=1):
            path, item = items[index]
            try:
                lines.append(self._line(rec, path, item, line_no))
            except _Bad:
                continue
        return tuple(lines) if len(lines) == len(items) else None

    def _line(self, rec: _Record, path: str, item: dict[str, Any], line_no: int
              ) -> RmaLineRecord:
        quantity = self._quantity(rec, f"{path}.quantity", item.get("quantity"))
        reason = self._reason(rec, path, item)
        fulfillment = item.get("fulfillmentLineItem")
        if fulfillment is None:
            raise rec.fail(f"{path}.fulfillmentLineItem",
                           _missing("fulfillmentLineItem { lineItem { ... } }")
                           + " (an unverified return line item, not linked to an order "
                             "line, cannot be imported)")
        li_path = f"{path}.fulfillmentLineItem.lineItem"
        line_item = rec.obj(fulfillment, "lineItem", li_path)
        assert line_item is not None
        variant = rec.obj(line_item, "variant", f"{li_path}.variant", required=False)
        product = rec.obj(line_item, "product", f"{li_path}.product", required=False)
        sku = self._sku(rec, li_path, line_item, variant)
        description = self._description(rec, li_path, line_item)
        price, currency = self._price(rec, li_path, line_item)
        category = self._category(rec, f"{li_path}.product", product)
        gtin = self._gtin(rec, f"{li_path}.variant.barcode", variant)
        if rec.bad or quantity is None or reason is None or sku is None or description is None \
                or price is None or currency is None or category is None:
            raise _Bad()
        return RmaLineRecord(
            line_no=line_no, sku=sku, description=description, category=category,
            quantity=quantity, unit_price_minor=price, currency=currency, reason=reason,
            gtin=gtin, expected_serial=None,
        )

    def _quantity(self, rec: _Record, path: str, value: object) -> int | None:
        if value is None:
            rec.problem(path, _missing("quantity"))
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            rec.problem(path, f"must be a whole number, not {value!r}")
            return None
        if value < 1:
            rec.problem(path, f"must be 1 or more (got {value})")
            return None
        if value > MAX_QUANTITY:
            rec.problem(path, f"must be at most {MAX_QUANTITY} (got {value})")
            return None
        return value

    def _reason(self, rec: _Record, path: str, item: dict[str, Any]) -> Reason | None:
        handle: str | None = None
        definition = item.get("returnReasonDefinition")
        if isinstance(definition, dict) and isinstance(definition.get("handle"), str):
            handle = definition["handle"].strip().lower()
        elif definition is not None:
            rec.problem(f"{path}.returnReasonDefinition", "must be an object with a handle")
            return None
        enum = item.get("returnReason")
        if enum is not None and not isinstance(enum, str):
            rec.problem(f"{path}.returnReason", f"must be a string, not a {_kind(enum)}")
            return None
        if handle is None and enum is None:
            rec.problem(f"{path}.returnReason",
                        _missing("returnReason") + " (or returnReasonDefinition { handle })")
            return None
        if handle in REASON_BY_HANDLE:
            return REASON_BY_HANDLE[handle]
        if enum is not None and enum not in REASON_BY_ENUM:
            rec.problem(f"{path}.returnReason",
                        f"must be one of {', '.join(REASON_BY_ENUM)} {_got(enum)}")
            return None
        from_enum = REASON_BY_ENUM.get(enum or "")
        if from_enum is not None and from_enum is not Reason.OTHER:
            return from_enum
        if handle is not None and _WORD.fullmatch(handle) and \
                SIZE_HANDLE_WORDS.intersection(handle.split("-")):
            return Reason.WRONG_SIZE
        return Reason.OTHER

    def _sku(self, rec: _Record, path: str, line_item: dict[str, Any],
             variant: dict[str, Any] | None) -> str | None:
        try:
            sku = rec.identifier(line_item, "sku", f"{path}.sku", required=False)
            if sku is None and variant is not None:
                sku = rec.identifier(variant, "sku", f"{path}.variant.sku", required=False)
        except _Bad:
            return None
        if sku is None:
            rec.problem(f"{path}.sku", "missing or empty; the station needs a SKU for every "
                                       "item: give the product variant a SKU in Shopify (and "
                                       "ask for lineItem { sku } in the query)")
        return sku

    def _description(self, rec: _Record, path: str, line_item: dict[str, Any]) -> str | None:
        name = line_item.get("name")
        if not isinstance(name, str) or not name.strip():
            title = line_item.get("title")
            variant_title = line_item.get("variantTitle")
            if isinstance(title, str) and title.strip():
                name = title
                if isinstance(variant_title, str) and variant_title.strip():
                    name = f"{title} - {variant_title}"
        if not isinstance(name, str) or not clean_text(name, 200):
            rec.problem(f"{path}.name", _missing("name") + " (or title)")
            return None
        return clean_text(name, 200)

    def _price(self, rec: _Record, path: str, line_item: dict[str, Any]
               ) -> tuple[int | None, str | None]:
        key = "discountedUnitPriceAfterAllDiscountsSet"
        exact = False
        if line_item.get(key) is None:
            key, exact = "originalUnitPriceSet", True
        money_path = f"{path}.{key}.shopMoney"
        try:
            money_set = rec.obj(line_item, key, f"{path}.{key}")
            money = rec.obj(money_set, "shopMoney", money_path)
        except _Bad:
            return None, None
        assert money is not None
        raw_currency = money.get("currencyCode")
        currency: str | None = None
        if not isinstance(raw_currency, str):
            rec.problem(f"{money_path}.currencyCode", _missing("currencyCode"))
        else:
            try:
                currency = check_currency(raw_currency)
            except MoneyError as exc:
                rec.problem(f"{money_path}.currencyCode", str(exc))
        amount = _decimal(money.get("amount"))
        if amount is None:
            rec.problem(f"{money_path}.amount", "must be a decimal amount like \"19.99\" "
                                                f"(got {money.get('amount')!r})")
            return None, currency
        if amount < 0:
            rec.problem(f"{money_path}.amount", f"must not be negative (got {amount})")
            return None, currency
        if currency is None:
            return None, None
        exponent = CURRENCY_EXPONENTS[currency]
        scaled = amount.scaleb(exponent)
        if scaled != scaled.to_integral_value():
            if exact:
                rec.problem(f"{money_path}.amount", f"has more than {exponent} decimal places "
                                                    f"for {currency} (got {amount})")
                return None, currency
            # Shopify calls the discounted unit price approximate: round it to the cent.
            scaled = scaled.quantize(Decimal(1), rounding=ROUND_HALF_UP)
        if scaled > Decimal(10) ** 15:
            rec.problem(f"{money_path}.amount", f"is too large (got {amount})")
            return None, currency
        return int(scaled), currency

    def _category(self, rec: _Record, path: str, product: dict[str, Any] | None
                  ) -> Category | None:
        if product is None:
            return DEFAULT_CATEGORY
        tags = product.get("tags")
        if isinstance(tags, str):  # the REST API's comma-separated form
            tags = tags.split(",")
        if tags is not None and not isinstance(tags, list):
            rec.problem(f"{path}.tags", f"must be a list of strings, not a {_kind(tags)}")
            return None
        tagged = set()
        for tag in tags or []:
            if isinstance(tag, str) and tag.strip().lower().startswith(CATEGORY_TAG_PREFIX):
                value = tag.strip()[len(CATEGORY_TAG_PREFIX):].strip().lower()
                try:
                    tagged.add(Category(value))
                except ValueError:
                    rec.problem(f"{path}.tags", f"tag {tag.strip()!r} names no category; use "
                                                f"{CATEGORY_TAG_PREFIX}<category> with one of "
                                                + ", ".join(c.value for c in Category))
                    return None
        if len(tagged) > 1:
            rec.problem(f"{path}.tags", "has several different "
                                        f"{CATEGORY_TAG_PREFIX} tags; keep one")
            return None
        if tagged:
            return tagged.pop()
        full_name = _taxonomy_name(product)
        if full_name:
            for prefix, category in CATEGORY_BY_TAXONOMY:
                if full_name == prefix or full_name.startswith(prefix + " >"):
                    return category
        product_type = product.get("productType")
        if isinstance(product_type, str):
            words = set(re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)*", product_type.lower()))
            for category, known in CATEGORY_BY_PRODUCT_TYPE_WORD:
                if words & known:
                    return category
        return DEFAULT_CATEGORY

    def _gtin(self, rec: _Record, path: str, variant: dict[str, Any] | None) -> str | None:
        barcode = variant.get("barcode") if variant is not None else None
        if not isinstance(barcode, str) or not barcode.strip():
            return None
        code = barcode.strip().replace(" ", "")
        if is_valid_gtin(code):
            return code
        if code.isascii() and code.isdigit() and len(code) in (8, 12, 13, 14):
            self.notes.append(f"record {rec.number} ({rec.return_id}): {path} {code!r} has a "
                              "wrong GTIN check digit; imported without a GTIN")
        return None

    # Return-level fields -------------------------------------------------------------

    def _requested(self, rec: _Record, node: dict[str, Any]) -> RequestedOutcome:
        try:
            exchanges = rec.connection(node, "exchangeLineItems", "exchangeLineItems",
                                       required=False)
        except _Bad:
            return RequestedOutcome.REFUND
        return RequestedOutcome.EXCHANGE if exchanges else RequestedOutcome.REFUND

    def _tracking(self, rec: _Record, node: dict[str, Any]) -> str | None:
        numbers: list[str] = []
        try:
            orders = rec.connection(node, "reverseFulfillmentOrders",
                                    "reverseFulfillmentOrders", required=False) or []
            for rfo_path, rfo in orders:
                deliveries = rec.connection(rfo, "reverseDeliveries",
                                            f"{rfo_path}.reverseDeliveries",
                                            required=False) or []
                for path, delivery in deliveries:
                    number = self._tracking_number(rec, path, delivery)
                    if number and number not in numbers:
                        numbers.append(number)
        except _Bad:
            return None
        if len(numbers) > 1:
            self.notes.append(f"record {rec.number} ({rec.return_id}) has {len(numbers)} "
                              f"return parcels; only the first tracking number, {numbers[0]}, "
                              "finds the RMA when scanned (the others: "
                              + ", ".join(numbers[1:]) + ")")
        return numbers[0] if numbers else None

    def _tracking_number(self, rec: _Record, path: str, delivery: dict[str, Any]
                         ) -> str | None:
        deliverable = rec.obj(delivery, "deliverable", f"{path}.deliverable", required=False)
        tracking = rec.obj(deliverable, "tracking", f"{path}.deliverable.tracking",
                           required=False)
        number = rec.identifier(tracking, "number", f"{path}.deliverable.tracking.number",
                                required=False)
        if number is None:
            return None
        compact = number.replace(" ", "")
        return compact.upper() if compact.isascii() else compact


def _taxonomy_name(product: dict[str, Any]) -> str | None:
    category = product.get("category")
    if isinstance(category, dict) and isinstance(category.get("fullName"), str):
        return str(category["fullName"]).strip()
    legacy = product.get("productCategory")
    if isinstance(legacy, dict):
        node = legacy.get("productTaxonomyNode")
        if isinstance(node, dict) and isinstance(node.get("fullName"), str):
            return str(node["fullName"]).strip()
    return None


def _gid_number(value: object) -> int | None:
    if not isinstance(value, str):
        return None
    match = _GID_NUMBER.fullmatch(value)
    return int(match.group(1)) if match else None


def _decimal(value: object) -> Decimal | None:
    """A money amount: a decimal string (GraphQL's Decimal scalar) or a JSON number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal | int):
        amount = Decimal(value)
    elif isinstance(value, str) and re.fullmatch(r"\s*[0-9]{1,15}(?:\.[0-9]{1,9})?\s*", value):
        try:
            amount = Decimal(value.strip())
        except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
            return None
    else:
        return None
    return amount if amount.is_finite() else None


def iter_problem_lines(error: RmaShopifyError, file_name: str) -> Iterator[str]:
    """The error's problems as lines naming the file, for a terminal or a log."""
    for problem in error.problems:
        yield f"{file_name}: {problem}"
    if error.omitted:
        yield f"… and {error.omitted} more problems not listed"

