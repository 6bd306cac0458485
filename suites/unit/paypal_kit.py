"""PayPal calls for the in-process tests: an access token for the stage app, JSON API
calls with it, a standard order body and the buyer's approval through the pages."""

from __future__ import annotations

import base64
import re
import urllib.parse
from typing import Any

from paylab.simulator.gateways.paypal import pages
from paylab.suites.unit.inprocess import Answer, Sim

#: The stage app of simulator/core/data/stage_merchants.yaml.
CLIENT_ID = "paylab-sandbox-client-0001"
SECRET = "EPaylabSandboxSecretForTheOutOfTheBoxClient0000000000000000000000000000000000001"
TENANT = f"paypal-{CLIENT_ID}"


def basic(client_id: str = CLIENT_ID, secret: str = SECRET) -> str:
    """An HTTP Basic header value."""
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


async def token(sim: Sim, client_id: str = CLIENT_ID, secret: str = SECRET) -> Answer:
    """POST /v1/oauth2/token as the SDK sends it."""
    return await sim._send("POST", "/paypal/v1/oauth2/token", data="grant_type=client_credentials",
                           headers={"Authorization": basic(client_id, secret),
                                    "Content-Type": "application/x-www-form-urlencoded"})


async def bearer(sim: Sim) -> str:
    """A fresh access token for the stage app."""
    answer = await token(sim)
    assert answer.status == 200, answer.body
    return answer.body["access_token"]


async def api(sim: Sim, access: str, method: str, path: str, body: Any = None, *,
              headers: dict[str, str] | None = None, raw: bytes | None = None) -> Answer:
    """A PayPal REST call (`path` after /paypal) with a JSON body."""
    sent = {"Authorization": f"Bearer {access}", "Content-Type": "application/json",
            **(headers or {})}
    if raw is not None:
        return await sim._send(method, f"/paypal{path}", data=raw, headers=sent)
    if body is None and method in ("GET", "DELETE"):
        return await sim._send(method, f"/paypal{path}", headers=sent)
    return await sim._send(method, f"/paypal{path}", json=body if body is not None else {},
                           headers=sent)


def order_body(value: str = "10.00", currency: str = "USD", intent: str = "CAPTURE",
               **unit: Any) -> dict[str, Any]:
    """A one-unit order with return and cancel URLs."""
    return {"intent": intent,
            "purchase_units": [{"amount": {"currency_code": currency, "value": value},
                                **unit}],
            "application_context": {"return_url": "https://shop.example/return",
                                    "cancel_url": "https://shop.example/cancel",
                                    "brand_name": "paylab shop"}}


async def create(sim: Sim, access: str, **kwargs: Any) -> dict[str, Any]:
    """A created order (201 asserted)."""
    answer = await api(sim, access, "POST", "/v2/checkout/orders", order_body(**kwargs))
    assert answer.status == 201, answer.body
    return answer.body


def link(resource: dict[str, Any], rel: str) -> str:
    """The href of a resource's link `rel`."""
    return next(item["href"] for item in resource["links"] if item["rel"] == rel)


def action(html: str, testid: str) -> str:
    """The action of the form with `data-testid`."""
    match = re.search(r'<form method="post" action="([^"]+)" data-testid="' + testid, html)
    assert match, f"no form {testid}"
    return match.group(1).replace("&amp;", "&")


async def approve(sim: Sim, order: dict[str, Any], email: str = pages.SANDBOX_EMAIL) -> Answer:
    """Open the approve link, log in, Approve: the redirect answer."""
    rel = "approve" if any(x["rel"] == "approve" for x in order["links"]) else "payer-action"
    shown = await sim.page("GET", link(order, rel))
    assert shown.status == 200, shown.text
    review = await sim.page("POST", action(shown.text, "paypal-login-form"),
                            {"email": email, "password": pages.SANDBOX_PASSWORD})
    assert review.status == 200, review.text
    return await sim.page("POST", action(review.text, "paypal-approve-form"), {"email": email})


def redirect_query(answer: Answer) -> dict[str, str]:
    """The query of a redirect's Location."""
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(answer.headers["Location"]).query))
