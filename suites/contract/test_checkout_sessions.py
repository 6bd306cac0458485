"""Checkout Sessions through the official SDK: create, retrieve, list, line items, expire,
and the session events a merchant's fulfilment relies on."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
import stripe
from paylab.suites.plugins.evidence import EvidenceSession
from paylab.suites.plugins.simulator import stop_simulator, wait_for
from paylab.suites.plugins.standing_clock import StandingClock, start_with_standing_clock

ITEMS = [{"quantity": 2, "price_data": {"currency": "usd", "unit_amount": 1850,
                                        "product_data": {"name": "Oolong"}}},
         {"quantity": 1, "price_data": {"currency": "usd", "unit_amount": 990,
                                        "product_data": {"name": "Scoop"}}}]


def create(client: stripe.StripeClient, **extra: object) -> stripe.checkout.Session:
    return client.v1.checkout.sessions.create(params={
        "mode": "payment", "line_items": ITEMS, "client_reference_id": "order-9",
        "success_url": "https://shop.example/ok?cs={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://shop.example/cart", **extra})


def test_create_retrieve_list_and_line_items(stripe_client: stripe.StripeClient) -> None:
    session = create(stripe_client, metadata={"order": "9"})
    assert (session.status, session.payment_status, session.amount_total) == (
        "open", "unpaid", 4690)
    assert f"/stripe/checkout/{session.id}?token=" in session.url
    assert stripe_client.v1.checkout.sessions.retrieve(session.id).id == session.id
    assert [s.id for s in stripe_client.v1.checkout.sessions.list().data] == [session.id]
    items = stripe_client.v1.checkout.sessions.line_items.list(session.id).data
    assert [(i.description, i.quantity, i.amount_total) for i in items] == [
        ("Oolong", 2, 3700), ("Scoop", 1, 990)]
    expanded = stripe_client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["line_items"]})
    assert len(expanded.line_items.data) == 2


def test_paying_on_the_hosted_page_completes_the_session(stripe_client: stripe.StripeClient,
                                                         http) -> None:
    session = create(stripe_client)
    answer = http.post(session.url, allow_redirects=False, timeout=10, data={
        "email": "a@b.example", "cardnumber": "4242 4242 4242 4242", "expiry": "12 / 34",
        "cvc": "123", "name": "Ann"})
    assert answer.status_code == 303
    assert answer.headers["Location"] == f"https://shop.example/ok?cs={session.id}"
    done = stripe_client.v1.checkout.sessions.retrieve(session.id, params={
        "expand": ["payment_intent"]})
    assert (done.status, done.payment_status, done.url) == ("complete", "paid", None)
    assert done.payment_intent.status == "succeeded" and done.payment_intent.amount == 4690
    assert done.customer_details.email == "a@b.example"
    events = [e.type for e in stripe_client.v1.events.list(params={"limit": 20}).data]
    assert events[0] == "checkout.session.completed"


def test_expire(stripe_client: stripe.StripeClient) -> None:
    session = create(stripe_client)
    expired = stripe_client.v1.checkout.sessions.expire(session.id)
    assert expired.status == "expired" and expired.url is None
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.checkout.sessions.expire(session.id)
    assert caught.value.code == "checkout_session_not_open"
    types = [e.type for e in stripe_client.v1.events.list().data]
    assert "checkout.session.expired" in types


def test_sessions_expire_by_themselves(tmp_path: Path, http: EvidenceSession,
                                       api_key: str) -> None:
    """Open for 24 hours, then expired with no call: on a simulator of the test's own with
    a standing clock, since moving the shared simulator's clock a day would expire every
    other test's sessions and fire every pending retry at once."""
    own = start_with_standing_clock(tmp_path, name="expiry")
    try:
        client = stripe.StripeClient(api_key, base_addresses={"api": own.stripe_url},
                                     http_client=stripe.RequestsClient(session=http),
                                     max_network_retries=0)
        session = create(client)
        clock = StandingClock(own, api_key, http)
        clock.advance(session.expires_at - clock.now() - 60)
        assert client.v1.checkout.sessions.retrieve(session.id).status == "open", \
            "a minute before expires_at"
        clock.advance(61)
        state = wait_for(lambda: client.v1.checkout.sessions.retrieve(session.id),
                         lambda s: s.status == "expired")
        assert state.status == "expired"
        assert session.expires_at - session.created == 24 * 3600
    finally:
        stop_simulator(own)


@pytest.mark.parametrize(("params", "param"), [
    ({"line_items": [{"quantity": 1}]}, "line_items[0][price_data]"),
    ({"line_items": [{"price_data": {"currency": "usd", "unit_amount": 10,
                                     "product_data": {"name": "x"}}}]}, "amount"),
    ({}, "line_items"),
])
def test_invalid_sessions(stripe_client: stripe.StripeClient, params: dict, param: str) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.checkout.sessions.create(params={
            "success_url": "https://shop.example/ok", **params})
    assert caught.value.param == param


def test_hosted_page_of_an_unknown_session_is_a_404_page(simulator) -> None:
    answer = requests.get(f"{simulator.stripe_url}/checkout/cs_test_nope", timeout=10)
    assert answer.status_code == 404 and "Checkout not found" in answer.text


def test_listing_by_payment_intent_finds_an_older_session(stripe_client: stripe.StripeClient,
                                                          http) -> None:
    paid = create(stripe_client)
    http.post(paid.url, allow_redirects=False, timeout=10, data={
        "email": "a@b.example", "cardnumber": "4242424242424242", "expiry": "12/34",
        "cvc": "123", "name": "Ann"}).raise_for_status()
    create(stripe_client)  # newer, unpaid
    intent = stripe_client.v1.checkout.sessions.retrieve(paid.id).payment_intent
    found = stripe_client.v1.checkout.sessions.list(params={"payment_intent": intent,
                                                            "limit": 1})
    assert ([s.id for s in found.data], found.has_more) == ([paid.id], False)
