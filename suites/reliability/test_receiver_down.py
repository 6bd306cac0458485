"""The merchant's endpoint fails (500s, then timeouts) for a while, then recovers: every
event is delivered, and each delivery's attempts follow the retry schedule exactly, the
default one included. Stripe does not promise delivery order, so none is asserted.

Each test runs a simulator of its own whose virtual clock stands still and is moved only
by POST /_sim/clock/advance (see suites.plugins.standing_clock.py): the receiver's outage
is a phase the test switches, not a stretch of wall-clock time, and the delays are read
from the due times the outbox records, so they are exact on any machine."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import requests
from aiohttp import web
from paylab.suites.plugins.evidence import Figures
from paylab.suites.plugins.simulator import stop_simulator
from paylab.suites.plugins.standing_clock import (
    StandingClock,
    assert_delays,
    start_with_standing_clock,
)
from paylab.suites.plugins.webhook_sink import Received, WebhookSink

SCHEDULE = (1, 2, 4, 8, 16, 32)  # virtual seconds
#: Standard Webhooks' schedule, the documented default: 5 s, 5 min, 30 min, 2 h, 5 h,
#: 10 h, 14 h, 20 h, 24 h.
DEFAULT_SCHEDULE = [5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400]
EVENTS = 10


def subscribe_and_create(stripe_url: str, sink: WebhookSink, count: int) -> tuple[str, list[str]]:
    """A fresh tenant with an endpoint at `sink` and `count` new payments; returns its key
    and the payments' ids."""
    key = f"sk_test_down_{uuid.uuid4().hex[:8]}"
    headers = {"Authorization": f"Bearer {key}"}
    requests.post(f"{stripe_url}/v1/webhook_endpoints", headers=headers, timeout=10,
                  data={"url": f"{sink.url}/hook",
                        "enabled_events[0]": "payment_intent.created"}).raise_for_status()
    created = []
    for i in range(count):
        answer = requests.post(f"{stripe_url}/v1/payment_intents", headers=headers,
                               data={"amount": 1000 + i, "currency": "usd"}, timeout=10)
        answer.raise_for_status()
        created.append(answer.json()["id"])
    return key, created


def test_every_event_arrives_after_the_receiver_recovers(tmp_path: Path,
                                                         webhook_sink: WebhookSink,
                                                         figures: Figures) -> None:
    """Two rounds of 500s, one of timeouts, then 200s: four attempts per event, retried
    after exactly 1, 2 and 4 virtual seconds."""
    phase = {"answer": "500"}

    async def receiver(request: web.Request) -> web.Response:
        body = await request.read()
        answer = phase["answer"]
        if answer == "slow":
            await asyncio.sleep(2.5)  # longer than the simulator's 1 s delivery timeout
        status = 200 if answer in ("200", "slow") else 500
        webhook_sink.received.append(Received(0.0, request.path, dict(request.headers), body,
                                              status if answer != "slow" else 0))
        return web.Response(status=status)

    webhook_sink.handler = receiver
    simulator = start_with_standing_clock(tmp_path, name="down", flags=(
        "--retry-schedule", ",".join(map(str, SCHEDULE)), "--webhook-timeout", "1"))
    try:
        key, created = subscribe_and_create(simulator.stripe_url, webhook_sink, EVENTS)
        phases = {2: "slow", 3: "200"}  # after the 2nd attempt: timeouts; after the 3rd: up
        recorded = StandingClock(simulator, key).record(
            EVENTS, len(SCHEDULE) + 1,
            between=lambda n: phase.update(answer=phases.get(n, phase["answer"])))
    finally:
        stop_simulator(simulator)
    deliveries = recorded.deliveries
    assert len(deliveries) == EVENTS
    assert [d["status"] for d in deliveries] == ["delivered"] * EVENTS
    for delivery in deliveries:
        answers = [a["status_code"] or "timeout" for a in delivery["attempts"]]
        assert answers == [500, 500, "timeout", 200], (delivery["event_id"], answers)
        assert "timed out" in delivery["attempts"][2]["error"]
    assert_delays(recorded, [1, 2, 4])
    delivered = [json.loads(r.body)["data"]["object"]["id"] for r in webhook_sink.received
                 if r.answered == 200]
    assert sorted(delivered) == sorted(created), "each event delivered exactly once"
    figures(f"{EVENTS} deliveries: 500, 500, timeout, 200 each; retried after exactly "
            f"1, 2 and 4 virtual seconds (schedule {SCHEDULE})")


def test_the_default_retry_schedule(tmp_path: Path, webhook_sink: WebhookSink,
                                    figures: Figures) -> None:
    """No --retry-schedule: a receiver that always fails gets ten attempts, retried after
    exactly 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h and 24 h, then the delivery
    fails."""
    webhook_sink.respond_with([500] * 20)
    simulator = start_with_standing_clock(tmp_path, name="default-schedule")
    try:
        key, _ = subscribe_and_create(simulator.stripe_url, webhook_sink, 1)
        recorded = StandingClock(simulator, key).record(1, len(DEFAULT_SCHEDULE) + 1)
    finally:
        stop_simulator(simulator)
    (delivery,) = recorded.deliveries
    assert_delays(recorded, DEFAULT_SCHEDULE)
    assert (delivery["status"], delivery["attempt_count"]) == ("failed", 10), delivery
    assert delivery["next_attempt_at"] is None
    assert [a["status_code"] for a in delivery["attempts"]] == [500] * 10
    assert len(webhook_sink.received) == 10, "one POST per recorded attempt"
    figures(f"default schedule recorded: {recorded.delays[delivery['id']]} virtual s, "
            "then failed after 10 attempts")
