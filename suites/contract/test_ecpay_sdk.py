"""ECPay's official Node SDK (ecpay_aio_nodejs 1.2.2) as the merchant's client against the
live simulator: its AioCheckOut form opens the cashier and pays, the ReturnURL notice passes
the SDK's own CheckMacValue check, QueryTradeInfo (TimeStamp = now + 120 s) and DoAction
answers parse and verify in the SDK. Where the SDK departs from the documented CheckMacValue
(gateways.md 8: values lower-cased before encoding), the simulator follows the
documentation and answers `CheckMacValue Error`, as ECPay does."""

from __future__ import annotations

import time
from typing import Any

import pytest
from paylab.suites.contract.ecpay_merchant import (
    AIO,
    Acknowledger,
    EcpayMerchant,
    check_mac_value,
    clear_of_the_daily_close,
    form_of,
    parse_raw,
    shown,
    trade_date,
    trade_no,
)
from paylab.suites.contract.sdk import run_sdk
from paylab.suites.plugins.contracts import WireContracts
from paylab.suites.plugins.simulator import Control


def sdk(ecpay: EcpayMerchant, op: str, **command: Any) -> dict[str, Any]:
    merchant = {"id": ecpay.merchant_id, "key": ecpay.hash_key, "iv": ecpay.hash_iv}
    return run_sdk("ecpay_sdk.js", "ecpay_aio_nodejs", {"sim": ecpay.base, "merchant": merchant,
                                                         "op": op, **command})


def sdk_form(ecpay: EcpayMerchant, **params: Any) -> dict[str, str]:
    """The SDK's aio_check_out_credit_onetime form (the README example's fields)."""
    base = {"MerchantTradeNo": trade_no(), "MerchantTradeDate": trade_date(),
            "TotalAmount": "100", "TradeDesc": "測試交易描述", "ItemName": "測試商品 Apple IPHONE",
            "ReturnURL": "http://127.0.0.1:9/return"}
    built = sdk(ecpay, "checkout", method="credit_onetime", params={**base, **params})
    assert built["action"] == ecpay.base + AIO, "the SDK's own path, on the simulator"
    return built["fields"]


def sdk_accepts(ecpay: EcpayMerchant, fields: dict[str, str]) -> bool:
    """The SDK's valid_chkmc_string over a received message's fields."""
    text = "&".join(f"{k}={v}" for k, v in fields.items())
    return sdk(ecpay, "verify", text=text)["valid"]


def paid_order(ecpay: EcpayMerchant, **params: Any) -> tuple[dict[str, str], Any]:
    """An order from the SDK's form, paid with the stage card; (form, result page)."""
    form = sdk_form(ecpay, **params)
    cashier = ecpay.post_form(form)
    assert cashier.status_code == 200, cashier.text[-500:]
    return form, ecpay.pay_card(ecpay.choose(cashier, "Credit"))


def test_the_sdks_form_pays_and_its_own_check_accepts_the_return_url_notice(
        ecpay: EcpayMerchant, ecpay_shop: Acknowledger, control: Control,
        wire_contracts: WireContracts) -> None:
    sink = ecpay_shop.sink
    form, result = paid_order(ecpay, ReturnURL=f"{sink.url}/ecpay/return")
    assert (form["ChoosePayment"], form["PlatformID"], form["InvoiceMark"],
            form["EncryptType"], form["MerchantID"]) == ("Credit", "", "N", "1",
                                                        ecpay.merchant_id)
    assert form["CheckMacValue"] == check_mac_value(form, ecpay.hash_key, ecpay.hash_iv), (
        "on plain input the SDK and the documented algorithm agree")
    assert 'data-testid="ecpay-result"' in result.text, result.text[-500:]
    received, _ = sink.when_quiet(lambda: control.deliveries(tenant=ecpay.tenant))
    (notice,) = [form_of(r) for r in received]
    wire_contracts.check("ecpay/return_notification", notice)
    assert (notice["MerchantTradeNo"], notice["TradeAmt"], notice["RtnCode"]) == (
        form["MerchantTradeNo"], "100", "1")
    assert sdk_accepts(ecpay, notice)
    assert not sdk_accepts(ecpay, {**notice, "TradeAmt": "1"}), "the SDK's check can fail"


