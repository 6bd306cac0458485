"""Minor-unit money: exponents, minimums and display."""

import pytest
from paylab.simulator.core import money


@pytest.mark.parametrize(("currency", "places"), [("usd", 2), ("jpy", 0), ("krw", 0),
                                                    ("twd", 2), ("kwd", 3)])
def test_exponent_follows_iso_4217_as_stripe_applies_it(currency: str, places: int) -> None:
    assert money.exponent(currency) == places


@pytest.mark.parametrize(("amount", "currency", "text"), [
    (1050, "usd", "10.50 USD"), (5, "usd", "0.05 USD"), (1000, "jpy", "1,000 JPY"),
    (-250, "eur", "-2.50 EUR"), (1234567, "kwd", "1,234.567 KWD"),
])
def test_format_amount_uses_minor_units_without_floats(amount: int, currency: str,
                                                        text: str) -> None:
    assert money.format_amount(amount, currency) == text


def test_minimum_charge_has_a_default_and_known_exceptions() -> None:
    assert money.minimum_charge("usd") == 50
    assert money.minimum_charge("twd") == 1000
    assert money.minimum_charge("sgd") == 50


@pytest.mark.parametrize(("amount", "currency", "text"), [
    (4690, "usd", "$46.90"), (129900, "twd", "NT$1,299.00"), (500, "jpy", "¥500"),
    (-250, "eur", "-€2.50"), (1234, "chf", "12.34 CHF"),
])
def test_display_amount_uses_symbols_where_known(amount: int, currency: str, text: str) -> None:
    assert money.display_amount(amount, currency) == text
