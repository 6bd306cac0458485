"""ECPay's cashier in the browser, driven by role and label as a shopper drives it: the
payment-type choice, the card form (declines, 3-D Secure), the codes (ATM, CVS, barcode)
settled with `simulate` or expiring on the virtual clock, WebATM, ClientBackURL, and what
the pages echo, escaped."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from paylab.suites.e2e.flows import fresh_page, module_context, snapshot
from paylab.suites.e2e.rails import (
    AIO,
    ECPAY_CARD,
    ECPAY_ITEMS,
    HOSTILE,
    PHONE,
    THREE_DS,
    Merchant,
    ecpay_form,
    ecpay_genuine,
    post_from_browser,
)
from paylab.suites.plugins.simulator import LiveSimulator, wait_for
from paylab.suites.plugins.webhook_sink import WebhookSink
from playwright.sync_api import Browser, BrowserContext, Page, expect

#: The cashier's path after a choice: /ecpay/Cashier/Order/{id}?token=...
ORDER_PAGE = re.compile(r".*/ecpay/Cashier/Order/(\w+)\?token=\w+$")


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


def open_cashier(page: Page, simulator: LiveSimulator, merchant: Merchant,
                 **fields: Any) -> dict[str, str]:
    """Post an AioCheckOut form from the browser; the cashier's choice is shown."""
    form = ecpay_form(f"{merchant.url}/return", **fields)
    post_from_browser(page, simulator.url + AIO, form)
    expect(page.get_by_test_id("ecpay-cashier")).to_be_visible()
    return form


def choose(page: Page, button: str) -> None:
    page.get_by_role("button", name=button, exact=True).click()


def pay_card(page: Page, number: str, expiry: str = "12/34", cvc: str = "222") -> None:
    """Fill the card form by its labels and press Pay."""
    page.get_by_label("Card number").fill(number)
    page.get_by_label("Expiry (MM/YY)").fill(expiry)
    page.get_by_label("CVC").fill(cvc)
    page.get_by_role("button", name="Pay", exact=True).click()


def order_id(page: Page) -> str:
    page.wait_for_url(ORDER_PAGE)
    return ORDER_PAGE.match(page.url).group(1)  # type: ignore[union-attr]


def test_credit_card_pays_and_posts_the_result_to_order_result_url(
        page: Page, simulator: LiveSimulator, merchant: Merchant) -> None:
    form = open_cashier(page, simulator, merchant,
                        OrderResultURL=f"{merchant.url}/result")
    expect(page.get_by_test_id("total-amount")).to_have_text("NT$ 880")
    assert page.get_by_test_id("item-name").inner_text() == "\n".join(ECPAY_ITEMS)
    for name in ("Credit card", "ATM transfer", "Convenience store code", "Barcode", "WebATM"):
        expect(page.get_by_role("button", name=name, exact=True)).to_be_visible()
    snapshot(page, "ECPay cashier: choose a payment method")
    choose(page, "Credit card")
    expect(page.get_by_test_id("ecpay-card")).to_be_visible()
    snapshot(page, "ECPay cashier: the card form")
    pay_card(page, ECPAY_CARD)
    page.wait_for_url(f"{merchant.url}/result")  # the result page posted on by itself
    [result] = merchant.forms("/result")
    [notice] = merchant.forms("/return")
    for posted in (result, notice):
        assert ecpay_genuine(posted), posted
        assert (posted["MerchantTradeNo"], posted["RtnCode"], posted["TradeAmt"],
                posted["PaymentType"]) == (form["MerchantTradeNo"], "1", "880",
                                           "Credit_CreditCard")


def test_a_declined_card_shows_why_and_another_card_pays(
        page: Page, simulator: LiveSimulator, merchant: Merchant) -> None:
    open_cashier(page, simulator, merchant, ChoosePayment="Credit")
    choose(page, "Credit card")
    pay_card(page, "4000 0000 0000 0002")
    expect(page.get_by_role("alert")).to_have_text("Your card was declined.")
    snapshot(page, "ECPay card form after a decline")
    pay_card(page, ECPAY_CARD)
    expect(page.get_by_test_id("result-heading")).to_have_text("付款成功 Payment complete")
    [notice] = merchant.forms("/return")
    assert notice["RtnCode"] == "1"


