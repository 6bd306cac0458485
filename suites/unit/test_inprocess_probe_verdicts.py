"""A probe says what the receiver's answer means: an attack it accepted (2xx) makes it
vulnerable, one it refused (4xx) safe, a 5xx, redirect or no answer an error (with why);
a genuine delivery accepted is ok. A replay inside the signature tolerance may be
acknowledged by an idempotent receiver, so that is told apart from a vulnerability."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from paylab.simulator.webhooks.verdict import judge
from paylab.suites.unit.inprocess import ClientFactory, Sim, eventually, start

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]
FORGERIES = ("tampered", "stale", "wrong_secret", "future", "v0_only", "missing_signature")


@dataclass
class Receiver:
    """Answers 200 to the real delivery, then `answer` to each probe."""

    url: str = ""
    answer: int = 200
    hang: float = 0.0
    calls: list[bytes] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        self.calls.append(await request.read())
        if len(self.calls) == 1:
            return web.json_response({"received": True})
        if self.hang:
            await asyncio.sleep(self.hang)
        return web.json_response({"probe": True}, status=self.answer)


@pytest.fixture
async def sim(aiohttp_client: ClientFactory) -> Sim:
    return await start(aiohttp_client, webhook_timeout=0.5)


@pytest.fixture
async def receiver(aiohttp_server: ServerFactory) -> Receiver:
    hook = Receiver()
    app = web.Application()
    app.router.add_post("/hooks", hook.handle)
    hook.url = str((await aiohttp_server(app)).make_url("/hooks"))
    return hook


async def delivered(sim: Sim, url: str) -> int:
    answer = await sim.stripe("POST", "/v1/webhook_endpoints", {
        "url": url, "enabled_events": ["payment_intent.created"]})
    assert answer.status == 200, answer.body
    await sim.stripe("POST", "/v1/payment_intents", {"amount": 900, "currency": "usd"})

    async def done() -> bool:
        rows = (await sim.control("GET", "/webhooks", query={"tenant": sim.key})).body
        return bool(rows["deliveries"]) and rows["deliveries"][0]["status"] == "delivered"

    await eventually(done)
    rows = (await sim.control("GET", "/webhooks", query={"tenant": sim.key})).body
    return rows["deliveries"][0]["id"]


async def probe(sim: Sim, delivery: int, attack: str) -> dict[str, Any]:
    answer = await sim.control("POST", f"/webhooks/{delivery}/probe", {"attack": attack})
    assert answer.status == 200, answer.body
    body = answer.body
    assert {"delivery", "attack", "status_code", "response", "error", "verdict",
            "reason"} <= set(body)  # the old fields stay
    return body


@pytest.mark.parametrize(("answer", "verdict"), [(200, "vulnerable"), (204, "vulnerable"),
                                                 (400, "safe"), (401, "safe"),
                                                 (500, "error"), (503, "error")])
@pytest.mark.parametrize("attack", FORGERIES)
async def test_forged_deliveries_are_judged_by_the_answer(sim: Sim, receiver: Receiver,
                                                          attack: str, answer: int,
                                                          verdict: str) -> None:
    delivery = await delivered(sim, receiver.url)
    receiver.answer = answer
    result = await probe(sim, delivery, attack)
    assert result["status_code"] == answer and result["verdict"] == verdict, result
    assert str(answer) in result["reason"]


async def test_no_answer_is_an_error_saying_why(sim: Sim, receiver: Receiver) -> None:
    delivery = await delivered(sim, receiver.url)
    receiver.hang = 2.0
    result = await probe(sim, delivery, "tampered")
    assert result["status_code"] is None and result["verdict"] == "error"
    assert "no answer" in result["reason"] and "0.5" in result["reason"]


@pytest.mark.parametrize(("answer", "verdict"), [(200, "ok"), (400, "rejected"),
                                                 (500, "error")])
async def test_a_genuine_delivery_accepted_is_ok(sim: Sim, receiver: Receiver, answer: int,
                                                 verdict: str) -> None:
    delivery = await delivered(sim, receiver.url)
    receiver.answer = answer
    result = await probe(sim, delivery, "genuine")
    assert result["verdict"] == verdict and result["attack"] == "genuine", result


async def test_a_replay_refused_is_safe_and_one_acknowledged_in_time_is_told_apart(
        sim: Sim, receiver: Receiver) -> None:
    delivery = await delivered(sim, receiver.url)
    receiver.answer = 409
    assert (await probe(sim, delivery, "replay"))["verdict"] == "safe"
    receiver.answer = 200
    acknowledged = await probe(sim, delivery, "replay")
    assert acknowledged["verdict"] == "acknowledged"
    assert "twice" in acknowledged["reason"]


@pytest.mark.parametrize(("attack", "status", "age", "verdict"), [
    ("replay", 200, 301, "vulnerable"), ("replay", 200, 10, "acknowledged"),
    ("replay", 200, None, "acknowledged"), ("replay", 400, 301, "safe"),
    ("stale", 302, None, "error"), ("wrong_secret", None, None, "error"),
    ("genuine", 204, None, "ok"), ("genuine", 404, None, "rejected"),
])
def test_the_verdict_table(attack: str, status: int | None, age: float | None,
                           verdict: str) -> None:
    assert judge(attack, status, "Timeout" if status is None else None, age)[0] == verdict
