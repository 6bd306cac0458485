"""An ECPay merchant for the contract layer, written from gateways.md 1 alone (no simulator
code): the documented CheckMacValue, AioCheckOut forms, the cashier driven over HTTP as a
browser's form posts, the server APIs with their raw urlencoded answers, and a ReturnURL /
PaymentInfoURL receiver on the webhook sink that answers `1|OK` (or what a test plans)."""

from __future__ import annotations

import hashlib
import html
import re
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from typing import Any

import requests
from aiohttp import web
from paylab.simulator.gateways.ecpay import CLOSE_DEFAULT, TAIWAN_OFFSET
from paylab.simulator.gateways.ecpay.wire import CLOSE_MINUTES

from paylab.testing.control import ControlClient as Control
from paylab.testing.sink import Received, WebhookSink

AIO = "/ecpay/Cashier/AioCheckOut/V5"
STAGE_CARD = "4311952222222222"  # gateways.md 1.2
#: A CustomField the notices echo: a space and every character the encodings disagree on
#: (`~` and `'` are %7e and %27 in ECPay's table, `!*()` stay literal: gateways.md 1.4).
ECHO = "echo 2 ~'(!*)"
#: PHP urlencode keeps these as they are (gateways.md 1.4, step 5); the rest is %XX.
_PHP_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
#: .NET HttpUtility.UrlEncode compatibility (step 7), applied after lower-casing.
_DOTNET = {"%2d": "-", "%5f": "_", "%2e": ".", "%21": "!", "%2a": "*", "%28": "(", "%29": ")"}


def php_urlencode(text: str) -> str:
    """PHP's urlencode: space -> '+', unreserved kept, every other UTF-8 byte %XX."""
    out = []
    for byte in text.encode("utf-8"):
        char = chr(byte)
        out.append("+" if char == " " else char if char in _PHP_SAFE else f"%{byte:02X}")
    return "".join(out)


def check_mac_value(fields: dict[str, str], key: str, iv: str, encrypt_type: int = 1) -> str:
    """CheckMacValue as gateways.md 1.4 writes it: every field but CheckMacValue, sorted
    case-insensitively, wrapped in HashKey/HashIV, urlencoded, lower-cased, .NET-patched,
    SHA256 (or MD5 for EncryptType 0), upper-case hex."""
    pairs = sorted(((k, v) for k, v in fields.items() if k != "CheckMacValue"),
                   key=lambda kv: kv[0].lower())
    raw = f"HashKey={key}&" + "&".join(f"{k}={v}" for k, v in pairs) + f"&HashIV={iv}"
    encoded = php_urlencode(raw).lower()
    for escaped, char in _DOTNET.items():
        encoded = encoded.replace(escaped, char)
    digest = hashlib.sha256 if encrypt_type == 1 else hashlib.md5
    return digest(encoded.encode("utf-8")).hexdigest().upper()


def parse_raw(text: str) -> dict[str, str]:
    """An ECPay server answer `k=v&k=v` with raw (not percent-encoded) values (1.7, 8)."""
    return dict(pair.split("=", 1) for pair in text.split("&")) if "=" in text else {}


def trade_no() -> str:
    """A fresh MerchantTradeNo: alphanumeric, 20 characters (1.3)."""
    return "PL" + uuid.uuid4().hex[:18].upper()


def trade_date() -> str:
    """MerchantTradeDate now, `yyyy/MM/dd HH:mm:ss`."""
    return time.strftime("%Y/%m/%d %H:%M:%S")


def shown(page: str, testid: str) -> str | None:
    """The text of the element with `data-testid=testid` (unescaped), or None."""
    match = re.search(rf'data-testid="{re.escape(testid)}"[^>]*>([^<]*)<', page)
    return html.unescape(match.group(1)) if match else None


def form_actions(page: str) -> list[str]:
    """The post actions of a page's forms, unescaped."""
    return [html.unescape(a) for a in re.findall(r'<form method="post" action="([^"]+)"', page)]


def hidden_fields(page: str) -> dict[str, str]:
    """The hidden inputs of a page (a result page's post-back form)."""
    return {html.unescape(k): html.unescape(v) for k, v in re.findall(
        r'<input type="hidden" name="([^"]*)" value="([^"]*)"', page)}


