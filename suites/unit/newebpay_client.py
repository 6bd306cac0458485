"""A NewebPay merchant for the in-process tests: builds MPG forms (TradeInfo, TradeSha) and
server API calls (urlencoded or multipart, PostData_ encrypted) as real integrations do,
reads the hosted pages' result forms, and receives NotifyURL posts."""

from __future__ import annotations

import html
import json
import re
import urllib.parse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
from paylab.simulator.gateways.newebpay import crypto
from paylab.suites.unit.inprocess import Answer, Sim

VECTORS = Path(__file__).parent / "data" / "vectors.json"
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]*)" value="([^"]*)">')
_FORM = re.compile(r'<form method="post" action="([^"]*)"( data-autopost)? data-testid="([^"]*)">'
                   r'(.*?)</form>', re.S)


def stage_credentials() -> dict[str, str]:
    """NewebPay's published test merchant (vectors.json, gateways.md 2.5)."""
    return json.loads(VECTORS.read_text(encoding="utf-8"))["newebpay"]["credentials"]


def shown(text: str, name: str) -> str | None:
    """The text of the element with `data-testid=name` (unescaped), or None."""
    match = re.search(rf'data-testid="{re.escape(name)}"[^>]*>([^<]*)<', text)
    return html.unescape(match.group(1)) if match else None


def posted_forms(text: str, *, auto: bool = True) -> dict[str, tuple[str, dict[str, str]]]:
    """The result forms of a page that post by themselves (`auto`) or only by their button:
    test id -> (action, hidden fields)."""
    return {tid: (html.unescape(action), {html.unescape(k): html.unescape(v)
                                          for k, v in _HIDDEN.findall(body)})
            for action, autopost, tid, body in _FORM.findall(text) if bool(autopost) == auto}


@dataclass
class NewebPay:
    """The merchant MS127874575 talking to an in-process simulator."""

    sim: Sim
    merchant_id: str = ""
    hash_key: str = ""
    hash_iv: str = ""

    def __post_init__(self) -> None:
        creds = stage_credentials()
        self.merchant_id = self.merchant_id or creds["merchant_id"]
        self.hash_key = self.hash_key or creds["hash_key"]
        self.hash_iv = self.hash_iv or creds["hash_iv"]

    def now(self) -> int:
        """The simulator's virtual time."""
        return int(self.sim.domain.clock.now())

    def trade_info(self, **fields: Any) -> dict[str, Any]:
        """A TradeInfo with the required fields; `fields` add to or replace them
        (None removes one)."""
        base: dict[str, Any] = {"MerchantID": self.merchant_id, "RespondType": "JSON",
                                "TimeStamp": self.now(), "Version": "2.0",
                                "MerchantOrderNo": "Order_1", "Amt": 100, "ItemDesc": "test"}
        base.update(fields)
        return {k: v for k, v in base.items() if v is not None}

    def mpg_form(self, info: dict[str, Any], *, block: int = 16,
                 **outer: str | None) -> dict[str, str]:
        """The browser's form: MerchantID, TradeInfo, TradeSha, Version (`outer` changes)."""
        trade_info = crypto.encrypt(crypto.build_query(info), self.hash_key, self.hash_iv,
                                    block=block)
        form = {"MerchantID": self.merchant_id, "TradeInfo": trade_info,
                "TradeSha": crypto.trade_sha(trade_info, self.hash_key, self.hash_iv),
                "Version": str(info.get("Version", "2.0"))}
        form.update(outer)
        return {k: v for k, v in form.items() if v is not None}

    async def mpg(self, info: dict[str, Any] | None = None, **outer: Any) -> Answer:
        """POST /MPG/mpg_gateway (no redirects followed)."""
        return await self.sim.page("POST", "/newebpay/MPG/mpg_gateway",
                                   self.mpg_form(info or self.trade_info(), **outer))

    async def start(self, **fields: Any) -> str:
        """An order through the MPG gateway; its hosted page's URL."""
        answer = await self.mpg(self.trade_info(**fields))
        assert answer.status == 303, answer.text
        return answer.headers["Location"]

    async def api(self, path: str, form: dict[str, str], *, multipart: bool = False) -> Answer:
        """A server API call, urlencoded or multipart/form-data (as newebpay-mpg-sdk)."""
        url = f"/newebpay{path}"
        if multipart:
            data = aiohttp.FormData(default_to_multipart=True)
            for key, value in form.items():
                data.add_field(key, value)
            return await self.sim._send("POST", url, data=data, allow_redirects=False)
        return await self.sim._send("POST", url, data=urllib.parse.urlencode(form), headers={
            "Content-Type": "application/x-www-form-urlencoded"}, allow_redirects=False)

    async def query(self, order_no: str, amount: int, *, respond_type: str = "JSON",
                    multipart: bool = False, **changes: str) -> Answer:
        """POST /API/QueryTradeInfo with its CheckValue."""
        check = crypto.check_value({"Amt": str(amount), "MerchantID": self.merchant_id,
                                    "MerchantOrderNo": order_no}, self.hash_key, self.hash_iv)
        form = {"MerchantID": self.merchant_id, "Version": "1.3", "RespondType": respond_type,
                "CheckValue": check, "TimeStamp": str(self.now()), "MerchantOrderNo": order_no,
                "Amt": str(amount), **changes}
        return await self.api("/API/QueryTradeInfo", form, multipart=multipart)

    async def post_data(self, path: str, fields: dict[str, Any], *,
                        multipart: bool = False) -> Answer:
        """A CreditCard/Close or /Cancel call: MerchantID_ and PostData_."""
        base = {"RespondType": "JSON", "TimeStamp": self.now(), **fields}
        post = crypto.encrypt(crypto.build_query({k: v for k, v in base.items()
                                                  if v is not None}),
                              self.hash_key, self.hash_iv)
        return await self.api(path, {"MerchantID_": self.merchant_id, "PostData_": post},
                              multipart=multipart)

    async def close(self, order_no: str, amount: int, close_type: int, **fields: Any) -> Answer:
        """CreditCard/Close by MerchantOrderNo (IndexType 1) unless `fields` say otherwise."""
        return await self.post_data("/API/CreditCard/Close", {
            "Version": "1.1", "Amt": amount, "MerchantOrderNo": order_no, "IndexType": 1,
            "CloseType": close_type, **fields})

    async def cancel(self, order_no: str, amount: int, **fields: Any) -> Answer:
        """CreditCard/Cancel by MerchantOrderNo unless `fields` say otherwise."""
        return await self.post_data("/API/CreditCard/Cancel", {
            "Version": "1.0", "Amt": amount, "MerchantOrderNo": order_no, "IndexType": 1,
            **fields})

    def open(self, form: dict[str, str]) -> tuple[str, str, dict[str, Any]]:
        """(Status, Message, Result) of a result form, after checking its TradeSha."""
        assert form["TradeSha"] == crypto.trade_sha(form["TradeInfo"], self.hash_key,
                                                    self.hash_iv)
        plain = crypto.decrypt(form["TradeInfo"], self.hash_key, self.hash_iv)
        if plain.startswith("{"):
            data = json.loads(plain)
            return data["Status"], data["Message"], data["Result"]
        fields = dict(urllib.parse.parse_qsl(plain, keep_blank_values=True))
        return fields.pop("Status"), fields.pop("Message"), fields


@dataclass
class Receiver:
    """A merchant's NotifyURL: records each form POST and answers with `statuses` in turn
    (then 200)."""

    url: str = ""
    statuses: list[int] = field(default_factory=list)
    received: list[dict[str, str]] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.raw.append(body)
        self.received.append(dict(urllib.parse.parse_qsl(body.decode())))
        return web.Response(status=self.statuses.pop(0) if self.statuses else 200, text="OK")


async def serve_receiver(aiohttp_server: Callable[[web.Application], Awaitable[TestServer]]
                         ) -> Receiver:
    """A `Receiver` listening at `/notify` on a test server of its own."""
    hook = Receiver()
    app = web.Application()
    app.router.add_post("/notify", hook.handle)
    server = await aiohttp_server(app)
    hook.url = str(server.make_url("/notify"))
    return hook
