"""Check-digit schemes used by the codes a station scans and prints."""

from __future__ import annotations

LPN_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def gs1_check_digit(digits: str) -> int:
    """GS1 mod-10 check digit for the payload digits (GTIN-8/12/13/14, SSCC) without it."""
    if not digits.isdigit() or not digits.isascii():
        raise ValueError("GS1 check digits are computed over digits only")
    total = 0
    for position, char in enumerate(reversed(digits)):
        weight = 3 if position % 2 == 0 else 1
        total += int(char) * weight
    return (10 - total % 10) % 10


def is_valid_gtin(code: str) -> bool:
    """True for a GTIN-8, -12, -13 or -14 whose last digit is its correct check digit."""
    if len(code) not in (8, 12, 13, 14) or not code.isdigit() or not code.isascii():
        return False
    return gs1_check_digit(code[:-1]) == int(code[-1])


def iso7064_mod37_36(payload: str) -> str:
    """ISO/IEC 7064 MOD 37,36 check character over digits and upper-case letters.

    Detects every single substitution and adjacent transposition, which is what a clerk
    keying an LPN by hand gets wrong.
    """
    modulus = 36
    product = modulus
    for char in payload:
        value = LPN_ALPHABET.index(char)
        total = (product + value) % modulus or modulus
        product = (total * 2) % (modulus + 1)
    check = (modulus + 1 - product) % modulus
    return LPN_ALPHABET[check]
