"""A merchant on the form-post rails, for the browser tests: the ECPay AioCheckOut form and
the NewebPay MPG form, signed with the stage credentials of vectors.json by the reference
shop's own client code (written from the gateways' documents, not the simulator's), posted
from the browser as a shop's page posts them; and the merchant's receiver for the notices.
"""

from __future__ import annotations

import html
import json
import secrets
import threading
import time
import urllib.parse
from datetime import datetime
from pathlib import Path
from typing import Any

import allure
from aiohttp import web
from paylab.shop import ecpay, newebpay
from paylab.suites.plugins.webhook_sink import WebhookSink
from playwright.sync_api import Page

VECTORS = Path(__file__).resolve().parents[1] / "unit" / "data" / "vectors.json"
AIO = "/ecpay/Cashier/AioCheckOut/V5"
MPG = "/newebpay/MPG/mpg_gateway"
#: ECPay's stage card (CVC 222), NewebPay's stage card; Stripe's decline and 3-D Secure cards.
ECPAY_CARD, NEWEBPAY_CARD = "4311 9522 2222 2222", "4000 2211 1111 1111"
THREE_DS = "4000 0000 0000 3220"
#: The items of the ECPay orders: ItemName joins them with `#`, the cashier shows one a line.
ECPAY_ITEMS = ("阿里山烏龍茶 Alishan oolong x 1", "凍頂烏龍 Dongding oolong x 2")
#: A phone's viewport, for the pages' narrowest layout.
PHONE = {"width": 375, "height": 740}
#: What a hostile merchant form might carry (47 characters: NewebPay's ItemDesc takes 50).
HOSTILE = "<script>alert(1)</script><svg onload=alert(2)>"


def _vectors() -> dict[str, Any]:
    return json.loads(VECTORS.read_text(encoding="utf-8"))


def ecpay_stage() -> tuple[str, str, str]:
    """(MerchantID, HashKey, HashIV) of ECPay's public stage merchant 3002607."""
    vector = next(v for v in _vectors()["ecpay_check_mac_value"]
                  if v["params"].get("MerchantID") == "3002607")
    return "3002607", vector["hash_key"], vector["hash_iv"]


def newebpay_stage() -> tuple[str, str, str]:
    """(MerchantID, HashKey, HashIV) of NewebPay's public test merchant."""
    creds = _vectors()["newebpay"]["credentials"]
    return creds["merchant_id"], creds["hash_key"], creds["hash_iv"]


def trade_no(prefix: str) -> str:
    """A fresh merchant trade number (alphanumeric, 20 at most: both rails' rule)."""
    return f"{prefix}{secrets.token_hex(7)}"[:20]


def ecpay_form(return_url: str, **fields: Any) -> dict[str, str]:
    """A signed AioCheckOut/V5 form for NT$880; `fields` add or replace (None removes)."""
    merchant, key, iv = ecpay_stage()
    form: dict[str, Any] = {
        "MerchantID": merchant, "MerchantTradeNo": trade_no("E2E"),
        "MerchantTradeDate": datetime.now(ecpay.TAIPEI).strftime("%Y/%m/%d %H:%M:%S"),
        "PaymentType": "aio", "TotalAmount": 880, "TradeDesc": "paylab e2e 瀏覽器測試",
        "ItemName": "#".join(ECPAY_ITEMS), "ReturnURL": return_url,
        "ChoosePayment": "ALL", "EncryptType": 1}
    form.update(fields)
    text = {k: str(v) for k, v in form.items() if v is not None}
    return {**text, "CheckMacValue": ecpay.check_mac_value(text, key, iv)}


def ecpay_genuine(fields: dict[str, str]) -> bool:
    """Whether an ECPay notice or result post carries the stage merchant's CheckMacValue."""
    _, key, iv = ecpay_stage()
    return ecpay.verify(fields, key, iv)


def newebpay_form(**fields: Any) -> dict[str, str]:
    """A signed MPG form (TradeInfo, TradeSha) for NT$880 offering every method;
    `fields` add to or replace TradeInfo's (None removes one)."""
    merchant, key, iv = newebpay_stage()
    info: dict[str, Any] = {
        "MerchantID": merchant, "RespondType": "JSON", "TimeStamp": int(time.time()),
        "Version": "2.0", "MerchantOrderNo": trade_no("N2E"), "Amt": 880,
        "ItemDesc": "阿里山烏龍茶 Alishan oolong", "CREDIT": 1, "VACC": 1, "CVS": 1,
        "BARCODE": 1, "WEBATM": 1}
    info.update(fields)
    trade_info = newebpay.encrypt(newebpay.http_build_query(
        [(k, str(v)) for k, v in info.items() if v is not None]), key, iv)
    return {"MerchantID": merchant, "TradeInfo": trade_info,
            "TradeSha": newebpay.trade_sha(trade_info, key, iv), "Version": "2.0"}


def newebpay_result(form: dict[str, str]) -> tuple[str, str, dict[str, str]]:
    """(Status, Message, Result) of a NewebPay notice or result post, its TradeSha checked."""
    _, key, iv = newebpay_stage()
    assert newebpay.verify(form["TradeInfo"], form["TradeSha"], key, iv), "TradeSha"
    return newebpay.parse_result(newebpay.decrypt(form["TradeInfo"], key, iv))


def post_from_browser(page: Page, action: str, fields: dict[str, str]) -> None:
    """Post `fields` to `action` from the browser, as the shop's redirect page does."""
    inputs = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                     for k, v in fields.items())
    with allure.step(f"the browser posts the merchant's form to {action}"):
        page.set_content(f'<form method="post" action="{html.escape(action)}" '
                         f'accept-charset="UTF-8">{inputs}</form>')
        with page.expect_navigation():
            page.locator("form").evaluate("form => form.submit()")


class Merchant:
    """The merchant's URLs on a webhook sink: every POST is recorded by path and answered
    `1|OK` with HTTP 200 (ECPay's and NewebPay's success contracts both)."""

    def __init__(self, sink: WebhookSink) -> None:
        self.url, self._forms = sink.url, []
        self._lock = threading.Lock()
        sink.handler = self._handle

    async def _handle(self, request: web.Request) -> web.Response:
        body = (await request.read()).decode()
        with self._lock:
            self._forms.append((request.path, dict(urllib.parse.parse_qsl(
                body, keep_blank_values=True))))
        return web.Response(text="1|OK")

    def forms(self, path: str, count: int = 1, timeout: float = 15.0) -> list[dict[str, str]]:
        """The forms posted to `path` once there are `count` (all of them at the deadline)."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                found = [f for p, f in self._forms if p == path]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.05)
