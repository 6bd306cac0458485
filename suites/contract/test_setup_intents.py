"""SetupIntents through the official stripe SDK: save a card (3-D Secure on setup when the
card asks), then pay with it off-session; declines, cancel, list and events, every
SetupIntent answer conforming to contracts/stripe/setup_intent."""

from __future__ import annotations

import urllib.parse

import pytest
import requests
import stripe
from paylab.suites.plugins.contracts import WireContracts
from paylab.suites.plugins.simulator import LiveSimulator

RETURN = "https://shop.example/cards/saved"


def saved_to(stripe_client: stripe.StripeClient, customer: str) -> list[str]:
    """The ids of the PaymentMethods saved to a customer."""
    listed = stripe_client.v1.customers.payment_methods.list(customer)
    return [m.id for m in listed.data]


def challenge(http: requests.Session, si: stripe.SetupIntent, result: str) -> requests.Response:
    """Answer the simulated issuer page behind `next_action` as the shopper would."""
    url = si.next_action.redirect_to_url.url
    page = http.get(url, timeout=10)
    assert page.status_code == 200 and "Confirm this card" in page.text
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    return http.post(url.split("?")[0], data={**query, "result": result},
                     allow_redirects=False, timeout=10)


def test_setup_then_pay_off_session(stripe_client: stripe.StripeClient,
                                    wire_contracts: WireContracts) -> None:
    cus = stripe_client.v1.customers.create(params={"email": "saver@example.com"})
    sis = stripe_client.v1.setup_intents
    si = sis.create(params={"customer": cus.id, "payment_method": "pm_card_visa",
                            "metadata": {"plan": "monthly-tea"}})
    wire_contracts.check("stripe/setup_intent", si.to_dict())
    assert (si.object, si.status, si.usage) == (
        "setup_intent", "requires_confirmation", "off_session")
    assert si.client_secret.startswith(si.id + "_secret_") and si.latest_attempt is None
    si = sis.confirm(si.id)
    wire_contracts.check("stripe/setup_intent", si.to_dict())
    assert (si.status, si.customer, si.last_setup_error) == ("succeeded", cus.id, None)
    assert saved_to(stripe_client, cus.id) == [si.payment_method]
    pi = stripe_client.v1.payment_intents.create(params={
        "amount": 1500, "currency": "usd", "customer": cus.id,
        "payment_method": si.payment_method, "off_session": True, "confirm": True})
    assert (pi.status, pi.customer, pi.payment_method) == ("succeeded", cus.id,
                                                           si.payment_method)
    fetched = sis.retrieve(si.id, params={"client_secret": si.client_secret,
                                          "expand": ["payment_method"]})
    assert fetched.payment_method.customer == cus.id


def test_a_card_that_needs_3ds_on_setup_then_pays_off_session(
        stripe_client: stripe.StripeClient, wire_contracts: WireContracts,
        http: requests.Session) -> None:
    cus = stripe_client.v1.customers.create(params={"email": "strong@example.com"})
    sis = stripe_client.v1.setup_intents
    si = sis.create(params={"customer": cus.id, "payment_method_types": ["card"]})
    si = sis.confirm(si.id, params={"payment_method": "pm_card_authenticationRequiredOnSetup",
                                    "return_url": RETURN})
    wire_contracts.check("stripe/setup_intent", si.to_dict())
    assert si.status == "requires_action" and si.next_action.type == "redirect_to_url"
    assert si.next_action.redirect_to_url.return_url == RETURN
    assert saved_to(stripe_client, cus.id) == []
    back = challenge(http, si, "passed")
    assert back.status_code == 303
    assert dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(back.headers["Location"]).query)) \
        == {"setup_intent": si.id, "setup_intent_client_secret": si.client_secret,
            "redirect_status": "succeeded"}
    done = sis.retrieve(si.id)
    wire_contracts.check("stripe/setup_intent", done.to_dict())
    assert (done.status, done.next_action) == ("succeeded", None)
    assert saved_to(stripe_client, cus.id) == [done.payment_method]
    pi = stripe_client.v1.payment_intents.create(params={
        "amount": 2500, "currency": "usd", "customer": cus.id,
        "payment_method": done.payment_method, "off_session": True, "confirm": True})
    assert pi.status == "succeeded"