def test_three_d_secure_passed_pays(page: Page, simulator: LiveSimulator,
                                    merchant: Merchant) -> None:
    open_cashier(page, simulator, merchant, ChoosePayment="Credit")
    choose(page, "Credit card")
    pay_card(page, THREE_DS)
    expect(page.get_by_test_id("challenge-amount")).to_have_text("NT$ 880")
    expect(page.get_by_test_id("challenge-card")).to_have_text("Visa •••• 3220")
    snapshot(page, "ECPay 3-D Secure step")
    page.get_by_role("button", name="Complete authentication").click()
    expect(page.get_by_test_id("result-heading")).to_have_text("付款成功 Payment complete")
    assert merchant.forms("/return")[0]["RtnCode"] == "1"


@pytest.mark.parametrize(("button", "message"), [
    ("Fail authentication", "The card holder failed authentication."),
    ("Cancel", "3-D Secure was cancelled; choose a payment type again.")])
def test_three_d_secure_failed_or_cancelled_returns_to_the_card_form(
        page: Page, simulator: LiveSimulator, merchant: Merchant, button: str,
        message: str) -> None:
    open_cashier(page, simulator, merchant, ChoosePayment="Credit")
    choose(page, "Credit card")
    pay_card(page, THREE_DS)
    page.get_by_role("button", name=button, exact=True).click()
    expect(page.get_by_test_id("ecpay-card")).to_be_visible()
    expect(page.get_by_test_id("form-error")).to_contain_text(message)
    pay_card(page, ECPAY_CARD)  # and the shopper can still pay
    expect(page.get_by_test_id("result-heading")).to_have_text("付款成功 Payment complete")
    assert [f["RtnCode"] for f in merchant.forms("/return")] == ["1"]


def test_a_store_code_is_shown_then_simulated_paid(
        page: Page, simulator: LiveSimulator, merchant: Merchant) -> None:
    form = open_cashier(page, simulator, merchant, PaymentInfoURL=f"{merchant.url}/info")
    choose(page, "Convenience store code")
    order = order_id(page)
    code = page.get_by_test_id("payment-no")
    expect(code).to_have_text(re.compile(r"^[A-Z0-9]{14}$"))  # ECPay stage: 14
    expect(page.get_by_test_id("expire-date")).to_have_text(
        re.compile(r"^\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}$"))
    snapshot(page, "ECPay code page: convenience store code")
    [info] = merchant.forms("/info")
    assert (info["RtnCode"], info["PaymentNo"], info["ExpireDate"]) == (
        "10100073", code.inner_text(), page.get_by_test_id("expire-date").inner_text())
    answer = requests.post(f"{simulator.url}/_sim/payments/{order}/simulate",
                           json={"outcome": "paid"}, timeout=10)
    assert answer.json()["status"] == "paid", answer.text
    [paid] = merchant.forms("/return")
    assert (paid["MerchantTradeNo"], paid["RtnCode"], paid["SimulatePaid"]) == (
        form["MerchantTradeNo"], "1", "1")


@pytest.mark.parametrize(("button", "shown"), [("ATM transfer", "virtual-account"),
                                               ("Barcode", "barcode-3")])
def test_atm_and_barcode_codes_are_shown(page: Page, simulator: LiveSimulator,
                                         merchant: Merchant, button: str, shown: str) -> None:
    """At a phone's width: the longest codes fit without scrolling sideways."""
    page.set_viewport_size(PHONE)
    open_cashier(page, simulator, merchant, ClientBackURL=f"{merchant.url}/back")
    choose(page, button)
    expect(page.get_by_test_id(shown)).to_have_text(re.compile(r"^\w{4,}$"))
    expect(page.get_by_test_id("expire-date")).not_to_be_empty()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    if button == "Barcode":
        snapshot(page, "ECPay code page at a phone's width: barcode")
    page.get_by_role("link", name="返回商店 Back to the shop").click()  # the way back
    page.wait_for_url(f"{merchant.url}/back")


