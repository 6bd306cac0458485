"""A JKOPay store's client written from gateways.md 4, for the layers that drive a live
simulator (contract, e2e, security, reliability, load): it signs every request with its own
HMAC (`api-key`, `digest` over the raw body or query string) and reads only JSON."""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.parse
from dataclasses import dataclass
from typing import Any

import requests


def digest(secret: str, payload: bytes) -> str:
    """hex HMAC-SHA256(secret_key, raw bytes), lower case (gateways.md 4)."""
    return hmac.new(secret.encode("utf-8"), payload, hashlib.sha256).hexdigest()


@dataclass
class JkoStore:
    """A merchant's JKOPay client: store_id, secret_key and api_key, and a base URL."""

    base: str
    http: requests.Session
    store_id: str
    secret_key: str
    api_key: str

    @classmethod
    def register(cls, base: str, http: requests.Session) -> JkoStore:
        """A fresh store (its own tenant), registered through /_sim/merchants."""
        made = http.post(f"{base}/_sim/merchants", json={"gateway": "jkopay"}, timeout=10)
        made.raise_for_status()
        body = made.json()
        return cls(base, http, body["merchant_id"], body["hash_key"], body["hash_iv"])

    @property
    def tenant(self) -> str:
        """This store's tenant."""
        return f"jkopay-{self.store_id}"

    def post(self, path: str, body: dict[str, Any]) -> requests.Response:
        raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
        return self.http.post(f"{self.base}/jkopay{path}", data=raw, timeout=10, headers={
            "Content-Type": "application/json", "api-key": self.api_key,
            "digest": digest(self.secret_key, raw)})

    def entry(self, platform_order_id: str, price: int, **extra: Any) -> dict[str, Any]:
        return self.post("/platform/entry", {
            "platform_order_id": platform_order_id, "store_id": self.store_id,
            "currency": "TWD", "total_price": price, "final_price": price, "unredeem": 0,
            **extra}).json()

    def refund(self, platform_order_id: str, refund_order_id: str, amount: int
               ) -> dict[str, Any]:
        return self.post("/platform/refund", {
            "store_id": self.store_id, "platform_order_id": platform_order_id,
            "refund_order_id": refund_order_id, "refund_amount": amount,
            "currency": "TWD"}).json()

    def inquiry_get(self, *ids: str) -> dict[str, Any]:
        query = "platform_order_ids=" + ",".join(ids)
        return self.http.get(f"{self.base}/jkopay/platform/inquiry?{query}", timeout=10,
                             headers={"api-key": self.api_key,
                                      "digest": digest(self.secret_key, query.encode())}
                             ).json()

    def inquiry_post(self, platform_order_id: str) -> dict[str, Any]:
        return self.post("/platform/inquiry", {"store_id": self.store_id,
                                               "platform_order_id": platform_order_id}).json()

    def press(self, payment_url: str, button: str) -> requests.Response:
        parts = urllib.parse.urlsplit(payment_url)
        return self.http.post(f"{self.base}{parts.path}/{button}?{parts.query}", timeout=10,
                              allow_redirects=False)
