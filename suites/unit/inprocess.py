"""The whole simulator in the test process: `create_app` behind aiohttp's test client.

The contract and reliability layers drive a simulator subprocess, which in-process tools
(coverage, mutation testing) cannot see; these helpers give the unit layer the same HTTP
surface in milliseconds. Each test gets a fresh in-memory database and its own API key.
"""

from __future__ import annotations

import asyncio
import json
import urllib.parse
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestClient
from paylab.simulator.app import DOMAIN, ENGINE, create_app
from paylab.simulator.contracts import Contracts
from paylab.simulator.core.domain import Domain
from paylab.simulator.gateways.stripe.wire import tenant_for_key
from paylab.simulator.scenarios.engine import ScenarioEngine
from paylab.simulator.settings import Settings

KEY = "sk_test_inprocess_unit"
OTHER_KEY = "sk_test_inprocess_other"
#: Webhook retries 10, 20 and 40 virtual seconds after each failure.
RETRIES = (10.0, 20.0, 40.0)
SEED = 4242

Form = Mapping[str, Any] | list[tuple[str, Any]]
ClientFactory = Callable[..., Awaitable[TestClient]]
#: Every in-process answer takes milliseconds; one that takes seconds is a failure (a
#: server that broke after sending its headers would otherwise keep the test waiting).
CLIENT_TIMEOUT = aiohttp.ClientTimeout(total=3.0)


@dataclass
class Answer:
    """One HTTP answer: status, headers and body (JSON when it is JSON)."""

    status: int
    headers: Mapping[str, str]
    body: Any
    text: str = ""

    @property
    def error(self) -> dict[str, Any]:
        """The Stripe error object of an error answer."""
        return self.body["error"]


@dataclass
class Sim:
    """A running in-process simulator and the calls tests make on it."""

    client: TestClient
    app: web.Application
    key: str = KEY
    calls: list[str] = field(default_factory=list)

    @property
    def domain(self) -> Domain:
        """The simulator's domain (for ground truth the API does not show)."""
        return self.app[DOMAIN]

    @property
    def engine(self) -> ScenarioEngine:
        """The simulator's scenario engine."""
        return self.app[ENGINE]

    @property
    def tenant(self) -> str:
        """The tenant id of the default key."""
        return tenant_for_key(self.key)

    async def stripe(self, method: str, path: str, data: Form | None = None, *,
                     key: str | None = None, idempotency_key: str | None = None,
                     headers: Mapping[str, str] | None = None,
                     within: float | None = None) -> Answer:
        """A Stripe API call (`path` after `/stripe`), form-encoded as the SDKs send it;
        `within` seconds to answer (default: CLIENT_TIMEOUT)."""
        sent = {"Authorization": f"Bearer {key or self.key}", **(headers or {})}
        if idempotency_key is not None:
            sent["Idempotency-Key"] = idempotency_key
        pairs = _pairs(data or {})
        limit = {} if within is None else {"timeout": aiohttp.ClientTimeout(total=within)}
        if method in ("GET", "DELETE"):
            query = urllib.parse.urlencode(pairs)
            url = f"/stripe{path}" + (f"?{query}" if query else "")
            return await self._send(method, url, headers=sent, **limit)
        sent.setdefault("Content-Type", "application/x-www-form-urlencoded")
        return await self._send(method, f"/stripe{path}", headers=sent,
                                data=urllib.parse.urlencode(pairs), **limit)

    async def control(self, method: str, path: str, body: Any = None, *,
                      query: Mapping[str, Any] | None = None, raw: str | None = None) -> Answer:
        """A control API call (`path` after `/_sim`): JSON body, or `raw` text (YAML)."""
        url = f"/_sim{path}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        if raw is not None:
            return await self._send(method, url, data=raw)
        return await self._send(method, url, json=body)

    async def page(self, method: str, url: str, data: Form | None = None) -> Answer:
        """A browser request to a hosted page (`url` may be absolute); no redirects."""
        parts = urllib.parse.urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        if method == "GET":
            return await self._send("GET", target, allow_redirects=False)
        return await self._send("POST", target, allow_redirects=False,
                                data=urllib.parse.urlencode(_pairs(data or {})),
                                headers={"Content-Type": "application/x-www-form-urlencoded"})

    async def _send(self, method: str, url: str, **kwargs: Any) -> Answer:
        self.calls.append(f"{method} {url}")
        async with self.client.request(method, url, **kwargs) as response:
            text = await response.text()
            body: Any = text
            if response.content_type == "application/json" and text:
                try:
                    body = json.loads(text)
                except ValueError:  # a scenario's `malformed` fault: keep the text
                    body = text
            return Answer(response.status, response.headers, body, text)

    # -- shortcuts ------------------------------------------------------------------------
    async def pay(self, amount: int = 2000, currency: str = "usd", card: str = "pm_card_visa",
                  *, key: str | None = None, idempotency_key: str | None = None,
                  **extra: Any) -> Answer:
        """Create and confirm a PaymentIntent in one call."""
        return await self.stripe("POST", "/v1/payment_intents", {
            "amount": amount, "currency": currency, "payment_method": card, "confirm": "true",
            **extra}, key=key, idempotency_key=idempotency_key)

    async def events(self, **query: Any) -> list[dict[str, Any]]:
        """This tenant's events, newest first."""
        answer = await self.stripe("GET", "/v1/events", {"limit": 100, **query})
        assert answer.status == 200, answer.body
        return answer.body["data"]

    async def event_types(self) -> list[str]:
        """This tenant's event types, oldest first."""
        return [e["type"] for e in reversed(await self.events())]


def _pairs(data: Form) -> list[tuple[str, str]]:
    """Bracket notation as the Stripe SDKs send it: `metadata[k]=v`, `types[]=a`."""
    items = data if isinstance(data, list) else list(data.items())
    out: list[tuple[str, str]] = []
    for key, value in items:
        if isinstance(value, dict):
            out.extend(_pairs([(f"{key}[{k}]", v) for k, v in value.items()]))
        elif isinstance(value, list | tuple):
            for i, item in enumerate(value):
                if isinstance(item, dict):
                    out.extend(_pairs([(f"{key}[{i}][{k}]", v) for k, v in item.items()]))
                else:
                    out.append((f"{key}[]", _text(item)))
        else:
            out.append((key, _text(value)))
    return out


def _text(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


_CONTRACTS: list[Contracts] = []


def contracts() -> Contracts:
    """The contracts registry, loaded once per process (it takes a second)."""
    if not _CONTRACTS:
        _CONTRACTS.append(Contracts())
    return _CONTRACTS[0]


async def start(aiohttp_client: ClientFactory, **settings: Any) -> Sim:
    """A fresh simulator over an in-memory database, served by the test client."""
    options: dict[str, Any] = {"db": ":memory:", "seed": SEED, "retry_schedule": RETRIES,
                               "webhook_timeout": 2.0, **settings}
    app = create_app(Settings(**options), contracts())
    client = await aiohttp_client(app, timeout=CLIENT_TIMEOUT)
    return Sim(client, app)


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 10.0) -> None:
    """Wait until `check()` holds (background work: webhook deliveries, timers); it returns
    as soon as it holds, so the generous bound only lets a busy machine finish."""
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("the simulator did not get there in time")
        await asyncio.sleep(0.01)
