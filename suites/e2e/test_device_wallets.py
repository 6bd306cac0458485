"""Apple Pay and Google Pay in the browser: the hosted Checkout page's **Apple Pay** and
**Google Pay** buttons open the simulated wallet sheet (Approve pays with a wallet card,
Cancel comes back with nothing changed), and the ECPay and NewebPay cashiers' wallet
buttons do the same on their rails."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from paylab.suites.e2e.flows import (
    expect_paid,
    fresh_page,
    module_context,
    snapshot,
    start_checkout,
)
from paylab.suites.e2e.rails import (
    AIO,
    MPG,
    Merchant,
    ecpay_form,
    ecpay_genuine,
    newebpay_form,
    newebpay_result,
    post_from_browser,
)
from paylab.suites.plugins.shop import Shop
from paylab.suites.plugins.simulator import LiveSimulator
from paylab.suites.plugins.webhook_sink import WebhookSink
from playwright.sync_api import Browser, BrowserContext, Page, expect

CHECKOUT_PAGE = re.compile(r".*/stripe/checkout/(cs_test_\w+)\?token=\w+$")


@pytest.fixture(scope="module")
def context(browser: Browser, browser_context_args: dict[str, Any]
            ) -> Iterator[BrowserContext]:
    yield from module_context(browser, browser_context_args)


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return fresh_page(context)


@pytest.fixture
def merchant(webhook_sink: WebhookSink) -> Merchant:
    return Merchant(webhook_sink)


def open_sheet(page: Page, button: str, amount: str) -> None:
    """Press a wallet's button; its sheet shows the merchant's amount."""
    page.get_by_role("button", name=button, exact=True).click()
    expect(page.get_by_test_id("wallet-sheet")).to_be_visible()
    expect(page.get_by_test_id("wallet-name")).to_have_text(button)
    expect(page.get_by_test_id("wallet-amount")).to_have_text(amount)
    snapshot(page, f"the simulated {button} sheet")


def session_of(simulator: LiveSimulator, shop: Shop, session_id: str) -> dict[str, Any]:
    """The session as the shop's key reads it, its payment's method expanded."""
    return requests.get(f"{simulator.stripe_url}/v1/checkout/sessions/{session_id}",
                        params={"expand[]": "payment_intent.payment_method"}, timeout=10,
                        headers={"Authorization": f"Bearer {shop.api_key}"}).json()


@pytest.mark.parametrize("button", ["Apple Pay", "Google Pay"])
def test_a_checkout_wallet_button_pays_with_a_wallet_card(
        page: Page, shop: Shop, simulator: LiveSimulator, button: str) -> None:
    start_checkout(page, shop.url)
    session_id = CHECKOUT_PAGE.match(page.url).group(1)  # type: ignore[union-attr]
    snapshot(page, "the hosted checkout page with its wallet buttons")
    open_sheet(page, button, "$18.50")
    page.get_by_role("button", name="Approve", exact=True).click()
    expect_paid(page)
    if shop.api_key:  # an external shop's key is not ours to read with
        session = session_of(simulator, shop, session_id)
        assert (session["status"], session["payment_status"]) == ("complete", "paid")
        wallet = session["payment_intent"]["payment_method"]["card"]["wallet"]
        assert wallet["type"] == button.lower().replace(" ", "_")


def test_cancel_on_the_sheet_returns_to_checkout_with_nothing_changed(
        page: Page, shop: Shop, simulator: LiveSimulator) -> None:
    start_checkout(page, shop.url)
    session_id = CHECKOUT_PAGE.match(page.url).group(1)  # type: ignore[union-attr]
    open_sheet(page, "Google Pay", "$18.50")
    page.get_by_role("button", name="Cancel", exact=True).click()
    expect(page.get_by_test_id("checkout-page")).to_be_visible()
    expect(page.get_by_role("button", name="Pay", exact=True)).to_be_visible()
    snapshot(page, "back on the checkout page after Cancel")
    if shop.api_key:
        session = session_of(simulator, shop, session_id)
        assert (session["status"], session["payment_intent"]) == ("open", None)


def test_ecpay_apple_pay_button_pays_by_apple_pay(
        page: Page, simulator: LiveSimulator, merchant: Merchant) -> None:
    form = ecpay_form(f"{merchant.url}/return", ChoosePayment="ALL")
    post_from_browser(page, simulator.url + AIO, form)
    expect(page.get_by_role("button", name="Apple Pay", exact=True)).to_be_visible()
    snapshot(page, "ECPay cashier with Apple Pay")
    open_sheet(page, "Apple Pay", "NT$880")
    page.get_by_role("button", name="Cancel", exact=True).click()
    expect(page.get_by_test_id("ecpay-cashier")).to_be_visible()
    open_sheet(page, "Apple Pay", "NT$880")
    page.get_by_role("button", name="Approve", exact=True).click()
    expect(page.get_by_test_id("payment-type")).to_have_text("ApplePay")
    snapshot(page, "ECPay result after Apple Pay")
    [notice] = merchant.forms("/return")
    assert ecpay_genuine(notice)
    assert (notice["MerchantTradeNo"], notice["RtnCode"], notice["PaymentType"]) == (
        form["MerchantTradeNo"], "1", "ApplePay")


@pytest.mark.parametrize(("button", "payment_type"), [("Apple Pay", "APPLEPAY"),
                                                      ("Google Pay", "ANDROIDPAY")])
def test_newebpay_wallet_buttons_pay_by_the_wallet(
        page: Page, simulator: LiveSimulator, merchant: Merchant, button: str,
        payment_type: str) -> None:
    post_from_browser(page, simulator.url + MPG, newebpay_form(
        NotifyURL=f"{merchant.url}/notify", APPLEPAY=1, ANDROIDPAY=1))
    expect(page.get_by_test_id("mpg-page")).to_be_visible()
    snapshot(page, "NewebPay MPG page with Apple Pay and Google Pay")
    open_sheet(page, button, "NT$880")
    page.get_by_role("button", name="Approve", exact=True).click()
    expect(page.get_by_test_id("mpg-status")).to_have_text("SUCCESS")
    snapshot(page, f"NewebPay result after {button}")
    [notify] = merchant.forms("/notify")
    status, _, result = newebpay_result(notify)
    assert (status, result["PaymentType"]) == ("SUCCESS", payment_type)
