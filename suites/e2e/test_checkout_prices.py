"""A price-based Checkout in the browser, set up the way Stripe's one-time-payment sample
does it: the shop looks its Price up (GET /v1/prices/{id}) and creates a session with
`line_items[0][price]` and a quantity; the shopper sees the product and pays."""

from __future__ import annotations

import uuid

import stripe
from paylab.suites.e2e.flows import pay, snapshot
from paylab.suites.plugins.simulator import LiveSimulator
from playwright.sync_api import Page, expect


def test_a_session_selling_a_price_id_is_paid_in_the_browser(
        page: Page, simulator: LiveSimulator, dialogs: list[str]) -> None:
    api = stripe.StripeClient(f"sk_test_{uuid.uuid4().hex}",
                              base_addresses={"api": simulator.stripe_url})
    tea = api.v1.products.create(params={
        "name": "Alishan oolong", "description": "High-mountain tea, 50 g",
        "default_price_data": {"currency": "usd", "unit_amount": 1850}})
    price = api.v1.prices.retrieve(tea.default_price)  # the sample's GET /v1/prices/{id}
    session = api.v1.checkout.sessions.create(params={
        "mode": "payment", "line_items": [{"price": price.id, "quantity": 2}],
        "success_url": f"{simulator.url}/_sim/health?session_id={{CHECKOUT_SESSION_ID}}",
        "cancel_url": f"{simulator.url}/_sim/health"})
    page.goto(session.url)
    item = page.get_by_test_id("checkout-item")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("Alishan oolong")
    expect(item).to_contain_text("High-mountain tea, 50 g")
    expect(item).to_contain_text("Qty 2")
    expect(item).to_contain_text("$37.00")
    expect(page.get_by_test_id("checkout-total")).to_have_text("$37.00")
    snapshot(page, "the hosted page selling a Price by id")
    pay(page)
    page.wait_for_url(f"**/_sim/health?session_id={session.id}")
    done = api.v1.checkout.sessions.retrieve(session.id, params={"expand": ["payment_intent"]})
    assert (done.status, done.payment_status) == ("complete", "paid")
    assert (done.amount_total, done.payment_intent.amount) == (3700, 3700)
    item_listed = api.v1.checkout.sessions.line_items.list(session.id).data[0]
    assert (item_listed.price.id, item_listed.price.product) == (price.id, tea.id)
    assert (item_listed.quantity, item_listed.amount_total) == (2, 3700)
    assert dialogs == []
