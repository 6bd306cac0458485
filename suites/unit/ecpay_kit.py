"""Helpers for the in-process ECPay tests: signed forms as a merchant's shop posts them,
the cashier's links, raw urlencoded answers, and a merchant's notification receiver."""

from __future__ import annotations

import html
import re
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from paylab.simulator.contracts import contract_id
from paylab.simulator.webhooks.signing import ecpay_check_mac_value
from paylab.suites.unit.inprocess import Answer, Sim, contracts

MERCHANT, KEY, IV = "3002607", "pwFHCqoQZGmho4w6", "EkRm7iFT261dpevs"
TENANT = f"ecpay-{MERCHANT}"
AIO = "/ecpay/Cashier/AioCheckOut/V5"
STAGE_CARD = "4311952222222222"


def signed(fields: dict[str, Any], *, key: str = KEY, iv: str = IV,
           encrypt_type: int = 1) -> dict[str, str]:
    """`fields` as strings with their CheckMacValue."""
    text = {k: str(v) for k, v in fields.items()}
    return {**text, "CheckMacValue": ecpay_check_mac_value(text, key, iv, encrypt_type)}


def order_form(no: str = "T0001", **fields: Any) -> dict[str, Any]:
    """An AioCheckOut form (unsigned); `fields` override or add (None removes one)."""
    form: dict[str, Any] = {
        "MerchantID": MERCHANT, "MerchantTradeNo": no,
        "MerchantTradeDate": "2026/12/02 10:00:00", "PaymentType": "aio",
        "TotalAmount": 500, "TradeDesc": "paylab test", "ItemName": "Tea#Cake",
        "ReturnURL": "http://127.0.0.1:9/ecpay/return", "ChoosePayment": "ALL",
        "EncryptType": 1, "CustomField1": "", "CustomField2": "echo-2",
    }
    form.update(fields)
    return {k: v for k, v in form.items() if v is not None}


async def checkout(sim: Sim, no: str = "T0001", *, sign: bool = True, **fields: Any) -> Answer:
    """Post an AioCheckOut form as a browser does."""
    form = order_form(no, **fields)
    encrypt_type = int(form.get("EncryptType", 1)) if str(form.get("EncryptType")) in (
        "0", "1") else 1
    return await sim.page("POST", AIO, signed(form, encrypt_type=encrypt_type) if sign
                          else form)


def actions(answer: Answer) -> list[str]:
    """The form actions of a page, unescaped."""
    return [html.unescape(a) for a in re.findall(r'<form method="post" action="([^"]+)"',
                                                 answer.text)]


def shown(answer: Answer, name: str) -> str:
    """The text of the element with data-testid=`name` (unescaped)."""
    match = re.search(rf'data-testid="{re.escape(name)}">([^<]*)<', answer.text)
    assert match, f"no data-testid={name} in the page"
    return html.unescape(match.group(1))


def hidden_fields(answer: Answer) -> dict[str, str]:
    """The hidden inputs of a page's post-back form."""
    return {html.unescape(k): html.unescape(v) for k, v in re.findall(
        r'<input type="hidden" name="([^"]*)" value="([^"]*)">', answer.text)}


async def choose(sim: Sim, page: Answer, payment: str) -> Answer:
    """Click a payment-type button on the cashier; follows the redirect to the next page."""
    answer = await sim.page("POST", actions(page)[0], {"payment": payment})
    if answer.status == 303:
        return await sim.page("GET", answer.headers["Location"])
    return answer


async def pay_card(sim: Sim, card_page: Answer, number: str = STAGE_CARD,
                   expiry: str = "12/30", cvc: str = "222") -> Answer:
    """Submit the card form; the raw answer (303 on success or 3-D Secure)."""
    return await sim.page("POST", actions(card_page)[0],
                          {"cardnumber": number, "expiry": expiry, "cvc": cvc})


def parse(text: str) -> dict[str, str]:
    """A raw urlencoded answer (values not percent-encoded, as ECPay sends them); {} for
    an answer that is not one (`0|message`)."""
    if "=" not in text:
        return {}
    return dict(pair.split("=", 1) for pair in text.split("&"))


async def api(sim: Sim, path: str, fields: dict[str, Any], *, sign: bool = True,
              **sign_with: Any) -> tuple[Answer, dict[str, str]]:
    """A server API call (`path` after /ecpay) and its parsed answer."""
    body = signed(fields, **sign_with) if sign else {k: str(v) for k, v in fields.items()}
    answer = await sim.page("POST", f"/ecpay{path}", body)
    return answer, parse(answer.text)


def now() -> int:
    """A TimeStamp as the SDK sends it (real time)."""
    return int(time.time())


@dataclass
class Receiver:
    """A merchant's ReturnURL / PaymentInfoURL: records each POST, answers `answers` in turn
    (status, body), then `200 1|OK`."""

    url: str = ""
    answers: list[tuple[int, str]] = field(default_factory=list)
    received: list[dict[str, str]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        body = (await request.read()).decode()
        self.received.append(dict(urllib.parse.parse_qsl(body, keep_blank_values=True)))
        status, text = self.answers.pop(0) if self.answers else (200, "1|OK")
        return web.Response(status=status, text=text)


def violations(contract: str, doc: dict[str, Any]) -> list[str]:
    """What in `doc` breaks `contracts/<contract>` (empty: it conforms)."""
    return contracts().errors(contract_id(contract), doc)
