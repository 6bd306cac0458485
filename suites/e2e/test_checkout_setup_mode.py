"""A shopper saves a card in the browser: Checkout in `mode=setup` for a customer, the
"Save card" page, 3-D Secure on setup, and the card saved to the customer."""

from __future__ import annotations

import uuid

import stripe
from paylab.suites.e2e.flows import fill_card, snapshot
from paylab.suites.plugins.simulator import LiveSimulator
from playwright.sync_api import Page, expect


def client(simulator: LiveSimulator) -> stripe.StripeClient:
    return stripe.StripeClient(f"sk_test_{uuid.uuid4().hex}",
                               base_addresses={"api": simulator.stripe_url})


def setup_session(api: stripe.StripeClient, simulator: LiveSimulator
                  ) -> tuple[stripe.Customer, stripe.checkout.Session]:
    customer = api.v1.customers.create(params={"email": "saver@example.tw", "name": "Lin Ming"})
    session = api.v1.checkout.sessions.create(params={
        "mode": "setup", "customer": customer.id, "currency": "usd",
        "success_url": f"{simulator.url}/_sim/health?cs={{CHECKOUT_SESSION_ID}}",
        "cancel_url": f"{simulator.url}/_sim/health?canceled=1"})
    return customer, session


def save_card(page: Page, number: str) -> None:
    fill_card(page, number, email="saver@example.tw")
    page.get_by_role("button", name="Save card", exact=True).click()
    page.wait_for_load_state()


def expect_saved(api: stripe.StripeClient, session_id: str, customer: str) -> None:
    """The session is complete with a succeeded SetupIntent whose card is the customer's."""
    done = api.v1.checkout.sessions.retrieve(session_id, params={"expand": ["setup_intent"]})
    assert (done.status, done.payment_status, done.payment_intent) == (
        "complete", "no_payment_required", None)
    seti = done.setup_intent
    assert (seti.status, seti.customer) == ("succeeded", customer)
    saved = api.v1.customers.payment_methods.list(customer)
    assert [m.id for m in saved.data] == [seti.payment_method]


def test_a_customer_saves_a_card_without_paying(page: Page, simulator: LiveSimulator,
                                                dialogs: list[str]) -> None:
    api = client(simulator)
    customer, session = setup_session(api, simulator)
    page.goto(session.url)
    expect(page.get_by_test_id("checkout-total")).to_have_text("No charge now")
    expect(page.get_by_label("Email")).to_have_value("saver@example.tw")
    expect(page.get_by_test_id("wallet-buttons")).to_have_count(0)
    snapshot(page, "the Save card page")
    save_card(page, "4242 4242 4242 4242")
    page.wait_for_url(f"**/_sim/health?cs={session.id}")
    expect_saved(api, session.id, customer.id)
    assert dialogs == []


def test_a_card_that_asks_for_3ds_on_setup(page: Page, simulator: LiveSimulator) -> None:
    api = client(simulator)
    customer, session = setup_session(api, simulator)
    page.goto(session.url)
    save_card(page, "4000 0025 0000 3155")
    page.wait_for_url("**/stripe/3ds/authenticate?setup_intent=*")
    expect(page.get_by_test_id("challenge-amount")).to_have_text("No charge now")
    expect(page.get_by_test_id("challenge-card")).to_have_text("Visa •••• 3155")
    snapshot(page, "3-D Secure on setup")
    page.get_by_test_id("3ds-complete").click()
    page.wait_for_url(f"**/_sim/health?cs={session.id}")
    expect_saved(api, session.id, customer.id)


def test_a_declined_card_stays_on_the_page(page: Page, simulator: LiveSimulator) -> None:
    api = client(simulator)
    customer, session = setup_session(api, simulator)
    page.goto(session.url)
    save_card(page, "4000 0000 0000 0002")
    expect(page.get_by_test_id("card-error")).to_have_text("Your card was declined.")
    assert api.v1.checkout.sessions.retrieve(session.id).status == "open"
    assert api.v1.customers.payment_methods.list(customer.id).data == []


def test_the_save_card_page_escapes_what_the_merchant_sent(page: Page, simulator: LiveSimulator,
                                                           dialogs: list[str]) -> None:
    payload = "\"><img src=x onerror=alert('i')>"
    session = client(simulator).v1.checkout.sessions.create(params={
        "mode": "setup", "success_url": "https://shop.example/ok",
        "metadata": {"merchant_name": payload}, "customer_email": f"a{payload}@example.com"})
    page.goto(session.url)
    expect(page.get_by_test_id("checkout-setup-note")).to_contain_text(payload)
    expect(page.get_by_label("Email")).to_have_value(f"a{payload}@example.com")
    page.wait_for_timeout(300)  # an injected handler would fire once the page settles
    assert dialogs == []
    assert page.evaluate("document.scripts.length") == 1  # only /static/checkout.js
