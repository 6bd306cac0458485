"""ECPay AIO against the live simulator, as a merchant written from gateways.md 1 sees it:
AioCheckOut's cashier and error pages, ReturnURL and PaymentInfoURL notices on a real
receiver (exact fields, CheckMacValue recomputed here, the `1|OK` contract and resends),
QueryTradeInfo, QueryPaymentInfo and DoAction answers; every message against contracts/ecpay."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from paylab.simulator.contracts import contract_id
from paylab.suites.contract.ecpay_merchant import (
    ECHO,
    Acknowledger,
    EcpayMerchant,
    check_mac_value,
    clear_of_the_daily_close,
    form_actions,
    form_of,
    hidden_fields,
    shown,
)
from paylab.suites.plugins.contracts import WireContracts
from paylab.suites.plugins.simulator import Control

VECTORS = Path(__file__).parents[1] / "unit" / "data" / "vectors.json"
#: The fields of a ReturnURL notice (gateways.md 1.5); their order is not part of it.
RETURN_FIELDS = ["MerchantID", "MerchantTradeNo", "StoreID", "RtnCode", "RtnMsg", "TradeNo",
                 "TradeAmt", "PaymentDate", "PaymentType", "PaymentTypeChargeFee", "TradeDate",
                 "SimulatePaid", "CustomField1", "CustomField2", "CustomField3",
                 "CustomField4", "CheckMacValue"]
#: PaymentInfoURL (1.6): the common fields; per code type its RtnCode, the fields it adds
#: (store codes and barcodes carry both kinds' fields, the other kind's empty, as ECPay's
#: stage sends them), those left empty, and the page element showing the code.
INFO_COMMON = ["MerchantID", "MerchantTradeNo", "StoreID", "RtnCode", "RtnMsg", "TradeNo",
               "TradeAmt", "PaymentType", "TradeDate", "CustomField1", "CustomField2",
               "CustomField3", "CustomField4", "CheckMacValue"]
_STORE = ["PaymentNo", "Barcode1", "Barcode2", "Barcode3", "ExpireDate"]
CODES = {"ATM": ("2", ["BankCode", "vAccount", "ExpireDate"], [], "virtual-account",
                 "vAccount"),
         "CVS": ("10100073", _STORE, ["Barcode1", "Barcode2", "Barcode3"], "payment-no",
                 "PaymentNo"),
         "BARCODE": ("10100073", _STORE, ["PaymentNo"], "barcode-1", "Barcode1")}
DATE = re.compile(r"^\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}$")


def conforms(contracts: WireContracts, short: str, doc: dict[str, Any]) -> None:
    contracts.check(short, doc)


def request_conforms(contracts: WireContracts, short: str, form: dict[str, str]) -> None:
    """A form we post is what the contract describes (its text coerced to the types)."""
    contracts.check(short, contracts.contracts.coerce(contract_id(short), dict(form)))


def deliveries(control: Control, tenant: str) -> Any:
    return lambda: control.deliveries(tenant=tenant)


def test_the_merchants_check_mac_value_reproduces_the_published_vectors() -> None:
    """The independent CheckMacValue these tests verify with is the documented one."""
    cases = json.loads(VECTORS.read_text(encoding="utf-8"))["ecpay_check_mac_value"]
    assert len(cases) >= 4
    for case in cases:
        got = check_mac_value(case["params"], case["hash_key"], case["hash_iv"],
                              case["encrypt_type"])
        assert got == case["expected"], case["name"]


def test_aio_checkout_answers_the_cashier_page_and_stores_the_order(
        ecpay: EcpayMerchant, wire_contracts: WireContracts) -> None:
    form = ecpay.sign(ecpay.order_form(TotalAmount=880, ItemName="Tea 茶#Cake"))
    request_conforms(wire_contracts, "ecpay/aio_checkout", form)
    page = ecpay.post_form(form)
    assert page.status_code == 200, page.text[-500:]
    assert page.headers["Content-Type"].startswith("text/html")
    assert 'data-testid="ecpay-cashier"' in page.text
    assert (shown(page.text, "merchant-trade-no"), shown(page.text, "total-amount")) == (
        form["MerchantTradeNo"], "NT$ 880")
    for label in ("Credit card", "ATM transfer", "Convenience store code", "Barcode", "WebATM"):
        assert f'aria-label="{label}"' in page.text
    answer, trade = ecpay.query(form["MerchantTradeNo"])
    conforms(wire_contracts, "ecpay/query_trade_info_response", trade)
    assert ecpay.genuine(trade), answer.text
    assert (trade["TradeStatus"], trade["TradeAmt"], trade["ItemName"], trade["PaymentDate"],
            trade["CustomField2"]) == ("0", "880", "Tea 茶#Cake", "", ECHO)
    assert " " in answer.text and "%" not in answer.text, "values are raw, as ECPay sends"


@pytest.mark.parametrize(("change", "code", "message"), [
    ({"TotalAmount": "1"}, "10200073", "CheckMacValue Error"),
    ({"CheckMacValue": "0" * 64}, "10200073", "CheckMacValue Error"),
])
def test_a_tampered_form_gets_the_error_page_and_no_order(
        ecpay: EcpayMerchant, wire_contracts: WireContracts, change: dict[str, str], code: str,
        message: str) -> None:
    form = {**ecpay.sign(ecpay.order_form()), **change}
    page = ecpay.post_form(form)
    assert page.status_code == 400 and page.headers["Content-Type"].startswith("text/html")
    assert 'data-testid="ecpay-error"' in page.text
    assert (shown(page.text, "error-code"), shown(page.text, "error-message")) == (code,
                                                                                   message)
    _, trade = ecpay.query(form["MerchantTradeNo"])
    conforms(wire_contracts, "ecpay/error", trade)
    assert trade["RtnCode"] == "10200047", "a refused form stored no order"


@pytest.mark.parametrize(("fields", "code"), [
    ({"MerchantTradeNo": "T_0001"}, "10200052"), ({"TotalAmount": 0}, "10100050"),
    ({"TotalAmount": "12.5"}, "10100050"), ({"ChoosePayment": "Cash"}, "10100050"),
    ({"MerchantTradeDate": "2026-12-02 10:00:00"}, "10100050")])
def test_a_signed_form_breaking_the_rules_gets_its_error_code(
        ecpay: EcpayMerchant, fields: dict[str, Any], code: str) -> None:
    page = ecpay.checkout(**fields)
    assert page.status_code == 400 and shown(page.text, "error-code") == code, page.text[-400:]


def test_a_reused_merchant_trade_no_is_refused_and_the_first_order_kept(
        ecpay: EcpayMerchant) -> None:
    first = ecpay.order_form()["MerchantTradeNo"]
    assert ecpay.checkout(first).status_code == 200
    again = ecpay.checkout(first, TotalAmount=900)
    assert (again.status_code, shown(again.text, "error-code"),
            shown(again.text, "error-message")) == (400, "10300028", "Duplicated MerchantTradeNo")
    assert ecpay.query(first)[1]["TradeAmt"] == "500"


def test_a_card_payment_sends_one_return_url_notice_acknowledged_by_1_ok(
        ecpay: EcpayMerchant, ecpay_shop: Acknowledger, control: Control,
        wire_contracts: WireContracts) -> None:
    sink = ecpay_shop.sink
    cashier = ecpay.checkout(ReturnURL=f"{sink.url}/ecpay/return", CustomField4="四",
                             OrderResultURL="http://127.0.0.1:9/ecpay/result")
    no = shown(cashier.text, "merchant-trade-no")
    result = ecpay.pay_card(ecpay.choose(cashier, "Credit"))
    assert 'data-testid="ecpay-result"' in result.text, result.text[-500:]
    assert form_actions(result.text) == ["http://127.0.0.1:9/ecpay/result"]
    client_post = hidden_fields(result.text)
    conforms(wire_contracts, "ecpay/return_notification", client_post)
    assert ecpay.genuine(client_post) and client_post["RtnMsg"] == "Succeeded"
    received, rows = sink.when_quiet(deliveries(control, ecpay.tenant))
    assert len(received) == 1 and received[0].path == "/ecpay/return"
    assert received[0].headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    notice = form_of(received[0])
    assert sorted(notice) == sorted(RETURN_FIELDS)
    conforms(wire_contracts, "ecpay/return_notification", notice)
    assert ecpay.genuine(notice)
    assert not ecpay.genuine({**notice, "TradeAmt": "5000"}), "a forged amount fails the check"
    trade = ecpay.query(no or "")[1]
    assert (notice["MerchantID"], notice["MerchantTradeNo"], notice["RtnCode"],
            notice["RtnMsg"], notice["TradeNo"], notice["TradeAmt"], notice["PaymentType"],
            notice["SimulatePaid"], notice["CustomField2"], notice["CustomField4"]) == (
        ecpay.merchant_id, no, "1", "交易成功", trade["TradeNo"], "500", "Credit_CreditCard",
        "0", ECHO, "四")
    assert DATE.match(notice["PaymentDate"]) and DATE.match(notice["TradeDate"])
    assert {k: v for k, v in client_post.items() if k not in ("RtnMsg", "CheckMacValue")} == {
        k: v for k, v in notice.items() if k not in ("RtnMsg", "CheckMacValue")}, (
        "the browser's copy is the server notice's, but for RtnMsg")
    assert trade["TradeStatus"] == "1" and trade["PaymentDate"] == notice["PaymentDate"]
    assert [(r["status"], r["attempt_count"], r["attempts"][0]["response"])
            for r in rows] == [("delivered", 1, "1|OK")]


def test_anything_but_1_ok_is_resent_with_rtn_msg_paid(
        ecpay: EcpayMerchant, ecpay_shop: Acknowledger, control: Control) -> None:
    """With NeedExtraPaidInfo=Y: its lower-case fields (card4no, gwsr...) sort among the
    others case-insensitively, so every copy's CheckMacValue checks that sort too."""
    ecpay_shop.plan = [(200, "OK"), (500, "1|OK"), (200, "0|CheckMacValue Error")]
    sink = ecpay_shop.sink
    ecpay.pay_card(ecpay.choose(ecpay.checkout(ReturnURL=f"{sink.url}/r",
                                               NeedExtraPaidInfo="Y"), "Credit"))
    received, rows = sink.when_quiet(deliveries(control, ecpay.tenant))
    notices = [form_of(r) for r in received]
    assert [n["RtnMsg"] for n in notices] == ["交易成功", "paid", "paid", "paid"]
    assert all(ecpay.genuine(n) and n["card4no"] == "2222" for n in notices)
    assert len({n["TradeNo"] for n in notices}) == 1, "every resend is the same payment"
    assert [(r["status"], r["attempt_count"]) for r in rows] == [("delivered", 4)]


