"""Webhook endpoints and deliveries of an in-process simulator to an in-process receiver:
signed bodies the `stripe` verifier accepts, fan-out by `enabled_events`, retries on the
schedule, redelivery, abandoning, and the attack probes."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import stripe
from aiohttp import web
from aiohttp.test_utils import TestServer
from paylab.suites.unit.inprocess import OTHER_KEY, ClientFactory, Sim, eventually, start

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]


@dataclass
class Receiver:
    """A merchant's webhook endpoint: records every POST, answers with `statuses` in turn
    (then 200)."""

    url: str = ""
    statuses: list[int] = field(default_factory=list)
    received: list[tuple[bytes, dict[str, str]]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append((await request.read(), dict(request.headers)))
        status = self.statuses.pop(0) if self.statuses else 200
        return web.json_response({"received": status < 300}, status=status)

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(body) for body, _ in self.received]


@pytest.fixture
async def sim(aiohttp_client: ClientFactory) -> Sim:
    return await start(aiohttp_client)


@pytest.fixture
async def receiver(aiohttp_server: ServerFactory) -> Receiver:
    hook = Receiver()
    app = web.Application()
    app.router.add_post("/hooks", hook.handle)
    server = await aiohttp_server(app)
    hook.url = str(server.make_url("/hooks"))
    return hook


async def endpoint(sim: Sim, url: str, events: list[str] | None = None,
                   **extra: Any) -> dict[str, Any]:
    answer = await sim.stripe("POST", "/v1/webhook_endpoints", {
        "url": url, "enabled_events": events or ["*"], **extra})
    assert answer.status == 200, answer.body
    return answer.body


async def deliveries(sim: Sim, **query: Any) -> list[dict[str, Any]]:
    answer = await sim.control("GET", "/webhooks", query={"tenant": sim.key, **query})
    assert answer.status == 200, answer.body
    return answer.body["deliveries"]


def settled(sim: Sim, count: int, status: str = "delivered") -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        rows = await deliveries(sim)
        return len(rows) == count and all(r["status"] == status for r in rows)

    return check


async def test_endpoints_are_created_with_a_secret_and_managed(sim: Sim) -> None:
    created = await endpoint(sim, "https://shop.example/hooks",
                             ["payment_intent.succeeded", "charge.succeeded"],
                             description="shop", metadata={"team": "pay"},
                             api_version="2024-06-20")
    assert created["id"].startswith("we_") and created["object"] == "webhook_endpoint"
    assert created["secret"].startswith("whsec_") and len(created["secret"]) == 6 + 32
    assert (created["status"], created["url"], created["description"]) == (
        "enabled", "https://shop.example/hooks", "shop")
    assert created["enabled_events"] == ["payment_intent.succeeded", "charge.succeeded"]
    assert (created["metadata"], created["api_version"]) == ({"team": "pay"}, "2024-06-20")
    path = f"/v1/webhook_endpoints/{created['id']}"
    fetched = (await sim.stripe("GET", path)).body
    assert "secret" not in fetched and fetched["url"] == created["url"]
    updated = (await sim.stripe("POST", path, {
        "url": "https://shop.example/v2", "disabled": "true", "enabled_events": ["*"],
        "metadata": {"team": "", "on_call": "mei"}, "description": "v2"})).body
    assert (updated["url"], updated["status"], updated["enabled_events"]) == (
        "https://shop.example/v2", "disabled", ["*"])
    assert (updated["metadata"], updated["description"]) == ({"on_call": "mei"}, "v2")
    enabled = (await sim.stripe("POST", path, {"disabled": "false"})).body
    assert enabled["status"] == "enabled"
    listed = (await sim.stripe("GET", "/v1/webhook_endpoints")).body
    assert [e["id"] for e in listed["data"]] == [created["id"]]
    assert "secret" not in listed["data"][0]
    second = await endpoint(sim, "https://shop.example/second")
    page = (await sim.stripe("GET", "/v1/webhook_endpoints", {"limit": 1})).body
    assert [e["id"] for e in page["data"]] == [second["id"]] and page["has_more"]
    deleted = (await sim.stripe("DELETE", path)).body
    assert deleted == {"id": created["id"], "object": "webhook_endpoint", "deleted": True}
    assert (await sim.stripe("GET", path)).status == 404
    assert (await sim.stripe("GET", path, key=OTHER_KEY)).status == 404


async def test_unknown_event_types_are_refused_by_position(sim: Sim) -> None:
    answer = await sim.stripe("POST", "/v1/webhook_endpoints", {
        "url": "https://shop.example/hooks",
        "enabled_events": ["charge.succeeded", "charge.exploded"]})
    assert answer.status == 400
    assert answer.error["param"] == "enabled_events[1]"
    assert answer.error["message"].startswith(
        "Invalid enabled_events[1]: must be one of *, payment_intent.created, ")
    created = await endpoint(sim, "https://shop.example/hooks")
    refused = await sim.stripe("POST", f"/v1/webhook_endpoints/{created['id']}",
                               {"enabled_events": ["nope"]})
    assert refused.error["param"] == "enabled_events[0]"


async def test_each_subscribed_event_arrives_signed_and_verifiable(sim: Sim,
                                                                  receiver: Receiver) -> None:
    hook = await endpoint(sim, receiver.url, ["payment_intent.succeeded",
                                              "charge.succeeded"])
    await endpoint(sim, receiver.url + "?other", ["refund.created"])
    pay = (await sim.pay(2000)).body
    await eventually(settled(sim, 2))
    assert sorted(e["type"] for e in receiver.events()) == [
        "charge.succeeded", "payment_intent.succeeded"]
    for body, headers in receiver.received:
        event = stripe.Webhook.construct_event(body.decode(), headers["Stripe-Signature"],
                                               hook["secret"])
        assert event["livemode"] is False
        assert headers["Content-Type"] == "application/json; charset=utf-8"
        assert headers["User-Agent"] == "Stripe/1.0 (+https://stripe.com/docs/webhooks)"
    succeeded = next(e for e in receiver.events() if e["type"] == "payment_intent.succeeded")
    assert succeeded["data"]["object"]["id"] == pay["id"]
    assert succeeded["data"]["object"]["status"] == "succeeded"
    assert succeeded["api_version"] == "2026-10-28.endive"
    rows = await deliveries(sim)
    assert all(r["attempt_count"] == 1 and r["attempts"][0]["status_code"] == 200
               for r in rows)
    assert all(r["endpoint_id"] == hook["id"] for r in rows)
    assert {r["event_id"] for r in rows} == {e["id"] for e in receiver.events()}
    journal = (await sim.control("GET", "/journal", query={"tenant": sim.key,
                                                           "direction": "out"})).body
    assert sorted(e["request_id"] for e in journal["entries"]) == sorted(
        r["event_id"] for r in rows)
    assert {e["status"] for e in journal["entries"]} == {200}
    health = (await sim.control("GET", "/health")).body
    assert health["webhook_backlog"] == 0


async def test_an_endpoint_pinned_to_an_api_version_gets_it(sim: Sim,
                                                           receiver: Receiver) -> None:
    await endpoint(sim, receiver.url, ["payment_intent.created"], api_version="2024-06-20")
    await sim.stripe("POST", "/v1/payment_intents", {"amount": 900, "currency": "usd"})
    await eventually(settled(sim, 1))
    assert receiver.events()[0]["api_version"] == "2024-06-20"


async def test_disabled_endpoints_and_other_tenants_get_nothing(sim: Sim,
                                                               receiver: Receiver) -> None:
    hook = await endpoint(sim, receiver.url)
    await sim.stripe("POST", f"/v1/webhook_endpoints/{hook['id']}", {"disabled": "true"})
    await sim.pay(2000)
    await sim.pay(2000, key=OTHER_KEY)
    assert await deliveries(sim) == []
    await sim.stripe("POST", f"/v1/webhook_endpoints/{hook['id']}", {"disabled": "false"})
    await sim.stripe("POST", "/v1/payment_intents", {"amount": 900, "currency": "usd"})
    await eventually(settled(sim, 1))
    assert [e["type"] for e in receiver.events()] == ["payment_intent.created"]


async def test_failures_are_retried_on_the_schedule_then_given_up(sim: Sim,
                                                                 receiver: Receiver) -> None:
    receiver.statuses = [500, 503, 500, 500]
    await endpoint(sim, receiver.url, ["payment_intent.created"])
    await sim.stripe("POST", "/v1/payment_intents", {"amount": 900, "currency": "usd"})

    async def attempts(n: int) -> Callable[[], Awaitable[bool]]:
        async def check() -> bool:
            rows = await deliveries(sim)
            return bool(rows) and rows[0]["attempt_count"] == n

        return check

    await eventually(await attempts(1))
    first = (await deliveries(sim))[0]
    assert first["status"] == "pending"
    assert first["next_attempt_at"] == pytest.approx(first["attempts"][0]["started"] + 10,
                                                     abs=1.5)
    for n, wait in ((2, 10), (3, 20), (4, 40)):
        await sim.control("POST", "/clock/advance", {"seconds": wait - 1})
        await eventually(await attempts(n - 1))
        await sim.control("POST", "/clock/advance", {"seconds": 1.5})
        await eventually(await attempts(n))
    given_up = (await deliveries(sim))[0]
    assert given_up["status"] == "failed" and given_up["next_attempt_at"] is None
    assert [a["status_code"] for a in given_up["attempts"]] == [500, 503, 500, 500]
    assert [a["n"] for a in given_up["attempts"]] == [1, 2, 3, 4]
    assert len(receiver.received) == 4
    assert (await deliveries(sim, status="failed"))[0]["id"] == given_up["id"]
    redelivered = await sim.control("POST", f"/webhooks/{given_up['id']}/redeliver")
    assert redelivered.body == {"id": given_up["id"], "status": "pending"}
    await eventually(settled(sim, 1))
    assert (await deliveries(sim))[0]["attempt_count"] == 5
    missing = await sim.control("POST", "/webhooks/99999/redeliver")
    assert missing.status == 404


async def test_an_unreachable_endpoint_records_the_error(sim: Sim) -> None:
    await endpoint(sim, "http://127.0.0.1:9/unreachable", ["payment_intent.created"])
    await sim.stripe("POST", "/v1/payment_intents", {"amount": 900, "currency": "usd"})

    async def attempted() -> bool:
        rows = await deliveries(sim)
        return bool(rows) and rows[0]["attempt_count"] == 1

    await eventually(attempted)
    attempt = (await deliveries(sim))[0]["attempts"][0]
    assert attempt["status_code"] is None and "Connect" in attempt["error"]


async def test_deliveries_to_a_deleted_endpoint_are_abandoned(sim: Sim,
                                                             receiver: Receiver) -> None:
    receiver.statuses = [500]
    hook = await endpoint(sim, receiver.url, ["payment_intent.created"])
    await sim.stripe("POST", "/v1/payment_intents", {"amount": 900, "currency": "usd"})

    async def attempted() -> bool:
        rows = await deliveries(sim)
        return bool(rows) and rows[0]["attempt_count"] == 1

    await eventually(attempted)
    await sim.stripe("DELETE", f"/v1/webhook_endpoints/{hook['id']}")
    await sim.control("POST", "/clock/advance", {"seconds": 11})
    await eventually(settled(sim, 1, "abandoned"))
    row = (await deliveries(sim))[0]
    assert row["attempts"][-1]["error"] == "endpoint deleted"
    probe = await sim.control("POST", f"/webhooks/{row['id']}/probe", {"attack": "replay"})
    assert probe.status == 409


@pytest.mark.parametrize(("attack", "verifies"), [
    ("replay", True), ("stale", False), ("future", True), ("tampered", False),
    ("wrong_secret", False), ("v0_only", False), ("missing_signature", False),
])
async def test_probes_send_one_attack_each(sim: Sim, receiver: Receiver, attack: str,
                                           verifies: bool) -> None:
    hook = await endpoint(sim, receiver.url, ["payment_intent.created"])
    await sim.stripe("POST", "/v1/payment_intents", {"amount": 900, "currency": "usd"})
    await eventually(settled(sim, 1))
    row = (await deliveries(sim))[0]
    probe = await sim.control("POST", f"/webhooks/{row['id']}/probe", {"attack": attack})
    assert probe.status == 200, probe.body
    assert probe.body["attack"] == attack and probe.body["status_code"] == 200
    assert len(receiver.received) == 2
    (original, first_headers), (body, headers) = receiver.received
    signature = headers.get("Stripe-Signature")
    assert (signature is not None) == (attack != "missing_signature")
    try:
        stripe.Webhook.construct_event(body.decode(), signature or "", hook["secret"])
        verified = True
    except stripe.SignatureVerificationError:
        verified = False
    assert verified == verifies
    if attack == "replay":
        assert (body, signature) == (original, first_headers["Stripe-Signature"])
    if attack == "tampered":
        assert json.loads(body)["data"]["object"]["amount"] == 1
    if attack in ("stale", "future"):
        stamp = int(signature.split(",")[0].removeprefix("t="))  # type: ignore[union-attr]
        sent = int(first_headers["Stripe-Signature"].split(",")[0].removeprefix("t="))
        assert abs(stamp - sent) == pytest.approx(3600, abs=5)
    assert (await deliveries(sim))[0]["attempt_count"] == 1
    assert (await sim.control("POST", "/webhooks/12345/probe", {"attack": attack})).status \
        == 404


async def test_every_kind_of_event_is_delivered_to_a_catch_all_endpoint(
        sim: Sim, receiver: Receiver) -> None:
    await endpoint(sim, receiver.url)
    held = (await sim.pay(2000, capture_method="manual")).body
    await sim.stripe("POST", f"/v1/payment_intents/{held['id']}/cancel")
    captured = (await sim.pay(2000, capture_method="manual")).body
    await sim.stripe("POST", f"/v1/payment_intents/{captured['id']}/capture")
    paid = (await sim.pay(2000)).body
    await sim.stripe("POST", "/v1/refunds", {"payment_intent": paid["id"], "amount": 500})
    await sim.pay(2000, card="pm_card_chargeDeclined")
    session = (await sim.stripe("POST", "/v1/checkout/sessions", {
        "success_url": "https://shop.example/ok", "amount": 1500, "currency": "usd"})).body
    await sim.page("POST", session["url"], {
        "cardnumber": "4242424242424242", "expiry": "12/40", "cvc": "123", "name": "Mei"})
    expired = (await sim.stripe("POST", "/v1/checkout/sessions", {
        "success_url": "https://shop.example/ok", "amount": 1500, "currency": "usd"})).body
    await sim.stripe("POST", f"/v1/checkout/sessions/{expired['id']}/expire")
    await load_review_rule(sim)
    await sim.pay(60000)
    emitted = sorted(await sim.event_types())
    assert {"charge.refunded", "checkout.session.completed", "checkout.session.expired",
            "review.opened", "refund.created", "payment_intent.canceled",
            "charge.captured"} <= set(emitted)

    async def all_sent() -> bool:
        return len(receiver.received) == len(emitted)

    await eventually(all_sent)
    assert sorted(e["type"] for e in receiver.events()) == emitted


async def load_review_rule(sim: Sim) -> None:
    answer = await sim.control("PUT", "/scenario", raw=json.dumps({"name": "r", "fraud": [
        {"name": "big", "amount_above": 50000, "action": "review"}]}))
    assert answer.status == 200, answer.body
