"""PayPal's approval pages in the browser, as a buyer uses them: the sandbox login (email
and password filled in), the review with its items, Approve back to the shop's return_url
with `token` and `PayerID` (then the merchant captures), Cancel back to cancel_url, and a
link opened after the approval window closed on the virtual clock. Screenshots of each
page go into the report."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from paylab.suites.e2e.flows import fresh_page, module_context, snapshot
from paylab.suites.plugins.simulator import LiveSimulator
from paylab.suites.unit.paypal_app import SHOP, PaypalApp, link, order_body
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect

HOSTILE = '<img src=x onerror="document.title=\'pwned\'">'


@pytest.fixture(scope="module")
def context(browser: Browser, browser_context_args: dict[str, Any]
            ) -> Iterator[BrowserContext]:
    yield from module_context(browser, browser_context_args)


@pytest.fixture
def page(context: BrowserContext) -> Page:
    opened = fresh_page(context)

    def shop(route: Route) -> None:  # the merchant's pages: no internet here
        route.fulfill(status=200, content_type="text/html",
                      body="<!doctype html><title>shop</title><h1>Back at the shop</h1>")
    opened.route(f"{SHOP}/**", shop)
    return opened


@pytest.fixture
def app(simulator: LiveSimulator) -> PaypalApp:
    return PaypalApp.register(simulator.url)


def _order(app: PaypalApp) -> dict[str, Any]:
    body = order_body("18.00", description=HOSTILE, items=[
        {"name": "Alishan oolong", "quantity": "2", "unit_amount": {"currency_code": "USD",
                                                                   "value": "6.00"}},
        {"name": HOSTILE, "quantity": "1", "unit_amount": {"currency_code": "USD",
                                                          "value": "6.00"}}])
    body["purchase_units"][0]["amount"]["breakdown"] = {
        "item_total": {"currency_code": "USD", "value": "18.00"}}
    answer = app.call("POST", "/v2/checkout/orders", body)
    assert answer.status_code == 201, answer.text
    return answer.json()


def _log_in(page: Page, order: dict[str, Any]) -> None:
    page.goto(link(order, "approve"))
    expect(page.get_by_test_id("paypal-login-page")).to_be_visible()
    expect(page.get_by_label("Email")).to_have_value("sb-paylab-buyer@personal.example.com")
    snapshot(page, "PayPal: sandbox login")
    page.get_by_role("button", name="Log In", exact=True).click()
    expect(page.get_by_test_id("paypal-review-page")).to_be_visible()


def test_log_in_and_approve_then_the_merchant_captures(page: Page, app: PaypalApp) -> None:
    order = _order(app)
    _log_in(page, order)
    expect(page.get_by_test_id("paypal-total")).to_have_text("18.00 USD")
    expect(page.get_by_test_id("paypal-item")).to_have_count(2)
    expect(page.get_by_test_id("paypal-item").nth(1)).to_contain_text(HOSTILE)
    snapshot(page, "PayPal: review the payment")
    page.get_by_role("button", name="Approve", exact=True).click()
    page.wait_for_url(re.compile(re.escape(f"{SHOP}/return") + r"\?token=\w+&PayerID=\w+$"))
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(page.url).query))
    assert query["token"] == order["id"]
    assert page.title() == "shop"
    snapshot(page, "PayPal: back at the shop's return_url")
    captured = app.call("POST", f"/v2/checkout/orders/{order['id']}/capture")
    assert captured.status_code == 201 and captured.json()["status"] == "COMPLETED"
    assert captured.json()["payer"]["payer_id"] == query["PayerID"]


def test_cancel_returns_to_the_shop_and_voids(page: Page, app: PaypalApp) -> None:
    order = _order(app)
    _log_in(page, order)
    page.get_by_role("button", name="Cancel", exact=True).click()
    page.wait_for_url(f"{SHOP}/cancel?token={order['id']}")
    shown = app.call("GET", f"/v2/checkout/orders/{order['id']}").json()
    assert shown["status"] == "VOIDED"
    page.goto(link(order, "approve"))
    expect(page.get_by_test_id("paypal-canceled")).to_be_visible()
    snapshot(page, "PayPal: a cancelled payment's link")


def test_a_link_opened_after_the_window_shows_expired(page: Page, app: PaypalApp,
                                                      simulator: LiveSimulator) -> None:
    order = app.create(value="4.00")
    advanced = requests.post(f"{simulator.url}/_sim/clock/advance",
                             json={"seconds": 3 * 3600 + 1}, timeout=10)
    assert advanced.status_code == 200, advanced.text
    page.goto(link(order, "approve"))
    expect(page.get_by_test_id("paypal-expired")).to_be_visible()
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)
    snapshot(page, "PayPal: the approval window closed")
    capture = app.call("POST", f"/v2/checkout/orders/{order['id']}/capture").json()
    assert capture["details"][0]["issue"] == "ORDER_EXPIRED"


def test_a_wrong_page_token_opens_nothing(page: Page, app: PaypalApp) -> None:
    order = app.create(value="4.00")
    page.goto(re.sub(r"session=\w+", "session=guess", link(order, "approve")))
    expect(page.get_by_test_id("paypal-missing")).to_be_visible()
    expect(page.get_by_role("button", name="Log In")).to_have_count(0)