def test_a_receiver_that_never_says_1_ok_gets_every_resend_then_none(
        ecpay: EcpayMerchant, ecpay_shop: Acknowledger, control: Control) -> None:
    """As many resends as the server's schedule for ECPay says (/_sim/health: ECPay's own
    four, or an explicit --retry-schedule); test_taiwan_notice_schedules checks ECPay's own
    on a simulator of its own."""
    schedule = control.get("health")["webhooks"]["gateway_schedules"]["ecpay"]
    ecpay_shop.plan = [(200, "ok")] * (len(schedule) + 3)
    sink = ecpay_shop.sink
    ecpay.pay_card(ecpay.choose(ecpay.checkout(ReturnURL=f"{sink.url}/r"), "Credit"))
    received, rows = sink.when_quiet(deliveries(control, ecpay.tenant), timeout=30)
    assert len(received) == len(schedule) + 1
    assert [form_of(r)["RtnMsg"] for r in received] == ["交易成功"] + ["paid"] * len(schedule)
    assert [(r["status"], r["attempt_count"]) for r in rows] == [("failed", len(received))]


@pytest.mark.parametrize("kind", sorted(CODES))
def test_a_code_is_announced_to_payment_info_url_then_paid_on_return_url(
        ecpay: EcpayMerchant, ecpay_shop: Acknowledger, control: Control,
        wire_contracts: WireContracts, kind: str) -> None:
    rtn_code, extra, empty, testid, field = CODES[kind]
    sink = ecpay_shop.sink
    cashier = ecpay.checkout(ChoosePayment=kind, ReturnURL=f"{sink.url}/return",
                             PaymentInfoURL=f"{sink.url}/info")
    page = ecpay.choose(cashier, kind)
    assert 'data-testid="ecpay-code"' in page.text, page.text[-500:]
    (info_post,) = sink.wait_for(1)
    info = form_of(info_post)
    assert info_post.path == "/info"
    assert sorted(info) == sorted([*INFO_COMMON, *extra])
    assert [k for k in extra if not info[k]] == empty
    conforms(wire_contracts, "ecpay/payment_info_notification", info)
    assert ecpay.genuine(info) and info["RtnCode"] == rtn_code
    assert info[field] == shown(page.text, testid), "the notice names the code shown"
    no = info["MerchantTradeNo"]
    _, codes = ecpay.api("/Cashier/QueryPaymentInfo", {
        "MerchantID": ecpay.merchant_id, "MerchantTradeNo": no, "TimeStamp": int(time.time())})
    conforms(wire_contracts, "ecpay/query_payment_info_response", codes)
    assert ecpay.genuine(codes) and {k: codes[k] for k in extra} == {k: info[k] for k in extra}
    assert ecpay.query(no)[1]["TradeStatus"] == "0"
    order = re.search(r"/Cashier/Order/([A-Za-z0-9_]+)/", page.url + cashier.text)
    assert order, "the cashier's links name the order"
    control.post(f"payments/{order.group(1)}/simulate", {"outcome": "paid"})
    received, _ = sink.when_quiet(deliveries(control, ecpay.tenant))
    paid = form_of(received[-1])
    assert (len(received), received[-1].path) == (2, "/return")
    conforms(wire_contracts, "ecpay/return_notification", paid)
    assert ecpay.genuine(paid)
    assert (paid["RtnCode"], paid["SimulatePaid"], paid["PaymentType"], paid["TradeNo"]) == (
        "1", "1", info["PaymentType"], info["TradeNo"])
    assert ecpay.query(no)[1]["TradeStatus"] == "1"


