"""Code 128 encoder: symbol structure, code-set choice, and round trips through zxing-cpp."""

from __future__ import annotations

import pytest
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from station.labels.code128 import Code128Error, encode, total_modules

START_B = [2, 1, 1, 2, 1, 4]
START_C = [2, 1, 1, 2, 3, 2]
STOP = [2, 3, 3, 1, 1, 1, 2]
PRINTABLE_ASCII = "".join(chr(code) for code in range(32, 127))


def bar_image(widths: list[int], module_px: int = 3, height: int = 60) -> Image.Image:
    """A plain symbol with a 10-module quiet zone each side, for decoding tests."""
    quiet = 10 * module_px
    image = Image.new("1", (sum(widths) * module_px + 2 * quiet, height), 1)
    draw = ImageDraw.Draw(image)
    x = quiet
    for index, width in enumerate(widths):
        if index % 2 == 0:
            draw.rectangle((x, 0, x + width * module_px - 1, height - 1), fill=0)
        x += width * module_px
    return image


def decode(text: str) -> list[str]:
    results = zxingcpp.read_barcodes(bar_image(encode(text)))
    assert all(result.format == zxingcpp.BarcodeFormat.Code128 for result in results)
    return [result.text for result in results]


def symbols_in(widths: list[int]) -> int:
    """Number of 11-module symbols before the 7-element stop pattern."""
    return (len(widths) - len(STOP)) // 6


class TestSymbolStructure:
    def test_starts_with_a_bar_and_ends_with_the_stop_pattern(self) -> None:
        widths = encode("BN0100000042K")
        assert widths[-7:] == STOP
        assert len(widths) % 2 == 1, "bar, space, ..., bar: an odd number of elements"

    def test_every_symbol_is_eleven_modules_of_three_bars_and_three_spaces(self) -> None:
        widths = encode("Returns 2024!")
        body = widths[:-7]
        assert len(body) % 6 == 0
        for start in range(0, len(body), 6):
            symbol = body[start : start + 6]
            assert sum(symbol) == 11
            assert all(1 <= width <= 4 for width in symbol)

    def test_total_modules_is_the_sum_of_widths(self) -> None:
        for text in ("A", "1234", "BN0100000042K", PRINTABLE_ASCII):
            assert total_modules(text) == sum(encode(text))

    def test_check_symbol_is_the_mod_103_weighted_sum(self) -> None:
        # Start B (104) + P 48*1 + J 42*2 + J 42*3 + 1 17*4 + 2 18*5 + 3 19*6 + C 35*7 = 879;
        # 879 mod 103 = 55, whose pattern is 311321.
        widths = encode("PJJ123C")
        assert widths[:6] == START_B
        assert widths[-13:-7] == [3, 1, 1, 3, 2, 1]


class TestCodeSetChoice:
    def test_text_starting_with_four_digits_starts_in_code_set_c(self) -> None:
        assert encode("1234AB")[:6] == START_C

    def test_text_starting_with_letters_starts_in_code_set_b(self) -> None:
        assert encode("AB1234")[:6] == START_B

    def test_even_digit_string_packs_two_digits_per_symbol(self) -> None:
        # start C, 12, 34, 56, check
        assert symbols_in(encode("123456")) == 5
        assert total_modules("123456") == 5 * 11 + 13

    def test_long_digit_run_after_letters_switches_to_code_set_c(self) -> None:
        # start B, A, B, CODE C, 12, 34, 56, check (all-B would need 10 symbols)
        assert symbols_in(encode("AB123456")) == 8

    def test_short_digit_run_stays_in_code_set_b(self) -> None:
        # switching for two digits saves nothing: start B, A, 1, 2, check
        assert symbols_in(encode("A12")) == 5

    def test_odd_digit_run_puts_one_digit_in_code_set_b(self) -> None:
        # start, 1, CODE C, 23, 45, check -- or the same count the other way round
        assert symbols_in(encode("12345")) == 6

    def test_odd_digit_run_after_letters_puts_its_first_digit_in_code_set_b(self) -> None:
        # start B, A, 1, CODE C, 23, 45, check; python-barcode's greedy choice takes 8
        assert symbols_in(encode("A12345")) == 7

    def test_lpn_switches_into_c_and_back_to_b(self) -> None:
        # start B, B, N, CODE C, 01, 00, 00, 00, 42, CODE B, K, check
        assert symbols_in(encode("BN0100000042K")) == 12


class TestRoundTripThroughZxing:
    @pytest.mark.parametrize(
        "text",
        [
            "0",
            "42",
            "0123456789",
            "99",  # python-barcode 0.16.1's own Code 128 drops a leading 99 pair
            "9912345678",
            "12345",
            "00000000000000000000",
            "BN0100000042K",
            "AB123456",
            "A12",
            "PJJ123C",
            "RMA-2024-000123",
            " leading and trailing spaces ",
            PRINTABLE_ASCII,
        ],
    )
    def test_digit_only_and_mixed_text_decodes_back(self, text: str) -> None:
        assert decode(text) == [text]

    def test_every_code_set_c_digit_pair_decodes_back(self) -> None:
        text = "".join(f"{pair:02d}" for pair in range(100))
        assert decode(text) == [text]

    @settings(max_examples=60, deadline=None)
    @given(
        st.text(
            alphabet=st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=30
        )
    )
    def test_any_printable_ascii_decodes_back(self, text: str) -> None:
        assert decode(text) == [text]


class TestInvalidInput:
    def test_empty_text_is_rejected(self) -> None:
        with pytest.raises(Code128Error, match="empty"):
            encode("")

    @pytest.mark.parametrize(
        "text", ["caf\u00e9", "tab\there", "line\n", "\x1b@", "del\x7f", "\u202e"]
    )
    def test_characters_outside_printable_ascii_are_rejected(self, text: str) -> None:
        with pytest.raises(Code128Error, match="printable ASCII"):
            encode(text)

    def test_total_modules_rejects_the_same_input(self) -> None:
        with pytest.raises(Code128Error):
            total_modules("\x00")

    def test_code128_error_is_a_value_error(self) -> None:
        assert issubclass(Code128Error, ValueError)