@dataclass
class EcpayMerchant:
    """One merchant (its own tenant) talking to the simulator over HTTP."""

    base: str
    http: requests.Session
    merchant_id: str
    hash_key: str
    hash_iv: str
    tenant: str

    def sign(self, fields: dict[str, Any], encrypt_type: int = 1) -> dict[str, str]:
        """`fields` as text with their CheckMacValue."""
        text = {k: str(v) for k, v in fields.items()}
        return {**text, "CheckMacValue": check_mac_value(text, self.hash_key, self.hash_iv,
                                                         encrypt_type)}

    def genuine(self, fields: dict[str, str]) -> bool:
        """Whether a received message's CheckMacValue is the merchant's own computation."""
        expected = check_mac_value(fields, self.hash_key, self.hash_iv,
                                   0 if len(fields.get("CheckMacValue", "")) == 32 else 1)
        return fields.get("CheckMacValue") == expected

    def order_form(self, no: str | None = None, **fields: Any) -> dict[str, Any]:
        """An AioCheckOut form (unsigned) with the required fields; None removes one."""
        form: dict[str, Any] = {
            "MerchantID": self.merchant_id, "MerchantTradeNo": no or trade_no(),
            "MerchantTradeDate": trade_date(), "PaymentType": "aio", "TotalAmount": 500,
            "TradeDesc": "paylab contract", "ItemName": "Tea#Cake",
            "ReturnURL": "http://127.0.0.1:9/ecpay/return", "ChoosePayment": "ALL",
            "EncryptType": 1, "CustomField1": "", "CustomField2": ECHO,
        }
        form.update(fields)
        return {k: v for k, v in form.items() if v is not None}

    def post_form(self, form: dict[str, str]) -> requests.Response:
        """The browser's form post to AioCheckOut/V5."""
        return self.http.post(self.base + AIO, data=form, timeout=10)

    def checkout(self, no: str | None = None, **fields: Any) -> requests.Response:
        """Sign and post an AioCheckOut form; the cashier page (or ECPay's error page)."""
        return self.post_form(self.sign(self.order_form(no, **fields)))

    def choose(self, cashier: requests.Response, payment: str) -> requests.Response:
        """Click a payment type on the cashier (redirects followed, as a browser does)."""
        action = urllib.parse.urljoin(cashier.url, form_actions(cashier.text)[0])
        return self.http.post(action, data={"payment": payment}, timeout=10)

    def pay_card(self, card_page: requests.Response, number: str = STAGE_CARD
                 ) -> requests.Response:
        """Submit the cashier's card form; the page it lands on."""
        action = urllib.parse.urljoin(card_page.url, form_actions(card_page.text)[0])
        return self.http.post(action, data={"cardnumber": number, "expiry": "12/30",
                                            "cvc": "222"}, timeout=10)

    def api(self, path: str, fields: dict[str, Any], *, sign: bool = True
            ) -> tuple[requests.Response, dict[str, str]]:
        """A server API call (`path` after /ecpay) and its raw urlencoded answer, parsed."""
        body = self.sign(fields) if sign else {k: str(v) for k, v in fields.items()}
        answer = self.http.post(f"{self.base}/ecpay{path}", data=body, timeout=10)
        return answer, parse_raw(answer.text)

    def query(self, no: str, stamp: int | None = None) -> tuple[requests.Response,
                                                              dict[str, str]]:
        """QueryTradeInfo/V5 with TimeStamp = now + 120 s, as ECPay's SDK sends it (8)."""
        return self.api("/Cashier/QueryTradeInfo/V5", {
            "MerchantID": self.merchant_id, "MerchantTradeNo": no,
            "TimeStamp": stamp if stamp is not None else int(time.time()) + 120})


@dataclass
class Acknowledger:
    """The sink as an ECPay merchant's receiver: answers `plan` in turn as (status, body),
    then `200 1|OK`, recording each POST on the sink."""

    sink: WebhookSink
    plan: list[tuple[int, str]] = field(default_factory=list)

    def install(self) -> Acknowledger:
        """Make the sink answer this way."""
        self.sink.handler = self.handle
        return self

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        status, text = self.plan.pop(0) if self.plan else (200, "1|OK")
        with self.sink._lock:  # the sink's own list, so wait_for and when_quiet see it
            self.sink.received.append(Received(time.time(), request.path,
                                               dict(request.headers), body, status))
        return web.Response(status=status, text=text)


def form_of(delivery: Received) -> dict[str, str]:
    """A notice's urlencoded form body."""
    return dict(urllib.parse.parse_qsl(delivery.body.decode("utf-8"), keep_blank_values=True))


def clear_of_the_daily_close(control: Control, margin: float = 5.0) -> None:
    """Wait until the virtual clock (Taiwan time) is clear of ECPay's daily close, when
    DoAction is refused (20:15-20:30), by `margin` real seconds for the test's own steps:
    on the layer's 20x clock that window is 45 real seconds of every 72 minutes, so a test
    calling DoAction waits it out, never fails in it."""
    control.clock.wait_outside_daily(CLOSE_DEFAULT, CLOSE_MINUTES,
                                     utc_offset_hours=TAIWAN_OFFSET, margin=margin)
