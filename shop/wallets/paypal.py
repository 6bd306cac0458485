"""PayPal Orders v2 for the shop: an OAuth2 client-credentials token (cached until it
expires), create an order, capture it (idempotent by PayPal-Request-Id), register the
shop's webhook and verify what arrives there by asking PayPal (POST
/v1/notifications/verify-webhook-signature), as a PayPal merchant does.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Callable, Iterator, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from paylab.shop.wallets.http import Answer, Http, Unavailable, dumps, loads

ORDERS = "/v2/checkout/orders"
WEBHOOKS = "/v1/notifications/webhooks"
VERIFY = "/v1/notifications/verify-webhook-signature"
#: The events the shop's webhook asks for.
#: An approval lets the shop capture when the shopper's browser never comes back.
EVENTS = ("CHECKOUT.ORDER.APPROVED", "PAYMENT.CAPTURE.COMPLETED", "PAYMENT.CAPTURE.DENIED")
#: The transmission headers PayPal signs a webhook with (read case-insensitively).
TRANSMISSION = {"auth_algo": "PAYPAL-AUTH-ALGO", "cert_url": "PAYPAL-CERT-URL",
                "transmission_id": "PAYPAL-TRANSMISSION-ID",
                "transmission_sig": "PAYPAL-TRANSMISSION-SIG",
                "transmission_time": "PAYPAL-TRANSMISSION-TIME"}
#: Currencies PayPal takes without decimals.
WHOLE = {"JPY", "HUF", "TWD"}
#: Refresh a token this many seconds before PayPal says it expires.
MARGIN = 60.0


def value_of(amount: int, currency: str) -> str:
    """PayPal's decimal `value` for `amount` minor units (cents) of `currency`; a
    zero-decimal currency is rounded half up to whole units (JPY has no minor unit)."""
    code = currency.upper()
    if code == "JPY":
        return str(amount)
    units = Decimal(amount) / 100
    whole = units.to_integral_value(rounding=ROUND_HALF_UP)
    return str(int(whole)) if code in WHOLE else f"{units:.2f}"


def order_body(*, reference: str, order_id: str, currency: str,
               lines: list[tuple[str, int, int]], shop: str, return_url: str,
               cancel_url: str) -> dict[str, Any]:
    """Create-order body, intent CAPTURE: one purchase unit of the cart's `lines` (name,
    quantity, unit price in minor units), its item total equal to its amount."""
    code = currency.upper()
    total = value_of(sum(q * p for _, q, p in lines), code)
    items = [{"name": name[:127], "quantity": str(quantity),
              "unit_amount": {"currency_code": code, "value": value_of(price, code)}}
             for name, quantity, price in lines]
    return {"intent": "CAPTURE", "purchase_units": [{
        "reference_id": "default", "invoice_id": reference, "custom_id": order_id,
        "description": f"{shop} order {order_id}"[:127],
        "amount": {"currency_code": code, "value": total,
                   "breakdown": {"item_total": {"currency_code": code, "value": total}}},
        "items": items}],
        "payment_source": {"paypal": {"experience_context": {
            "return_url": return_url, "cancel_url": cancel_url, "brand_name": shop[:127],
            "user_action": "PAY_NOW", "shipping_preference": "NO_SHIPPING"}}}}


def approval_url(order: Mapping[str, Any]) -> str | None:
    """Where the buyer approves: the `payer-action` link (payment_source) or `approve`."""
    links = {link.get("rel"): link.get("href") for link in order.get("links") or []
             if isinstance(link, dict)}
    url = links.get("payer-action") or links.get("approve")
    return url if isinstance(url, str) else None


def captures(order: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Every capture of an order (purchase_units[].payments.captures[])."""
    for unit in order.get("purchase_units") or []:
        if isinstance(unit, dict):
            for each in (unit.get("payments") or {}).get("captures") or []:
                if isinstance(each, dict):
                    yield each


def issues(answer: Answer) -> set[str]:
    """The `issue`s of a PayPal error body (ORDER_ALREADY_CAPTURED, INSTRUMENT_DECLINED...)."""
    data = answer.data if isinstance(answer.data, dict) else {}
    return {str(d.get("issue")) for d in data.get("details") or [] if isinstance(d, dict)}


