"""Apple Pay and Google Pay against a live simulator: the official stripe SDK sees
`card.wallet` on a wallet token's PaymentMethod (and plain cards keep `wallet: null`), every
answer conforming to contracts/stripe; ECPay's ApplePay and NewebPay's APPLEPAY /
ANDROIDPAY sheets pay, and their notices and query answers conform to their contracts."""

from __future__ import annotations

import html
import re
import urllib.parse

import pytest
import requests
import stripe
from paylab.suites.contract.ecpay_merchant import (
    Acknowledger,
    EcpayMerchant,
    form_of,
    hidden_fields,
    shown,
)
from paylab.suites.contract.newebpay_merchant import NewebPayMerchant, posted_forms
from paylab.suites.plugins.contracts import WireContracts
from paylab.suites.plugins.simulator import Control
from paylab.suites.plugins.webhook_sink import WebhookSink


def _action(page: requests.Response, testid: str) -> str:
    match = re.search(rf'action="([^"]+)"[^>]*data-testid="{testid}"', page.text)
    assert match, f"no form {testid} in {page.url}"
    return urllib.parse.urljoin(page.url, html.unescape(match.group(1)))


def _approve(http: requests.Session, sheet: requests.Response) -> requests.Response:
    assert 'data-testid="wallet-sheet"' in sheet.text, sheet.text[-400:]
    return http.post(_action(sheet, "wallet-approve-form"), data={"decision": "approve"},
                     timeout=10)


@pytest.mark.parametrize(("token", "wallet"), [("pm_card_visa_applepay", "apple_pay"),
                                               ("pm_card_mastercard_googlepay", "google_pay")])
def test_the_stripe_sdk_sees_card_wallet_on_a_wallet_payment_method(
        stripe_client: stripe.StripeClient, wire_contracts: WireContracts, token: str,
        wallet: str) -> None:
    pi = stripe_client.v1.payment_intents.create(params={
        "amount": 1500, "currency": "usd", "payment_method": token, "confirm": True})
    assert pi.status == "succeeded"
    pm = stripe_client.v1.payment_methods.retrieve(pi.payment_method)
    assert (pm.type, pm.card.wallet.type) == ("card", wallet)
    assert re.fullmatch(r"\d{4}", pm.card.wallet.dynamic_last4)
    wire_contracts.check("stripe/payment_method", pm.to_dict())
    charge = stripe_client.v1.charges.retrieve(pi.latest_charge)
    assert charge.payment_method_details.card.wallet.type == wallet
    wire_contracts.check("stripe/charge", charge.to_dict())


def test_a_plain_card_keeps_wallet_null_for_the_sdk(stripe_client: stripe.StripeClient) -> None:
    pi = stripe_client.v1.payment_intents.create(params={
        "amount": 900, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True})
    assert stripe_client.v1.payment_methods.retrieve(pi.payment_method).card.wallet is None


def test_ecpay_apple_pay_notice_and_query_conform(
        ecpay: EcpayMerchant, ecpay_shop: Acknowledger, control: Control,
        wire_contracts: WireContracts) -> None:
    sink = ecpay_shop.sink
    form = ecpay.sign(ecpay.order_form(ChoosePayment="ApplePay",
                                       ReturnURL=f"{sink.url}/ecpay/return",
                                       OrderResultURL="http://127.0.0.1:9/ecpay/result"))
    wire_contracts.check("ecpay/aio_checkout", wire_contracts.contracts.coerce(
        "https://paylab.dev/contracts/ecpay/aio_checkout.schema.json", dict(form)))
    cashier = ecpay.post_form(form)
    result = _approve(ecpay.http, ecpay.choose(cashier, "ApplePay"))
    assert shown(result.text, "payment-type") == "ApplePay", result.text[-400:]
    client_post = hidden_fields(result.text)
    wire_contracts.check("ecpay/return_notification", client_post)
    received, _ = sink.when_quiet(lambda: control.deliveries(tenant=ecpay.tenant))
    notice = form_of(received[0])
    wire_contracts.check("ecpay/return_notification", notice)
    assert ecpay.genuine(notice) and notice["PaymentType"] == "ApplePay"
    trade = ecpay.query(form["MerchantTradeNo"])[1]
    wire_contracts.check("ecpay/query_trade_info_response", trade)
    assert (trade["PaymentType"], trade["TradeStatus"]) == ("ApplePay", "1")


@pytest.mark.parametrize(("toggle", "testid", "method"), [
    ("APPLEPAY", "applepay", "APPLEPAY"), ("ANDROIDPAY", "googlepay", "GOOGLEPAY")])
def test_newebpay_wallet_notify_and_query_conform(
        newebpay: NewebPayMerchant, webhook_sink: WebhookSink, control: Control,
        wire_contracts: WireContracts, toggle: str, testid: str, method: str) -> None:
    page = newebpay.start(**{toggle: 1}, NotifyURL=f"{webhook_sink.url}/notify",
                          ReturnURL="http://127.0.0.1:9/return")
    link = re.search(rf'href="([^"]+)"[^>]*data-testid="method-{testid}"', page.text)
    assert link, page.text[-400:]
    sheet = newebpay.http.get(urllib.parse.urljoin(page.url, html.unescape(link.group(1))),
                              timeout=10)
    result_page = _approve(newebpay.http, sheet)
    _, back = posted_forms(result_page.text)["return-post"]
    status, message, result = newebpay.open(back)
    assert (status, result["PaymentType"], result["PaymentMethod"]) == ("SUCCESS", toggle,
                                                                        method)
    wire_contracts.check("newebpay/notify", {"Status": status, "Message": message,
                                             "Result": result})
    received, _ = webhook_sink.when_quiet(lambda: control.deliveries(tenant=newebpay.tenant))
    notify = dict(urllib.parse.parse_qsl(received[0].body.decode(), keep_blank_values=True))
    wire_contracts.check("newebpay/outer_form", notify)
    assert newebpay.open(notify) == (status, message, result)
    query = newebpay.query(result["MerchantOrderNo"], 100).json()
    wire_contracts.check("newebpay/query_response", query)
    assert query["Result"]["PaymentType"] == toggle