def test_query_trade_info_takes_a_timestamp_within_three_minutes_either_side(
        ecpay: EcpayMerchant, wire_contracts: WireContracts) -> None:
    no = shown(ecpay.checkout().text, "merchant-trade-no") or ""
    now = int(time.time())
    for stamp in (now + 150, now - 150):
        assert ecpay.query(no, stamp)[1]["TradeStatus"] == "0", stamp
    for stamp in (now + 240, now - 240):
        answer, refusal = ecpay.query(no, stamp)
        conforms(wire_contracts, "ecpay/error", refusal)
        assert answer.status_code == 200 and refusal["RtnCode"] == "10100050", stamp
        assert "TimeStamp" in refusal["RtnMsg"]


def test_server_apis_refuse_a_forged_check_mac_value(ecpay: EcpayMerchant,
                                                    wire_contracts: WireContracts) -> None:
    no = shown(ecpay.checkout().text, "merchant-trade-no") or ""
    for path in ("/Cashier/QueryTradeInfo/V5", "/Cashier/QueryPaymentInfo"):
        body = ecpay.sign({"MerchantID": ecpay.merchant_id, "MerchantTradeNo": no,
                           "TimeStamp": int(time.time())})
        answer = ecpay.http.post(f"{ecpay.base}/ecpay{path}",
                                 data={**body, "MerchantTradeNo": no + "X"}, timeout=10)
        assert answer.text == "RtnCode=10200073&RtnMsg=CheckMacValue Error", path


