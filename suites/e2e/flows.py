"""Shopper steps, written against the selectors the README documents for any shop:
`add-to-cart` (with data-product), `checkout`, `order-status`, and the hosted page's
labelled fields and buttons."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import allure
from paylab.suites.plugins.evidence import attach_screenshot
from playwright.sync_api import Browser, BrowserContext, Page, expect

VISA = "4242 4242 4242 4242"


def snapshot(page: Page, name: str) -> None:
    """A screenshot of the page as it is now, in the report."""
    attach_screenshot(page, name)


def start_checkout(page: Page, shop_url: str, product: str = "alishan-oolong") -> None:
    """Put one product in the cart and go to the hosted payment page."""
    with allure.step(f"add {product} to the cart and check out"):
        page.goto(shop_url)
        page.locator(f"[data-testid=add-to-cart][data-product='{product}']").click()
        page.wait_for_url("**/cart**")
        page.get_by_test_id("checkout").click()
        page.wait_for_url(re.compile(r".*/checkout/cs_test_\w+\?token=\w+$"))
        expect(page.get_by_role("button", name="Pay", exact=True)).to_be_visible()


def fill_card(page: Page, number: str = VISA, expiry: str = "12/34", cvc: str = "123",
              name: str = "Lin Ming", email: str = "ming@example.tw") -> None:
    """Fill the hosted card form by its labels."""
    with allure.step(f"enter card {number}"):
        page.get_by_label("Email").fill(email)
        page.get_by_label("Card number").fill(number)
        page.get_by_label("Expiry (MM/YY)").fill(expiry)
        page.get_by_label("CVC").fill(cvc)
        page.get_by_label("Name on card").fill(name)


def pay(page: Page, number: str = VISA) -> None:
    """Fill the form and press Pay."""
    fill_card(page, number)
    with allure.step("press Pay"):
        page.get_by_role("button", name="Pay", exact=True).click()
        page.wait_for_load_state()


def expect_paid(page: Page, timeout: float = 15_000) -> None:
    """The order page shows Paid once the signed webhook has arrived."""
    with allure.step("wait for the order page to say Paid"):
        page.wait_for_url("**/orders/**")
        expect(page.get_by_test_id("order-status")).to_have_text("Paid", timeout=timeout)


def module_context(browser: Browser, context_args: dict[str, Any]) -> Iterator[BrowserContext]:
    """One browser context for a module's tests (a `context` fixture of module scope):
    a context per test costs more than the pages these tests open."""
    context = browser.new_context(**context_args)
    yield context
    context.close()


def fresh_page(context: BrowserContext) -> Page:
    """A new page in a module's context, as if in a new one: the previous test's pages
    closed (each test's evidence shows only its own) and its cookies gone."""
    for old in context.pages:
        old.close()
    context.clear_cookies()
    return context.new_page()
