"""Check-digit schemes used by the codes a station scans and prints.

The standard schemes come from python-stdnum: the GS1 mod-10 of GTINs, SSCCs and GLNs
(`stdnum.ean`) and ISO/IEC 7064 MOD 37,36 (`stdnum.iso7064.mod_37_36`). The functions here
only add the station's contract: ASCII digits or nothing (stdnum's EAN parser would drop
spaces and dashes, and Python's int() reads other scripts' digits). stdnum is imported by
the functions that use it, on first use: with its utilities (pydoc among them) it adds to the
app's start, which checks no digit before the sign-in screen (issue #17).
"""

from __future__ import annotations


def _ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def gs1_check_digit(digits: str) -> int:
    """GS1 mod-10 check digit for the payload digits (GTIN-8/12/13/14, SSCC) without it."""
    if not _ascii_digits(digits):
        raise ValueError("GS1 check digits are computed over digits only")
    from stdnum import ean

    return int(ean.calc_check_digit(digits))


def is_valid_gtin(code: str) -> bool:
    """True for a GTIN-8, -12, -13 or -14 whose last digit is its correct check digit."""
    from stdnum import ean

    return _ascii_digits(code) and ean.is_valid(code)


def iso7064_mod37_36(payload: str) -> str:
    """ISO/IEC 7064 MOD 37,36 check character over digits and upper-case letters.

    Detects every single substitution and adjacent transposition, which is what a clerk
    keying an LPN by hand gets wrong. Raises ValueError for any other character.
    """
    from stdnum.iso7064 import mod_37_36

    return mod_37_36.calc_check_digit(payload)


# --- Carrier tracking numbers ------------------------------------------------------------
#
# The carriers' own schemes (UPS, FedEx Express, DHL mod 7) are in no well-kept library, nor
# is UPU S10 (python-stdnum has no module for it); those with the GS1 mod 10 (FedEx Ground,
# USPS) use `has_gs1_check_digit`, so stdnum's.
#
# Sources, checked against the published example numbers in the tests:
# - jkeen/tracking_number_data (couriers/*.json and CHECKSUM_ALGORITHMS.md), the shared
#   definition behind the `tracking_number` Ruby/JS/Python/Go libraries, with valid and
#   invalid example numbers per scheme;
# - the FedEx Ground Label Layout Specification and USPS Publications 91/109/199, as
#   summarised there and in jbittel/drogher.


def ups_character_value(char: str) -> int:
    """UPS maps a letter to a digit as (ord(letter) - 63) % 10: A=2 … H=9, I=0, J=1 …"""
    if _ascii_digits(char) and len(char) == 1:
        return int(char)
    if len(char) == 1 and "A" <= char <= "Z":
        return (ord(char) - 63) % 10
    raise ValueError("UPS check digits are computed over digits and upper-case letters only")


def ups_check_digit(body: str) -> int:
    """Check digit of a UPS "1Z" number over the 15 characters between "1Z" and the check.

    Characters in odd positions (1st, 3rd, …) count once, in even positions twice (no
    digit sum); the check digit brings the total to a multiple of ten. E.g. body
    999AA1012345678 of 1Z999AA10123456784 gives 4. The plain doubling means a substitution
    by ±5 in an even position, or a letter for another with the same value, is not caught.
    """
    total = 0
    for position, char in enumerate(body):
        value = ups_character_value(char)
        total += value * 2 if position % 2 else value
    return (10 - total % 10) % 10


def fedex_express_check_digit(digits: str) -> int:
    """FedEx Express (12-digit and the serial of the 34-digit barcode): weights 1, 3, 7
    repeating from the rightmost payload digit, sum mod 11, a remainder of 10 gives 0.

    E.g. 12345678901 → 2 (FedEx's test number 123456789012). The 10 → 0 folding means a
    number whose check digit is 0 misses the substitutions that move the remainder between
    0 and 10.
    """
    if not _ascii_digits(digits):
        raise ValueError("FedEx check digits are computed over digits only")
    weights = (1, 3, 7)
    total = sum(int(char) * weights[i % 3] for i, char in enumerate(reversed(digits)))
    return total % 11 % 10


def mod7_check_digit(digits: str) -> int:
    """DHL Express waybill: the check digit is the payload, read as one number, mod 7.

    Substitutions by ±7 (0↔7, 1↔8, 2↔9) in the payload are not caught.
    """
    if not _ascii_digits(digits):
        raise ValueError("mod 7 check digits are computed over digits only")
    return int(digits) % 7


def upu_s10_check_digit(serial: str) -> int:
    """UPU S10 (international postal items, e.g. RB123456785GB): weights 8 6 4 2 3 5 9 7
    over the 8 serial digits, check = 11 - sum mod 11, with 10 → 0 and 11 → 5."""
    if len(serial) != 8 or not _ascii_digits(serial):
        raise ValueError("S10 check digits are computed over exactly 8 digits")
    total = sum(int(char) * w for char, w in zip(serial, (8, 6, 4, 2, 3, 5, 9, 7), strict=True))
    check = 11 - total % 11
    return 0 if check == 10 else 5 if check == 11 else check


def has_gs1_check_digit(code: str) -> bool:
    """True if the last digit of an all-digit code is the GS1 mod-10 check of the rest.

    The same check serves GTINs, SSCC, GLN, GSIN, FedEx Ground and USPS IMpb numbers.
    """
    if len(code) < 2 or not _ascii_digits(code):
        return False
    return gs1_check_digit(code[:-1]) == int(code[-1])