class PayPal:
    """The shop's PayPal client for one REST app."""

    def __init__(self, http: Http, base: str, client_id: str, client_secret: str,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.http, self.base = http, base.rstrip("/")
        # HTTP Basic by hand: aiohttp's BasicAuth is deprecated
        self._basic = "Basic " + base64.b64encode(
            f"{client_id}:{client_secret}".encode()).decode()
        self._clock = clock
        self._token: tuple[str, float] | None = None
        self._lock = asyncio.Lock()
        self._webhook: str | None = None

    async def token(self) -> str:
        """An access token, from the cache while it lives (one fetch at a time)."""
        async with self._lock:
            if self._token is not None and self._clock() < self._token[1]:
                return self._token[0]
            answer = await self.http.send(
                "POST", self.base + "/v1/oauth2/token", body=b"grant_type=client_credentials",
                headers={"Authorization": self._basic,
                         "Content-Type": "application/x-www-form-urlencoded",
                         "Accept": "application/json"})
            data = answer.data if isinstance(answer.data, dict) else {}
            token, lifetime = data.get("access_token"), data.get("expires_in")
            if answer.status != 200 or not isinstance(token, str) or \
                    not isinstance(lifetime, int):
                raise Unavailable(f"PayPal token: HTTP {answer.status}")
            self._token = (token, self._clock() + max(lifetime - MARGIN, lifetime / 2))
            return token

    async def call(self, method: str, path: str, body: Any = None, *,
                   request_id: str | None = None, raw: bytes | None = None) -> Answer:
        """An API call with the Bearer token; one retry with a new token on 401 (PayPal
        revoked it, or it expired early)."""
        payload = raw if raw is not None else None if body is None else dumps(body).encode()
        for attempt in (1, 2):
            headers = {"Authorization": f"Bearer {await self.token()}",
                       "Content-Type": "application/json", "Accept": "application/json",
                       "Prefer": "return=representation"}
            if request_id:
                headers["PayPal-Request-Id"] = request_id
            answer = await self.http.send(method, self.base + path, headers=headers,
                                          body=payload)
            if answer.status != 401 or attempt == 2:
                return answer
            self._token = None
        raise AssertionError("unreachable")

    async def create_order(self, body: dict[str, Any], request_id: str) -> Answer:
        """POST /v2/checkout/orders."""
        return await self.call("POST", ORDERS, body, request_id=request_id)

    async def capture(self, order_id: str, request_id: str) -> Answer:
        """Capture an approved order; the same `request_id` gets the same answer."""
        return await self.call("POST", f"{ORDERS}/{order_id}/capture", {},
                               request_id=request_id)

    async def order(self, order_id: str) -> Answer:
        """GET an order."""
        return await self.call("GET", f"{ORDERS}/{order_id}")

    async def webhook_id(self, url: str) -> str:
        """The id of the shop's webhook at `url`, registering it if PayPal has none."""
        if self._webhook is not None:
            return self._webhook
        listed = await self.call("GET", WEBHOOKS)
        found = [w for w in ((listed.data or {}).get("webhooks") or [])
                 if isinstance(w, dict) and w.get("url") == url] \
            if listed.status == 200 and isinstance(listed.data, dict) else []
        if found:
            self._webhook = str(found[0]["id"])
            return self._webhook
        made = await self.call("POST", WEBHOOKS, {
            "url": url, "event_types": [{"name": name} for name in EVENTS]})
        if made.status not in (200, 201) or not isinstance(made.data, dict) or \
                not made.data.get("id"):
            raise Unavailable(f"PayPal webhook registration: HTTP {made.status}")
        self._webhook = str(made.data["id"])
        return self._webhook

    def forget_webhook(self) -> None:
        """Look the webhook up again next time (PayPal no longer knows the id)."""
        self._webhook = None

    async def verify(self, headers: Mapping[str, str], body: bytes, webhook_id: str) -> bool:
        """Whether PayPal says it sent `body` with these transmission headers to the
        webhook `webhook_id`. The event goes back byte for byte (spliced into the request,
        never re-serialised), so nothing it holds changes on the way.

        False without asking when a transmission header is missing or empty (PayPal sends
        all five), and when PayPal refuses to check the headers given (400: they are not
        what it sends): the receiver then answers a forgery 400, not the 503 that means
        "PayPal could not be asked, send it again"."""
        fields = {name: headers.get(header, "") for name, header in TRANSMISSION.items()}
        if not all(fields.values()):
            return False
        text = dumps({**fields, "webhook_id": webhook_id})
        raw = text[:-1].encode() + b',"webhook_event":' + body + b"}"
        answer = await self.call("POST", VERIFY, raw=raw)
        if answer.status == 404:
            self.forget_webhook()
        if answer.status == 400:
            return False
        if answer.status != 200 or not isinstance(answer.data, dict):
            raise Unavailable(f"PayPal webhook verification: HTTP {answer.status}")
        return answer.data.get("verification_status") == "SUCCESS"


def event_of(body: bytes) -> dict[str, Any] | None:
    """A webhook body as an event object, or None when it is not one."""
    try:
        event = loads(body)
    except ValueError:  # not JSON, not UTF-8, or nested past the parser's depth
        return None
    return event if isinstance(event, dict) else None
