"""ECPay against a live simulator: every form message it takes and every answer and
notification it sends conforms to contracts/ecpay, and every ECPay operation (with the
simulate control) is exercised over real HTTP."""

from __future__ import annotations

import html
import re
import secrets
import threading
import time
import urllib.parse
from typing import Any

from aiohttp import web
from paylab.simulator.contracts import Contracts, contract_id
from paylab.simulator.webhooks.signing import ecpay_check_mac_value, verify_ecpay
from paylab.suites.contract.ecpay_merchant import clear_of_the_daily_close
from paylab.suites.plugins.contracts import WireContracts
from paylab.suites.plugins.evidence import EvidenceSession
from paylab.suites.plugins.simulator import Control
from paylab.suites.plugins.webhook_sink import WebhookSink

from paylab.testing.server import LiveSimulator

MERCHANT, KEY, IV = "3002607", "pwFHCqoQZGmho4w6", "EkRm7iFT261dpevs"


class Shop:
    """A merchant's ReturnURL and PaymentInfoURL: records forms, answers `1|OK`."""

    def __init__(self, sink: WebhookSink) -> None:
        self.sink, self.forms = sink, []
        self._lock = threading.Lock()
        sink.handler = self.handle

    async def handle(self, request: web.Request) -> web.Response:
        body = (await request.read()).decode()
        with self._lock:
            self.forms.append((request.path, dict(urllib.parse.parse_qsl(
                body, keep_blank_values=True))))
        return web.Response(text="1|OK")

    def wait(self, path: str, count: int = 1, timeout: float = 10.0) -> list[dict[str, str]]:
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                found = [f for p, f in self.forms if p == path]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.05)


def _signed(fields: dict[str, Any]) -> dict[str, str]:
    text = {k: str(v) for k, v in fields.items()}
    return {**text, "CheckMacValue": ecpay_check_mac_value(text, KEY, IV)}


def _answer(text: str) -> dict[str, str]:
    return dict(pair.split("=", 1) for pair in text.split("&"))


def _conforms(contracts: Contracts, short: str, doc: dict[str, Any]) -> None:
    errors = contracts.errors(contract_id(short), doc)
    assert not errors, f"{short}: {errors[:5]}"