def test_a_failed_challenge_keeps_the_card_unsaved(stripe_client: stripe.StripeClient,
                                                   wire_contracts: WireContracts,
                                                   http: requests.Session) -> None:
    cus = stripe_client.v1.customers.create(params={"email": "fails@example.com"})
    sis = stripe_client.v1.setup_intents
    si = sis.create(params={"customer": cus.id, "confirm": True, "return_url": RETURN,
                            "payment_method": "pm_card_authenticationRequired"})
    back = challenge(http, si, "failed")
    assert "redirect_status=failed" in back.headers["Location"]
    failed = sis.retrieve(si.id)
    wire_contracts.check("stripe/setup_intent", failed.to_dict())
    assert (failed.status, failed.payment_method) == ("requires_payment_method", None)
    assert failed.last_setup_error.code == "setup_intent_authentication_failure"
    assert saved_to(stripe_client, cus.id) == []


def test_a_declined_card_on_setup(stripe_client: stripe.StripeClient,
                                  wire_contracts: WireContracts) -> None:
    cus = stripe_client.v1.customers.create(params={"email": "declined@example.com"})
    sis = stripe_client.v1.setup_intents
    with pytest.raises(stripe.CardError) as declined:
        sis.create(params={"customer": cus.id, "payment_method": "pm_card_chargeDeclined",
                           "confirm": True})
    error = declined.value
    assert (error.http_status, error.code) == (402, "card_declined")
    assert error.error.decline_code == "generic_decline"
    si = sis.list(params={"customer": cus.id}).data[0]
    wire_contracts.check("stripe/setup_intent", si.to_dict())
    assert (si.status, si.payment_method) == ("requires_payment_method", None)
    assert (si.last_setup_error.type, si.last_setup_error.code) == ("card_error",
                                                                     "card_declined")
    assert saved_to(stripe_client, cus.id) == []
    assert sis.confirm(si.id, params={"payment_method": "pm_card_visa"}).status == "succeeded"


def test_cancel_list_and_events(stripe_client: stripe.StripeClient,
                                wire_contracts: WireContracts) -> None:
    cus = stripe_client.v1.customers.create(params={"email": "lists@example.com"})
    sis = stripe_client.v1.setup_intents
    first = sis.create(params={"customer": cus.id, "payment_method": "pm_card_mastercard",
                               "confirm": True, "usage": "on_session"})
    second = sis.create(params={"customer": cus.id, "description": "second"})
    second = sis.update(second.id, params={"metadata": {"try": "2"},
                                           "payment_method": "pm_card_visa"})
    wire_contracts.check("stripe/setup_intent", second.to_dict())
    assert (second.status, second.metadata["try"]) == ("requires_confirmation", "2")
    canceled = sis.cancel(second.id, params={"cancellation_reason": "duplicate"})
    wire_contracts.check("stripe/setup_intent", canceled.to_dict())
    assert (canceled.status, canceled.cancellation_reason) == ("canceled", "duplicate")
    with pytest.raises(stripe.InvalidRequestError) as again:
        sis.cancel(second.id)
    assert again.value.code == "setup_intent_unexpected_state"
    listed = sis.list(params={"customer": cus.id, "limit": 1})
    assert [s.id for s in listed.data] == [second.id] and listed.has_more
    by_method = sis.list(params={"payment_method": first.payment_method})
    assert [s.id for s in by_method.data] == [first.id]
    with pytest.raises(stripe.InvalidRequestError) as missing:
        sis.retrieve("seti_DoesNotExist")
    assert (missing.value.http_status, missing.value.code) == (404, "resource_missing")
    events = stripe_client.v1.events.list(params={"type": "setup_intent.*", "limit": 100})
    mine = [e.type for e in reversed(events.data)
            if e.data.object.id in (first.id, second.id)]
    assert mine == ["setup_intent.created", "setup_intent.succeeded", "setup_intent.created",
                    "setup_intent.canceled"]


def test_checkout_in_setup_mode_through_the_sdk(stripe_client: stripe.StripeClient,
                                                wire_contracts: WireContracts,
                                                simulator: LiveSimulator) -> None:
    cus = stripe_client.v1.customers.create(params={"email": "checkout@example.com"})
    session = stripe_client.v1.checkout.sessions.create(params={
        "mode": "setup", "customer": cus.id, "currency": "usd",
        "success_url": "https://shop.example/saved?cs={CHECKOUT_SESSION_ID}"})
    wire_contracts.check("stripe/checkout_session", session.to_dict())
    assert (session.mode, session.payment_status, session.customer) == (
        "setup", "no_payment_required", cus.id)
    assert session.setup_intent is None and session.url.startswith(simulator.url)
    with pytest.raises(stripe.InvalidRequestError) as missing:
        stripe_client.v1.checkout.sessions.create(params={
            "mode": "setup", "customer": "cus_DoesNotExist",
            "success_url": "https://shop.example/saved"})
    assert (missing.value.code, missing.value.param) == ("resource_missing", "customer")
