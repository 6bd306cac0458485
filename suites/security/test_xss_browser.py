"""XSS in the real browser: every XSS payload, in every field a page echoes, loaded in
chromium. Pass: no dialog opened, no injected element exists, the text shows literally."""

from __future__ import annotations

import uuid

import pytest
import requests
import stripe
from playwright.sync_api import Page, expect

from suites.plugins.shop import Shop
from suites.plugins.simulator import LiveSimulator
from suites.security.probes import payloads

XSS = [p for p in payloads()["xss"] if isinstance(p, str)]
INJECTED = "img[src=x], svg[onload], script:not([src])"


@pytest.fixture(autouse=True)
def _evidence(browser_evidence: None) -> None:
    """A screenshot of every page these probes load, and the trace when one fails."""


def api(simulator: LiveSimulator) -> stripe.StripeClient:
    return stripe.StripeClient(f"sk_test_xss_{uuid.uuid4().hex[:8]}",
                               base_addresses={"api": simulator.stripe_url})


def assert_inert(page: Page, dialogs: list[str]) -> None:
    page.wait_for_timeout(300)
    assert dialogs == [], f"script ran: {dialogs}"
    assert page.locator(INJECTED).count() == 0


@pytest.mark.parametrize("payload", XSS)
def test_hosted_checkout_page(page: Page, simulator: LiveSimulator, dialogs: list[str],
                              payload: str) -> None:
    session = api(simulator).v1.checkout.sessions.create(params={
        "success_url": "https://x.example/ok", "cancel_url": "https://x.example/no",
        "customer_email": payload, "metadata": {"merchant_name": payload},
        "line_items": [{"quantity": 1, "price_data": {"currency": "usd", "unit_amount": 1200,
                                                      "product_data": {"name": payload,
                                                                       "description": payload}}}]})
    page.goto(session.url)
    expect(page.get_by_test_id("checkout-item")).to_contain_text(payload)
    assert_inert(page, dialogs)
    page.get_by_label("Card number").fill("4000 0000 0000 0002")  # a decline re-renders it
    page.get_by_label("Expiry (MM/YY)").fill("12/34")
    page.get_by_label("CVC").fill("123")
    page.get_by_label("Name on card").fill(payload)
    page.get_by_role("button", name="Pay").click()
    expect(page.get_by_test_id("card-error")).to_be_visible()
    assert_inert(page, dialogs)


@pytest.mark.parametrize("payload", XSS)
def test_challenge_page(page: Page, simulator: LiveSimulator, dialogs: list[str],
                        payload: str) -> None:
    pi = api(simulator).v1.payment_intents.create(params={
        "amount": 2000, "currency": "usd", "confirm": True, "description": payload,
        "payment_method": "pm_card_threeDSecure2Required"})
    page.goto(pi.next_action.redirect_to_url.url)
    expect(page.get_by_test_id("challenge-merchant")).to_have_text(payload)
    assert_inert(page, dialogs)


def test_shop_pages(page: Page, shop: Shop, dialogs: list[str]) -> None:
    for path in [""] + [f"cart?canceled={p}" for p in XSS] + [f"orders/{p}" for p in XSS]:
        page.goto(f"{shop.url}/{path}")
        assert_inert(page, dialogs)


def test_dashboard_with_hostile_paths_and_effects(page: Page, simulator: LiveSimulator,
                                                  dialogs: list[str]) -> None:
    key = f"sk_test_xss_{uuid.uuid4().hex[:8]}"
    requests.put(f"{simulator.url}/_sim/scenario", params={"tenant": key}, timeout=10,
                 json={"rules": [{"name": XSS[1], "effects": [{"latency": {"fixed": 1}}]}]}
                 ).raise_for_status()
    for payload in XSS:
        requests.get(f"{simulator.stripe_url}/v1/{payload}", timeout=10,
                     headers={"Authorization": f"Bearer {key}"})
    page.goto(f"{simulator.url}/_sim/")
    expect(page.get_by_test_id("journal-tail")).to_contain_text("alert('xss')")
    expect(page.get_by_test_id("journal-tail")).to_contain_text(f"{XSS[1]}:latency")
    assert_inert(page, dialogs)
    requests.delete(f"{simulator.url}/_sim/scenario", params={"tenant": key}, timeout=10)
