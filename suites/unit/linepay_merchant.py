"""A LINE Pay merchant over HTTP for the live layers (contract, e2e, security, reliability,
load checks): a client written from gateways.md 3 that signs `secret + path + (body or
query) + nonce` itself and parses answers with Python's json (transaction ids stay exact
integers), a fresh channel registered on /_sim/merchants, and a Request body that adds up."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.parse
import uuid
from dataclasses import dataclass
from typing import Any

import requests


def request_body(order_id: str, amount: int, *, capture: bool = True,
                 confirm_url: str = "https://shop.example/linepay/confirm",
                 cancel_url: str = "https://shop.example/linepay/cancel",
                 product: str = "凍頂烏龍 Oolong") -> dict[str, Any]:
    """A Request API body with one product whose amounts add up."""
    return {"amount": amount, "currency": "TWD", "orderId": order_id,
            "packages": [{"id": "p1", "amount": amount, "name": "paylab tea",
                          "products": [{"name": product, "quantity": 1, "price": amount}]}],
            "redirectUrls": {"confirmUrl": confirm_url, "cancelUrl": cancel_url},
            "options": {"payment": {"capture": capture}}}


def reserve_id(info: dict[str, Any]) -> str:
    """The order id in paymentUrl.web (what /_sim/payments/{id}/simulate takes)."""
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(info["paymentUrl"]["web"]).query)
    return query["transactionReserveId"][0]


@dataclass
class Channel:
    """A LINE Pay channel's signed client."""

    base: str
    http: requests.Session
    channel_id: str
    secret: str

    @classmethod
    def register(cls, base: str, http: requests.Session) -> Channel:
        """A fresh channel (its own tenant) from /_sim/merchants."""
        made = http.post(f"{base}/_sim/merchants", json={"gateway": "linepay"}, timeout=10)
        made.raise_for_status()
        body = made.json()
        return cls(base, http, body["merchant_id"], body["hash_key"])

    @property
    def tenant(self) -> str:
        """This channel's tenant id."""
        return f"linepay-{self.channel_id}"

    def send(self, method: str, path: str, body: Any = None, query: str = "", *,
             nonce: str | None = None, raw: bytes | None = None) -> requests.Response:
        """One signed call (`path` after /linepay); the raw response."""
        data = raw if raw is not None else (json.dumps(body).encode() if method == "POST"
                                            else b"")
        nonce = nonce or str(uuid.uuid4())
        message = (self.secret + path).encode() + (data or query.encode()) + nonce.encode()
        signed = base64.b64encode(hmac.new(self.secret.encode(), message,
                                           hashlib.sha256).digest()).decode()
        url = f"{self.base}/linepay{path}" + (f"?{query}" if query else "")
        return self.http.request(method, url, data=data or None, timeout=10, headers={
            "Content-Type": "application/json", "X-LINE-ChannelId": self.channel_id,
            "X-LINE-Authorization-Nonce": nonce, "X-LINE-Authorization": signed})

    def call(self, method: str, path: str, body: Any = None, query: str = "",
             **kwargs: Any) -> Any:
        """One signed call; the parsed answer (HTTP 200 expected, as LINE Pay answers)."""
        answer = self.send(method, path, body, query, **kwargs)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def request(self, order_id: str, amount: int, **options: Any) -> dict[str, Any]:
        """A successful Request; its info."""
        answer = self.call("POST", "/v3/payments/request",
                           request_body(order_id, amount, **options))
        assert answer["returnCode"] == "0000", answer
        return answer["info"]

    def confirm(self, transaction_id: int, amount: int) -> dict[str, Any]:
        """Confirm API (TWD)."""
        return self.call("POST", f"/v3/payments/{transaction_id}/confirm",
                         {"amount": amount, "currency": "TWD"})

    def check(self, transaction_id: int) -> str:
        """Check Request Status: the returnCode."""
        return self.call("GET", f"/v3/payments/requests/{transaction_id}/check")["returnCode"]

    def approve(self, info: dict[str, Any]) -> None:
        """The shopper approves, through /_sim/payments/{id}/simulate."""
        done = self.http.post(f"{self.base}/_sim/payments/{reserve_id(info)}/simulate",
                              json={"outcome": "approved"}, timeout=10)
        assert done.status_code == 200, done.text
