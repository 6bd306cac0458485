"""Money in minor units: currency exponents, limits and display.

Amounts are always integers in the currency's smallest unit, as Stripe and the Taiwanese
rails exchange them; nothing here uses floats.
"""

from __future__ import annotations

from paylab.simulator.core.errors import InvalidRequest

# ISO 4217 currencies Stripe treats as zero-decimal. TWD is listed by Stripe as a
# two-decimal currency on the API even though cents are not used in practice.
ZERO_DECIMAL = frozenset({
    "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv",
    "xaf", "xof", "xpf",
})
THREE_DECIMAL = frozenset(["bhd", "jod", "kwd", "omr", "tnd"])

#: Stripe's minimum charge per currency, in minor units; others default to 50.
MINIMUM_CHARGE = {"usd": 50, "eur": 50, "gbp": 30, "jpy": 50, "twd": 1000, "hkd": 400}
#: The largest amount Stripe accepts (eight digits in minor units).
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
            "parameter_invalid_string",
            f"Invalid currency: {currency}. Stripe currently supports these currencies: "
            f"{', '.join(sorted(SUPPORTED_CURRENCIES))}",
            param="currency",
        )
    minimum = minimum_charge(currency)
    if amount < minimum:
        raise InvalidRequest(
            "amount_too_small",
            f"Amount must be at least {format_amount(minimum, currency)}",
            param="amount",
        )
    if amount > MAXIMUM_AMOUNT:
        raise InvalidRequest(
            "amount_too_large",
            f"Amount must be no more than {format_amount(MAXIMUM_AMOUNT, currency)}",
            param="amount",
        )