def test_the_shopper_can_leave_the_cashier_for_the_shop(
        page: Page, simulator: LiveSimulator, merchant: Merchant) -> None:
    open_cashier(page, simulator, merchant, ClientBackURL=f"{merchant.url}/back")
    page.get_by_role("link", name="返回商店 Back to the shop").click()
    page.wait_for_url(f"{merchant.url}/back")
    assert merchant.forms("/return", timeout=0) == [], "nothing was paid"


def test_webatm_pays_at_once(page: Page, simulator: LiveSimulator, merchant: Merchant) -> None:
    open_cashier(page, simulator, merchant, ClientBackURL=f"{merchant.url}/back")
    choose(page, "WebATM")
    expect(page.get_by_test_id("payment-type")).to_have_text(re.compile(r"^WebATM_"))
    page.get_by_test_id("client-back").click()
    page.wait_for_url(f"{merchant.url}/back")
    assert merchant.forms("/return")[0]["RtnCode"] == "1"


def test_a_store_code_expires_on_the_virtual_clock(
        page: Page, merchant: Merchant, standing_simulator: LiveSimulator) -> None:
    """On the layer's standing-clock simulator (conftest): 5 s before the deadline the
    code is still shown; 5 s after it the cashier says it has expired."""
    own = standing_simulator
    open_cashier(page, own, merchant, ChoosePayment="CVS", StoreExpireDate=30)
    choose(page, "Convenience store code")
    order_id(page)
    expect(page.get_by_test_id("payment-no")).to_be_visible()
    requests.post(f"{own.url}/_sim/clock/advance", json={"seconds": 30 * 60 - 5},
                  timeout=10).raise_for_status()
    page.reload()
    expect(page.get_by_test_id("payment-no")).to_be_visible()  # 5 s left
    requests.post(f"{own.url}/_sim/clock/advance", json={"seconds": 10},
                  timeout=10).raise_for_status()
    wait_for(lambda: requests.get(page.url, timeout=10).status_code, lambda s: s == 410)
    page.reload()
    expect(page.get_by_test_id("cashier-expired")).to_contain_text(
        "This payment can no longer be made.")


def test_pages_show_a_hostile_item_name_as_text(page: Page, simulator: LiveSimulator,
                                                merchant: Merchant, dialogs: list[str]) -> None:
    open_cashier(page, simulator, merchant, ItemName=HOSTILE, TradeDesc=HOSTILE,
                 ChoosePayment="Credit")
    expect(page.get_by_test_id("item-name")).to_have_text(HOSTILE)
    choose(page, "Credit card")
    expect(page.get_by_test_id("item-name")).to_have_text(HOSTILE)
    pay_card(page, THREE_DS)
    expect(page.get_by_test_id("challenge-page")).to_be_visible()
    page.get_by_role("button", name="Complete authentication").click()
    expect(page.get_by_test_id("item-name")).to_have_text(HOSTILE)
    open_cashier(page, simulator, merchant, ItemName=HOSTILE, ChoosePayment="CVS")
    choose(page, "Convenience store code")
    expect(page.get_by_test_id("item-name")).to_have_text(HOSTILE)  # the code page
    post_from_browser(page, simulator.url + AIO, ecpay_form(f"{merchant.url}/return",
                                                            MerchantTradeNo=HOSTILE))
    expect(page.get_by_test_id("ecpay-error")).to_be_visible()  # ECPay's error page
    snapshot(page, "ECPay error page for a hostile MerchantTradeNo")
    assert page.evaluate("document.querySelectorAll('svg[onload]').length") == 0
    assert dialogs == []
