"""The merchant's endpoint fails (500s, then timeouts) for a while, then recovers: every
event is delivered, and each delivery's attempts follow the retry schedule. Stripe does not
promise delivery order, so none is asserted; every event arrives at least once."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid
from pathlib import Path

import requests
from aiohttp import web

from suites.plugins.evidence import Figures
from suites.plugins.simulator import start_simulator, stop_simulator
from suites.plugins.webhook_sink import Received, WebhookSink

SCHEDULE = (1, 2, 4, 8, 16, 32)  # virtual seconds; this simulator runs 20x faster


def test_every_event_arrives_after_the_receiver_recovers(tmp_path: Path,
                                                         webhook_sink: WebhookSink,
                                                         figures: Figures) -> None:
    simulator = start_simulator(tmp_path, name="down", flags=(
        "--retry-schedule", ",".join(map(str, SCHEDULE)), "--time-scale", "20",
        "--webhook-timeout", "1"))
    try:
        _outage_then_recovery(simulator.url, simulator.stripe_url, webhook_sink, figures)
    finally:
        stop_simulator(simulator)


def _outage_then_recovery(url: str, stripe_url: str, webhook_sink: WebhookSink,
                          figures: Figures) -> None:
    outage_ends = time.time() + 1.0
    timeouts_end = time.time() + 2.0  # then slower than the 1 s delivery timeout

    async def flaky(request: web.Request) -> web.Response:
        body = await request.read()
        now = time.time()
        status = 500 if now < outage_ends else 200
        if outage_ends <= now < timeouts_end:
            await asyncio.sleep(1.5)
        webhook_sink.received.append(Received(now, request.path, dict(request.headers), body,
                                              status))
        return web.Response(status=status)

    webhook_sink.handler = flaky
    key = f"sk_test_down_{uuid.uuid4().hex[:8]}"
    headers = {"Authorization": f"Bearer {key}"}
    requests.post(f"{stripe_url}/v1/webhook_endpoints", headers=headers, timeout=10,
                  data={"url": f"{webhook_sink.url}/hook",
                        "enabled_events[0]": "payment_intent.created"})
    created = [requests.post(f"{stripe_url}/v1/payment_intents", headers=headers,
                             data={"amount": 1000 + i, "currency": "usd"},
                             timeout=10).json()["id"] for i in range(10)]
    deadline = time.monotonic() + 40
    while True:
        deliveries = requests.get(f"{url}/_sim/webhooks", params={"tenant": key},
                                  timeout=10).json()["deliveries"]
        if len(deliveries) == 10 and all(d["status"] == "delivered" for d in deliveries):
            break
        assert time.monotonic() < deadline, [d["status"] for d in deliveries]
        time.sleep(0.2)
    delivered = {json.loads(r.body)["data"]["object"]["id"] for r in webhook_sink.received
                 if r.answered == 200}
    assert delivered >= set(created)
    for delivery in deliveries:
        attempts = delivery["attempts"]
        assert attempts[-1]["status_code"] == 200
        assert any(a["status_code"] == 500 for a in attempts), "the outage was seen"
        for n, (a, b) in enumerate(itertools.pairwise(attempts)):
            gap = b["started"] - (a["started"] + a["duration_ms"] / 1000)
            assert gap >= SCHEDULE[n] / 20 * 0.8, (n, gap, attempts)
    answers = [[a["status_code"] or "timeout" for a in d["attempts"]] for d in deliveries]
    figures(f"{len(deliveries)} deliveries, {sum(map(len, answers))} attempts; "
            f"attempts per delivery {min(map(len, answers))}..{max(map(len, answers))}; "
            f"schedule {SCHEDULE} virtual s at 20x",
            "\n".join(f"{d['event_id']}: {' -> '.join(map(str, a))}"
                      for d, a in zip(deliveries, answers, strict=True)))
