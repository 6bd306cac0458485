"""A merchant's side of the form-post rails (ECPay AIO, NewebPay MPG), for load users and
live tests: signed forms built with the simulator's own signing functions (the load tool is
a client, and signs as one), raw answers read back and verified, and the hosted pages'
links and shown values picked out of their HTML.

Plain Python (no Locust, no HTTP client), so unit tests run it against the in-process
simulator and the reliability layer against a live one.
"""

from __future__ import annotations

import html
import itertools
import json
import re
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from paylab.simulator.gateways.newebpay import crypto
from paylab.simulator.webhooks.signing import ecpay_check_mac_value

AIO = "/ecpay/Cashier/AioCheckOut/V5"
ECPAY_QUERY = "/ecpay/Cashier/QueryTradeInfo/V5"
MPG = "/newebpay/MPG/mpg_gateway"
NEWEBPAY_QUERY = "/newebpay/API/QueryTradeInfo"
#: The stage cards each gateway documents (gateways.md 1.2 and 2.5).
ECPAY_CARD = {"cardnumber": "4311952222222222", "expiry": "12/30", "cvc": "222"}
NEWEBPAY_CARD = {"cardnumber": "4000221111111111", "expiry": "12/30", "cvc": "123"}
#: Taiwan time, in which ECPay writes MerchantTradeDate.
TAIWAN = timedelta(hours=8)
_FORM = re.compile(r'<form method="(?:post|get)" action="([^"]+)"')
_ORDER = re.compile(r"/(ord_[A-Za-z0-9]+)")
_NUMBERS = itertools.count(1)
#: A check of a page or answer's text: None when right, else the reason (no ids in it, so
#: Locust groups failures of one kind).
TextCheck = Callable[[str], str | None]


@dataclass(frozen=True)
class Merchant:
    """A merchant's id and keys, as `/_sim/merchants` answers a registration."""

    gateway: str
    merchant_id: str
    hash_key: str
    hash_iv: str

    @classmethod
    def of(cls, registered: Mapping[str, Any]) -> Merchant:
        """From the control API's answer to `POST /_sim/merchants`."""
        return cls(registered["gateway"], registered["merchant_id"], registered["hash_key"],
                   registered["hash_iv"])

    @property
    def tenant(self) -> str:
        """The simulator's tenant for this merchant (its scenario, journal, deliveries)."""
        return f"{self.gateway}-{self.merchant_id}"


def trade_no(prefix: str = "L") -> str:
    """A merchant order number unique across processes, letters and digits only, 20 at
    most (ECPay's MerchantTradeNo rule, which NewebPay's MerchantOrderNo also allows)."""
    return f"{prefix}{uuid.uuid4().hex[:11]}{next(_NUMBERS) % 10**8:08d}"[:20]


# -- ECPay --------------------------------------------------------------------------------------
def ecpay_signed(fields: Mapping[str, Any], merchant: Merchant) -> dict[str, str]:
    """`fields` as strings with their CheckMacValue (SHA256)."""
    text = {k: str(v) for k, v in fields.items()}
    return {**text, "CheckMacValue": ecpay_check_mac_value(text, merchant.hash_key,
                                                           merchant.hash_iv)}


def ecpay_order(merchant: Merchant, number: str, amount: int, choose: str, return_url: str,
                **extra: Any) -> dict[str, str]:
    """A signed AioCheckOut form as a shop's page posts it; `extra` adds fields
    (StoreExpireDate, PaymentInfoURL, ...)."""
    now = datetime.now(UTC) + TAIWAN
    return ecpay_signed({
        "MerchantID": merchant.merchant_id, "MerchantTradeNo": number,
        "MerchantTradeDate": now.strftime("%Y/%m/%d %H:%M:%S"), "PaymentType": "aio",
        "TotalAmount": amount, "TradeDesc": "paylab load", "ItemName": "Oolong tea#Pineapple cake",
        "ReturnURL": return_url, "ChoosePayment": choose, "EncryptType": 1, **extra}, merchant)


