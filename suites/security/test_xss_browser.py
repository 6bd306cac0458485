"""XSS in the real browser: every XSS payload, in every field a page echoes, loaded in
chromium. Pass: no dialog opened, no injected element exists, the text shows literally."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
import requests
import stripe
import yaml
from paylab.suites.plugins.shop import HOSTILE_PRODUCTS, Shop
from paylab.suites.plugins.simulator import LiveSimulator
from paylab.suites.security.probes import payloads
from playwright.sync_api import Page, expect

XSS = [p for p in payloads()["xss"] if isinstance(p, str)]
INJECTED = "img[src=x], svg[onload], script:not([src])"


@pytest.fixture(autouse=True)
def _evidence(browser_evidence: None) -> None:
    """A screenshot of every page these probes load, and the trace when one fails."""


def api(simulator: LiveSimulator) -> stripe.StripeClient:
    return stripe.StripeClient(f"sk_test_xss_{uuid.uuid4().hex[:8]}",
                               base_addresses={"api": simulator.stripe_url})


def assert_inert(page: Page, dialogs: list[str]) -> None:
    """No script ran and no injected element exists. The fixed wait is the point: a
    payload's handler (onerror, onload) fires asynchronously after the page settles, and
    the probe must give it the chance to, there being no event to wait for instead."""
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
    page.get_by_role("button", name="Pay", exact=True).click()
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


def hostile_product() -> dict[str, Any]:
    """The product of the suite's shop catalogue whose name and description are script."""
    catalogue = yaml.safe_load(HOSTILE_PRODUCTS.read_text(encoding="utf-8"))
    return next(p for p in catalogue["products"] if p["id"] == "xss-name")


def test_shop_pages_render_hostile_product_names_as_text(page: Page, shop: Shop,
                                                          dialogs: list[str]) -> None:
    """The suite's shop sells a product whose name and description are script (from
    suites/e2e/data/hostile_products.yaml): the product list, the cart, the hosted
    checkout and the order page each render them, and each shows them as text."""
    if shop.process is None:
        pytest.skip("the hostile catalogue is loaded only by the shop the suite starts")
    product = hostile_product()
    page.goto(shop.url)
    card = page.locator(f"[data-testid=product][data-product='{product['id']}']")
    expect(card.locator(".product-name")).to_have_text(product["name"])
    expect(card.locator(".product-desc")).to_have_text(product["description"])
    assert_inert(page, dialogs)
    card.get_by_test_id("add-to-cart").click()
    page.wait_for_url("**/cart**")
    expect(page.get_by_test_id("cart-line")).to_contain_text(product["name"])
    assert_inert(page, dialogs)
    page.get_by_test_id("checkout").click()
    page.wait_for_url(re.compile(r".*/checkout/cs_test_\w+\?token=\w+$"))
    expect(page.get_by_test_id("checkout-item")).to_contain_text(product["name"])
    assert_inert(page, dialogs)
    page.get_by_label("Email").fill("xss@example.com")
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry (MM/YY)").fill("12/34")
    page.get_by_label("CVC").fill("123")
    page.get_by_label("Name on card").fill(product["name"])
    page.get_by_role("button", name="Pay", exact=True).click()
    page.wait_for_url("**/orders/**")
    expect(page.get_by_test_id("order")).to_contain_text(product["name"])
    assert_inert(page, dialogs)


def test_dashboard_with_hostile_paths_and_effects(page: Page, simulator: LiveSimulator,
                                                  dialogs: list[str]) -> None:
    key = f"sk_test_xss_{uuid.uuid4().hex[:8]}"
    requests.put(f"{simulator.url}/_sim/scenario", params={"tenant": key, "ahead": "true"},
                 timeout=10,
                 json={"rules": [{"name": XSS[1], "effects": [{"latency": {"fixed": 1}}]}]}
                 ).raise_for_status()
    try:
        for payload in XSS:
            requests.get(f"{simulator.stripe_url}/v1/{payload}", timeout=10,
                         headers={"Authorization": f"Bearer {key}"})
        page.goto(f"{simulator.url}/_sim/")
        expect(page.get_by_test_id("journal-tail")).to_contain_text("alert('xss')")
        expect(page.get_by_test_id("journal-tail")).to_contain_text(f"{XSS[1]}:latency")
        assert_inert(page, dialogs)
    finally:
        requests.delete(f"{simulator.url}/_sim/scenario", params={"tenant": key}, timeout=10)
