"""NewebPay's MPG page in the browser, driven by role and label as a shopper drives it: the
method buttons, the card form (declines, 3-D Secure), the codes (ATM, store code, barcode)
settled with `simulate` or expiring on the virtual clock, WebATM, ClientBackURL, and what
the page echoes, escaped. A failed card ends the MPG transaction, as on NewebPay: the
shopper goes back to the shop (ClientBackURL) to try again."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from paylab.suites.e2e.flows import fresh_page, module_context, snapshot
from paylab.suites.e2e.rails import (
    HOSTILE,
    MPG,
    NEWEBPAY_CARD,
    PHONE,
    THREE_DS,
    Merchant,
    newebpay_form,
    newebpay_result,
    post_from_browser,
)
from paylab.suites.plugins.simulator import LiveSimulator, wait_for
from paylab.suites.plugins.webhook_sink import WebhookSink
from playwright.sync_api import Browser, BrowserContext, Page, expect

#: The hosted page: /newebpay/MPG/pay/{id}?token=... (and the chosen method)
MPG_PAGE = re.compile(r".*/newebpay/MPG/pay/(\w+)\?token=\w+(&method=\w+)?$")
PAID, FAILED = "Payment complete 付款完成", "Payment failed 付款失敗"


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


def open_mpg(page: Page, simulator: LiveSimulator, merchant: Merchant, **fields: Any) -> str:
    """Post an MPG form from the browser (NotifyURL on the merchant); returns the order id."""
    post_from_browser(page, simulator.url + MPG,
                      newebpay_form(NotifyURL=f"{merchant.url}/notify", **fields))
    expect(page.get_by_test_id("mpg-page")).to_be_visible()
    return MPG_PAGE.match(page.url).group(1)  # type: ignore[union-attr]


def choose(page: Page, button: str) -> None:
    page.get_by_role("button", name=button, exact=True).click()


def pay_card(page: Page, number: str, expiry: str = "12/34", cvc: str = "123") -> None:
    """Fill the card form by its labels and press Pay."""
    page.get_by_label("Card number").fill(number)
    page.get_by_label("Expiry (MM/YY)").fill(expiry)
    page.get_by_label("CVC").fill(cvc)
    page.get_by_role("button", name="Pay", exact=True).click()


def notice(merchant: Merchant, count: int = 1) -> tuple[str, str, dict[str, str]]:
    """The latest NotifyURL notice, decrypted once its TradeSha checks out."""
    forms = merchant.forms("/notify", count)
    assert len(forms) == count, f"{len(forms)} NotifyURL notices, expected {count}"
    return newebpay_result(forms[-1])


def test_credit_card_pays_and_returns_to_return_url(
        page: Page, simulator: LiveSimulator, merchant: Merchant) -> None:
    open_mpg(page, simulator, merchant, ReturnURL=f"{merchant.url}/return")
    expect(page.get_by_test_id("mpg-total")).to_have_text("NT$880")
    for name in ("Credit card", "ATM transfer", "Convenience store code", "Barcode", "WebATM"):
        expect(page.get_by_role("button", name=name, exact=True)).to_be_visible()
    snapshot(page, "NewebPay MPG page: choose a payment method")
    choose(page, "Credit card")
    expect(page.get_by_test_id("card-form")).to_be_visible()
    snapshot(page, "NewebPay MPG page: the card form")
    pay_card(page, NEWEBPAY_CARD)
    page.wait_for_url(f"{merchant.url}/return")  # the result page posted on by itself
    status, _, result = newebpay_result(merchant.forms("/return")[0])
    assert (status, result["PaymentType"], result["Amt"]) == ("SUCCESS", "CREDIT", "880")
    assert notice(merchant)[0] == "SUCCESS"


def test_a_declined_card_says_why_and_the_shopper_goes_back_to_the_shop(
        page: Page, simulator: LiveSimulator, merchant: Merchant) -> None:
    open_mpg(page, simulator, merchant, ClientBackURL=f"{merchant.url}/back")
    choose(page, "Credit card")
    pay_card(page, "4000 0000 0000 9995")
    expect(page.get_by_test_id("mpg-result-heading")).to_have_text(FAILED)
    expect(page.get_by_test_id("mpg-status")).to_have_text("MPG03009")
    expect(page.get_by_test_id("mpg-message")).to_contain_text("餘額不足")
    snapshot(page, "NewebPay result page after a decline")
    assert notice(merchant)[:2] == ("MPG03009", "授權失敗(餘額不足)")
    page.get_by_role("link", name="Back to the shop").click()
    page.wait_for_url(f"{merchant.url}/back")
    open_mpg(page, simulator, merchant)  # the shop's retry: a new trade
    choose(page, "Credit card")
    pay_card(page, NEWEBPAY_CARD)
    expect(page.get_by_test_id("mpg-result-heading")).to_have_text(PAID)


def test_card_form_errors_are_shown_beside_their_fields(
        page: Page, simulator: LiveSimulator, merchant: Merchant) -> None:
    open_mpg(page, simulator, merchant)
    choose(page, "Credit card")
    pay_card(page, "4000 0000", expiry="13/30", cvc="1")
    expect(page.locator("#cardnumber-error")).to_contain_text("Your card number is incomplete.")
    expect(page.locator("#expiry-error")).to_contain_text("expiration date is invalid")
    pay_card(page, NEWEBPAY_CARD)
    expect(page.get_by_test_id("mpg-result-heading")).to_have_text(PAID)


@pytest.mark.parametrize(("button", "status"), [("Complete authentication", "SUCCESS"),
                                                ("Fail authentication", "MPG03009"),
                                                ("Cancel", "MPG03009")])
def test_three_d_secure(page: Page, simulator: LiveSimulator, merchant: Merchant,
                        button: str, status: str) -> None:
    open_mpg(page, simulator, merchant)
    choose(page, "Credit card")
    pay_card(page, THREE_DS)
    expect(page.get_by_test_id("challenge-amount")).to_have_text("NT$880")
    if status == "SUCCESS":
        snapshot(page, "NewebPay 3-D Secure step")
    page.get_by_role("button", name=button, exact=True).click()
    expect(page.get_by_test_id("mpg-status")).to_have_text(status)
    assert notice(merchant)[0] == status


def test_a_store_code_is_shown_then_simulated_paid(
        page: Page, simulator: LiveSimulator, merchant: Merchant) -> None:
    order = open_mpg(page, simulator, merchant)
    choose(page, "Convenience store code")
    page.get_by_role("button", name="Get payment code").click()
    code = page.get_by_test_id("payment-no")
    expect(code).to_have_text(re.compile(r"^NWP\d{11}$"))
    expect(page.get_by_test_id("expire-date")).to_have_text(
        re.compile(r"^\d{4}-\d{2}-\d{2} 23:59:59$"))
    snapshot(page, "NewebPay code page: convenience store code")
    answer = requests.post(f"{simulator.url}/_sim/payments/{order}/simulate",
                           json={"outcome": "paid"}, timeout=10)
    assert answer.json()["status"] == "paid", answer.text
    status, _, paid = notice(merchant)
    assert (status, paid["PaymentType"], paid["CodeNo"]) == ("SUCCESS", "CVS",
                                                              code.inner_text())
    assert paid["PayTime"]


@pytest.mark.parametrize(("button", "shown"), [("ATM transfer", "virtual-account"),
                                               ("Barcode", "barcode-3")])
def test_atm_and_barcode_codes_are_shown(page: Page, simulator: LiveSimulator,
                                         merchant: Merchant, button: str, shown: str) -> None:
    """At a phone's width: the longest codes fit without scrolling sideways."""
    page.set_viewport_size(PHONE)
    open_mpg(page, simulator, merchant, ClientBackURL=f"{merchant.url}/back")
    choose(page, button)
    page.get_by_role("button", name="Get payment code").click()
    expect(page.get_by_test_id(shown)).to_have_text(re.compile(r"^\w{4,}$"))
    expect(page.get_by_test_id("expire-date")).not_to_be_empty()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    if button == "ATM transfer":
        snapshot(page, "NewebPay code page at a phone's width: ATM transfer")
    page.get_by_role("link", name="Back to the shop").click()
    page.wait_for_url(f"{merchant.url}/back")