def ecpay_query(merchant: Merchant, number: str) -> dict[str, str]:
    """A signed QueryTradeInfo/V5 form (TimeStamp: the wall clock, as ECPay's SDK)."""
    return ecpay_signed({"MerchantID": merchant.merchant_id, "MerchantTradeNo": number,
                         "TimeStamp": int(time.time())}, merchant)


def ecpay_fields(text: str) -> dict[str, str]:
    """An urlencoded ECPay answer or notice; values raw, as ECPay sends them (a `0|message`
    refusal gives {})."""
    if "=" not in text:
        return {}
    return dict(pair.split("=", 1) for pair in text.split("&"))


def ecpay_genuine(fields: Mapping[str, str], merchant: Merchant) -> bool:
    """Whether an answer or notice carries the CheckMacValue of the merchant's keys."""
    given = fields.get("CheckMacValue")
    return given is not None and given == ecpay_check_mac_value(
        fields, merchant.hash_key, merchant.hash_iv)


def ecpay_paid(fields: Mapping[str, str], merchant: Merchant, number: str, amount: int
               ) -> str | None:
    """None when a QueryTradeInfo answer says the trade is paid in full, else why not."""
    if not fields:
        return "not a QueryTradeInfo answer"
    if not ecpay_genuine(fields, merchant):
        return "CheckMacValue does not verify"
    got = (fields.get("MerchantTradeNo"), fields.get("TradeStatus"), fields.get("TradeAmt"))
    if got != (number, "1", str(amount)):
        return f"(MerchantTradeNo, TradeStatus, TradeAmt) is {got}, expected paid"
    return None


# -- NewebPay -----------------------------------------------------------------------------------
def newebpay_mpg(merchant: Merchant, number: str, amount: int, **extra: Any) -> dict[str, str]:
    """The browser's MPG form: TradeInfo (AES-256-CBC) and TradeSha; `extra` adds TradeInfo
    fields (NotifyURL, CVS=1, ...)."""
    info = {"MerchantID": merchant.merchant_id, "RespondType": "JSON",
            "TimeStamp": int(time.time()), "Version": "2.0", "MerchantOrderNo": number,
            "Amt": amount, "ItemDesc": "paylab load", **extra}
    trade_info = crypto.encrypt(crypto.build_query(info), merchant.hash_key, merchant.hash_iv)
    return {"MerchantID": merchant.merchant_id, "TradeInfo": trade_info,
            "TradeSha": crypto.trade_sha(trade_info, merchant.hash_key, merchant.hash_iv),
            "Version": "2.0"}


def newebpay_query(merchant: Merchant, number: str, amount: int) -> dict[str, str]:
    """A QueryTradeInfo form with its CheckValue (JSON answer)."""
    check = crypto.check_value({"Amt": str(amount), "MerchantID": merchant.merchant_id,
                                "MerchantOrderNo": number}, merchant.hash_key, merchant.hash_iv)
    return {"MerchantID": merchant.merchant_id, "Version": "1.3", "RespondType": "JSON",
            "CheckValue": check, "TimeStamp": str(int(time.time())),
            "MerchantOrderNo": number, "Amt": str(amount)}


def newebpay_paid(text: str, merchant: Merchant, number: str, amount: int) -> str | None:
    """None when a QueryTradeInfo answer (JSON) says the trade is paid in full and its
    CheckCode verifies, else why not."""
    try:
        answer = json.loads(text)
    except ValueError:
        return "not a JSON answer"
    result = answer.get("Result") or {}
    if answer.get("Status") != "SUCCESS" or not isinstance(result, dict):
        return f"Status {answer.get('Status')!r}: {answer.get('Message')!r}"
    expected = crypto.check_code({"Amt": str(result.get("Amt")), "MerchantID":
                                  merchant.merchant_id, "MerchantOrderNo": number,
                                  "TradeNo": str(result.get("TradeNo"))},
                                 merchant.hash_key, merchant.hash_iv)
    if result.get("CheckCode") != expected:
        return "CheckCode does not verify"
    got = (result.get("MerchantOrderNo"), result.get("TradeStatus"), result.get("Amt"))
    if got != (number, "1", amount):
        return f"(MerchantOrderNo, TradeStatus, Amt) is {got}, expected paid"
    return None


