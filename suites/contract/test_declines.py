"""Every published decline card raises stripe.CardError with its published codes."""

from __future__ import annotations

import pytest
import stripe

DECLINES = [
    # number, code, decline_code, message
    ("4000000000000002", "card_declined", "generic_decline", "Your card was declined."),
    ("4000000000009995", "card_declined", "insufficient_funds",
     "Your card has insufficient funds."),
    ("4000000000009987", "card_declined", "lost_card", "Your card was declined."),
    ("4000000000009979", "card_declined", "stolen_card", "Your card was declined."),
    ("4000000000000069", "expired_card", "expired_card", "Your card has expired."),
    ("4000000000000127", "incorrect_cvc", "incorrect_cvc",
     "Your card's security code is incorrect."),
    ("4000000000000119", "processing_error", "processing_error",
     "An error occurred while processing your card. Try again in a little bit."),
    ("4100000000000019", "card_declined", "fraudulent", "Your card was declined."),
]


@pytest.mark.parametrize(("number", "code", "decline_code", "message"), DECLINES,
                         ids=[d[2] for d in DECLINES])
def test_decline_card_raises_card_error(stripe_client: stripe.StripeClient, number: str,
                                        code: str, decline_code: str, message: str) -> None:
    with pytest.raises(stripe.CardError) as caught:
        stripe_client.v1.payment_intents.create(params={
            "amount": 2000, "currency": "usd", "confirm": True,
            "payment_method_data": {"type": "card", "card": {
                "number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"}}})
    error = caught.value
    assert error.http_status == 402
    assert (error.code, error.error.decline_code, error.user_message) == (
        code, decline_code, message)
    pi = error.error.payment_intent
    assert pi.status == "requires_payment_method"
    assert pi.last_payment_error.decline_code == decline_code
    charge = stripe_client.v1.charges.retrieve(error.error.charge)
    assert (charge.status, charge.paid, charge.failure_code) == ("failed", False, code)
    expected_outcome = "blocked" if decline_code == "fraudulent" else "issuer_declined"
    assert charge.outcome.type == expected_outcome


@pytest.mark.parametrize(("token", "decline_code"), [
    ("pm_card_chargeDeclined", "generic_decline"),
    ("pm_card_chargeDeclinedInsufficientFunds", "insufficient_funds"),
])
def test_decline_tokens_on_confirm(stripe_client: stripe.StripeClient, token: str,
                                   decline_code: str) -> None:
    pi = stripe_client.v1.payment_intents.create(params={"amount": 2000, "currency": "usd"})
    with pytest.raises(stripe.CardError) as caught:
        stripe_client.v1.payment_intents.confirm(pi.id, params={"payment_method": token})
    assert caught.value.error.decline_code == decline_code


@pytest.mark.parametrize(("card", "code", "param"), [
    ({"number": "4242424242424241", "exp_month": 12, "exp_year": 2030}, "incorrect_number",
     "payment_method_data[card][number]"),
    ({"number": "4242424242424242", "exp_month": 12, "exp_year": 2019}, "invalid_expiry_year",
     "payment_method_data[card][exp_year]"),
    ({"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "1"},
     "invalid_cvc", "payment_method_data[card][cvc]"),
])
def test_bad_card_details_are_card_errors_naming_the_field(stripe_client: stripe.StripeClient,
                                                           card: dict, code: str,
                                                           param: str) -> None:
    with pytest.raises(stripe.CardError) as caught:
        stripe_client.v1.payment_intents.create(params={
            "amount": 2000, "currency": "usd", "confirm": True,
            "payment_method_data": {"type": "card", "card": card}})
    assert (caught.value.code, caught.value.param) == (code, param)


def test_elevated_risk_card_succeeds_with_its_risk_level(
        stripe_client: stripe.StripeClient) -> None:
    pi = stripe_client.v1.payment_intents.create(params={
        "amount": 2000, "currency": "usd", "confirm": True,
        "payment_method_data": {"type": "card", "card": {
            "number": "4000000000009235", "exp_month": 12, "exp_year": 2030}},
        "expand": ["latest_charge"]})
    assert pi.status == "succeeded"
    assert pi.latest_charge.outcome.risk_level == "elevated"
