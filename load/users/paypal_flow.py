"""The PayPal load flow's requests and checks, without Locust (so the unit layer can drive
them in process; Locust's gevent patching cannot be imported there): an access token
(client credentials) -> create an order -> the buyer's Approve (the approval page's own
form post, the one request a browser makes after logging in) -> capture -> refund."""

from __future__ import annotations

import base64
import json
import urllib.parse
import uuid
from dataclasses import dataclass
from typing import Any

MOUNT = "/paypal"
TOKEN = MOUNT + "/v1/oauth2/token"
ORDERS = MOUNT + "/v2/checkout/orders"
BUYER = "sb-load-buyer@personal.example.com"


@dataclass(frozen=True)
class App:
    """A PayPal app registered for one load user."""

    client_id: str
    secret: str

    @classmethod
    def of(cls, registered: dict[str, Any]) -> App:
        """From the /_sim/merchants answer."""
        return cls(registered["merchant_id"], registered["hash_key"])

    def basic(self) -> dict[str, str]:
        """The token call's headers (HTTP Basic, a form body)."""
        credentials = base64.b64encode(f"{self.client_id}:{self.secret}".encode()).decode()
        return {"Authorization": f"Basic {credentials}",
                "Content-Type": "application/x-www-form-urlencoded"}


TOKEN_BODY = b"grant_type=client_credentials"


def bearer(access: str, request_id: str | None = None) -> dict[str, str]:
    """An API call's headers; a PayPal-Request-Id makes a retried POST safe."""
    headers = {"Authorization": f"Bearer {access}", "Content-Type": "application/json"}
    if request_id:
        headers["PayPal-Request-Id"] = request_id
    return headers


def order(amount: int) -> bytes:
    """A CAPTURE order of `amount` cents (USD)."""
    value = f"{amount // 100}.{amount % 100:02d}"
    return json.dumps({"intent": "CAPTURE", "purchase_units": [{
        "reference_id": f"load-{uuid.uuid4().hex[:12]}",
        "amount": {"currency_code": "USD", "value": value}}],
        "application_context": {"return_url": "https://shop.example/paypal/return",
                                 "cancel_url": "https://shop.example/paypal/cancel"}}).encode()


def _json(text: str) -> tuple[dict[str, Any] | None, str | None]:
    try:
        body = json.loads(text)
    except ValueError:
        return None, "not JSON"
    return (body, None) if isinstance(body, dict) else (None, "not a JSON object")


def token(text: str) -> tuple[str | None, str | None]:
    """(access token, None) or (None, what is wrong)."""
    body, problem = _json(text)
    if body is None:
        return None, problem
    access = body.get("access_token")
    return (access, None) if isinstance(access, str) and access else (None, "no access_token")


def created(text: str) -> tuple[tuple[str, str] | None, str | None]:
    """((order id, the path of the approval page's Approve post), None) or (None, why)."""
    body, problem = _json(text)
    if body is None:
        return None, problem
    if body.get("status") != "CREATED":
        return None, f"status {body.get('status')!r}, not CREATED"
    approve = next((x.get("href") for x in body.get("links", []) if x.get("rel") == "approve"),
                   None)
    if not approve:
        return None, "no approve link"
    parts = urllib.parse.urlsplit(approve)
    return (body["id"], f"{parts.path}/approve?{parts.query}"), None


def approved(status: int, location: str | None, order_id: str) -> str | None:
    """A check that Approve sent the browser back to return_url with the order's token."""
    if status != 303 or not location:
        return f"HTTP {status}, not a 303 back to the shop"
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
    return None if query.get("token") == order_id and query.get("PayerID") else (
        f"redirected to {location[:80]}")


def captured(text: str) -> tuple[str | None, str | None]:
    """(capture id, None) when the order is COMPLETED, or (None, what is wrong)."""
    body, problem = _json(text)
    if body is None:
        return None, problem
    if body.get("status") != "COMPLETED":
        issue = ((body.get("details") or [{}])[0]).get("issue")
        return None, f"status {body.get('status')!r} {issue or ''}".strip()
    try:
        return body["purchase_units"][0]["payments"]["captures"][0]["id"], None
    except (KeyError, IndexError, TypeError):
        return None, "no capture in the answer"


def refunded(text: str) -> str | None:
    """A check that the refund was made."""
    body, problem = _json(text)
    if body is None:
        return problem
    return None if body.get("status") == "COMPLETED" else f"refund status {body.get('status')!r}"
