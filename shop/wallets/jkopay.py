"""JKOPay OnlinePay for the shop, as gateways.md 4 documents: the `digest` signature, the
Entry body built from the order, the inquiry, and reading the result_url callback.

Every call carries `api-key` and `digest` = lower-case hex HMAC-SHA256 of the raw body
(of the query string for a GET) keyed with the store's secret key. Our reading, as the
simulator's: JKOPay signs its result_url callback the same way, over the body it posts.
"""

from __future__ import annotations

import hashlib
import hmac
import urllib.parse
from decimal import Decimal, InvalidOperation
from typing import Any

from paylab.shop.wallets.http import Http, Unavailable, dumps

ENTRY = "/platform/entry"
INQUIRY = "/platform/inquiry"
SUCCESS = "000"
#: Order status codes of the callback and the inquiry.
PAID, PROCESSING, NOT_PAID = "0", "1", "101"


def digest(secret_key: str, payload: bytes) -> str:
    """The `digest` header of `payload`."""
    return hmac.new(secret_key.encode(), payload, hashlib.sha256).hexdigest()


def verify(secret_key: str, payload: bytes, given: str | None) -> bool:
    """Whether `given` is the digest of `payload` (constant-time compare)."""
    return hmac.compare_digest(digest(secret_key, payload).encode(),
                               (given or "").encode("utf-8", "replace"))


def entry_body(*, order_no: str, store_id: str, amount: int,
               lines: list[tuple[str, int, int]], result_url: str,
               result_display_url: str) -> dict[str, Any]:
    """The Entry API body for an order of `amount` TWD; `lines` are (name, quantity, unit
    price). Nothing is redeemable (`unredeem` = the whole price)."""
    products = [{"name": name[:100], "unit_count": quantity, "unit_price": price,
                 "unit_final_price": price} for name, quantity, price in lines]
    return {"platform_order_id": order_no, "store_id": store_id, "currency": "TWD",
            "total_price": amount, "final_price": amount, "unredeem": amount,
            "result_url": result_url, "result_display_url": result_display_url,
            "products": products}


class JKOPay:
    """The shop's JKOPay client for one store."""

    def __init__(self, http: Http, base: str, secret_key: str, api_key: str) -> None:
        self.http, self.base = http, base.rstrip("/")
        self.secret_key, self.api_key = secret_key, api_key

    def _headers(self, payload: bytes) -> dict[str, str]:
        return {"Content-Type": "application/json", "api-key": self.api_key,
                "digest": digest(self.secret_key, payload)}

    async def entry(self, body: dict[str, Any]) -> dict[str, Any]:
        """Entry API: `{result, message, result_object{payment_url, ...}}`."""
        payload = dumps(body).encode()
        answer = await self.http.send("POST", self.base + ENTRY, body=payload,
                                      headers=self._headers(payload))
        return _result(answer.data, ENTRY, answer.status)

    async def inquiry(self, order_no: str) -> dict[str, Any] | None:
        """The inquiry's transaction for one order (GET form, the query signed), or None
        when JKOPay has none."""
        query = urllib.parse.urlencode({"platform_order_ids": order_no})
        answer = await self.http.send("GET", f"{self.base}{INQUIRY}?{query}",
                                      headers=self._headers(query.encode()))
        data = _result(answer.data, INQUIRY, answer.status)
        if data.get("result") != SUCCESS:
            return None
        found = (data.get("result_object") or {}).get("transactions") or []
        return next((t for t in found if isinstance(t, dict)
                     and t.get("platform_order_id") == order_no), None)


def _result(data: Any, path: str, status: int) -> dict[str, Any]:
    if not isinstance(data, dict) or not isinstance(data.get("result"), str):
        raise Unavailable(f"JKOPay {path}: HTTP {status}, no result")
    return data


def amount_of(value: Any) -> int | None:
    """A whole TWD amount from JSON (an integer, an integral decimal, or its text), else
    None."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return int(number) if number.is_finite() and number == number.to_integral_value() \
        else None
