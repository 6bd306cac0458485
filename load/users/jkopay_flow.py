"""The JKOPay load flow's requests and checks, without Locust (so the unit layer can drive
them in process; Locust's gevent patching cannot be imported there): entry -> the
shopper's approval settled with `/_sim/payments/{id}/simulate` -> inquiry says paid ->
refund. Requests are signed as a merchant signs them (`api-key`, `digest`)."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

ENTRY, REFUND, INQUIRY = "/jkopay/platform/entry", "/jkopay/platform/refund", \
    "/jkopay/platform/inquiry"
_ORDER = re.compile(r"/jkopay/onlinepay/(ord_[A-Za-z0-9]+)")


@dataclass(frozen=True)
class Store:
    """A JKOPay store registered for one load user."""

    store_id: str
    secret_key: str
    api_key: str

    @classmethod
    def of(cls, registered: dict[str, Any]) -> Store:
        """From the /_sim/merchants answer."""
        return cls(registered["merchant_id"], registered["hash_key"], registered["hash_iv"])

    def headers(self, signed: bytes) -> dict[str, str]:
        """api-key and the digest of `signed` (a body, or a GET's query string)."""
        return {"Content-Type": "application/json", "api-key": self.api_key,
                "digest": hmac.new(self.secret_key.encode(), signed, hashlib.sha256).hexdigest()}


def order_no(prefix: str = "LJ") -> str:
    """A fresh platform_order_id."""
    return f"{prefix}-{uuid.uuid4().hex[:20]}"


def entry(store: Store, no: str, amount: int) -> tuple[bytes, dict[str, str]]:
    """The entry body and its headers."""
    body = json.dumps({"platform_order_id": no, "store_id": store.store_id,
                       "currency": "TWD", "total_price": amount, "final_price": amount,
                       "unredeem": 0}).encode()
    return body, store.headers(body)


def refund(store: Store, no: str, refund_no: str, amount: int) -> tuple[bytes, dict[str, str]]:
    """The refund body and its headers."""
    body = json.dumps({"platform_order_id": no, "refund_order_id": refund_no,
                       "refund_amount": amount, "store_id": store.store_id}).encode()
    return body, store.headers(body)


def inquiry(store: Store, no: str) -> tuple[str, dict[str, str]]:
    """The GET inquiry's path and headers (the digest covers the query string)."""
    query = "platform_order_ids=" + urllib.parse.quote(no, safe="")
    headers = store.headers(query.encode())
    del headers["Content-Type"]
    return f"{INQUIRY}?{query}", headers


def _envelope(text: str) -> tuple[dict[str, Any] | None, str | None]:
    try:
        body = json.loads(text)
    except ValueError:
        return None, "not JSON"
    if not isinstance(body, dict) or body.get("result") != "000":
        found = body.get("result") if isinstance(body, dict) else None
        return None, f"result {found!r}, not 000"
    return body, None


def order_of(text: str) -> tuple[str | None, str | None]:
    """(the order id behind the entry's payment_url, None) or (None, what is wrong)."""
    body, problem = _envelope(text)
    if body is None:
        return None, problem
    found = _ORDER.search(str((body.get("result_object") or {}).get("payment_url", "")))
    return (found.group(1), None) if found else (None, "no payment_url to an order")


def paid(no: str, amount: int) -> Callable[[str], str | None]:
    """A check that the inquiry says the order is paid (status 0) for `amount`."""
    def check(text: str) -> str | None:
        body, problem = _envelope(text)
        if body is None:
            return problem
        rows = body["result_object"].get("transactions") or []
        got = [(r.get("platform_order_id"), r.get("status"), r.get("final_price"))
               for r in rows]
        return None if got == [(no, 0, amount)] else f"transactions {got}, expected paid"
    return check


def refunded(amount: int) -> Callable[[str], str | None]:
    """A check that the refund answer refunded `amount`."""
    def check(text: str) -> str | None:
        body, problem = _envelope(text)
        if body is None:
            return problem
        got = (body.get("result_object") or {}).get("debit_amount")
        return None if got == amount else f"refunded {got}, expected {amount}"
    return check
