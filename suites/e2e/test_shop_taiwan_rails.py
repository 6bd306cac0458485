"""A shopper buys at the reference shop through the Taiwanese rails: ECPay credit (paid once),
an ECPay convenience-store code (shown on the order page, then paid with `simulate`) and
NewebPay credit. The shop learns of each payment from the gateway's server notice only."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from paylab.suites.e2e.flows import fresh_page, module_context, snapshot
from paylab.suites.e2e.rails import ECPAY_CARD, NEWEBPAY_CARD
from paylab.suites.plugins.shop import Shop
from paylab.suites.plugins.simulator import LiveSimulator
from playwright.sync_api import Browser, BrowserContext, Page, expect

ECPAY_TENANT = "ecpay-3002607"


@pytest.fixture(scope="module")
def context(browser: Browser, browser_context_args: dict[str, Any]
            ) -> Iterator[BrowserContext]:
    yield from module_context(browser, browser_context_args)


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return fresh_page(context)


def check_out(page: Page, shop: Shop, pay_with: str) -> None:
    """One product in the cart, paid with `pay_with`: the browser lands on the gateway's
    page (the shop's redirect page posts the signed form by itself)."""
    page.goto(shop.url)
    page.locator("[data-testid=add-to-cart][data-product='alishan-oolong']").click()
    page.wait_for_url("**/cart**")
    page.get_by_test_id(f"pay-with-{pay_with}").check()
    page.get_by_test_id("checkout").click()
    page.wait_for_url(re.compile(r".*/(ecpay|newebpay)/.*"))


def pay_card(page: Page, number: str, cvc: str) -> None:
    page.get_by_role("button", name="Credit card", exact=True).click()
    page.get_by_label("Card number").fill(number)
    page.get_by_label("Expiry (MM/YY)").fill("12/34")
    page.get_by_label("CVC").fill(cvc)
    page.get_by_role("button", name="Pay", exact=True).click()


def expect_paid_once(page: Page, shop: Shop) -> None:
    """The order page says Paid (after the server notice) and the shop fulfilled it once."""
    page.wait_for_url(re.compile(r".*/orders/\w+$"))
    expect(page.get_by_test_id("order-status")).to_have_text("Paid", timeout=15_000)
    order = page.get_by_test_id("order").get_attribute("data-order")
    status = requests.get(f"{shop.url}/orders/{order}/status", timeout=10).json()
    assert (status["status"], status["fulfilments"]) == ("paid", 1)


def ecpay_rows(simulator: LiveSimulator, trade: str) -> list[dict[str, Any]]:
    """The simulator's ledger rows of one ECPay trade (ground truth)."""
    rows = requests.get(f"{simulator.url}/_sim/ledger", params={"tenant": ECPAY_TENANT},
                        timeout=10).json()["payments"]
    return [r for r in rows if r.get("merchant_order_no") == trade]


def test_ecpay_credit_pays_the_order_once(page: Page, shop: Shop,
                                          simulator: LiveSimulator) -> None:
    check_out(page, shop, "ecpay-credit")
    trade = page.get_by_test_id("merchant-trade-no").inner_text()
    pay_card(page, ECPAY_CARD, "222")
    expect_paid_once(page, shop)
    expect(page.get_by_test_id("order-gateway")).to_have_text("ECPay")
    snapshot(page, "shop order page after ECPay credit")
    assert [(r["status"], r["method"]) for r in ecpay_rows(simulator, trade)] == [
        ("authorized", "card")]


def test_ecpay_store_code_is_shown_on_the_order_page_then_paid(
        page: Page, shop: Shop, simulator: LiveSimulator) -> None:
    check_out(page, shop, "ecpay-cvs")
    trade = page.get_by_test_id("merchant-trade-no").inner_text()
    page.get_by_role("button", name="Convenience store code", exact=True).click()
    code = page.get_by_test_id("payment-no").inner_text()
    order = re.search(r"/Cashier/Order/(\w+)\?", page.url).group(1)  # type: ignore[union-attr]
    page.get_by_test_id("client-back").click()  # back to the shop (ClientBackURL)
    page.wait_for_url(re.compile(r".*/orders/\w+$"))
    expect(page.get_by_test_id("order-code-number")).to_have_text(code)
    expect(page.get_by_test_id("order-status")).not_to_have_text("Paid")
    snapshot(page, "shop order page with the ECPay store code")
    answer = requests.post(f"{simulator.url}/_sim/payments/{order}/simulate",
                           json={"outcome": "paid"}, timeout=10)
    assert answer.json()["status"] == "paid", answer.text
    expect_paid_once(page, shop)  # the page refreshes itself
    assert [(r["status"], r["method"]) for r in ecpay_rows(simulator, trade)] == [
        ("paid", "cvs")]


def test_newebpay_credit_pays_the_order(page: Page, shop: Shop) -> None:
    check_out(page, shop, "newebpay")
    expect(page.get_by_test_id("mpg-total")).to_have_text(re.compile(r"^NT\$[\d,]+$"))
    pay_card(page, NEWEBPAY_CARD, "123")
    expect_paid_once(page, shop)
    expect(page.get_by_test_id("order-gateway")).to_have_text("NewebPay")
