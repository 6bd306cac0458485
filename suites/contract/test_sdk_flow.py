"""The official stripe SDK drives the simulator through a whole payment's life."""

from __future__ import annotations

import pytest
import stripe
from paylab.suites.plugins.simulator import Control


def test_create_confirm_capture_refund_list(stripe_client: stripe.StripeClient) -> None:
    pis = stripe_client.v1.payment_intents
    pi = pis.create(params={"amount": 2000, "currency": "usd", "capture_method": "manual",
                            "payment_method_types": ["card"], "metadata": {"order": "o1"},
                            "description": "Order o1"})
    assert (pi.object, pi.status, pi.livemode) == ("payment_intent", "requires_payment_method",
                                                  False)
    assert pi.id.startswith("pi_") and pi.client_secret.startswith(pi.id + "_secret_")
    assert pi.metadata["order"] == "o1"

    pi = pis.confirm(pi.id, params={"payment_method": "pm_card_visa"})
    assert (pi.status, pi.amount_capturable, pi.amount_received) == ("requires_capture", 2000, 0)

    pi = pis.capture(pi.id, params={"amount_to_capture": 1500})
    assert (pi.status, pi.amount_received, pi.amount_capturable) == ("succeeded", 1500, 0)

    refund = stripe_client.v1.refunds.create(params={"payment_intent": pi.id, "amount": 500})
    assert (refund.status, refund.amount, refund.charge) == ("succeeded", 500, pi.latest_charge)

    charge = stripe_client.v1.charges.retrieve(pi.latest_charge)
    assert (charge.amount_captured, charge.amount_refunded, charge.captured) == (1500, 1000, True)
    assert charge.payment_method_details.card.last4 == "4242"

    assert [p.id for p in pis.list(params={"limit": 10}).data] == [pi.id]
    refunds = stripe_client.v1.refunds.list(params={"payment_intent": pi.id})
    assert [r.id for r in refunds.data] == [refund.id]
    assert pis.retrieve(pi.id).status == "succeeded"


def test_raw_card_data_and_expand(stripe_client: stripe.StripeClient) -> None:
    pi = stripe_client.v1.payment_intents.create(params={
        "amount": 1234, "currency": "eur", "confirm": True,
        "payment_method_data": {"type": "card", "card": {
            "number": "5555555555554444", "exp_month": 12, "exp_year": 2031, "cvc": "123"},
            "billing_details": {"name": "林小明", "email": "ming@example.tw"}},
        "expand": ["latest_charge", "payment_method"],
    })
    assert pi.status == "succeeded"
    assert pi.latest_charge.object == "charge" and pi.latest_charge.amount == 1234
    assert pi.payment_method.card.brand == "mastercard"
    assert pi.payment_method.billing_details.name == "林小明"


def test_update_then_confirm_and_cancel(stripe_client: stripe.StripeClient) -> None:
    pis = stripe_client.v1.payment_intents
    pi = pis.create(params={"amount": 5000, "currency": "usd"})
    pi = pis.update(pi.id, params={"amount": 4200, "metadata": {"cart": "c9"},
                                   "payment_method": "pm_card_mastercard"})
    assert (pi.amount, pi.status, pi.metadata["cart"]) == (4200, "requires_confirmation", "c9")
    other = pis.create(params={"amount": 5000, "currency": "usd"})
    other = pis.cancel(other.id, params={"cancellation_reason": "abandoned"})
    assert (other.status, other.cancellation_reason) == ("canceled", "abandoned")
    assert pis.confirm(pi.id).status == "succeeded"


def test_payment_methods_and_events(stripe_client: stripe.StripeClient) -> None:
    pm = stripe_client.v1.payment_methods.create(params={
        "type": "card",
        "card": {"number": "4242424242424242", "exp_month": 8, "exp_year": 2030, "cvc": "314"}})
    assert pm.card.last4 == "4242" and "behaviour" not in pm.card
    assert stripe_client.v1.payment_methods.retrieve(pm.id).id == pm.id
    pi = stripe_client.v1.payment_intents.create(params={
        "amount": 999, "currency": "usd", "payment_method": pm.id, "confirm": True})
    events = stripe_client.v1.events.list(params={"limit": 100})
    assert [e.type for e in reversed(events.data)] == [
        "payment_intent.created", "charge.succeeded", "payment_intent.succeeded"]
    succeeded = events.data[0]
    assert succeeded.data.object.id == pi.id and succeeded.data.object.status == "succeeded"
    assert stripe_client.v1.events.retrieve(succeeded.id).id == succeeded.id
    only = stripe_client.v1.events.list(params={"type": "charge.*"})
    assert [e.type for e in only.data] == ["charge.succeeded"]


@pytest.mark.parametrize("card", ["4000000000003220", "4000002760003184"])
def test_three_d_secure_redirect_round_trip(stripe_client: stripe.StripeClient, http,
                                            card: str) -> None:
    pi = stripe_client.v1.payment_intents.create(params={
        "amount": 3000, "currency": "usd", "confirm": True,
        "return_url": "https://shop.example/return?order=7",
        "payment_method_data": {"type": "card", "card": {
            "number": card, "exp_month": 1, "exp_year": 2030}}})
    assert pi.status == "requires_action"
    redirect = pi.next_action.redirect_to_url
    assert redirect.return_url == "https://shop.example/return?order=7"
    page = http.get(redirect.url, timeout=10)
    assert page.status_code == 200
    for label in ("Complete authentication", "Fail authentication", "Cancel"):
        assert label in page.text
    done = http.post(redirect.url.split("?")[0], allow_redirects=False, timeout=10, data={
        "payment_intent": pi.id, "client_secret": pi.client_secret, "result": "passed"})
    assert done.status_code == 303
    assert done.headers["Location"].startswith("https://shop.example/return?order=7&")
    assert "redirect_status=succeeded" in done.headers["Location"]
    assert stripe_client.v1.payment_intents.retrieve(pi.id).status == "succeeded"


def test_three_d_secure_failure_returns_to_requires_payment_method(
        stripe_client: stripe.StripeClient, http) -> None:
    pi = stripe_client.v1.payment_intents.create(params={
        "amount": 3000, "currency": "usd", "confirm": True,
        "payment_method": "pm_card_threeDSecure2Required",
        "return_url": "https://shop.example/return"})
    url = pi.next_action.redirect_to_url.url
    done = http.post(url.split("?")[0], allow_redirects=False, timeout=10, data={
        "payment_intent": pi.id, "client_secret": pi.client_secret, "result": "failed"})
    assert "redirect_status=failed" in done.headers["Location"]
    after = stripe_client.v1.payment_intents.retrieve(pi.id)
    assert after.status == "requires_payment_method"
    assert after.last_payment_error.code == "payment_intent_authentication_failure"
    wrong = http.get(url.replace("client_secret=", "client_secret=x"), timeout=10)
    assert wrong.status_code == 404


def test_ledger_agrees_with_the_api(stripe_client: stripe.StripeClient, control: Control,
                                    api_key: str) -> None:
    pi = stripe_client.v1.payment_intents.create(params={
        "amount": 2500, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True})
    stripe_client.v1.refunds.create(params={"payment_intent": pi.id, "amount": 1000})
    book = control.get("ledger", tenant=api_key)
    assert book["payments"] == [{
        "id": pi.id, "tenant": book["payments"][0]["tenant"], "gateway": "stripe",
        "status": "succeeded", "currency": "usd", "amount": 2500, "authorized": 2500,
        "captured": 2500, "refunded": 1000, "refund_count": 1}]
