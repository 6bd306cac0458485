"""Helpers for the reference shop's ECPay and NewebPay tests: the shop app alone under
aiohttp's test client, a cart checked out on a form-post rail, and the form it answered.

The shop's card gateway is never reached: its start-up registration of the webhook
endpoint is made to fail at once (it only logs), so these tests need no simulator.
"""

from __future__ import annotations

import html
import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from paylab.shop.app import DB, create_app
from paylab.shop.db import ShopDB
from paylab.shop.gateway import Gateway
from paylab.shop.settings import ShopSettings

GATEWAY = "http://127.0.0.1:9"  # discard port: nothing answers, nothing is reached
SETTINGS = ShopSettings(db=":memory:", api_key="sk_test_unit_formpost", gateway_url=GATEWAY,
                        public_url="http://shop.test")
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]*)" value="([^"]*)">')
_ACTION = re.compile(r'<form id="gateway-form" method="post" action="([^"]*)"')
_ORDER = re.compile(r'data-testid="gateway-redirect" data-order="([^"]*)"')


async def shop_client(aiohttp_client: Callable[..., Awaitable[TestClient]],
                      monkeypatch: pytest.MonkeyPatch) -> TestClient:
    """The shop app, in memory, its card gateway out of reach."""
    async def unreachable(self: Gateway) -> str:
        raise ConnectionError("no card gateway in this test")

    monkeypatch.setattr(Gateway, "webhook_secret", unreachable)
    return await aiohttp_client(create_app(SETTINGS))


def db_of(client: TestClient) -> ShopDB:
    """The shop's own database."""
    app: web.Application = client.app  # type: ignore[assignment]
    return app[DB]


async def checkout(client: TestClient, pay_with: str, product: str = "alishan-oolong",
                   quantity: int = 1) -> dict[str, Any]:
    """Fill a cart and check out with `pay_with`; returns the order id, the payment
    form's action and fields, and the page's response."""
    for _ in range(quantity):
        await client.post("/cart/add", data={"product": product}, allow_redirects=False)
    answer = await client.post("/checkout", data={"pay_with": pay_with},
                               allow_redirects=False)
    text = await answer.text()
    assert answer.status == 200, text[:300]
    action, order = _ACTION.search(text), _ORDER.search(text)
    assert action and order, text[:500]
    fields = {html.unescape(k): html.unescape(v) for k, v in _HIDDEN.findall(text)}
    return {"order": html.unescape(order.group(1)), "action": html.unescape(action.group(1)),
            "fields": fields, "response": answer, "text": text}


async def status(client: TestClient, order: str) -> dict[str, Any]:
    """The order's status API: status and fulfilment count."""
    answer = await client.get(f"/orders/{order}/status")
    return await answer.json()


async def order_page(client: TestClient, order: str) -> str:
    """The order page's HTML."""
    answer = await client.get(f"/orders/{order}")
    assert answer.status == 200
    return await answer.text()