def test_query_trade_info_through_the_sdk_verifies_in_the_sdk(
        ecpay: EcpayMerchant, wire_contracts: WireContracts) -> None:
    form, _ = paid_order(ecpay)
    before = time.time()
    answer = sdk(ecpay, "query", no=form["MerchantTradeNo"])
    assert 110 <= int(answer["sent"]["TimeStamp"]) - before <= 125, "now + 120 s (8)"
    assert answer["valid"] is True, answer["text"]
    trade = parse_raw(answer["text"])
    wire_contracts.check("ecpay/query_trade_info_response", trade)
    assert (trade["MerchantTradeNo"], trade["TradeStatus"], trade["TradeAmt"],
            trade["ItemName"]) == (form["MerchantTradeNo"], "1", "100", form["ItemName"])
    missing = sdk(ecpay, "query", no=trade_no())
    assert missing["text"] == "RtnCode=10200047&RtnMsg=Cant not find the trade data."


def test_do_action_through_the_sdk_closes_and_refunds(ecpay: EcpayMerchant,
                                                      control: Control) -> None:
    clear_of_the_daily_close(control, margin=30)  # each SDK call starts node
    form, _ = paid_order(ecpay)
    no = form["MerchantTradeNo"]
    trade = parse_raw(sdk(ecpay, "query", no=no)["text"])
    for action, amount in (("C", "100"), ("R", "30")):
        text = sdk(ecpay, "do_action", params={"MerchantTradeNo": no,
                                               "TradeNo": trade["TradeNo"],
                                               "Action": action, "TotalAmount": amount})["text"]
        assert parse_raw(text) == {"MerchantID": ecpay.merchant_id, "MerchantTradeNo": no,
                                   "TradeNo": trade["TradeNo"], "RtnCode": "1",
                                   "RtnMsg": "成功"}, (action, text)
    row = next(r for r in control.ledger(tenant=ecpay.tenant)["payments"]
               if r["merchant_order_no"] == no)
    assert (row["captured"], row["refunded"]) == (100, 30)


@pytest.mark.parametrize("item", ["ＴＥＡ 茶", "ÉCLAIR"], ids=["full-width", "accented"])
def test_where_the_sdk_departs_from_the_documented_hash_ecpay_refuses_it(
        ecpay: EcpayMerchant, item: str) -> None:
    """The SDK lower-cases values before encoding them: upper-case letters beyond ASCII
    change bytes, so its form carries a CheckMacValue the documented algorithm does not give.
    (A `"` is worse: the SDK's HTML does not escape values, so its form loses the field.)"""
    form = sdk_form(ecpay, ItemName=item)
    assert form["CheckMacValue"] != check_mac_value(form, ecpay.hash_key, ecpay.hash_iv)
    page = ecpay.post_form(form)
    assert (page.status_code, shown(page.text, "error-code"),
            shown(page.text, "error-message")) == (400, "10200073", "CheckMacValue Error")
    _, trade = ecpay.query(form["MerchantTradeNo"])
    assert trade["RtnCode"] == "10200047", "nothing was stored"
    fixed = ecpay.sign({k: v for k, v in form.items() if k != "CheckMacValue"})
    assert ecpay.post_form(fixed).status_code == 200, "the same form, documented hash"


def test_an_underscore_the_sdk_allows_in_merchant_trade_no_is_refused(
        ecpay: EcpayMerchant) -> None:
    """The SDK's validator allows `\\w{4,20}`; ECPay's rule is letters and digits only."""
    form = sdk_form(ecpay, MerchantTradeNo="SDK_" + trade_no()[:12])
    page = ecpay.post_form(form)
    assert (page.status_code, shown(page.text, "error-code")) == (400, "10200052")
