"""LINE Pay Online API v3 for the shop, as gateways.md 3 documents: the signed headers,
the Request body built from the order, Confirm and payment details.

Every call is signed `Base64(HMAC-SHA256(secret, secret + path + body-or-query + nonce))`
with a fresh nonce; the path is the API's own (`/v3/payments/request`), never the prefix
of a base URL such as the simulator's `/linepay` mount. Answers come with HTTP 200 and a
`returnCode` even when LINE Pay refuses; `0000` is success.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import urllib.parse
import uuid
from typing import Any

from paylab.shop.wallets.http import Answer, Http, Unavailable, dumps

REQUEST = "/v3/payments/request"
DETAILS = "/v3/payments"
SUCCESS = "0000"
#: Check Payment Request Status answers (LINE Pay v3): the shopper has not approved yet
#: (`0000`, as SUCCESS), approved and ready to confirm, canceled or lapsed, failed, and
#: confirmed already.
CHECK_WAITING, CHECK_READY, CHECK_ENDED, CHECK_FAILED, CHECK_COMPLETE = \
    "0000", "0110", "0121", "0122", "0123"
#: LINE Pay's transactionId: a 19-digit integer (more digits than a double keeps).
TRANSACTION_ID = re.compile(r"[0-9]{1,20}")
#: What the shop tells the shopper for LINE Pay's refusals (appendix codes, gateways.md 3.5).
REFUSALS = {
    "1106": "LINE Pay did not accept the shop's credentials.",
    "1110": "The card chosen in LINE Pay cannot be used.",
    "1142": "The LINE Pay balance is too low.",
    "1145": "The payment is still in progress at LINE Pay.",
    "1150": "LINE Pay has no such payment (it may have expired).",
    "1153": "The amount LINE Pay holds differs from this order's.",
    "1159": "LINE Pay has no payment request for this order.",
    "1169": "The payment was not completed in LINE Pay.",
    "1172": "LINE Pay already has a payment under this order number.",
}


def signature(channel_secret: str, path: str, payload: str, nonce: str) -> str:
    """X-LINE-Authorization of a request to `path` with `payload` (the JSON body of a
    POST, the query string without `?` of a GET)."""
    message = f"{channel_secret}{path}{payload}{nonce}".encode()
    return base64.b64encode(hmac.new(channel_secret.encode(), message, hashlib.sha256)
                            .digest()).decode()


def headers(channel_id: str, channel_secret: str, path: str, payload: str,
            nonce: str | None = None) -> dict[str, str]:
    """The four headers of a signed call; a fresh UUID nonce unless one is given (LINE Pay
    refuses a nonce it has seen)."""
    nonce = nonce or str(uuid.uuid4())
    return {"Content-Type": "application/json", "X-LINE-ChannelId": channel_id,
            "X-LINE-Authorization-Nonce": nonce,
            "X-LINE-Authorization": signature(channel_secret, path, payload, nonce)}


def request_body(*, order_no: str, currency: str, lines: list[tuple[str, str, int, int]],
                 shop: str, confirm_url: str, cancel_url: str) -> dict[str, Any]:
    """The Request API body: one package of the cart's `lines` (id, name, quantity, unit
    price), whose amount is the sum of quantity x price, as is the payment's."""
    amount = sum(quantity * price for _, _, quantity, price in lines)
    products = [{"id": pid, "name": name[:4000], "quantity": quantity, "price": price}
                for pid, name, quantity, price in lines]
    return {"amount": amount, "currency": currency, "orderId": order_no,
            "packages": [{"id": "package-1", "amount": amount, "name": shop[:100],
                          "products": products}],
            "redirectUrls": {"confirmUrl": confirm_url, "cancelUrl": cancel_url}}


class LinePay:
    """The shop's LINE Pay client for one channel."""

    def __init__(self, http: Http, base: str, channel_id: str, channel_secret: str) -> None:
        self.http, self.base = http, base.rstrip("/")
        self.channel_id, self.channel_secret = channel_id, channel_secret

    async def _call(self, method: str, path: str, body: dict[str, Any] | None = None,
                    query: dict[str, str] | None = None) -> dict[str, Any]:
        """A signed call; its `{returnCode, returnMessage, info}`. Raises Unavailable when
        the answer is not LINE Pay's (HTTP other than 200, no returnCode)."""
        payload = dumps(body) if body is not None else urllib.parse.urlencode(query or {})
        url = self.base + path + (f"?{payload}" if body is None and payload else "")
        answer: Answer = await self.http.send(
            method, url, headers=headers(self.channel_id, self.channel_secret, path, payload),
            body=payload.encode() if body is not None else None)
        data = answer.data
        if answer.status != 200 or not isinstance(data, dict) or \
                not isinstance(data.get("returnCode"), str):
            raise Unavailable(f"LINE Pay {path}: HTTP {answer.status}")
        return data

    async def request(self, body: dict[str, Any]) -> dict[str, Any]:
        """Request API: the reservation and its paymentUrl."""
        return await self._call("POST", REQUEST, body)

    async def confirm(self, transaction_id: str, amount: int, currency: str
                      ) -> dict[str, Any]:
        """Confirm API with the shop's own amount and currency (never the browser's)."""
        if not TRANSACTION_ID.fullmatch(transaction_id):
            raise ValueError("not a LINE Pay transactionId")
        return await self._call("POST", f"/v3/payments/{transaction_id}/confirm",
                                {"amount": amount, "currency": currency})

    async def check(self, transaction_id: str) -> dict[str, Any]:
        """Check Payment Request Status API: where the shopper's approval stands (a GET
        with no query, so the signed payload is empty)."""
        if not TRANSACTION_ID.fullmatch(transaction_id):
            raise ValueError("not a LINE Pay transactionId")
        return await self._call("GET", f"/v3/payments/requests/{transaction_id}/check")

    async def details(self, transaction_id: str) -> dict[str, Any]:
        """Payment details API for one transaction."""
        return await self._call("GET", DETAILS, query={"transactionId": transaction_id})


def paid_in_details(answer: dict[str, Any], transaction_id: str, order_no: str,
                    amount: int, currency: str) -> bool:
    """Whether a payment details answer shows this transaction paid (captured) for the
    order's number, amount and currency: what the shop checks when Confirm says the
    transaction was confirmed already (an earlier confirm whose answer was lost)."""
    if answer.get("returnCode") != SUCCESS:
        return False
    for item in answer.get("info") or []:
        if not isinstance(item, dict) or str(item.get("transactionId")) != transaction_id:
            continue
        pay_info = item.get("payInfo") or []
        paid = sum(p.get("amount", 0) for p in pay_info if isinstance(p, dict))
        return (item.get("orderId") == order_no and item.get("currency", currency) == currency
                and item.get("transactionType", "PAYMENT") == "PAYMENT"
                and item.get("payStatus", "CAPTURE") == "CAPTURE"
                and bool(pay_info) and paid == amount)
    return False
