"""The RMA import CSV: what a valid file becomes, and how every kind of bad file is refused."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest

from station.common.vocabulary import Category, Reason, RequestedOutcome
from station.receiving import rma_csv
from station.receiving.rma_csv import CSV_COLUMNS, CsvProblem, RmaCsvError, parse_rma_csv
from station.receiving.rma_records import RmaLineRecord, RmaRecord

PATTERN = re.compile(r"RMA-\d{6}")
TODAY = date(2026, 5, 9)
ALL_COLUMNS = [name for name, _, _ in CSV_COLUMNS]
REQUIRED_COLUMNS = [name for name, required, _ in CSV_COLUMNS if required]


def a_row(**cells: str) -> dict[str, str]:
    """A valid row for line 1 of RMA-100001; keyword arguments replace cells."""
    row = {
        "rma_number": "RMA-100001",
        "order_number": "SO-2026-004512",
        "order_date": "2026-04-20",
        "customer_name": "Anna Müller",
        "requested": "refund",
        "carrier_tracking": "1Z999AA10123456784",
        "line_no": "1",
        "sku": "APP-JMP-1187",
        "description": "Merino crew-neck jumper, navy, M",
        "category": "apparel",
        "quantity": "1",
        "unit_price": "89.00",
        "currency": "EUR",
        "reason": "wrong_size",
        "gtin": "4006381333931",
        "expected_serial": "",
    }
    row.update(cells)
    return row


def to_csv(rows: list[dict[str, str]], columns: list[str] | None = None) -> bytes:
    """Rows as a UTF-8 CSV file with a header, as Excel writes it (CRLF line ends).

    Cells of columns not listed are dropped.
    """
    columns = ALL_COLUMNS if columns is None else columns
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(name, "") for name in columns])
    return out.getvalue().encode("utf-8")


def parse(data: bytes) -> list[RmaRecord]:
    return parse_rma_csv(data, rma_pattern=PATTERN, today=TODAY)


def problems(data: bytes) -> list[CsvProblem]:
    with pytest.raises(RmaCsvError) as caught:
        parse(data)
    return caught.value.problems


def only_problem(data: bytes) -> CsvProblem:
    found = problems(data)
    assert len(found) == 1, found
    return found[0]


# --- valid files -------------------------------------------------------------------------


def test_a_valid_file_becomes_one_record_per_rma_with_lines_sorted_by_line_no() -> None:
    data = to_csv([
        a_row(line_no="2", sku="APP-TSH-0421", description="Organic T-shirt, white, M",
              quantity="2", unit_price="19.99"),
        a_row(rma_number="RMA-100002", order_number="SO-2026-004513", order_date="2026-05-09",
              customer_name="Yui Tanaka", requested="store_credit", carrier_tracking="",
              sku="ELE-HPH-0788", description="Wireless headphones", category="electronics",
              unit_price="45800", currency="JPY", reason="defective", gtin="",
              expected_serial="SN-7F3K2Q9X1"),
        a_row(line_no="1"),
    ])

    assert parse(data) == [
        RmaRecord(
            rma_number="RMA-100001",
            order_number="SO-2026-004512",
            order_date=date(2026, 4, 20),
            customer_name="Anna Müller",
            requested=RequestedOutcome.REFUND,
            carrier_tracking="1Z999AA10123456784",
            lines=(
                RmaLineRecord(1, "APP-JMP-1187", "Merino crew-neck jumper, navy, M",
                              Category.APPAREL, 1, 8900, "EUR", Reason.WRONG_SIZE,
                              gtin="4006381333931"),
                RmaLineRecord(2, "APP-TSH-0421", "Organic T-shirt, white, M",
                              Category.APPAREL, 2, 1999, "EUR", Reason.WRONG_SIZE,
                              gtin="4006381333931"),
            ),
        ),
        RmaRecord(
            rma_number="RMA-100002",
            order_number="SO-2026-004513",
            order_date=date(2026, 5, 9),
            customer_name="Yui Tanaka",
            requested=RequestedOutcome.STORE_CREDIT,
            carrier_tracking=None,
            lines=(
                RmaLineRecord(1, "ELE-HPH-0788", "Wireless headphones", Category.ELECTRONICS,
                              1, 45800, "JPY", Reason.DEFECTIVE, gtin=None,
                              expected_serial="SN-7F3K2Q9X1"),
            ),
        ),
    ]


def test_columns_may_come_in_any_order() -> None:
    shuffled = list(reversed(ALL_COLUMNS))
    assert parse(to_csv([a_row()], shuffled)) == parse(to_csv([a_row()]))


def test_optional_columns_may_be_left_out_and_then_take_their_defaults() -> None:
    [record] = parse(to_csv([a_row()], REQUIRED_COLUMNS))
    assert record.requested is RequestedOutcome.REFUND
    assert record.carrier_tracking is None
    assert record.lines[0].gtin is None
    assert record.lines[0].expected_serial is None


def test_empty_optional_cells_take_their_defaults() -> None:
    [record] = parse(to_csv([a_row(requested="", carrier_tracking="", gtin="")]))
    assert record.requested is RequestedOutcome.REFUND
    assert record.carrier_tracking is None
    assert record.lines[0].gtin is None


def test_header_names_are_matched_ignoring_case_and_surrounding_spaces() -> None:
    header = [f"  {name.upper()} " for name in ALL_COLUMNS]
    data = to_csv([a_row()])
    body = data.split(b"\r\n", 1)[1]
    assert parse(",".join(header).encode() + b"\r\n" + body) == parse(data)


def test_surrounding_whitespace_is_stripped_from_every_cell() -> None:
    [record] = parse(to_csv([a_row(customer_name="  Anna Müller ", quantity=" 2 ",
                                   category=" apparel", currency="eur ")]))
    assert record.customer_name == "Anna Müller"
    assert record.lines[0].quantity == 2
    assert record.lines[0].category is Category.APPAREL
    assert record.lines[0].currency == "EUR"


def test_vocabulary_values_are_accepted_in_any_letter_case() -> None:
    [record] = parse(to_csv([a_row(category="Electronics", reason="DEFECTIVE",
                                   requested="Exchange")]))
    assert record.lines[0].category is Category.ELECTRONICS
    assert record.lines[0].reason is Reason.DEFECTIVE
    assert record.requested is RequestedOutcome.EXCHANGE


def test_unix_line_endings_are_accepted_as_well_as_windows_ones() -> None:
    data = to_csv([a_row()])
    assert data.count(b"\r\n") == 2
    assert parse(data.replace(b"\r\n", b"\n")) == parse(data)


def test_a_utf8_byte_order_mark_is_accepted() -> None:
    data = to_csv([a_row()])
    assert parse(b"\xef\xbb\xbf" + data) == parse(data)


def test_blank_lines_are_ignored_but_still_count_for_line_numbers() -> None:
    data = to_csv([a_row(), a_row(line_no="2", quantity="three")])
    header, first, second = data.decode().splitlines()
    with_blanks = "\r\n".join([header, "", first, ",,,,", second]).encode()
    assert str(only_problem(with_blanks)) == (
        "line 5, column quantity: must be a whole number from 1 to 999 (got 'three')"
    )


# --- one bad row spoils the file ---------------------------------------------------------


def test_a_bad_row_is_reported_by_line_and_column_and_nothing_is_returned() -> None:
    data = to_csv([a_row(), a_row(line_no="2", quantity="three"), a_row(line_no="3")])

    with pytest.raises(RmaCsvError) as caught:
        parse(data)

    assert caught.value.problems == [
        CsvProblem(3, "quantity", "must be a whole number from 1 to 999 (got 'three')")
    ]
    assert str(caught.value.problems[0]) == (
        "line 3, column quantity: must be a whole number from 1 to 999 (got 'three')"
    )


def test_every_problem_in_the_file_is_reported_not_just_the_first() -> None:
    data = to_csv([
        a_row(quantity="0", currency="XYZ"),
        a_row(line_no="2", category="shoes"),
        a_row(line_no="3", sku=""),
    ])
    assert [(p.line, p.column) for p in problems(data)] == [
        (2, "quantity"), (2, "currency"), (3, "category"), (4, "sku"),
    ]


def test_at_most_200_problems_are_listed_and_the_rest_are_counted() -> None:
    rows = [a_row(line_no=str(n), quantity="none") for n in range(1, 251)]
    with pytest.raises(RmaCsvError) as caught:
        parse(to_csv(rows))
    assert len(caught.value.problems) == 200
    assert caught.value.omitted == 50
    assert "250 problems" in str(caught.value)
    assert "50 more not shown" in str(caught.value)


def test_the_error_message_lists_the_problems_for_people() -> None:
    with pytest.raises(RmaCsvError) as caught:
        parse(to_csv([a_row(quantity="three")]))
    assert str(caught.value) == (
        "the RMA file was not imported: 1 problem found\n"
        "line 2, column quantity: must be a whole number from 1 to 999 (got 'three')"
    )


def test_a_problem_without_a_column_names_only_the_line() -> None:
    assert str(CsvProblem(1, None, "the file is empty")) == "line 1: the file is empty"


# --- file-level rules --------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\n\n", b" , ,\n"])
def test_an_empty_file_is_refused(data: bytes) -> None:
    problem = only_problem(data)
    assert problem.line == 1
    assert "empty" in problem.message
    assert "header" in problem.message


def test_a_header_without_rows_is_refused() -> None:
    problem = only_problem(to_csv([]))
    assert problem.line == 2
    assert "no RMA lines" in problem.message


def test_latin1_bytes_are_refused_with_advice_to_save_as_utf8() -> None:
    data = to_csv([a_row()]).decode().encode("latin-1")  # "Müller" on line 2
    problem = only_problem(data)
    assert problem.line == 2
    assert problem.column is None
    assert "not UTF-8" in problem.message
    assert "save it as UTF-8" in problem.message


def test_utf16_files_are_refused_as_not_utf8() -> None:
    problem = only_problem(to_csv([a_row()]).decode().encode("utf-16"))
    assert "UTF-16" in problem.message
    assert "save it as UTF-8" in problem.message


def test_a_file_may_hold_a_million_rmas_of_several_lines() -> None:
    assert rma_csv.MAX_ROWS == 5_000_000


def test_a_file_over_the_row_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rma_csv, "MAX_ROWS", 3)
    assert parse(to_csv([a_row(line_no=str(n)) for n in (1, 2, 3)]))
    problem = only_problem(to_csv([a_row(line_no=str(n)) for n in (1, 2, 3, 4)]))
    assert problem.line == 5
    assert "more than 3 RMA lines" in problem.message
    assert "split" in problem.message


def test_a_row_with_the_wrong_number_of_cells_is_refused() -> None:
    data = to_csv([a_row()]) + b"RMA-100001,SO-2026-004512\r\n"
    problem = only_problem(data)
    assert (problem.line, problem.column) == (3, None)
    assert "has 2 cells but the header has 16 columns" in problem.message


def test_broken_quoting_is_refused() -> None:
    data = to_csv([a_row()]) + b'RMA-100002,"SO-1"x,2026-01-01\r\n'
    problem = only_problem(data)
    assert problem.line == 3
    assert "malformed" in problem.message


def test_line_numbers_are_physical_lines_even_after_a_cell_spanning_two_lines() -> None:
    data = to_csv([a_row(description="Jumper\nnavy"), a_row(line_no="2", quantity="x")])
    assert [(p.line, p.column) for p in problems(data)] == [(2, "description"), (4, "quantity")]


# --- the header --------------------------------------------------------------------------


def test_unknown_columns_are_refused_by_name() -> None:
    data = to_csv([a_row()], [*ALL_COLUMNS, "colour", "qty"])
    problem = only_problem(data)
    assert problem.line == 1
    assert "'colour'" in problem.message
    assert "'qty'" in problem.message
    assert "remove or rename" in problem.message


def test_an_unknown_column_close_to_a_known_one_gets_a_suggestion() -> None:
    columns = [("order_nubmer" if name == "order_number" else name) for name in ALL_COLUMNS]
    messages = [p.message for p in problems(to_csv([a_row()], columns))]
    assert any("did you mean 'order_number'?" in message for message in messages)


def test_missing_required_columns_are_refused_by_name() -> None:
    columns = [name for name in ALL_COLUMNS if name not in ("sku", "currency")]
    problem = only_problem(to_csv([a_row()], columns))
    assert problem.line == 1
    assert "missing required columns 'sku', 'currency'" in problem.message


def test_a_column_named_twice_is_refused() -> None:
    problem = only_problem(to_csv([a_row()], [*ALL_COLUMNS, "sku"]))
    assert (problem.line, problem.column) == (1, "sku")
    assert "twice" in problem.message


def test_csv_columns_documents_each_column_once_with_its_requiredness() -> None:
    assert len(ALL_COLUMNS) == len(set(ALL_COLUMNS)) == 16
    assert set(ALL_COLUMNS) - set(REQUIRED_COLUMNS) == {
        "requested", "carrier_tracking", "gtin", "expected_serial",
    }
    assert all(description for _, _, description in CSV_COLUMNS)


# --- cell rules --------------------------------------------------------------------------


@pytest.mark.parametrize("column", REQUIRED_COLUMNS)
def test_every_required_cell_must_be_filled_in(column: str) -> None:
    problem = only_problem(to_csv([a_row(**{column: "  "})]))
    assert (problem.line, problem.column) == (2, column)
    assert "must not be empty" in problem.message


@pytest.mark.parametrize("value", ["RMA-12345", "RMA-1234567", "rma-123456", "X RMA-123456"])
def test_the_rma_number_must_fully_match_the_configured_pattern(value: str) -> None:
    problem = only_problem(to_csv([a_row(rma_number=value)]))
    assert problem.column == "rma_number"
    assert r"RMA-\d{6}" in problem.message


@pytest.mark.parametrize("value", ["20/04/2026", "2026-4-20", "20260420", "2026-W16", "today"])
def test_the_order_date_must_be_written_yyyy_mm_dd(value: str) -> None:
    problem = only_problem(to_csv([a_row(order_date=value)]))
    assert problem.column == "order_date"
    assert "YYYY-MM-DD" in problem.message


def test_the_order_date_must_be_a_real_calendar_date() -> None:
    problem = only_problem(to_csv([a_row(order_date="2026-02-30")]))
    assert problem.column == "order_date"
    assert "not a real calendar date" in problem.message


def test_the_order_date_may_be_today_but_not_in_the_future() -> None:
    assert parse(to_csv([a_row(order_date="2026-05-09")]))
    problem = only_problem(to_csv([a_row(order_date="2026-05-10")]))
    assert problem.column == "order_date"
    assert "future" in problem.message


@pytest.mark.parametrize(
    ("column", "limit"),
    [("customer_name", 200), ("description", 200), ("sku", 64), ("expected_serial", 64),
     ("order_number", 64), ("carrier_tracking", 64)],
)
def test_text_cells_have_a_length_limit(column: str, limit: int) -> None:
    assert parse(to_csv([a_row(**{column: "x" * limit})]))
    problem = only_problem(to_csv([a_row(**{column: "x" * (limit + 1)})]))
    assert problem.column == column
    assert f"at most {limit} characters (got {limit + 1})" in problem.message


def test_requested_must_be_refund_store_credit_or_exchange() -> None:
    problem = only_problem(to_csv([a_row(requested="cash")]))
    assert problem.column == "requested"
    assert problem.message == "must be one of refund, store_credit, exchange (got 'cash')"


@pytest.mark.parametrize("value", ["0", "-1", "1.0", "one", "10000"])
def test_line_no_must_be_a_positive_whole_number(value: str) -> None:
    assert only_problem(to_csv([a_row(line_no=value)])).column == "line_no"


def test_category_must_be_one_of_the_vocabulary() -> None:
    problem = only_problem(to_csv([a_row(category="shoes")]))
    assert problem.column == "category"
    assert "must be one of apparel, footwear" in problem.message
    assert "(got 'shoes')" in problem.message


@pytest.mark.parametrize("value", ["0", "1000", "2.5", "three", "+2", "²"])
def test_quantity_must_be_a_whole_number_from_1_to_999(value: str) -> None:
    problem = only_problem(to_csv([a_row(quantity=value)]))
    assert problem == CsvProblem(
        2, "quantity", f"must be a whole number from 1 to 999 (got {value!r})"
    )


def test_quantity_999_is_accepted() -> None:
    [record] = parse(to_csv([a_row(quantity="999")]))
    assert record.lines[0].quantity == 999


@pytest.mark.parametrize(
    ("price", "currency", "minor"),
    [("19.99", "EUR", 1999), ("5", "GBP", 500), ("0.5", "USD", 50), ("12980", "JPY", 12980),
     ("899.00", "SEK", 89900), ("0", "EUR", 0)],
)
def test_unit_price_is_read_as_major_units_into_minor_units(
    price: str, currency: str, minor: int
) -> None:
    [record] = parse(to_csv([a_row(unit_price=price, currency=currency)]))
    assert record.lines[0].unit_price_minor == minor
    assert record.lines[0].currency == currency


@pytest.mark.parametrize(
    ("price", "currency"),
    [("19,99", "EUR"), ("€19.99", "EUR"), ("1,299.00", "USD"), ("-3.00", "EUR"),
     ("1e3", "EUR"), ("NaN", "EUR"), (".99", "EUR"), ("19.999", "EUR"), ("12.5", "JPY")],
)
def test_unit_price_must_be_a_plain_amount_that_fits_the_currency(
    price: str, currency: str
) -> None:
    problem = only_problem(to_csv([a_row(unit_price=price, currency=currency)]))
    assert problem.column == "unit_price"


def test_currency_must_be_a_known_iso_code() -> None:
    problem = only_problem(to_csv([a_row(currency="EURO")]))
    assert problem.column == "currency"
    assert "ISO 4217" in problem.message


def test_reason_must_be_one_of_the_vocabulary() -> None:
    problem = only_problem(to_csv([a_row(reason="too big")]))
    assert problem.column == "reason"
    assert "wrong_size" in problem.message


@pytest.mark.parametrize("gtin", ["4006381333931", "96385074", "036000291452", "10012345678902"])
def test_a_valid_gtin_is_kept(gtin: str) -> None:
    [record] = parse(to_csv([a_row(gtin=gtin)]))
    assert record.lines[0].gtin == gtin


def test_a_gtin_with_a_wrong_check_digit_is_refused_naming_the_right_digit() -> None:
    problem = only_problem(to_csv([a_row(gtin="4006381333932")]))
    assert problem.column == "gtin"
    assert "check digit" in problem.message
    assert "should be 1" in problem.message


@pytest.mark.parametrize("gtin", ["123", "40063813339", "4006-381-333-931", "ABCDEFGHIJKLM"])
def test_a_gtin_of_the_wrong_shape_is_refused(gtin: str) -> None:
    problem = only_problem(to_csv([a_row(gtin=gtin)]))
    assert problem.column == "gtin"
    assert "8, 12, 13 or 14 digits" in problem.message


@pytest.mark.parametrize(
    "char",
    ["\t", "\x00", "\x1b", "\r", "\n", "\u202a", "\u202e", "\u2066", "\u2069", "\u200b",
     "\ufeff", "\u2028"],
)
@pytest.mark.parametrize("column", ["customer_name", "description", "sku", "expected_serial"])
def test_control_and_invisible_formatting_characters_are_refused(char: str, column: str) -> None:
    problem = only_problem(to_csv([a_row(**{column: f"abc{char}def"})]))
    assert problem.column == column
    assert f"U+{ord(char):04X}" in problem.message
    assert "retype the cell" in problem.message


def test_a_control_character_at_the_edge_of_a_cell_is_refused_not_stripped() -> None:
    assert only_problem(to_csv([a_row(customer_name="Anna Müller\t")])).column == (
        "customer_name"
    )


def test_ordinary_spaces_and_non_ascii_letters_are_fine() -> None:
    [record] = parse(to_csv([a_row(customer_name="José Núñez O'Brien-Söderström 田中")]))
    assert record.customer_name == "José Núñez O'Brien-Söderström 田中"


# --- rows of one RMA ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "other_value"),
    [("order_number", "SO-2026-000001"), ("order_date", "2026-04-21"),
     ("customer_name", "Anna Schmidt"), ("requested", "exchange"),
     ("carrier_tracking", "")],
)
def test_rows_of_one_rma_must_agree_on_the_rma_fields(column: str, other_value: str) -> None:
    data = to_csv([a_row(), a_row(line_no="2", **{column: other_value})])
    problem = only_problem(data)
    assert (problem.line, problem.column) == (3, column)
    assert "differs from line 2" in problem.message


def test_agreement_compares_meaning_not_spelling() -> None:
    data = to_csv([a_row(requested=""), a_row(line_no="2", requested="Refund")])
    [record] = parse(data)
    assert len(record.lines) == 2


def test_a_line_number_may_appear_only_once_per_rma() -> None:
    data = to_csv([a_row(), a_row(sku="APP-TSH-0421"), a_row(rma_number="RMA-100002")])
    problem = only_problem(data)
    assert (problem.line, problem.column) == (3, "line_no")
    assert "already appears on line 2" in problem.message
