"""Merchants of the Taiwanese form-post rails (ECPay AIO, NewebPay MPG) driving a live
simulator over plain HTTP, as their integrations do: signed AioCheckOut forms and server
API calls (CheckMacValue), MPG forms (TradeInfo encrypted, TradeSha), QueryTradeInfo
(CheckValue) and CreditCard/Close and /Cancel (PostData_ encrypted), and the cashier pages
a shopper clicks through to pay by card. Used by the security probes and by the injection
surfaces' object makers (`injection.rails`).

Each merchant is registered fresh on `/_sim/merchants` (its own tenant, keys from the
simulator), so probes never touch the published stage merchants' trades.
"""

from __future__ import annotations

import html
import re
import time
import urllib.parse
import uuid
from dataclasses import dataclass
from typing import Any

import requests
from paylab.simulator.gateways.newebpay import crypto
from paylab.simulator.webhooks.signing import ecpay_check_mac_value

TIMEOUT = 10
STAGE_CARD = "4311952222222222"
_ACTION = re.compile(r'<form method="post" action="([^"]+)"')
_TESTID = r'data-testid="{}"[^>]*>([^<]*)<'


def trade_no(prefix: str = "S") -> str:
    """A fresh trade number: letters and digits, 20 characters (both rails accept it)."""
    return (prefix + uuid.uuid4().hex)[:20]


def shown(text: str, testid: str) -> str | None:
    """The text of the element with `data-testid=testid` (unescaped), or None."""
    match = re.search(_TESTID.format(re.escape(testid)), text)
    return html.unescape(match.group(1)) if match else None


def register(base_url: str, gateway: str) -> dict[str, Any]:
    """A new merchant of `gateway` with generated id and keys (shown in full once)."""
    answer = requests.post(f"{base_url}/_sim/merchants", json={"gateway": gateway},
                           timeout=TIMEOUT)
    assert answer.status_code == 201, answer.text[:300]
    return answer.json()


def parse_urlencoded(text: str) -> dict[str, str]:
    """ECPay's raw `key=value&...` answer ({} for `0|message`)."""
    if "=" not in text:
        return {}
    return dict(pair.split("=", 1) for pair in text.split("&") if "=" in pair)


