"""ECPay's cashier in a browser, driven by role and label as a merchant's tests would: the
stage card with the result posted to OrderResultURL, a decline then another card, 3-D
Secure, a convenience-store code shown then settled with simulate, a code that expires on
the clock, and the way back to the shop."""

from __future__ import annotations

import html
import re
import secrets
import time
import urllib.parse

from paylab.simulator.webhooks.signing import ecpay_check_mac_value, verify_ecpay
from paylab.suites.plugins.simulator import Control, LiveSimulator
from paylab.suites.plugins.webhook_sink import WebhookSink
from playwright.sync_api import Page, expect

KEY, IV = "pwFHCqoQZGmho4w6", "EkRm7iFT261dpevs"


def open_cashier(page: Page, simulator: LiveSimulator, sink: WebhookSink, **fields: str
                 ) -> str:
    """The merchant's page posts a signed AioCheckOut form; returns its MerchantTradeNo."""
    no = "E" + secrets.token_hex(8)
    form = {"MerchantID": "3002607", "MerchantTradeNo": no, "PaymentType": "aio",
            "MerchantTradeDate": time.strftime("%Y/%m/%d %H:%M:%S"), "TotalAmount": "1200",
            "TradeDesc": "e2e", "ItemName": "Oolong tea 烏龍茶#Cake", "ChoosePayment": "ALL",
            "ReturnURL": f"{sink.url}/return", "EncryptType": "1", **fields}
    form["CheckMacValue"] = ecpay_check_mac_value(form, KEY, IV)
    inputs = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                     for k, v in form.items())
    page.set_content(f'<form id="f" method="post" action="{simulator.url}/ecpay/Cashier/'
                     f'AioCheckOut/V5">{inputs}<button>Checkout</button></form>')
    page.get_by_role("button", name="Checkout").click()
    expect(page.get_by_test_id("ecpay-cashier")).to_be_visible()
    return no


def fill_card(page: Page, number: str) -> None:
    page.get_by_label("Card number").fill(number)
    page.get_by_label("Expiry (MM/YY)").fill("12/30")
    page.get_by_label("CVC").fill("222")
    page.get_by_role("button", name="Pay").click()


def forms(sink: WebhookSink, path: str) -> list[dict[str, str]]:
    return [dict(urllib.parse.parse_qsl(r.body.decode(), keep_blank_values=True))
            for r in sink.received if r.path == path]


def test_the_stage_card_pays_and_the_result_is_posted_to_order_result_url(
        page: Page, simulator: LiveSimulator, webhook_sink: WebhookSink) -> None:
    open_cashier(page, simulator, webhook_sink, OrderResultURL=f"{webhook_sink.url}/result")
    page.get_by_role("button", name="Credit card", exact=True).click()
    fill_card(page, "4311 9522 2222 2222")
    page.wait_for_url(f"{webhook_sink.url}/result")
    posted = webhook_sink.wait_for(1) and forms(webhook_sink, "/result")[0]
    assert posted["RtnCode"] == "1" and posted["RtnMsg"] == "Succeeded"
    assert verify_ecpay(posted, KEY, IV)


def test_a_decline_then_three_d_secure(page: Page, simulator: LiveSimulator,
                                       webhook_sink: WebhookSink) -> None:
    open_cashier(page, simulator, webhook_sink, ClientBackURL=f"{simulator.url}/_sim/health")
    page.get_by_role("button", name="Credit card", exact=True).click()
    fill_card(page, "4000 0000 0000 0002")
    expect(page.get_by_test_id("form-error")).to_have_text("Your card was declined.")
    fill_card(page, "4000 0000 0000 3220")
    page.get_by_test_id("3ds-complete").click()
    expect(page.get_by_test_id("ecpay-result")).to_be_visible()
    page.get_by_test_id("client-back").click()
    page.wait_for_url(f"{simulator.url}/_sim/health")


def test_a_store_code_is_shown_then_settled_with_simulate(
        page: Page, simulator: LiveSimulator, webhook_sink: WebhookSink, control: Control
) -> None:
    no = open_cashier(page, simulator, webhook_sink)
    page.get_by_role("button", name="Convenience store code", exact=True).click()
    code = page.get_by_test_id("payment-no").inner_text()
    assert len(code) == 14
    expect(page.get_by_test_id("expire-date")).to_have_text(
        re.compile(r"^\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}$"))
    order_id = page.url.split("/Cashier/Order/")[1].split("?")[0]
    assert control.post(f"payments/{order_id}/simulate", {"outcome": "paid"})["status"] == "paid"
    webhook_sink.wait_for(1)
    paid = forms(webhook_sink, "/return")[0]
    assert (paid["MerchantTradeNo"], paid["SimulatePaid"], paid["RtnMsg"]) == (no, "1", "交易成功")
    page.reload()
    expect(page.get_by_test_id("ecpay-result")).to_be_visible()


def test_an_atm_account_then_a_code_that_expires_on_the_clock(
        page: Page, simulator: LiveSimulator, webhook_sink: WebhookSink, control: Control
) -> None:
    open_cashier(page, simulator, webhook_sink, ChoosePayment="ATM")
    page.get_by_role("button", name="ATM transfer", exact=True).click()
    assert len(page.get_by_test_id("virtual-account").inner_text()) == 16
    open_cashier(page, simulator, webhook_sink, ChoosePayment="CVS", StoreExpireDate="1")
    page.get_by_role("button", name="Convenience store code", exact=True).click()
    expect(page.get_by_test_id("payment-no")).to_be_visible()
    control.post("clock/advance", {"seconds": 61})  # a minute: harmless to other tests
    for _ in range(50):  # the expiry timer fires in the background; the page shows it on reload
        page.reload()
        if page.get_by_test_id("cashier-expired").count():
            break
        page.wait_for_timeout(100)
    expect(page.get_by_test_id("cashier-expired")).to_be_visible()
