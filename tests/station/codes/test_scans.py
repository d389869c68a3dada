"""Classifying scans: every string is exactly one kind, check digits are checked, and
nothing a scanner or a person can send makes classification crash."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from station.codes.check_digits import (
    fedex_express_check_digit,
    gs1_check_digit,
    mod7_check_digit,
    ups_character_value,
    ups_check_digit,
)
from station.codes.lpn import format_lpn
from station.codes.scans import (
    COMMAND_CAPTIONS,
    COMMANDS,
    GS,
    MAX_SCAN_LENGTH,
    Payload,
    PayloadKind,
    ScanError,
    classify,
    inspect_scan,
    payload_json,
)

RMA = re.compile("RMA-[0-9]{6}", re.ASCII)
TODAY = date(2026, 1, 15)
ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
DIGITS = "0123456789"


def kind_of(code: str, pattern: re.Pattern[str] = RMA) -> tuple[str, bool]:
    payload = classify(code, pattern, today=TODAY)
    return payload.kind.value, payload.valid


def carrier_of(code: str) -> tuple[str, bool, str]:
    payload = classify(code, RMA, today=TODAY)
    return payload.kind.value, payload.valid, payload.fields.get("carrier", "")


def swap(code: str, position: int, char: str) -> str:
    return code[:position] + char + code[position + 1:]


# --- Published examples --------------------------------------------------------------------
# Valid/invalid examples from jkeen/tracking_number_data (couriers/*.json), the UPS
# developer documentation, GS1's own example GTIN 09501101530003, and the GS1 General
# Specifications example SSCC 106141411234567897.

TRACKING_EXAMPLES = [
    # (scan, carrier, valid, value)
    ("1Z999AA10123456784", "ups", True, "1Z999AA10123456784"),
    ("1Z12345E6605272234", "ups", True, "1Z12345E6605272234"),
    ("1Z5R89390357567127", "ups", True, "1Z5R89390357567127"),
    ("1Z879E930346834440", "ups", True, "1Z879E930346834440"),
    ("1Z410E7W0392751591", "ups", True, "1Z410E7W0392751591"),
    ("1Z8V92A70367203024", "ups", True, "1Z8V92A70367203024"),
    ("1z 999 aa1 01 2345 6784", "ups", True, "1Z999AA10123456784"),
    # UPS's API sandbox numbers are test data whose check digit is wrong (packagetrack notes
    # the same); 1Z12345E6605272234 above passes by chance.
    ("1Z12345E0205271688", "ups", False, "1Z12345E0205271688"),
    ("1Z999AA10123456785", "ups", False, "1Z999AA10123456785"),
    ("1Z1111111111111111", "ups", False, "1Z1111111111111111"),
    ("986578788855", "fedex", True, "986578788855"),
    ("477179081230", "fedex", True, "477179081230"),
    ("799531274483", "fedex", True, "799531274483"),
    ("790535312317", "fedex", True, "790535312317"),
    ("974367662710", "fedex", True, "974367662710"),
    ("0414 4176 0228 964", "fedex", True, "041441760228964"),
    ("568283610012000", "fedex", True, "568283610012000"),
    ("568283610012734", "fedex", True, "568283610012734"),
    ("9611020987654312345672", "fedex", True, "987654312345672"),
    ("9600000000000000000001", "fedex", False, "000000000000001"),
    ("61299998820821171811", "fedex", True, "61299998820821171811"),
    ("1001921334250001000300779017972697", "fedex", True, "779017972697"),
    ("1001901781990001000300617767839437", "fedex", True, "617767839437"),
    ("1001901781990001000300617767839438", "fedex", False, "617767839438"),
    ("9400 1112 0108 0805 4830 16", "usps", True, "9400111201080805483016"),
    ("9361289878700317633795", "usps", True, "9361289878700317633795"),
    ("9405803699300124287899", "usps", True, "9405803699300124287899"),
    ("9505 5110 6960 5048 6006 24", "usps", True, "9505511069605048600624"),
    ("9101 1234 5678 9000 0000 13", "usps", True, "9101123456789000000013"),
    ("9261292700768711948021", "usps", True, "9261292700768711948021"),
    ("92748931507708513018050063", "usps", True, "92748931507708513018050063"),
    ("9261292700768711948020", "usps", False, "9261292700768711948020"),
    ("9200000000000000000000", "usps", False, "9200000000000000000000"),
    ("0307 1790 0005 2348 3741", "usps", True, "03071790000523483741"),
    ("7112 3456 7891 2345 6787", "usps", True, "71123456789123456787"),
    ("7196 9010 7560 0307 7385", "usps", True, "71969010756003077385"),
    ("420 22153 9101026837331000039521", "usps", True, "9101026837331000039521"),
    ("4201002334249200190132607600833457", "usps", True, "9200190132607600833457"),
    ("4201028200009261290113185417468511", "usps", False, "9261290113185417468511"),
    ("3318810025", "dhl", True, "3318810025"),
    ("8487135506", "dhl", True, "8487135506"),
    ("1099255990", "dhl", True, "1099255990"),
    ("3821724944", "dhl", True, "3821724944"),
    ("RB123456785GB", "postal", True, "RB123456785GB"),
    ("RB123456785US", "postal", True, "RB123456785US"),
    ("RB123456786US", "postal", False, "RB123456786US"),
]


@pytest.mark.parametrize(("scan", "carrier", "valid", "value"), TRACKING_EXAMPLES)
def test_published_tracking_numbers(scan: str, carrier: str, valid: bool, value: str) -> None:
    payload = classify(scan, RMA, today=TODAY)
    assert (payload.kind, payload.valid, payload.fields["carrier"], payload.value) == (
        PayloadKind.TRACKING, valid, carrier, value)
    if valid:
        assert payload.error is None
    else:
        assert payload.error is not None and "check digit wrong" in payload.error
        assert "rescan or type it again" in payload.error


@pytest.mark.parametrize("scan", [
    "3318810010", "3318810034", "3318810011",  # DHL, check digit wrong
    "5682 8361 0012 732",  # FedEx Ground, check digit wrong: could be an IMEI
    # USPS 20 with a wrong check digit. (…3742, the published "invalid" example, passes the
    # FedEx SmartPost reading with its implied 92: three readings of 20 digits share the
    # check digit's ten values.)
    "0307 1790 0005 2348 3744",
])
def test_a_common_length_number_with_a_wrong_check_is_free_text_not_tracking(scan: str) -> None:
    assert kind_of(scan) == ("free_text", True)


def test_the_demo_stations_tracking_numbers_are_recognised() -> None:
    assert carrier_of("RR123456785GB") == ("tracking", True, "postal")


GTIN_EXAMPLES = [
    ("09501101530003", True),  # GS1's example GTIN-14
    ("9501101530003", True),  # the same as GTIN-13
    ("5901234123457", True),  # GS1 Poland's example EAN-13
    ("4006381333931", True),  # EAN-13 of a Stabilo pen, the classic Wikipedia example
    ("036000291452", True),  # UPC-A, the classic Wikipedia example
    ("96385074", True),  # EAN-8, the classic Wikipedia example
    ("5901234123458", False),
    ("036000291453", False),
    ("96385075", False),
    ("09501101530004", False),
]


@pytest.mark.parametrize(("scan", "valid"), GTIN_EXAMPLES)
def test_published_gtins(scan: str, valid: bool) -> None:
    payload = classify(scan, RMA, today=TODAY)
    assert (payload.kind, payload.valid, payload.value) == (PayloadKind.GTIN, valid, scan)
    if valid:
        assert payload.fields["gtin"] == scan and payload.fields["gtin14"] == scan.zfill(14)
    else:
        assert payload.error is not None and "check digit wrong" in payload.error


def test_twelve_digits_prefer_gtin_then_fedex_then_report_both() -> None:
    both = classify("123456789012", RMA, today=TODAY)  # FedEx's test number, a valid UPC too
    assert (both.kind, both.valid) == (PayloadKind.GTIN, True)
    assert both.fields["also_matches"] == "tracking:fedex"
    assert carrier_of("986578788855") == ("tracking", True, "fedex")
    neither = classify("996578788855", RMA, today=TODAY)
    assert (neither.kind, neither.valid) == (PayloadKind.GTIN, False)
    assert neither.error is not None and "FedEx" in neither.error


def test_a_scanner_symbology_identifier_is_set_aside() -> None:
    ean = classify("]E05901234123457", RMA, today=TODAY)
    assert (ean.kind, ean.value, ean.text) == (PayloadKind.GTIN, "5901234123457",
                                               "]E05901234123457")
    assert carrier_of("]C01Z999AA10123456784") == ("tracking", True, "ups")


# --- LPN, badge, command, RMA ---------------------------------------------------------------

def test_station_lpns_and_lpn_typos() -> None:
    lpn = format_lpn("BN", 42)
    payload = classify(lpn, RMA)
    assert (payload.kind, payload.valid, payload.fields) == (
        PayloadKind.LPN, True, {"prefix": "BN", "number": "00000042"})
    assert classify(lpn.lower(), RMA).value == lpn
    typo = swap(lpn, len(lpn) - 1, "0" if lpn[-1] != "0" else "1")
    wrong = classify(typo, RMA)
    assert (wrong.kind, wrong.valid) == (PayloadKind.LPN, False)
    assert wrong.error is not None
    assert "check character wrong — rescan or type it again" in wrong.error


def test_badges_are_badges() -> None:
    assert kind_of("BDG-ABCDEFGHIJKLMNOP") == ("badge", True)
    assert kind_of("BDG-abcdefghijklmnop") == ("free_text", True)


def test_the_bench_card_vocabulary() -> None:
    assert ("CMD:ASNEW", "CMD:GRADE:A", "CMD:GRADE:B", "CMD:GRADE:C", "CMD:GRADE:D",
                        "CMD:GRADE:X", *(f"CMD:ANSWER:{n}" for n in range(1, 10)),
                        "CMD:BACK", "CMD:PHOTO", "CMD:PRINT", "CMD:NEXT", "CMD:CANCEL",
                        "CMD:SIGNOUT") == COMMANDS
    assert all(COMMAND_CAPTIONS[code] for code in COMMANDS)
    for code in COMMANDS:
        payload = classify(code, RMA)
        assert (payload.kind, payload.valid, payload.value) == (
            PayloadKind.COMMAND, True, code.removeprefix("CMD:"))
    assert classify("CMD:GRADE:B", RMA).fields == {"command": "GRADE", "argument": "B",
                                                   "grade": "B"}
    assert classify("CMD:ANSWER:3", RMA).fields == {"command": "ANSWER", "argument": "3"}
    assert classify("cmd:next", RMA).value == "NEXT"
    unknown = classify("CMD:GRADE:E", RMA)
    assert (unknown.kind, unknown.valid) == (PayloadKind.COMMAND, False)
    assert unknown.error is not None and "bench card" in unknown.error


def test_the_rma_pattern_comes_first() -> None:
    assert kind_of("RMA-100001") == ("rma", True)
    assert kind_of("5901234123457", re.compile("[0-9]{13}", re.ASCII)) == ("rma", True)
    assert kind_of("1Z999AA10123456784", re.compile("1Z[0-9A-Z]{16}", re.ASCII)) == ("rma", True)
    assert kind_of("BN00000042Y", re.compile("BN[0-9]{8}[A-Z]", re.ASCII)) == ("rma", True)
    assert kind_of("CMD:NEXT", re.compile("CMD:.*", re.ASCII)) == ("rma", True)
    prefixed = classify("]C0RMA-100001", RMA)
    assert (prefixed.kind, prefixed.value) == (PayloadKind.RMA, "RMA-100001")
    # An RMA-like code that misses the pattern is just text.
    assert kind_of("RMA-12345") == ("free_text", True)


@pytest.mark.parametrize("typed", [
    "rma-100002", "Rma-100002",
    "RMA\u2010100002", "RMA\u2011100002", "RMA\u2012100002", "RMA\u2013100002",
    "RMA\u2212100002", "RMA\uff0d100002",
    "RMA-\uff11\uff10\uff10\uff10\uff10\uff12", "\uff32\uff2d\uff21-100002",
    "rma\u2010\uff11\uff10\uff10\uff10\uff10\uff12",
])
def test_an_rma_number_typed_in_lower_case_or_with_a_look_alike_character_is_read_as_one(
    typed: str,
) -> None:
    payload = classify(typed, RMA, today=TODAY)
    assert (payload.kind, payload.value, payload.valid) == (PayloadKind.RMA, "RMA-100002", True)
    assert payload.fields["normalised_from"] == typed
    assert payload.note == f"read as RMA-100002 (from {typed!r})"


def test_an_rma_number_scanned_as_configured_says_nothing_was_normalised() -> None:
    payload = classify("RMA-100002", RMA, today=TODAY)
    assert "normalised_from" not in payload.fields and payload.note is None


def test_lower_case_is_not_forced_on_a_pattern_that_spells_its_own_case() -> None:
    lower_only = re.compile("rma-[0-9]{6}", re.ASCII)
    assert kind_of("rma-100002", lower_only) == ("rma", True)
    assert kind_of("RMA-100002", lower_only) == ("free_text", True)


def test_a_valid_code_of_another_kind_keeps_its_meaning_when_only_its_upper_case_is_an_rma(
) -> None:
    lpn = format_lpn("BN", 42)
    upper_case_rma = re.compile("[0-9A-Z]{11}", re.ASCII)
    payload = classify(lpn.lower(), upper_case_rma, today=TODAY)
    assert (payload.kind, payload.value, payload.valid) == (PayloadKind.LPN, lpn, True)
    tracking = classify("1z999aa10123456784", re.compile("1Z[0-9A-Z]{16}", re.ASCII))
    assert (tracking.kind, tracking.value) == (PayloadKind.TRACKING, "1Z999AA10123456784")


# --- GS1 ------------------------------------------------------------------------------------

def test_gs1_from_a_scanner_and_from_the_printed_text() -> None:
    raw = classify("]d201095011015300031725123110ABC123" + GS + "21SN-1", RMA, today=TODAY)
    typed = classify("(01) 09501101530003 (17) 251231 (10) ABC123 (21) SN-1", RMA,
                     today=TODAY)
    for payload in (raw, typed):
        assert (payload.kind, payload.valid) == (PayloadKind.GS1, True)
        assert payload.value == "(01)09501101530003(17)251231(10)ABC123(21)SN-1"
        assert payload.fields == {
            "01": "09501101530003", "17": "251231", "10": "ABC123", "21": "SN-1",
            "gtin": "09501101530003", "expiry": "2025-12-31", "batch": "ABC123",
            "serial": "SN-1",
        }


@pytest.mark.parametrize("prefix", ["]C1", "]d2", "]Q3", "]e0", "]J1", GS, ""])
def test_gs1_sscc_with_every_gs1_symbology_and_none(prefix: str) -> None:
    payload = classify(prefix + "00106141411234567897", RMA)
    assert (payload.kind, payload.valid, payload.fields["sscc"]) == (
        PayloadKind.GS1, True, "106141411234567897")


def test_gs1_day_zero_is_the_end_of_the_month() -> None:
    payload = classify("]C10109501101530003170802001012", RMA, today=TODAY)
    assert payload.fields["expiry"] == "2008-02-29"


@pytest.mark.parametrize(("scan", "problem"), [
    ("]C10109501101530004", "check digit of (01) GTIN"),
    ("]C100106141411234567898", "check digit of (00) SSCC"),
    ("]C10109501101530003171302311012", "(17) USE BY or EXPIRY 130231 is not a valid date"),
    ("(01)09501101530003(17)251331", "251331 is not a valid date"),
    ("]C1010950110153000", "(01) GTIN is cut short"),
    ("]C10109501101530003" + "10" + "X" * 21, "(10) BATCH/LOT must be 1 to 20 characters"),
    ("]C10109501101530003" + "10AB" + GS + "10CD", "appears twice"),
    ("]C1" + "0109501101530003" + "98ab cd", "characters GS1 does not allow"),
    ("]C1" + "0109501101530003" + "2391", "not one this station reads"),
    ("]C1" + "ABC", "application identifier was expected"),
])
def test_gs1_errors_say_what_is_wrong(scan: str, problem: str) -> None:
    payload = classify(scan, RMA, today=TODAY)
    assert (payload.kind, payload.valid) == (PayloadKind.GS1, False)
    assert payload.error is not None and problem in payload.error
    assert "Rescan" in payload.error


def test_a_carrier_barcode_read_as_gs1_is_a_tracking_number() -> None:
    routed = classify("]C142022153" + GS + "9101026837331000039521", RMA)
    assert (routed.kind, routed.valid, routed.value, routed.fields["zip"]) == (
        PayloadKind.TRACKING, True, "9101026837331000039521", "22153")
    assert carrier_of("]C19611020987654312345672") == ("tracking", True, "fedex")


# --- Unusable input -------------------------------------------------------------------------

@pytest.mark.parametrize(("scan", "message"), [
    ("", "Nothing was scanned"),
    ("  \r\n", "Nothing was scanned"),
    ("A" * (MAX_SCAN_LENGTH + 1), "at most 512"),
    ("RMA-1\x1b@", "control character (U+001B)"),
    ("RMA\x00100001", "control character (U+0000)"),
    ("AB\x7fC", "control character (U+007F)"),
    ("AB\x85C", "control character (U+0085)"),
    ("\u202eRMA-100001", "control character (U+202E)"),
    ("A\u200bB", "control character (U+200B)"),
    ("A\ud800B", "control character (U+D800)"),
    ("A\ue000B", "control character (U+E000)"),
    ("A\tB", "control character (U+0009)"),
    ("A\u00a0B", "unusual space or line break (U+00A0)"),
    ("A\u2028B", "unusual space or line break (U+2028)"),
    ("AB" + GS + "CD", "group separator"),
    ("]C1", "only the scanner's symbology identifier"),
])
def test_unusable_scans_raise_with_a_helpful_message(scan: str, message: str) -> None:
    with pytest.raises(ScanError) as refused:
        classify(scan, RMA)
    assert message in str(refused.value)
    assert re.search(r"[Ss]can|[Tt]ype", str(refused.value))
    inspected = inspect_scan(scan, RMA)
    assert (inspected.kind, inspected.valid, inspected.error) == (
        PayloadKind.INVALID, False, str(refused.value))


def test_check_digit_failures_are_returned_not_raised() -> None:
    payload = classify("1Z999AA10123456785", RMA)
    assert not payload.valid and payload.error
    assert inspect_scan("1Z999AA10123456785", RMA) == payload


def test_json_has_exactly_the_documented_keys() -> None:
    for scan in ("RMA-100001", "1Z999AA10123456785", "\x00", "(01)09501101530003"):
        data = payload_json(inspect_scan(scan, RMA))
        assert set(data) == {"input", "kind", "value", "valid", "fields", "error"}
        assert data["input"] == scan
        json.dumps(data)
    assert payload_json(inspect_scan(" RMA-100001\n", RMA)) == {
        "input": " RMA-100001\n", "kind": "rma", "value": "RMA-100001", "valid": True,
        "fields": {}, "error": None}


def test_the_old_two_field_payload_still_works() -> None:
    payload = Payload("RMA-100001", PayloadKind.RMA)
    assert (payload.value, payload.valid, payload.fields, payload.error, payload.input) == (
        "RMA-100001", True, {}, None, "RMA-100001")


# --- Properties -----------------------------------------------------------------------------

ANY_TEXT = st.one_of(
    st.text(st.characters(exclude_categories=()), max_size=40),
    st.text(alphabet="0123456789 ()]CdeQJE1Z" + GS + "ABX:-\t", max_size=40),
    st.binary(max_size=40).map(lambda b: b.decode("latin-1")),
    st.text(alphabet="0123456789", min_size=6, max_size=36),
    st.builds(lambda head, tail: head + tail,
              st.sampled_from(["]C1", "]d2", "(01)", "CMD:", "1Z", "BDG-", "00", GS, "420"]),
              st.text(alphabet="0123456789()" + GS + "ABZ", max_size=30)),
    st.text(min_size=MAX_SCAN_LENGTH - 2, max_size=MAX_SCAN_LENGTH + 3),
)


@given(ANY_TEXT)
def test_classify_raises_nothing_but_scan_error(scan: str) -> None:
    try:
        payload = classify(scan, RMA)
    except ScanError as refused:
        assert str(refused)
        return
    assert payload.kind is not PayloadKind.INVALID
    assert payload.valid == (payload.error is None)
    assert (payload.text and payload.text.isprintable()) or GS in payload.text
    json.dumps(payload_json(payload))


@given(ANY_TEXT)
def test_inspect_scan_never_raises(scan: str) -> None:
    data = payload_json(inspect_scan(scan, RMA))
    assert set(data) == {"input", "kind", "value", "valid", "fields", "error"}
    json.dumps(data)


@given(st.text(min_size=1, max_size=20),
       st.characters(categories=["Cc"], exclude_characters=[GS, " ", "\t", "\r", "\n"]),
       st.text(min_size=1, max_size=20))
def test_a_control_character_inside_is_always_refused(head: str, control: str,
                                                      tail: str) -> None:
    with pytest.raises(ScanError):
        classify(head.strip() + "x" + control + "x" + tail, RMA)


def payload_digits(length: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=DIGITS, min_size=length, max_size=length)


@given(st.sampled_from([8, 12, 13, 14]).flatmap(lambda n: payload_digits(n - 1)),
       st.integers(0, 13), st.integers(1, 9))
def test_any_gtin_classifies_and_any_one_digit_change_is_caught(
    payload: str, position: int, change: int
) -> None:
    gtin = payload + str(gs1_check_digit(payload))
    result = classify(gtin, RMA)
    assert (result.kind, result.valid, result.value) == (PayloadKind.GTIN, True, gtin)
    position %= len(gtin)
    typo = swap(gtin, position, str((int(gtin[position]) + change) % 10))
    corrupted = classify(typo, RMA)
    assert not (corrupted.kind is PayloadKind.GTIN and corrupted.valid)


@given(st.text(alphabet=ALNUM, min_size=15, max_size=15), st.integers(2, 17),
       st.sampled_from(ALNUM))
def test_any_ups_number_classifies_and_detectable_typos_are_caught(
    body: str, position: int, replacement: str
) -> None:
    number = f"1Z{body}{ups_check_digit(body)}"
    assert carrier_of(number) == ("tracking", True, "ups")
    assume(number[position] != replacement)
    if position < 17:  # the scheme cannot see a change of 5 (×2 positions) or 10 in value
        weight = 2 if (position - 2) % 2 else 1
        delta = ups_character_value(replacement) - ups_character_value(number[position])
        assume(weight * delta % 10 != 0)
    assert carrier_of(swap(number, position, replacement)) == ("tracking", False, "ups")


@given(payload_digits(11), st.integers(0, 11), st.integers(1, 9))
def test_any_fedex_express_number_classifies_and_typos_are_caught(
    payload: str, position: int, change: int
) -> None:
    check = fedex_express_check_digit(payload)
    assume(check != 0)  # with check 0 the mod 11 → mod 10 folding hides some typos
    number = payload + str(check)
    result = classify(number, RMA)
    assert (result.kind, result.valid) in {(PayloadKind.TRACKING, True), (PayloadKind.GTIN, True)}
    if result.kind is PayloadKind.GTIN:  # valid as a UPC as well: GTIN wins, FedEx noted
        assert result.fields["also_matches"] == "tracking:fedex"
    typo = classify(swap(number, position, str((int(number[position]) + change) % 10)), RMA)
    assert not (typo.kind is PayloadKind.TRACKING and typo.valid)
    assert "also_matches" not in typo.fields


@given(payload_digits(9), st.integers(0, 9), st.sampled_from([1, 2, 3, 4, 5, 6, 8, 9]))
def test_any_dhl_number_classifies_and_typos_are_caught(
    payload: str, position: int, change: int
) -> None:
    number = payload + str(mod7_check_digit(payload))
    assert carrier_of(number) == ("tracking", True, "dhl")
    new_digit = (int(number[position]) + change) % 10
    if position < 9:  # mod 7 cannot see a change of ±7 (0↔7, 1↔8, 2↔9)
        assume(abs(new_digit - int(number[position])) != 7)
    typo = classify(swap(number, position, str(new_digit)), RMA)
    assert not (typo.kind is PayloadKind.TRACKING and typo.valid
                and typo.fields["carrier"] == "dhl")


@given(payload_digits(17), st.integers(0, 17), st.integers(1, 9),
       st.sampled_from(["]C1", "]d2", "", "(00)"]))
def test_any_sscc_classifies_and_any_one_digit_change_is_caught(
    payload: str, position: int, change: int, prefix: str
) -> None:
    sscc = payload + str(gs1_check_digit(payload))
    marker = prefix if prefix == "(00)" else prefix + "00"
    result = classify(marker + sscc, RMA)
    assert (result.kind, result.valid, result.fields["sscc"]) == (PayloadKind.GS1, True, sscc)
    typo = swap(sscc, position, str((int(sscc[position]) + change) % 10))
    corrupted = classify(marker + typo, RMA)
    assert not (corrupted.kind is PayloadKind.GS1 and corrupted.valid)
    if prefix:
        assert (corrupted.kind, corrupted.valid) == (PayloadKind.GS1, False)