@dataclass
class Ecpay:
    """One ECPay merchant against a live simulator."""

    base_url: str
    merchant_id: str
    hash_key: str
    hash_iv: str

    @classmethod
    def registered(cls, base_url: str) -> Ecpay:
        """A fresh merchant."""
        m = register(base_url, "ecpay")
        return cls(base_url.rstrip("/"), m["merchant_id"], m["hash_key"], m["hash_iv"])

    def sign(self, fields: dict[str, Any], *, encrypt_type: int = 1, key: str | None = None,
             iv: str | None = None) -> dict[str, str]:
        """`fields` as text with their CheckMacValue (another merchant's keys if given)."""
        text = {k: str(v) for k, v in fields.items()}
        return {**text, "CheckMacValue": ecpay_check_mac_value(
            text, key or self.hash_key, iv or self.hash_iv, encrypt_type)}

    def order_form(self, no: str, **fields: Any) -> dict[str, Any]:
        """An unsigned AioCheckOut form; `fields` add or replace (None removes)."""
        form: dict[str, Any] = {
            "MerchantID": self.merchant_id, "MerchantTradeNo": no,
            "MerchantTradeDate": time.strftime("%Y/%m/%d %H:%M:%S",
                                               time.gmtime(time.time() + 8 * 3600)),
            "PaymentType": "aio", "TotalAmount": 500, "TradeDesc": "paylab probe",
            "ItemName": "Tea", "ReturnURL": "http://127.0.0.1:9/ecpay/return",
            "ChoosePayment": "Credit", "EncryptType": 1}
        form.update(fields)
        return {k: v for k, v in form.items() if v is not None}

    def post(self, path: str, form: dict[str, str]) -> requests.Response:
        """POST a form to `/ecpay{path}` (no redirects followed)."""
        return requests.post(f"{self.base_url}/ecpay{path}", data=form, timeout=TIMEOUT,
                             allow_redirects=False)

    def checkout(self, form: dict[str, str]) -> requests.Response:
        """Post a (signed) AioCheckOut form as the shopper's browser does."""
        return self.post("/Cashier/AioCheckOut/V5", form)

    def open_order(self, no: str | None = None, **fields: Any) -> tuple[str, str]:
        """A new order (its MerchantTradeNo) and its cashier page."""
        no = no or trade_no()
        answer = self.checkout(self.sign(self.order_form(no, **fields)))
        assert answer.status_code == 200, answer.text[-500:]
        return no, answer.text

    def code_order(self, choose: str = "CVS", **fields: Any) -> str:
        """An order whose ATM, CVS or BARCODE code was taken on the cashier."""
        return self.code_pages(choose, **fields)[0]

    def code_pages(self, choose: str = "CVS", **fields: Any) -> tuple[str, list[str]]:
        """A new order whose code was taken: its MerchantTradeNo, and the cashier and
        code pages."""
        no, cashier = self.open_order(ChoosePayment=choose, **fields)
        action = html.unescape(_ACTION.findall(cashier)[0])
        taken = requests.post(self.base_url + action, data={"payment": choose},
                              timeout=TIMEOUT, allow_redirects=False)
        assert taken.status_code == 303, taken.text[-500:]
        code = requests.get(self.base_url + taken.headers["Location"], timeout=TIMEOUT)
        return no, [cashier, code.text]

    def card_form(self) -> str:
        """A new order's card form, opened on the cashier: the path it posts to."""
        _, cashier = self.open_order()
        choose = html.unescape(_ACTION.findall(cashier)[0])
        card_page = requests.post(self.base_url + choose, data={"payment": "Credit"},
                                  timeout=TIMEOUT)
        assert card_page.status_code == 200, card_page.text[-500:]
        return html.unescape(_ACTION.findall(card_page.text)[0])

    def pay_card(self, no: str | None = None, **fields: Any) -> tuple[str, str]:
        """An order authorised by the stage card: (MerchantTradeNo, TradeNo)."""
        no, _ = self.card_pages(no, **fields)
        info = self.query(no)
        assert info.get("TradeStatus") == "1", info
        return no, info["TradeNo"]

    def card_pages(self, no: str | None = None, **fields: Any) -> tuple[str, list[str]]:
        """Pay a new order by card: its MerchantTradeNo and every page the shopper saw
        (the cashier, the card form, the result)."""
        no, cashier = self.open_order(no, **fields)
        choose = html.unescape(_ACTION.findall(cashier)[0])
        card_page = requests.post(self.base_url + choose, data={"payment": "Credit"},
                                  timeout=TIMEOUT)
        card_url = html.unescape(_ACTION.findall(card_page.text)[0])
        paid = requests.post(self.base_url + card_url, timeout=TIMEOUT, allow_redirects=False,
                             data={"cardnumber": STAGE_CARD, "expiry": "12/30", "cvc": "222"})
        assert paid.status_code == 303, paid.text[-500:]
        result = requests.get(self.base_url + paid.headers["Location"], timeout=TIMEOUT)
        return no, [cashier, card_page.text, result.text]

    def query(self, no: str, *, stamp: int | None = None, merchant_id: str | None = None,
              **sign_with: Any) -> dict[str, str]:
        """QueryTradeInfo/V5, parsed (TimeStamp now unless given)."""
        fields = {"MerchantID": merchant_id or self.merchant_id, "MerchantTradeNo": no,
                  "TimeStamp": stamp if stamp is not None else int(time.time())}
        answer = self.post("/Cashier/QueryTradeInfo/V5", self.sign(fields, **sign_with))
        return parse_urlencoded(answer.text) or {"raw": answer.text}

    def do_action(self, no: str, trade: str, action: str, amount: int, *,
                  merchant_id: str | None = None, **sign_with: Any) -> dict[str, str]:
        """CreditDetail/DoAction, parsed."""
        fields = {"MerchantID": merchant_id or self.merchant_id, "MerchantTradeNo": no,
                  "TradeNo": trade, "Action": action, "TotalAmount": amount}
        answer = self.post("/CreditDetail/DoAction", self.sign(fields, **sign_with))
        return parse_urlencoded(answer.text) or {"raw": answer.text}


