"""A LINE Pay merchant for in-process tests: signed calls to /linepay (the stage channel
by default), a request body that adds up, and the approval page driven over HTTP."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.parse
import uuid
from typing import Any

from paylab.simulator.core.merchants import catalog
from paylab.simulator.webhooks.signing import linepay_signature
from paylab.suites.unit.inprocess import Answer, Sim

STAGE = catalog()["linepay"]["merchants"][0]
CHANNEL, SECRET = STAGE["merchant_id"], STAGE["hash_key"]
TENANT = f"linepay-{CHANNEL}"
SHOP = "https://shop.example"


def body(order_id: str = "LP-1", amount: Any = 1000, *, currency: str = "TWD",
         capture: bool | None = None, **extra: Any) -> dict[str, Any]:
    """A Request API body whose amounts add up (two products in one package)."""
    price = amount / 2 if isinstance(amount, float) else amount // 2
    doc: dict[str, Any] = {
        "amount": amount, "currency": currency, "orderId": order_id,
        "packages": [{"id": "pkg-1", "amount": amount, "name": "paylab shop",
                      "products": [{"name": "Oolong tea", "quantity": 2, "price": price}]}],
        "redirectUrls": {"confirmUrl": f"{SHOP}/linepay/confirm?cart=7",
                         "cancelUrl": f"{SHOP}/linepay/cancel"}}
    if capture is not None:
        doc["options"] = {"payment": {"capture": capture}}
    doc.update(extra)
    return doc


async def call(sim: Sim, method: str, path: str, payload: Any = None, *, query: str = "",
               channel: str = CHANNEL, secret: str = SECRET, nonce: str | None = None,
               raw: bytes | None = None, headers: dict[str, str] | None = None) -> Answer:
    """A signed LINE Pay call (`path` after /linepay, e.g. /v3/payments/request)."""
    nonce = nonce or str(uuid.uuid4())
    data = raw if raw is not None else (json.dumps(payload).encode() if method == "POST"
                                        else b"")
    signed = data if method == "POST" else query.encode()
    sent = {"Content-Type": "application/json", "X-LINE-ChannelId": channel,
            "X-LINE-Authorization-Nonce": nonce,
            "X-LINE-Authorization": _sign(secret, path, signed, nonce),
            **(headers or {})}
    url = f"/linepay{path}" + (f"?{query}" if query else "")
    return await sim._send(method, url, headers=sent, data=data if method == "POST" else None)


def _sign(secret: str, path: str, payload: bytes, nonce: str) -> str:
    """The shared signing helper for text; raw HMAC for bytes that are no UTF-8."""
    try:
        return linepay_signature(secret, path, payload.decode(), nonce)
    except UnicodeDecodeError:
        message = secret.encode() + path.encode() + payload + nonce.encode()
        return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()
                                ).decode()


async def reserve(sim: Sim, order_id: str = "LP-1", amount: Any = 1000, **extra: Any
                  ) -> dict[str, Any]:
    """A successful Request; its info."""
    answer = await call(sim, "POST", "/v3/payments/request", body(order_id, amount, **extra))
    assert answer.body["returnCode"] == "0000", answer.body
    return answer.body["info"]


def reserve_id(info: dict[str, Any]) -> str:
    """The order id (transactionReserveId) in paymentUrl.web: /_sim/payments/{id}/simulate."""
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(info["paymentUrl"]["web"]).query)
    return query["transactionReserveId"][0]


async def approve(sim: Sim, info: dict[str, Any], funding: str = "balance") -> Answer:
    """Log in and approve on the page; the answer to Approve."""
    web = info["paymentUrl"]["web"]
    assert (await sim.page("POST", web, {"action": "login"})).status == 200
    return await sim.page("POST", web, {"action": "approve", "funding": funding})


async def confirm(sim: Sim, transaction_id: int, amount: Any = 1000,
                  currency: str = "TWD") -> Answer:
    """Confirm API."""
    return await call(sim, "POST", f"/v3/payments/{transaction_id}/confirm",
                      {"amount": amount, "currency": currency})


async def paid(sim: Sim, order_id: str = "LP-1", amount: Any = 1000, **extra: Any
               ) -> dict[str, Any]:
    """Request, approve on the page, confirm; the request's info."""
    info = await reserve(sim, order_id, amount, **extra)
    assert (await approve(sim, info)).status == 303
    answer = await confirm(sim, info["transactionId"], amount)
    assert answer.body["returnCode"] == "0000", answer.body
    return info