def test_the_shopper_can_leave_the_mpg_page_for_the_shop(
        page: Page, simulator: LiveSimulator, merchant: Merchant) -> None:
    open_mpg(page, simulator, merchant, ClientBackURL=f"{merchant.url}/back")
    choose(page, "Credit card")
    page.get_by_role("link", name="Back to the shop").click()
    page.wait_for_url(f"{merchant.url}/back")
    assert merchant.forms("/notify", timeout=0) == [], "nothing was paid"


def test_webatm_pays_at_once(page: Page, simulator: LiveSimulator, merchant: Merchant) -> None:
    open_mpg(page, simulator, merchant)
    choose(page, "WebATM")
    expect(page.get_by_label("Bank")).to_have_value("HNCB")  # the stage's WebATM bank
    page.get_by_role("button", name="Pay", exact=True).click()
    expect(page.get_by_test_id("mpg-result-heading")).to_have_text(PAID)
    status, _, result = notice(merchant)
    assert (status, result["PaymentType"]) == ("SUCCESS", "WEBATM")


def test_a_store_code_expires_on_the_virtual_clock(
        page: Page, merchant: Merchant, standing_simulator: LiveSimulator) -> None:
    """On the layer's standing-clock simulator (conftest). Without ExpireDate a code
    lasts to the end of the 7th Taiwan day counting today: 8 days on, it is closed."""
    own = standing_simulator
    open_mpg(page, own, merchant)
    choose(page, "Convenience store code")
    page.get_by_role("button", name="Get payment code").click()
    expect(page.get_by_test_id("payment-no")).to_be_visible()
    requests.post(f"{own.url}/_sim/clock/advance", json={"seconds": 8 * 86400},
                  timeout=10).raise_for_status()
    wait_for(lambda: requests.get(page.url, timeout=10).status_code, lambda s: s == 410)
    page.reload()
    expect(page.get_by_test_id("mpg-closed")).to_contain_text("expired")


def test_pages_show_a_hostile_item_description_as_text(
        page: Page, simulator: LiveSimulator, merchant: Merchant, dialogs: list[str]) -> None:
    open_mpg(page, simulator, merchant, ItemDesc=HOSTILE, OrderComment=HOSTILE)
    expect(page.get_by_test_id("mpg-item")).to_have_text(HOSTILE)
    expect(page.get_by_test_id("mpg-comment")).to_have_text(HOSTILE)
    choose(page, "Credit card")
    expect(page.get_by_test_id("mpg-item")).to_have_text(HOSTILE)
    post_from_browser(page, simulator.url + MPG, newebpay_form(MerchantOrderNo=HOSTILE))
    expect(page.get_by_test_id("mpg-error")).to_be_visible()  # the MPG error page
    snapshot(page, "NewebPay MPG error page for a hostile MerchantOrderNo")
    assert page.evaluate("document.querySelectorAll('svg[onload]').length") == 0
    assert dialogs == []