def test_every_ecpay_message_and_notice_conforms(
        simulator: LiveSimulator, http: EvidenceSession, control: Control,
        webhook_sink: WebhookSink, wire_contracts: WireContracts) -> None:
    contracts, shop = wire_contracts.contracts, Shop(webhook_sink)
    base, no = f"{simulator.url}/ecpay", "C" + secrets.token_hex(8)
    form = _signed({
        "MerchantID": MERCHANT, "MerchantTradeNo": no, "PaymentType": "aio",
        "MerchantTradeDate": time.strftime("%Y/%m/%d %H:%M:%S"), "TotalAmount": 880,
        "TradeDesc": "contract", "ItemName": "Tea 茶#Cake", "ChoosePayment": "CVS",
        "ReturnURL": f"{webhook_sink.url}/return", "PaymentInfoURL": f"{webhook_sink.url}/info",
        "EncryptType": 1, "CustomField1": "c1"})
    coerced = contracts.coerce(contract_id("ecpay/aio_checkout"), dict(form))
    _conforms(contracts, "ecpay/aio_checkout", coerced)
    cashier = http.post(f"{base}/Cashier/AioCheckOut/V5", data=form, timeout=10)
    assert cashier.status_code == 200 and 'data-testid="ecpay-cashier"' in cashier.text
    choose = html.unescape(re.findall(r'<form method="post" action="([^"]+)"', cashier.text)[0])
    page = http.post(f"{simulator.url}{choose}", data={"payment": "CVS"}, timeout=10)
    code = re.search(r'data-testid="payment-no">([^<]+)<', page.text)
    assert page.status_code == 200 and code, page.text[-400:]
    info = shop.wait("/info")[0]
    _conforms(contracts, "ecpay/payment_info_notification", info)
    assert verify_ecpay(info, KEY, IV) and info["PaymentNo"] == code.group(1)

    order_id = re.search(r"/Cashier/Order/(ord_[A-Za-z0-9]+)", choose).group(1)  # type: ignore[union-attr]
    simulated = control.post(f"payments/{order_id}/simulate", {"outcome": "paid"})
    assert simulated["status"] == "paid" and simulated["simulated"] is True
    paid = shop.wait("/return")[0]
    _conforms(contracts, "ecpay/return_notification", paid)
    assert verify_ecpay(paid, KEY, IV) and paid["SimulatePaid"] == "1"

    query = _signed({"MerchantID": MERCHANT, "MerchantTradeNo": no,
                     "TimeStamp": int(time.time()) + 120})
    _conforms(contracts, "ecpay/query_trade_info", contracts.coerce(
        contract_id("ecpay/query_trade_info"), dict(query)))
    trade = http.post(f"{base}/Cashier/QueryTradeInfo/V5", data=query, timeout=10)
    _conforms(contracts, "ecpay/query_trade_info_response", _answer(trade.text))
    assert _answer(trade.text)["TradeStatus"] == "1"
    codes = http.post(f"{base}/Cashier/QueryPaymentInfo", data=query, timeout=10)
    _conforms(contracts, "ecpay/query_payment_info_response", _answer(codes.text))

    action = _signed({"MerchantID": MERCHANT, "MerchantTradeNo": no,
                      "TradeNo": paid["TradeNo"], "Action": "R", "TotalAmount": 1})
    refused = http.post(f"{base}/CreditDetail/DoAction", data=action, timeout=10)
    assert refused.status_code == 200
    _conforms(contracts, "ecpay/error", _answer(refused.text))


def test_do_action_answers_conform(simulator: LiveSimulator, http: EvidenceSession,
                                   wire_contracts: WireContracts, control: Control) -> None:
    contracts, base = wire_contracts.contracts, f"{simulator.url}/ecpay"
    clear_of_the_daily_close(control)  # DoAction is refused while the close runs
    no = "D" + secrets.token_hex(8)
    cashier = http.post(f"{base}/Cashier/AioCheckOut/V5", data=_signed({
        "MerchantID": MERCHANT, "MerchantTradeNo": no, "PaymentType": "aio",
        "MerchantTradeDate": time.strftime("%Y/%m/%d %H:%M:%S"), "TotalAmount": 300,
        "TradeDesc": "contract", "ItemName": "Tea", "ChoosePayment": "Credit",
        "ReturnURL": "http://127.0.0.1:9/return", "EncryptType": 1}), timeout=10)
    choose = html.unescape(re.findall(r'<form method="post" action="([^"]+)"', cashier.text)[0])
    card = http.post(f"{simulator.url}{choose}", data={"payment": "Credit"}, timeout=10)
    pay = html.unescape(re.findall(r'<form method="post" action="([^"]+)"', card.text)[0])
    result = http.post(f"{simulator.url}{pay}", data={
        "cardnumber": "4311 9522 2222 2222", "expiry": "12/30", "cvc": "222"}, timeout=10)
    trade_no = re.search(r'data-testid="trade-no">([^<]+)<', result.text).group(1)  # type: ignore[union-attr]
    action = _signed({"MerchantID": MERCHANT, "MerchantTradeNo": no, "TradeNo": trade_no,
                      "Action": "N", "TotalAmount": 300})
    _conforms(contracts, "ecpay/do_action", contracts.coerce(
        contract_id("ecpay/do_action"), dict(action)))
    done = http.post(f"{base}/CreditDetail/DoAction", data=action, timeout=10)
    _conforms(contracts, "ecpay/do_action_response", _answer(done.text))
    assert _answer(done.text)["RtnCode"] == "1"
