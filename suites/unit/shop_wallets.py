"""Helpers for the reference shop's wallet tests (LINE Pay, JKOPay, PayPal): the shop app
under aiohttp's test client, paying through a small fake of one wallet that runs as an
aiohttp test server (each test file brings its fake), and a cart checked out with it.

The fakes check what the shop sends with the project's own verifiers (the simulator's
signing functions), record it, and answer as the wallet's documents say.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from multidict import CIMultiDict
from paylab.shop.app import DB, create_app
from paylab.shop.db import ShopDB
from paylab.shop.gateway import Gateway
from paylab.shop.settings import ShopSettings

SHOP = "http://shop.test"


@dataclass
class Seen:
    """What a fake wallet received: (method, path, headers, raw body) per call."""

    calls: list[tuple[str, str, CIMultiDict[str], bytes]] = field(default_factory=list)

    async def record(self, request: web.Request) -> bytes:
        """Keep one request; its raw body."""
        body = await request.read()
        self.calls.append((request.method, request.path_qs, CIMultiDict(request.headers), body))
        return body

    def to(self, path: str) -> list[tuple[str, str, CIMultiDict[str], bytes]]:
        """The calls whose path (with query) starts with `path`."""
        return [c for c in self.calls if c[1].startswith(path)]


def raw_json(text: str, status: int = 200) -> web.Response:
    """A JSON answer written by hand (so a big integer stays a literal the test chose)."""
    return web.Response(status=status, text=text, content_type="application/json")


def answer(data: Any, status: int = 200) -> web.Response:
    """A JSON answer."""
    return raw_json(json.dumps(data), status)


async def wallet_shop(aiohttp_client: Callable[..., Awaitable[TestClient]],
                      aiohttp_server: Callable[..., Awaitable[TestServer]],
                      monkeypatch: pytest.MonkeyPatch, fake: web.Application,
                      **settings: Any) -> TestClient:
    """The shop app in memory, its wallets' bases on the `fake` server (mounted as the
    simulator mounts them: /linepay, /jkopay, /paypal), its card gateway out of reach."""
    async def unreachable(self: Gateway) -> str:
        raise ConnectionError("no card gateway in this test")

    monkeypatch.setattr(Gateway, "webhook_secret", unreachable)
    server = await aiohttp_server(fake)
    values = {"db": ":memory:", "api_key": "sk_test_unit_wallets",
              "gateway_url": str(server.make_url("")).rstrip("/"), "public_url": SHOP,
              **settings}
    return await aiohttp_client(create_app(ShopSettings(**values)))


def db_of(client: TestClient) -> ShopDB:
    """The shop's own database."""
    app: web.Application = client.app  # type: ignore[assignment]
    return app[DB]


async def check_out(client: TestClient, pay_with: str,
                    cart: tuple[tuple[str, int], ...] = (("alishan-oolong", 1),)
                    ) -> tuple[str, Any]:
    """Fill a cart and check out with a wallet; (order id, the checkout's answer)."""
    for product, quantity in cart:
        for _ in range(quantity):
            await client.post("/cart/add", data={"product": product}, allow_redirects=False)
    response = await client.post("/checkout", data={"pay_with": pay_with},
                                 allow_redirects=False)
    order = db_of(client).conn.execute(
        "SELECT id FROM orders ORDER BY created DESC, rowid DESC").fetchone()[0]
    return order, response


async def status(client: TestClient, order: str) -> tuple[str, int]:
    """(status, fulfilments) from the shop's status API."""
    found = await (await client.get(f"/orders/{order}/status")).json()
    return found["status"], found["fulfilments"]