def test_do_action_closes_then_refunds_part_and_refuses_beyond_what_is_left(
        ecpay: EcpayMerchant, control: Control, wire_contracts: WireContracts) -> None:
    clear_of_the_daily_close(control)
    cashier = ecpay.checkout(ChoosePayment="Credit")
    no = shown(cashier.text, "merchant-trade-no") or ""
    ecpay.pay_card(ecpay.choose(cashier, "Credit"))
    trade_no = ecpay.query(no)[1]["TradeNo"]

    def act(action: str, amount: int) -> dict[str, str]:
        fields = {"MerchantID": ecpay.merchant_id, "MerchantTradeNo": no,
                  "TradeNo": trade_no, "Action": action, "TotalAmount": amount}
        request_conforms(wire_contracts, "ecpay/do_action", ecpay.sign(fields))
        return ecpay.api("/CreditDetail/DoAction", fields)[1]

    closed = act("C", 500)
    conforms(wire_contracts, "ecpay/do_action_response", closed)
    assert (closed["RtnCode"], closed["TradeNo"], closed["MerchantTradeNo"]) == (
        "1", trade_no, no)
    assert act("R", 200)["RtnCode"] == "1"
    beyond = act("R", 301)
    conforms(wire_contracts, "ecpay/error", beyond)
    assert beyond["RtnCode"] != "1"
    row = next(r for r in control.ledger(tenant=ecpay.tenant)["payments"]
               if r["merchant_order_no"] == no)
    assert (row["captured"], row["refunded"], row["refund_count"]) == (500, 200, 1)
