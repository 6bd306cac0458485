"""newebpay-mpg-sdk 2.3.6 as the merchant's client against the live simulator: its MPG form
opens the page and pays, its parseTradeInfo reads the NotifyURL result exactly as the
documented decryption does (gateways.md 8: it strips bytes up to 0x20, so JSON results must
carry none), its buildCheckCode matches the answers' CheckCode, and QueryTradeInfo,
CreditCard/Close and /Cancel go through it as multipart bodies."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

from paylab.suites.contract.newebpay_merchant import (
    MPG,
    NewebPayMerchant,
    decrypt,
    order_no,
    shown,
    trade_sha,
)
from paylab.suites.contract.sdk import run_sdk
from paylab.suites.plugins.contracts import WireContracts
from paylab.suites.plugins.simulator import Control
from paylab.suites.plugins.webhook_sink import WebhookSink

STAGE = "https://ccore.newebpay.com"


def sdk(newebpay: NewebPayMerchant, op: str, sim: str | None = None, **command: Any
        ) -> dict[str, Any]:
    merchant = {"id": newebpay.merchant_id, "key": newebpay.hash_key, "iv": newebpay.hash_iv}
    return run_sdk("newebpay_sdk.js", "newebpay-mpg-sdk", {
        "sim": sim or newebpay.base, "merchant": merchant, "op": op, **command})


def sdk_order(newebpay: NewebPayMerchant, amount: int, **params: Any) -> tuple[str, Any]:
    """An order from the SDK's form, posted where its action points (on the simulator),
    paid with the stage card; (MerchantOrderNo, result page)."""
    no = order_no()
    built = sdk(newebpay, "form", params={"MerchantOrderNo": no, "Amt": amount,
                                          "ItemDesc": "商品1,商品2", "CREDIT": 1, **params})
    assert built["action"] == STAGE + "/MPG/mpg_gateway", "the SDK posts to NewebPay's stage"
    page = newebpay.http.post(newebpay.base + MPG, data=built["fields"], timeout=10)
    assert 'data-testid="mpg-page"' in page.text, page.text[-500:]
    return no, newebpay.pay(page)


def test_the_sdks_form_pays_and_its_parser_reads_the_notify_as_documented(
        newebpay: NewebPayMerchant, webhook_sink: WebhookSink, control: Control,
        wire_contracts: WireContracts) -> None:
    no = order_no()
    built = sdk(newebpay, "form", params={"MerchantOrderNo": no, "Amt": 1000,
                                          "ItemDesc": "商品1,商品2", "CREDIT": 1,
                                          "NotifyURL": f"{webhook_sink.url}/notify"})
    fields = built["fields"]
    assert fields["TradeSha"] == trade_sha(fields["TradeInfo"], newebpay.hash_key,
                                           newebpay.hash_iv)
    sent = dict(urllib.parse.parse_qsl(decrypt(fields["TradeInfo"], newebpay.hash_key,
                                               newebpay.hash_iv)))
    assert (sent["RespondType"], sent["LangType"], sent["LoginType"], sent["Version"]) == (
        "JSON", "zh-tw", "0", "2.0")
    page = newebpay.http.post(newebpay.base + MPG, data=fields, timeout=10)
    assert shown(newebpay.pay(page).text, "mpg-status") == "SUCCESS"
    received, _ = webhook_sink.when_quiet(lambda: control.deliveries(tenant=newebpay.tenant))
    (notice,) = received
    outer = dict(urllib.parse.parse_qsl(notice.body.decode(), keep_blank_values=True))
    parsed = sdk(newebpay, "parse", tradeInfo=outer["TradeInfo"])["parsed"]
    documented = json.loads(decrypt(outer["TradeInfo"], newebpay.hash_key, newebpay.hash_iv))
    assert parsed == documented, "nothing in the result is lost to the SDK's stripping"
    wire_contracts.check("newebpay/notify", parsed)
    assert (parsed["Status"], parsed["Result"]["MerchantOrderNo"], parsed["Result"]["Amt"]) == (
        "SUCCESS", no, 1000)
    assert " " in parsed["Result"]["PayTime"], "the space survives as an escape"


def test_query_close_and_cancel_through_the_sdk(newebpay: NewebPayMerchant,
                                               wire_contracts: WireContracts) -> None:
    no, _ = sdk_order(newebpay, 600)
    query = sdk(newebpay, "query", params={"Amt": 600, "MerchantOrderNo": no})
    wire_contracts.check("newebpay/query_response", query)
    result = query["Result"]
    assert (query["Status"], result["TradeStatus"], result["Amt"]) == ("SUCCESS", "1", 600)
    code = sdk(newebpay, "check", params={k: result[k] for k in (
        "Amt", "MerchantID", "MerchantOrderNo", "TradeNo")})["code"]
    assert code == result["CheckCode"], "the SDK's CheckCode check accepts the answer"
    base = {"MerchantOrderNo": no, "Amt": 600, "IndexType": 1, "TradeNo": result["TradeNo"]}
    captured = sdk(newebpay, "close", params={**base, "CloseType": 1})
    wire_contracts.check("newebpay/api_response", captured)
    assert (captured["Status"], captured["Result"]["TradeNo"]) == ("SUCCESS", result["TradeNo"])
    assert sdk(newebpay, "close", params={**base, "CloseType": 1, "Cancel": 1})[
        "Status"] == "SUCCESS"
    voided = sdk(newebpay, "cancel", params=base)
    wire_contracts.check("newebpay/api_response", voided)
    assert voided["Status"] == "SUCCESS" and voided["Result"]["CheckCode"] == code
    assert sdk(newebpay, "cancel", params=base)["Status"] == "TRA10047", "voided once only"
    assert sdk(newebpay, "query", params={"Amt": 600, "MerchantOrderNo": no})[
        "Result"]["TradeStatus"] == "3"


def test_the_sdk_sends_its_server_calls_as_multipart_forms(newebpay: NewebPayMerchant,
                                                          webhook_sink: WebhookSink) -> None:
    """What the simulator has to parse (gateways.md 8), seen on a receiver of our own."""
    sdk(newebpay, "query", sim=webhook_sink.url, params={"Amt": 1, "MerchantOrderNo": "x1"})
    (call,) = webhook_sink.wait_for(1)
    assert call.path == "/newebpay/API/QueryTradeInfo"
    assert call.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    assert b'name="CheckValue"' in call.body
