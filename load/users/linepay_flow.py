"""The LINE Pay load flow's requests and checks, without Locust (so the unit layer can drive
them in process; Locust's gevent patching cannot be imported there): request -> the
shopper's approval settled with `/_sim/payments/{id}/simulate` -> confirm -> refund. Each
request is signed as a merchant signs it (X-LINE-Authorization over the API path, the raw
body and a fresh nonce); answers are parsed with Python's json, so the 19-digit
transaction ids stay exact."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MOUNT = "/linepay"
REQUEST = "/v3/payments/request"
_RESERVE = re.compile(r"transactionReserveId=(ord_[A-Za-z0-9]+)")


@dataclass(frozen=True)
class Channel:
    """A LINE Pay channel registered for one load user."""

    channel_id: str
    secret: str

    @classmethod
    def of(cls, registered: dict[str, Any]) -> Channel:
        """From the /_sim/merchants answer."""
        return cls(registered["merchant_id"], registered["hash_key"])

    def signed(self, api_path: str, body: Any) -> tuple[str, bytes, dict[str, str]]:
        """(URL path, body bytes, signed headers) of one POST to `api_path`."""
        raw = json.dumps(body).encode()
        nonce = str(uuid.uuid4())
        message = (self.secret + api_path).encode() + raw + nonce.encode()
        signature = base64.b64encode(hmac.new(self.secret.encode(), message,
                                              hashlib.sha256).digest()).decode()
        return MOUNT + api_path, raw, {
            "Content-Type": "application/json", "X-LINE-ChannelId": self.channel_id,
            "X-LINE-Authorization-Nonce": nonce, "X-LINE-Authorization": signature}


def order_id(prefix: str = "LL") -> str:
    """A fresh orderId."""
    return f"{prefix}-{uuid.uuid4().hex[:20]}"


def request(channel: Channel, order: str, amount: int) -> tuple[str, bytes, dict[str, str]]:
    """The Request API call for one product of `amount` TWD."""
    return channel.signed(REQUEST, {
        "amount": amount, "currency": "TWD", "orderId": order,
        "packages": [{"id": "p1", "amount": amount,
                      "products": [{"name": "load tea", "quantity": 1, "price": amount}]}],
        "redirectUrls": {"confirmUrl": "https://shop.example/linepay/confirm",
                         "cancelUrl": "https://shop.example/linepay/cancel"}})


def confirm(channel: Channel, transaction_id: int, amount: int
            ) -> tuple[str, bytes, dict[str, str]]:
    """The Confirm API call."""
    return channel.signed(f"/v3/payments/{transaction_id}/confirm",
                          {"amount": amount, "currency": "TWD"})


def refund(channel: Channel, transaction_id: int, amount: int
           ) -> tuple[str, bytes, dict[str, str]]:
    """The Refund API call for `amount`."""
    return channel.signed(f"/v3/payments/{transaction_id}/refund", {"refundAmount": amount})


def _answer(text: str) -> tuple[dict[str, Any] | None, str | None]:
    try:
        body = json.loads(text)
    except ValueError:
        return None, "not JSON"
    if not isinstance(body, dict) or body.get("returnCode") != "0000":
        found = body.get("returnCode") if isinstance(body, dict) else None
        return None, f"returnCode {found!r}, not 0000"
    return body, None


def reserved(text: str) -> tuple[tuple[int, str] | None, str | None]:
    """((transactionId, the order id in paymentUrl.web), None) or (None, what is wrong)."""
    body, problem = _answer(text)
    if body is None:
        return None, problem
    info = body.get("info") or {}
    found = _RESERVE.search(str((info.get("paymentUrl") or {}).get("web", "")))
    tid = info.get("transactionId")
    if not isinstance(tid, int) or tid <= 2**53 or found is None:
        return None, "no 19-digit transactionId or no paymentUrl.web"
    return (tid, found.group(1)), None


def confirmed(transaction_id: int) -> Callable[[str], str | None]:
    """A check that the confirm paid this transaction."""
    def check(text: str) -> str | None:
        body, problem = _answer(text)
        if body is None:
            return problem
        got = (body.get("info") or {}).get("transactionId")
        return None if got == transaction_id else f"confirmed {got}, expected {transaction_id}"
    return check


def refunded(text: str) -> str | None:
    """A check that the refund was made (a refundTransactionId came back)."""
    body, problem = _answer(text)
    if body is None:
        return problem
    got = (body.get("info") or {}).get("refundTransactionId")
    return None if isinstance(got, int) else "no refundTransactionId"