@dataclass
class NewebPay:
    """One NewebPay merchant against a live simulator."""

    base_url: str
    merchant_id: str
    hash_key: str
    hash_iv: str

    @classmethod
    def registered(cls, base_url: str) -> NewebPay:
        """A fresh merchant."""
        m = register(base_url, "newebpay")
        return cls(base_url.rstrip("/"), m["merchant_id"], m["hash_key"], m["hash_iv"])

    def trade_info(self, no: str, **fields: Any) -> dict[str, Any]:
        """TradeInfo fields (unencrypted); `fields` add or replace (None removes)."""
        info: dict[str, Any] = {"MerchantID": self.merchant_id, "RespondType": "JSON",
                                "TimeStamp": int(time.time()), "Version": "2.0",
                                "MerchantOrderNo": no, "Amt": 500, "ItemDesc": "paylab probe",
                                "CREDIT": 1}
        info.update(fields)
        return {k: v for k, v in info.items() if v is not None}

    def seal(self, info: dict[str, Any], *, key: str | None = None, iv: str | None = None,
             **outer: str | None) -> dict[str, str]:
        """The browser's MPG form: MerchantID, TradeInfo, TradeSha, Version."""
        key, iv = key or self.hash_key, iv or self.hash_iv
        sealed = crypto.encrypt(crypto.build_query(info), key, iv)
        form = {"MerchantID": self.merchant_id, "TradeInfo": sealed,
                "TradeSha": crypto.trade_sha(sealed, key, iv), "Version": "2.0"}
        form.update(outer)
        return {k: v for k, v in form.items() if v is not None}

    def mpg(self, form: dict[str, str]) -> requests.Response:
        """POST /MPG/mpg_gateway (a 303 to the hosted page when accepted)."""
        return requests.post(f"{self.base_url}/newebpay/MPG/mpg_gateway", data=form,
                             timeout=TIMEOUT, allow_redirects=False)

    def start(self, no: str | None = None, **fields: Any) -> tuple[str, str]:
        """A new order: (MerchantOrderNo, hosted page path)."""
        no = no or trade_no("N")
        answer = self.mpg(self.seal(self.trade_info(no, **fields)))
        assert answer.status_code == 303, answer.text[-500:]
        return no, answer.headers["Location"]

    def pay_card(self, no: str | None = None, **fields: Any) -> str:
        """An order authorised by card on the hosted page; its MerchantOrderNo."""
        return self.pages(no, "CREDIT", **fields)[0]

    def pages(self, no: str | None = None, method: str = "CREDIT", **fields: Any
              ) -> tuple[str, list[str]]:
        """A new order paid by card (`CREDIT`) or given a code (`CVS`, `VACC`,
        `BARCODE`) on the hosted page: its MerchantOrderNo, the page before and after."""
        no, location = self.start(no, **fields)
        before = requests.get(self.base_url + location, timeout=TIMEOUT)
        form = {"method": method}
        if method == "CREDIT":
            form.update(cardnumber="4000221111111111", expiry="12/30", cvc="123")
        done = requests.post(self.base_url + location, timeout=TIMEOUT, allow_redirects=False,
                             data=form)
        assert done.status_code == 303, done.text[-500:]
        after = requests.get(self.base_url + done.headers["Location"], timeout=TIMEOUT)
        return no, [before.text, after.text]

    def query(self, no: str, amount: int = 500, *, stamp: int | None = None,
              merchant_id: str | None = None, key: str | None = None,
              iv: str | None = None) -> dict[str, Any]:
        """QueryTradeInfo with its CheckValue; the JSON answer."""
        merchant = merchant_id or self.merchant_id
        check = crypto.check_value({"Amt": str(amount), "MerchantID": merchant,
                                    "MerchantOrderNo": no}, key or self.hash_key,
                                   iv or self.hash_iv)
        form = {"MerchantID": merchant, "Version": "1.3", "RespondType": "JSON",
                "CheckValue": check, "TimeStamp": str(stamp or int(time.time())),
                "MerchantOrderNo": no, "Amt": str(amount)}
        answer = requests.post(f"{self.base_url}/newebpay/API/QueryTradeInfo", data=form,
                               timeout=TIMEOUT)
        return answer.json()

    def post_data(self, path: str, fields: dict[str, Any], *, merchant_id: str | None = None
                  ) -> dict[str, Any]:
        """A CreditCard/Close or /Cancel call (PostData_ with this merchant's keys)."""
        base = {"RespondType": "JSON", "TimeStamp": int(time.time()), **fields}
        sealed = crypto.encrypt(crypto.build_query(base), self.hash_key, self.hash_iv)
        answer = requests.post(f"{self.base_url}/newebpay{path}", timeout=TIMEOUT, data={
            "MerchantID_": merchant_id or self.merchant_id, "PostData_": sealed})
        return answer.json()

    def cancel(self, no: str, amount: int = 500, **kw: Any) -> dict[str, Any]:
        """CreditCard/Cancel (void) by MerchantOrderNo."""
        return self.post_data("/API/CreditCard/Cancel", {
            "Version": "1.0", "Amt": amount, "MerchantOrderNo": no, "IndexType": 1}, **kw)


