"""Money in minor units: currency exponents, limits and display.

Amounts are always integers in the currency's smallest unit, as card gateways and the
Taiwanese rails exchange them; nothing here uses floats.
"""

from __future__ import annotations

from paylab.simulator.core.errors import InvalidRequest
from paylab.simulator.core.vocabulary import (
    AMOUNT_TOO_LARGE,
    AMOUNT_TOO_SMALL,
    UNSUPPORTED_CURRENCY,
)

# ISO 4217 currencies card APIs treat as zero-decimal. TWD is listed by card APIs as a
# two-decimal currency even though cents are not used in practice.
ZERO_DECIMAL = frozenset({
    "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv",
    "xaf", "xof", "xpf",
})
THREE_DECIMAL = frozenset(["bhd", "jod", "kwd", "omr", "tnd"])

#: The minimum card charge per currency, in minor units; others default to 50.
MINIMUM_CHARGE = {"usd": 50, "eur": 50, "gbp": 30, "jpy": 50, "twd": 1000, "hkd": 400}
#: The largest amount a card API accepts (eight digits in minor units).
MAXIMUM_AMOUNT = 99_999_999

SUPPORTED_CURRENCIES = frozenset({
    "usd", "eur", "gbp", "jpy", "twd", "hkd", "sgd", "aud", "cad", "chf", "cny", "krw", "thb",
    "myr", "nzd", "sek", "dkk", "nok",
})


def exponent(currency: str) -> int:
    """Number of decimal places of `currency` (lower-case ISO code)."""
    if currency in ZERO_DECIMAL:
        return 0
    if currency in THREE_DECIMAL:
        return 3
    return 2


def minimum_charge(currency: str) -> int:
    """The smallest amount a card payment in `currency` may be created for."""
    return MINIMUM_CHARGE.get(currency, 50)


SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "twd": "NT$", "hkd": "HK$",
           "sgd": "S$", "aud": "A$", "cad": "CA$", "cny": "CN¥", "krw": "₩"}


def display_amount(amount: int, currency: str) -> str:
    """How a shopper reads it: `display_amount(4690, "usd") == "$46.90"`."""
    symbol = SYMBOLS.get(currency)
    if symbol is None:
        return format_amount(amount, currency)
    text = format_amount(abs(amount), currency).rsplit(" ", 1)[0]
    return f"{'-' if amount < 0 else ''}{symbol}{text}"


def format_amount(amount: int, currency: str) -> str:
    """Human form, e.g. `format_amount(1050, "usd") == "10.50 USD"`."""
    places = exponent(currency)
    sign = "-" if amount < 0 else ""
    whole, frac = divmod(abs(amount), 10**places) if places else (abs(amount), 0)
    text = f"{whole:,}" + (f".{frac:0{places}d}" if places else "")
    return f"{sign}{text} {currency.upper()}"


def check_amount(amount: int, currency: str) -> None:
    """Refuse an amount outside the currency's limits or a currency we do not support."""
    if currency not in SUPPORTED_CURRENCIES:
        raise InvalidRequest(
            UNSUPPORTED_CURRENCY, f"Unsupported currency: {currency}.",
            param="currency", currency=currency, supported=SUPPORTED_CURRENCIES,
        )
    minimum = minimum_charge(currency)
    if amount < minimum:
        raise InvalidRequest(
            AMOUNT_TOO_SMALL, f"Amount must be at least {format_amount(minimum, currency)}",
            param="amount", limit=minimum, currency=currency,
        )
    if amount > MAXIMUM_AMOUNT:
        raise InvalidRequest(
            AMOUNT_TOO_LARGE,
            f"Amount must be no more than {format_amount(MAXIMUM_AMOUNT, currency)}",
            param="amount", limit=MAXIMUM_AMOUNT, currency=currency, of="maximum",
        )
