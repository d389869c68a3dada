"""Money as integer minor units with an ISO 4217 currency; never floats.

Only currencies whose minor-unit exponent we know are accepted, so that "12.5" in an
import file can never silently become the wrong amount.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

#: ISO 4217 minor-unit exponents of the currencies a returns desk is likely to see.
CURRENCY_EXPONENTS: dict[str, int] = {
    "AUD": 2, "CAD": 2, "CHF": 2, "CNY": 2, "CZK": 2, "DKK": 2, "EUR": 2, "GBP": 2,
    "HKD": 2, "HUF": 2, "ILS": 2, "INR": 2, "JPY": 0, "KRW": 0, "MXN": 2, "NOK": 2,
    "NZD": 2, "PLN": 2, "RON": 2, "SEK": 2, "SGD": 2, "USD": 2, "ZAR": 2, "BRL": 2,
    "TRY": 2, "AED": 2, "SAR": 2, "BHD": 3, "KWD": 3,
}


class MoneyError(ValueError):
    """An amount or currency that cannot be represented exactly."""


def check_currency(code: str) -> str:
    """Return the upper-case currency code or raise MoneyError naming the accepted codes."""
    upper = code.strip().upper()
    if upper not in CURRENCY_EXPONENTS:
        raise MoneyError(
            f"unknown currency {code!r}; use a three-letter ISO 4217 code such as EUR, GBP or USD"
        )
    return upper


def parse_major(amount: str, currency: str) -> int:
    """Parse a decimal amount in major units ("19.99") into minor units (1999), exactly."""
    cur = check_currency(currency)
    exponent = CURRENCY_EXPONENTS[cur]
    text = amount.strip()
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise MoneyError(f"{amount!r} is not a number; write amounts like 19.99") from None
    if not value.is_finite():
        raise MoneyError(f"{amount!r} is not a finite amount")
    if value < 0:
        raise MoneyError(f"{amount!r} is negative; amounts paid cannot be below zero")
    scaled = value.scaleb(exponent)
    if scaled != scaled.to_integral_value():
        raise MoneyError(f"{amount!r} has more than {exponent} decimal places for {cur}")
    return int(scaled)


def format_minor(amount_minor: int, currency: str) -> str:
    """Format minor units for people: 1999, "EUR" -> "19.99 EUR"."""
    exponent = CURRENCY_EXPONENTS.get(currency, 2)
    value = Decimal(amount_minor).scaleb(-exponent)
    return f"{value:.{exponent}f} {currency}"
