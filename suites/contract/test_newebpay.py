"""NewebPay MPG against the live simulator, as a merchant written from gateways.md 2 sees it:
the MPG gateway's page and error page, NotifyURL / ReturnURL / CustomerURL results (TradeInfo
decrypted and TradeSha recomputed here, in JSON and String), NotifyURL's HTTP 200 rule,
QueryTradeInfo (CheckValue in, CheckCode out), CreditCard/Close and /Cancel; every message
against contracts/newebpay."""

from __future__ import annotations

import json
import re
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from paylab.simulator.contracts import contract_id
from paylab.suites.contract.newebpay_merchant import (
    NewebPayMerchant,
    check_code,
    check_value,
    decrypt,
    encrypt,
    order_no,
    posted_forms,
    shown,
    trade_sha,
)
from paylab.suites.plugins.contracts import WireContracts
from paylab.suites.plugins.simulator import Control
from paylab.suites.plugins.webhook_sink import WebhookSink

VECTORS = Path(__file__).parents[1] / "unit" / "data" / "vectors.json"
OUTER = ["Status", "MerchantID", "Version", "TradeInfo", "TradeSha"]
#: A card result's fields (2.4: the common ones and the credit extras).
CARD_RESULT = {"MerchantID", "Amt", "TradeNo", "MerchantOrderNo", "RespondType", "IP",
               "EscrowBank", "PaymentType", "RespondCode", "Auth", "Card6No", "Card4No", "Exp",
               "AuthBank", "TokenUseStatus", "InstFirst", "InstEach", "Inst", "ECI", "PayTime",
               "PaymentMethod"}
#: Code types: the page's method, its toggle, what it adds to CustomerURL, its message.
CODES = {"VACC": ({"bank": "BOT"}, ["BankCode", "CodeNo"], "取號成功", "virtual-account",
                  "CodeNo"),
         "CVS": ({}, ["CodeNo"], "代碼取號成功", "payment-no", "CodeNo"),
         "BARCODE": ({}, ["Barcode_1", "Barcode_2", "Barcode_3"], "條碼取號成功", "barcode-1",
                     "Barcode_1")}
TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


def flat(status: str, message: str, result: dict[str, Any], respond_type: str
         ) -> dict[str, Any]:
    """A decrypted result in the shape its contract describes for its RespondType."""
    if respond_type == "JSON":
        return {"Status": status, "Message": message, "Result": result}
    return {"Status": status, "Message": message, **result}


def test_the_merchants_crypto_reproduces_the_published_vectors() -> None:
    """The independent AES, TradeSha, CheckValue and CheckCode used here are NewebPay's."""
    vectors = json.loads(VECTORS.read_text(encoding="utf-8"))["newebpay"]
    key, iv = vectors["credentials"]["hash_key"], vectors["credentials"]["hash_iv"]
    for case in vectors["trade_info_encrypt"]:
        assert encrypt(case["plaintext"], key, iv) == case["expected_trade_info"]
        assert trade_sha(case["expected_trade_info"], key, iv) == case["expected_trade_sha"]
    for case in vectors["notify_decrypt"]:
        assert decrypt(case["trade_info"], key, iv) == case["expected_plaintext"]
        assert trade_sha(case["trade_info"], key, iv) == case["expected_trade_sha"]
    for name, digest in (("check_value", check_value), ("check_code", check_code)):
        for case in vectors[name]:
            assert digest(case["params"], case["hash_key"], case["hash_iv"]) == case["expected"]


def test_the_mpg_gateway_opens_the_payment_page(newebpay: NewebPayMerchant,
                                               wire_contracts: WireContracts) -> None:
    info = newebpay.trade_info(Amt=1280, ItemDesc="Tea 茶 & cake")
    wire_contracts.check("newebpay/mpg_request", wire_contracts.contracts.coerce(
        contract_id("newebpay/mpg_request"), {k: str(v) for k, v in info.items()}))
    page = newebpay.mpg(newebpay.mpg_form(info))
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert 'data-testid="mpg-page"' in page.text, page.text[-500:]
    assert (shown(page.text, "mpg-order"), shown(page.text, "mpg-item"),
            shown(page.text, "mpg-merchant")) == (info["MerchantOrderNo"], "Tea 茶 & cake",
                                                  newebpay.merchant_id)
    assert "1,280" in (shown(page.text, "mpg-total") or "")
    answer = newebpay.query(info["MerchantOrderNo"], 1280).json()
    wire_contracts.check("newebpay/query_response", answer)
    assert (answer["Status"], answer["Result"]["TradeStatus"], answer["Result"]["Amt"]) == (
        "SUCCESS", "0", 1280)


@pytest.mark.parametrize(("change", "code"), [
    ({"TradeSha": "0" * 64}, "MPG03009"), ({"TimeStamp": -500}, "MPG02004"),
    ({"MerchantID": "MS000000001"}, None)], ids=["trade-sha", "stale-timestamp", "merchant"])
