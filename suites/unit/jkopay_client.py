"""A JKOPay merchant written from gateways.md 4, for in-process tests: it signs what it
sends (`api-key`, and `digest` = hex HMAC-SHA256 of the raw body or query string, computed
here, not by the simulator's code), and a result_url receiver that records each callback's
raw bytes and headers.

The stage store, its secret key and the vector come from the project's own copies
(vectors.json, the merchants table), never retyped.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import urllib.parse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer
from multidict import CIMultiDict
from paylab.suites.unit.inprocess import Answer, Sim

VECTORS = Path(__file__).parent / "data" / "vectors.json"


def vector() -> dict[str, Any]:
    """JKOPay's published signing example (J1)."""
    return json.loads(VECTORS.read_text(encoding="utf-8"))["jkopay_digest"][0]


def sign(secret: str, payload: bytes) -> str:
    """The digest as a merchant computes it."""
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


def shown(html: str, testid: str) -> str | None:
    """The text inside the element with this data-testid (tags stripped), or None."""
    found = re.search(rf'data-testid="{re.escape(testid)}"[^>]*>(.*?)</', html, re.S)
    return None if found is None else re.sub(r"<[^>]+>", "", found.group(1)).strip()


@dataclass
class JkoPay:
    """The stage store (or another registered one) calling JKOPay in process."""

    sim: Sim
    store_id: str = ""
    secret: str = ""
    api_key: str = ""

    def __post_init__(self) -> None:
        if not self.store_id:
            self.store_id = json.loads(vector()["body"])["store_id"]
            self.secret = vector()["secret"]
            merchant = self.sim.domain.merchants.get("jkopay", self.store_id)
            assert merchant is not None, "the stage store is missing"
            self.api_key = merchant.hash_iv

    @property
    def tenant(self) -> str:
        """This store's tenant."""
        return f"jkopay-{self.store_id}"

    def order(self, platform_order_id: str = "order-1", amount: int = 1200,
              **extra: Any) -> dict[str, Any]:
        """An entry body with the documented required fields."""
        return {"platform_order_id": platform_order_id, "store_id": self.store_id,
                "currency": "TWD", "total_price": amount, "final_price": amount,
                "unredeem": 0, **extra}

    async def post(self, path: str, body: Any = None, *, raw: bytes | None = None,
                   digest: str | None = None, api_key: str | None = None) -> Answer:
        """A signed POST to /jkopay`path` (`raw` bytes as they are, else `body` as JSON)."""
        data = raw if raw is not None else json.dumps(body, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json",
                   "api-key": self.api_key if api_key is None else api_key,
                   "digest": sign(self.secret, data) if digest is None else digest}
        return await self.sim._send("POST", f"/jkopay{path}", data=data, headers=headers)

    async def entry(self, platform_order_id: str = "order-1", amount: int = 1200,
                    **extra: Any) -> Answer:
        """POST /platform/entry."""
        return await self.post("/platform/entry", self.order(platform_order_id, amount,
                                                             **extra))

    async def payment_url(self, platform_order_id: str = "order-1", amount: int = 1200,
                          **extra: Any) -> str:
        """A new order's payment_url."""
        answer = await self.entry(platform_order_id, amount, **extra)
        assert answer.body["result"] == "000", answer.body
        return answer.body["result_object"]["payment_url"]

    async def refund(self, platform_order_id: str, refund_order_id: str, amount: int,
                     **extra: Any) -> Answer:
        """POST /platform/refund."""
        return await self.post("/platform/refund", {
            "platform_order_id": platform_order_id, "refund_order_id": refund_order_id,
            "refund_amount": amount, **extra})

    async def inquiry_get(self, *ids: str, query: str | None = None,
                          digest: str | None = None) -> Answer:
        """GET /platform/inquiry?platform_order_ids=a,b, the digest over the query."""
        text = query if query is not None else "platform_order_ids=" + ",".join(ids)
        headers = {"api-key": self.api_key,
                   "digest": sign(self.secret, text.removeprefix("=").encode())
                   if digest is None else digest}
        return await self.sim._send("GET", f"/jkopay/platform/inquiry?{text}", headers=headers)

    async def inquiry_post(self, platform_order_id: str) -> Answer:
        """POST /platform/inquiry as ys-cart-jkopay sends it."""
        return await self.post("/platform/inquiry", {"store_id": self.store_id,
                                                      "platform_order_id": platform_order_id})

    async def status(self, platform_order_id: str) -> int:
        """The order's status code by inquiry."""
        answer = await self.inquiry_get(platform_order_id)
        return answer.body["result_object"]["transactions"][0]["status"]

    async def press(self, payment_url: str, button: str) -> Answer:
        """The shopper presses Approve or Cancel on the approval page."""
        parts = urllib.parse.urlsplit(payment_url)
        return await self.sim.page("POST", f"{parts.path}/{button}?{parts.query}")


@dataclass
class Receiver:
    """A merchant's result_url: records each POST's bytes and headers, answers `statuses`
    in turn (then 200)."""

    url: str = ""
    statuses: list[int] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)
    #: Each POST's headers (case-insensitive names, as HTTP's).
    headers: list[CIMultiDict[str]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        self.raw.append(await request.read())
        self.headers.append(CIMultiDict(request.headers))
        return web.Response(status=self.statuses.pop(0) if self.statuses else 200, text="OK")

    @property
    def bodies(self) -> list[dict[str, Any]]:
        """The callbacks received, parsed."""
        return [json.loads(b) for b in self.raw]


async def serve_receiver(aiohttp_server: Callable[[web.Application], Awaitable[TestServer]]
                         ) -> Receiver:
    """A `Receiver` listening at `/jko/result` on a test server of its own."""
    hook = Receiver()
    app = web.Application()
    app.router.add_post("/jko/result", hook.handle)
    server = await aiohttp_server(app)
    hook.url = str(server.make_url("/jko/result"))
    return hook
