"""Tampering: a forged redirect back to the shop, a success URL visited for an unpaid order,
a payment from another tenant presented as this order's, extra fields on the hosted form."""

from __future__ import annotations

import uuid

import pytest
import requests
import stripe
from paylab.suites.plugins.shop import Shop, ShopClient
from paylab.suites.plugins.simulator import LiveSimulator


def test_a_forged_success_redirect_does_not_pay_the_order(shop: Shop,
                                                          simulator: LiveSimulator) -> None:
    client = ShopClient(shop)
    hosted = client.start_order()
    order_id = client.order_of(hosted, simulator)
    for query in ("session_id=cs_test_forged&redirect_status=succeeded",
                  "amount=1&currency=jpy&paid=true",
                  f"session_id={hosted.split('?')[0].rsplit('/', 1)[1]}&payment_status=paid"):
        page = client.session.get(f"{shop.url}/orders/{order_id}?{query}", timeout=10)
        assert page.status_code == 200
        assert client.status(order_id)["status"] == "pending", query


def test_another_tenants_paid_session_does_not_pay_this_order(shop: Shop,
                                                              simulator: LiveSimulator) -> None:
    other = stripe.StripeClient(f"sk_test_other_{uuid.uuid4().hex[:8]}",
                                base_addresses={"api": simulator.stripe_url})
    paid = other.v1.checkout.sessions.create(params={
        "success_url": "https://x.example/ok", "amount": 1850, "currency": "usd"})
    requests.post(paid.url, allow_redirects=False, timeout=10, data={
        "cardnumber": "4242424242424242", "expiry": "12/34", "cvc": "123", "name": "O"})
    assert other.v1.checkout.sessions.retrieve(paid.id).payment_status == "paid"
    client = ShopClient(shop)
    order_id = client.order_of(client.start_order(), simulator)
    client.session.get(f"{shop.url}/orders/{order_id}?session_id={paid.id}", timeout=10)
    assert client.status(order_id)["status"] == "pending"


def test_the_hosted_form_charges_the_session_amount_whatever_is_posted(
        simulator: LiveSimulator) -> None:
    key = f"sk_test_amounts_{uuid.uuid4().hex[:8]}"
    api = stripe.StripeClient(key, base_addresses={"api": simulator.stripe_url})
    session = api.v1.checkout.sessions.create(params={
        "success_url": "https://x.example/ok", "amount": 4200, "currency": "usd"})
    requests.post(session.url, allow_redirects=False, timeout=10, data={
        "cardnumber": "4242424242424242", "expiry": "12/34", "cvc": "123", "name": "T",
        "amount": "1", "currency": "jpy", "amount_total": "1"})
    done = api.v1.checkout.sessions.retrieve(session.id, params={"expand": ["payment_intent"]})
    assert (done.payment_intent.amount_received, done.payment_intent.currency) == (4200, "usd")


@pytest.mark.parametrize("field", ["payment_intent", "client_secret"])
def test_challenge_page_refuses_a_mismatched_secret(simulator: LiveSimulator,
                                                    field: str) -> None:
    api = stripe.StripeClient(f"sk_test_3ds_{uuid.uuid4().hex[:8]}",
                              base_addresses={"api": simulator.stripe_url})
    pi = api.v1.payment_intents.create(params={
        "amount": 2000, "currency": "usd", "confirm": True,
        "payment_method": "pm_card_threeDSecure2Required"})
    form = {"payment_intent": pi.id, "client_secret": pi.client_secret, "result": "passed"}
    # ids and secrets are random: a fixed suffix could be the value itself
    form[field] = form[field][:-2] + ("yy" if form[field].endswith("zz") else "zz")
    answer = requests.post(f"{simulator.stripe_url}/3ds/authenticate", data=form, timeout=10,
                           allow_redirects=False)
    assert answer.status_code == 400
    assert api.v1.payment_intents.retrieve(pi.id).status == "requires_action"