def test_a_refused_mpg_form_gets_newebpays_error_page_and_no_order(
        newebpay: NewebPayMerchant, change: dict[str, Any], code: str | None) -> None:
    info = newebpay.trade_info()
    if "TimeStamp" in change:
        info["TimeStamp"] += change.pop("TimeStamp")
    page = newebpay.mpg({**newebpay.mpg_form(info), **change})
    assert 'data-testid="mpg-error"' in page.text and 'data-testid="mpg-page"' not in page.text
    if code is not None:
        assert shown(page.text, "error-code") == code
    answer = newebpay.query(info["MerchantOrderNo"], 100).json()
    assert answer["Status"] != "SUCCESS" and answer["Result"] == [], "no order was stored"


def test_a_reused_merchant_order_no_is_refused(newebpay: NewebPayMerchant) -> None:
    no = order_no()
    assert 'data-testid="mpg-page"' in newebpay.start(no).text
    again = newebpay.start(no, Amt=999)
    assert shown(again.text, "error-code") == "MPG03008"
    assert newebpay.query(no, 100).json()["Result"]["Amt"] == 100


@pytest.mark.parametrize("respond_type", ["JSON", "String"])
def test_a_card_payment_notifies_once_and_posts_the_same_result_back(
        newebpay: NewebPayMerchant, webhook_sink: WebhookSink, control: Control,
        wire_contracts: WireContracts, respond_type: str) -> None:
    page = newebpay.start(RespondType=respond_type, NotifyURL=f"{webhook_sink.url}/notify",
                          ReturnURL="http://127.0.0.1:9/return")
    result_page = newebpay.pay(page)
    assert shown(result_page.text, "mpg-status") == "SUCCESS", result_page.text[-500:]
    action, back = posted_forms(result_page.text)["return-post"]
    assert action == "http://127.0.0.1:9/return" and list(back) == OUTER
    wire_contracts.check("newebpay/outer_form", back)
    status, message, result = newebpay.open(back)
    assert (status, message, back["Status"]) == ("SUCCESS", "授權成功", "SUCCESS")
    assert set(result) == CARD_RESULT
    wire_contracts.check("newebpay/notify", flat(status, message, result, respond_type))
    assert (result["Amt"], result["PaymentType"], result["Card4No"], result["RespondType"]) == (
        100 if respond_type == "JSON" else "100", "CREDIT", "1111", respond_type)
    assert TIME.match(result["PayTime"]) and result["MerchantID"] == newebpay.merchant_id
    received, rows = webhook_sink.when_quiet(lambda: control.deliveries(tenant=newebpay.tenant))
    assert len(received) == 1 and received[0].path == "/notify"
    assert received[0].headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    notify = dict(urllib.parse.parse_qsl(received[0].body.decode(), keep_blank_values=True))
    assert list(notify) == OUTER
    wire_contracts.check("newebpay/outer_form", notify)
    assert newebpay.open(notify) == (status, message, result)
    forged = {**notify, "TradeInfo": encrypt("Status=SUCCESS&Amt=1", "0" * 32, "0" * 16)}
    with pytest.raises(AssertionError):
        newebpay.open(forged)
    assert [(r["status"], r["attempt_count"]) for r in rows] == [("delivered", 1)]


def test_notify_url_counts_only_http_200_and_retries_on_the_schedule(
        newebpay: NewebPayMerchant, webhook_sink: WebhookSink, control: Control) -> None:
    """Anything but 200 (a 201 too) is retried, as often as the server's schedule for
    NewebPay says (/_sim/health: its own three retries, or an explicit --retry-schedule);
    test_taiwan_notice_schedules checks NewebPay's own on a simulator of its own."""
    schedule = control.get("health")["webhooks"]["gateway_schedules"]["newebpay"]
    webhook_sink.respond_with([500, 201, 404, 503, 500, 500, 500, 500, 500, 500][
        :len(schedule) + 1])
    newebpay.pay(newebpay.start(NotifyURL=f"{webhook_sink.url}/notify"))
    received, rows = webhook_sink.when_quiet(
        lambda: control.deliveries(tenant=newebpay.tenant), timeout=30)
    assert [r.answered for r in received][:4] == [500, 201, 404, 503]
    assert len(received) == len(schedule) + 1
    assert [(r["status"], r["attempt_count"]) for r in rows] == [("failed", len(received))]
    assert len({r.body for r in received}) == 1, "each retry is the same notice"


@pytest.mark.parametrize(("kind", "respond_type"), [
    ("BARCODE", "JSON"), ("CVS", "JSON"), ("VACC", "JSON"), ("VACC", "String")])
