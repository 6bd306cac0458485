"""The simulator's hosted pages on their own: escaping of everything a merchant sends,
the PaymentIntent 3-D Secure page, expiry."""

from __future__ import annotations

import uuid

import stripe
from paylab.suites.e2e.flows import pay
from paylab.suites.plugins.simulator import LiveSimulator
from playwright.sync_api import Page, expect

PAYLOADS = ["<script>alert('s')</script>", "\"><img src=x onerror=alert('i')>",
            "javascript:alert('j')", "<svg/onload=alert('v')>"]


def client(simulator: LiveSimulator) -> stripe.StripeClient:
    return stripe.StripeClient(f"sk_test_{uuid.uuid4().hex}",
                               base_addresses={"api": simulator.stripe_url})


def test_checkout_page_escapes_names_descriptions_and_metadata(
        page: Page, simulator: LiveSimulator, dialogs: list[str]) -> None:
    session = client(simulator).v1.checkout.sessions.create(params={
        "success_url": "https://shop.example/ok", "cancel_url": "https://shop.example/no",
        "line_items": [{"quantity": 1, "price_data": {
            "currency": "usd", "unit_amount": 1000 + i,
            "product_data": {"name": payload, "description": payload}}}
            for i, payload in enumerate(PAYLOADS)],
        "metadata": {"merchant_name": PAYLOADS[1]}, "customer_email": PAYLOADS[0]})
    page.goto(session.url)
    for payload in PAYLOADS:
        expect(page.get_by_test_id("checkout-page")).to_contain_text(payload)
    expect(page.get_by_label("Email")).to_have_value(PAYLOADS[0])
    # a fixed wait on purpose: an injected handler (onerror, onload) would fire after the
    # page settles, and there is no event to wait for when, as here, none must fire
    page.wait_for_timeout(300)
    assert dialogs == []
    assert page.evaluate("document.scripts.length") == 1  # only /static/checkout.js


def test_payment_intent_challenge_page_passes_and_redirects(page: Page,
                                                            simulator: LiveSimulator) -> None:
    pi = client(simulator).v1.payment_intents.create(params={
        "amount": 4200, "currency": "eur", "confirm": True,
        "payment_method": "pm_card_threeDSecure2Required",
        "description": "<b>Order 42</b>", "return_url": f"{simulator.url}/_sim/health"})
    page.goto(pi.next_action.redirect_to_url.url)
    expect(page.get_by_test_id("challenge-merchant")).to_have_text("<b>Order 42</b>")
    expect(page.get_by_test_id("challenge-amount")).to_have_text("€42.00")
    page.get_by_test_id("3ds-complete").click()
    page.wait_for_url("**/_sim/health?payment_intent=*redirect_status=succeeded*")


def test_an_expired_session_cannot_be_paid(page: Page, simulator: LiveSimulator) -> None:
    api = client(simulator)
    session = api.v1.checkout.sessions.create(params={
        "success_url": "https://shop.example/ok", "cancel_url": f"{simulator.url}/_sim/health",
        "amount": 1500, "currency": "usd"})
    page.goto(session.url)
    api.v1.checkout.sessions.expire(session.id)
    pay(page)
    expect(page.get_by_test_id("checkout-expired")).to_be_visible()
    assert api.v1.checkout.sessions.retrieve(session.id).status == "expired"