def newebpay_notice(form: Mapping[str, str], merchant: Merchant) -> dict[str, Any] | None:
    """A NotifyURL form's (Status, Message, Result) as a dict, or None when its TradeSha
    does not verify."""
    trade_info = form.get("TradeInfo", "")
    if not crypto.same_digest(crypto.trade_sha(trade_info, merchant.hash_key,
                                               merchant.hash_iv), form.get("TradeSha")):
        return None
    return json.loads(crypto.decrypt(trade_info, merchant.hash_key, merchant.hash_iv))


# -- hosted pages -------------------------------------------------------------------------------
def form_action(page: str) -> str | None:
    """The action of the page's first form (unescaped), or None."""
    found = _FORM.search(page)
    return html.unescape(found.group(1)) if found else None


def order_id(url: str) -> str | None:
    """The simulator's order id in a cashier or MPG page URL (`ord_...`)."""
    found = _ORDER.search(url)
    return found.group(1) if found else None


def shown(page: str, testid: str) -> str | None:
    """The text of the element with `data-testid=testid` (unescaped), or None."""
    found = re.search(rf'data-testid="{re.escape(testid)}"[^>]*>([^<]*)<', page)
    return html.unescape(found.group(1)).strip() if found else None


def scenario_note(effect: str | None) -> str:
    """A `Paylab-Effect` header as a failure reason's suffix, without the varying latency
    figures (`jitter:latency=33.54ms` -> `jitter:latency`), so Locust groups failures of
    one kind together."""
    return f" [scenario: {re.sub(r'=[0-9.]+ms', '', effect)}]" if effect else ""


# -- checks (a Locust user fails the request with the reason) -----------------------------------
def has_form(part: str) -> TextCheck:
    """A page whose first form posts to a URL containing `part`."""
    def check(text: str) -> str | None:
        action = form_action(text) or ""
        return None if part in action else f"no form posting to {part} in the page"
    return check


def has_testid(testid: str, value: str | None = None) -> TextCheck:
    """A page showing `data-testid=testid` (with the text `value`, when given)."""
    def check(text: str) -> str | None:
        got = shown(text, testid)
        if got is None:
            return f"no {testid} in the page"
        return None if value is None or got == value else f"{testid} is {got!r}, not {value!r}"
    return check


def ecpay_answer_paid(merchant: Merchant, number: str, amount: int,
                      payment_type: str) -> TextCheck:
    """A QueryTradeInfo answer saying paid, by `payment_type` (a prefix: Credit_, CVS_)."""
    def check(text: str) -> str | None:
        fields = ecpay_fields(text)
        problem = ecpay_paid(fields, merchant, number, amount)
        if problem is None and not fields.get("PaymentType", "").startswith(payment_type):
            problem = f"PaymentType is {fields.get('PaymentType')!r}, not {payment_type}*"
        return problem
    return check


def ecpay_answer_unpaid(merchant: Merchant, number: str) -> TextCheck:
    """A QueryTradeInfo answer saying created, not paid (TradeStatus 0)."""
    def check(text: str) -> str | None:
        fields = ecpay_fields(text)
        if not ecpay_genuine(fields, merchant):
            return "not a verified QueryTradeInfo answer"
        status = (fields.get("MerchantTradeNo"), fields.get("TradeStatus"))
        return None if status == (number, "0") else f"(MerchantTradeNo, TradeStatus) {status}"
    return check


def newebpay_answer_paid(merchant: Merchant, number: str, amount: int) -> TextCheck:
    """A QueryTradeInfo answer (JSON) saying paid in full, its CheckCode verified."""
    def check(text: str) -> str | None:
        return newebpay_paid(text, merchant, number, amount)
    return check