def form_of(text: str) -> dict[str, str]:
    """The hidden inputs of a page (unescaped)."""
    return {html.unescape(k): html.unescape(v) for k, v in re.findall(
        r'<input type="hidden" name="([^"]*)" value="([^"]*)"', text)}


def query_string(path: str) -> dict[str, str]:
    """The query of a path, as a dict."""
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(path).query))


def shop_checkout(shop_url: str, pay_with: str) -> tuple[requests.Session, str, str,
                                                         dict[str, str]]:
    """A shopper's cart checked out on a form-post rail at the shop: (session, order id,
    the gateway form's action, its signed fields)."""
    session = requests.Session()
    session.get(shop_url, timeout=TIMEOUT)
    session.post(f"{shop_url}/cart/add", data={"product": "alishan-oolong"}, timeout=TIMEOUT)
    page = session.post(f"{shop_url}/checkout", data={"pay_with": pay_with}, timeout=TIMEOUT)
    assert page.status_code == 200 and 'data-testid="gateway-redirect"' in page.text, \
        page.text[-500:]
    order = re.search(r'data-testid="gateway-redirect" data-order="([^"]+)"', page.text)
    action = re.search(r'<form id="gateway-form" method="post" action="([^"]+)"', page.text)
    assert order and action, page.text[-500:]
    return session, order.group(1), html.unescape(action.group(1)), form_of(page.text)


def pay_at_ecpay(action: str, form: dict[str, str]) -> None:
    """Post the shop's AioCheckOut form and pay on the cashier with the stage card."""
    base = action.split("/ecpay/")[0]
    cashier = requests.post(action, data=form, timeout=TIMEOUT)
    assert cashier.status_code == 200, cashier.text[-500:]
    choose = html.unescape(_ACTION.findall(cashier.text)[0])
    card_page = requests.post(base + choose, data={"payment": "Credit"}, timeout=TIMEOUT)
    card_url = html.unescape(_ACTION.findall(card_page.text)[0])
    paid = requests.post(base + card_url, timeout=TIMEOUT, allow_redirects=False,
                         data={"cardnumber": STAGE_CARD, "expiry": "12/30", "cvc": "222"})
    assert paid.status_code == 303, paid.text[-500:]


def pay_at_newebpay(action: str, form: dict[str, str]) -> None:
    """Post the shop's MPG form and pay by card on the hosted page."""
    base = action.split("/newebpay/")[0]
    started = requests.post(action, data=form, timeout=TIMEOUT, allow_redirects=False)
    assert started.status_code == 303, started.text[-500:]
    paid = requests.post(base + started.headers["Location"], timeout=TIMEOUT,
                         allow_redirects=False, data={
                             "method": "CREDIT", "cardnumber": "4000221111111111",
                             "expiry": "12/30", "cvc": "123"})
    assert paid.status_code == 303, paid.text[-500:]