def test_a_code_goes_to_customer_url_and_its_payment_to_notify_url(
        newebpay: NewebPayMerchant, webhook_sink: WebhookSink, control: Control,
        wire_contracts: WireContracts, kind: str, respond_type: str) -> None:
    fields, adds, message, testid, field = CODES[kind]
    amount = 500 if respond_type == "JSON" else "500"
    page = newebpay.start(**{kind: 1}, Amt=500, NotifyURL=f"{webhook_sink.url}/notify",
                          CustomerURL="http://127.0.0.1:9/customer", RespondType=respond_type)
    code_page = newebpay.pay(page, kind, **fields)
    action, posted = posted_forms(code_page.text)["customer-post"]
    assert action == "http://127.0.0.1:9/customer" and list(posted) == OUTER
    status, said, result = newebpay.open(posted)
    wire_contracts.check("newebpay/customer", flat(status, said, result, respond_type))
    assert (status, said, result["PaymentType"], result["Amt"]) == ("SUCCESS", message, kind,
                                                                   amount)
    assert set(result) == {"MerchantID", "Amt", "TradeNo", "MerchantOrderNo", "PaymentType",
                           "ExpireDate", "ExpireTime", *adds}
    assert result[field] == shown(code_page.text, testid)
    no = result["MerchantOrderNo"]
    assert newebpay.query(no, 500).json()["Result"]["TradeStatus"] == "0"
    assert webhook_sink.received == [], "nothing is notified before the payment"
    order = re.search(r"/MPG/pay/([A-Za-z0-9_]+)", code_page.url)
    assert order, code_page.url
    control.post(f"payments/{order.group(1)}/simulate", {"outcome": "paid"})
    received, _ = webhook_sink.when_quiet(lambda: control.deliveries(tenant=newebpay.tenant))
    (notice,) = received
    n_status, n_message, paid = newebpay.open(dict(urllib.parse.parse_qsl(
        notice.body.decode(), keep_blank_values=True)))
    wire_contracts.check("newebpay/notify", flat(n_status, n_message, paid, respond_type))
    assert (n_status, paid["TradeNo"], paid["PaymentType"], paid["Amt"]) == (
        "SUCCESS", result["TradeNo"], kind, amount)
    assert newebpay.query(no, 500).json()["Result"]["TradeStatus"] == "1"


def test_query_trade_info_answers_json_and_string_with_a_check_code(
        newebpay: NewebPayMerchant, wire_contracts: WireContracts) -> None:
    page = newebpay.start(Amt=250)
    newebpay.pay(page)
    no = shown(page.text, "mpg-order") or ""
    answer = newebpay.query(no, 250)
    assert answer.headers["Content-Type"].startswith("application/json")
    body = answer.json()
    wire_contracts.check("newebpay/query_response", body)
    result = body["Result"]
    assert (body["Status"], result["TradeStatus"], result["Amt"], result["MerchantOrderNo"]) == (
        "SUCCESS", "1", 250, no)
    assert newebpay.genuine_code(result)
    assert not newebpay.genuine_code({**result, "Amt": 1})
    text = newebpay.query(no, 250, "String").text
    flat_answer = dict(urllib.parse.parse_qsl(text, keep_blank_values=True))
    assert flat_answer.pop("Status") == "SUCCESS" and flat_answer.pop("Message")
    assert flat_answer == {k: str(v) for k, v in result.items()}
    refused = newebpay.query(no, 251).json()
    wire_contracts.check("newebpay/api_response", refused)
    assert (refused["Status"], refused["Result"]) == ("TRA10050", [])
    forged = newebpay.query(no, 250, CheckValue="0" * 64).json()
    assert forged["Status"] == "TRA10054"


def test_close_captures_and_cancels_a_capture_and_cancel_voids(
        newebpay: NewebPayMerchant, control: Control, wire_contracts: WireContracts) -> None:
    page = newebpay.start(Amt=300)
    newebpay.pay(page)
    no = shown(page.text, "mpg-order") or ""

    def call(path: str, **fields: Any) -> dict[str, Any]:
        body = newebpay.post_data(path, {"Amt": 300, "MerchantOrderNo": no, "IndexType": 1,
                                         **fields}).json()
        wire_contracts.check("newebpay/api_response", body)
        return body

    close = "/API/CreditCard/Close"
    captured = call(close, Version="1.1", CloseType=1)
    assert (captured["Status"], captured["Result"]["Amt"], captured["Result"]["MerchantOrderNo"]
            ) == ("SUCCESS", 300, no)
    assert call(close, Version="1.1", CloseType=2)["Status"] == "TRA10048", (
        "no refund before the nightly close")
    assert call(close, Version="1.1", CloseType=1, Cancel=1)["Status"] == "SUCCESS"
    voided = call("/API/CreditCard/Cancel", Version="1.0")
    assert voided["Status"] == "SUCCESS" and newebpay.genuine_code(voided["Result"])
    assert call("/API/CreditCard/Cancel", Version="1.0")["Status"] == "TRA10047"
    row = next(r for r in control.ledger(tenant=newebpay.tenant)["payments"]
               if r["merchant_order_no"] == no)
    assert (row["authorized"], row["captured"], row["refunded"]) == (0, 0, 0)
