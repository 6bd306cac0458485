"""Card validation and the published test-card catalog."""

import datetime as dt

import pytest
from paylab.simulator.core import cards
from paylab.simulator.core.errors import CardDeclined, InvalidRequest

TODAY = dt.date(2026, 11, 26)


@pytest.mark.parametrize("number", ["4242424242424242", "5555555555554444", "378282246310005"])
def test_luhn_accepts_published_numbers(number: str) -> None:
    assert cards.luhn_valid(number)


def test_luhn_rejects_a_changed_digit() -> None:
    assert not cards.luhn_valid("4242424242424241")


@pytest.mark.parametrize(("number", "brand"), [
    ("4242424242424242", "visa"), ("5555555555554444", "mastercard"),
    ("2223003122003222", "mastercard"), ("378282246310005", "amex"),
    ("3566002020360505", "jcb"), ("6011111111111117", "discover"),
])
def test_brand_from_leading_digits(number: str, brand: str) -> None:
    assert cards.brand_of(number) == brand


@pytest.mark.parametrize(("kwargs", "code", "param"), [
    ({"number": "4242424242424241"}, "incorrect_number", "number"),
    ({"number": "42"}, "incorrect_number", "number"),
    ({"exp_month": 13}, "invalid_expiry_month", "exp_month"),
    ({"exp_year": 2020}, "invalid_expiry_year", "exp_year"),
    ({"exp_month": 10, "exp_year": 2026}, "invalid_expiry_year", "exp_year"),
    ({"cvc": "12"}, "invalid_cvc", "cvc"),
])
def test_bad_cards_are_declined_with_stripes_codes(kwargs: dict, code: str, param: str) -> None:
    fields = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}
    fields.update(kwargs)
    with pytest.raises(CardDeclined) as caught:
        cards.validate_card(fields["number"], fields["exp_month"], fields["exp_year"],
                            fields["cvc"], today=TODAY)
    assert (caught.value.code, caught.value.param) == (code, param)


def test_two_digit_year_and_current_month_are_accepted() -> None:
    card = cards.validate_card("4242 4242 4242 4242", "11", "26", "123", today=TODAY)
    assert (card.exp_month, card.exp_year, card.last4) == (11, 2026, "4242")


def test_stage_cards_of_taiwanese_rails_are_accepted_though_off_luhn() -> None:
    card = cards.validate_card("4311952222222222", 12, 2030, "222", today=TODAY)
    assert card.behaviour.outcome == "succeed"


@pytest.mark.parametrize(("token", "outcome", "decline_code"), [
    ("pm_card_visa", "succeed", None),
    ("pm_card_chargeDeclined", "decline", "generic_decline"),
    ("pm_card_chargeDeclinedInsufficientFunds", "decline", "insufficient_funds"),
    ("pm_card_chargeDeclinedFraudulent", "block", None),
    ("pm_card_threeDSecure2Required", "authenticate", None),
])
def test_tokens_map_to_their_published_outcome(token: str, outcome: str,
                                               decline_code: str | None) -> None:
    card = cards.card_for_token(token, today=TODAY)
    assert (card.behaviour.outcome, card.behaviour.decline_code) == (outcome, decline_code)


def test_unknown_token_is_a_missing_resource() -> None:
    with pytest.raises(InvalidRequest) as caught:
        cards.card_for_token("pm_card_nonsense", today=TODAY)
    assert caught.value.code == "not_found"
    assert caught.value.context["id"] == "pm_card_nonsense"


def test_every_catalog_entry_is_consistent() -> None:
    catalog = cards.catalog()
    for number, entry in catalog.by_number.items():
        assert number.isdigit()
        assert entry["outcome"] in ("succeed", "decline", "authenticate", "authenticate_then",
                                    "block"), number
        if entry["outcome"] == "decline":
            assert entry.get("decline_code") and entry.get("message"), number
        if entry["outcome"] == "authenticate_then":
            assert entry["then"]["outcome"] in ("succeed", "decline"), number
    assert len(catalog.by_token) == len(set(catalog.by_token.values()))
