"""kill -9 during a mixed load (creates, confirms, manual captures, refunds, webhook
deliveries), then restart: every acknowledged write is there, no payment is half-applied
(the ledger agrees with the events), and every event reaches the receiver at least once."""

from __future__ import annotations

import asyncio
import json
import random
import signal
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import requests
from paylab.suites.plugins.evidence import Figures
from paylab.suites.plugins.simulator import start_simulator, stop_simulator, wait_for
from paylab.suites.plugins.webhook_sink import WebhookSink

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
#: What the load must have had acknowledged before the kill, per kind of write: a kill
#: before the load reached its level would prove little about a mixed load.
LEVEL = {"automatic payments": 150, "manual payments": 50, "captures": 40, "refunds": 30,
         "webhooks received": 100}
LOAD_DEADLINE = 90.0  # seconds: generous for a slow, shared machine


class Acked:
    """What the server acknowledged before it died."""

    def __init__(self) -> None:
        self.payments: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.errors: list[str] = []

    def level(self, webhooks_received: int) -> dict[str, int]:
        """How many writes of each kind were acknowledged so far."""
        payments = list(self.payments.values())
        return {
            "automatic payments": sum(p["kind"] == "automatic" for p in payments),
            "manual payments": sum(p["kind"] == "manual" for p in payments),
            "captures": sum(p["kind"] == "manual" and p["captured"] > 0 for p in payments),
            "refunds": len(self.refunds),
            "webhooks received": webhooks_received,
        }


async def _mixed(url: str, key: str, acked: Acked, stop: threading.Event) -> None:
    headers = {"Authorization": f"Bearer {key}", **FORM}
    rng = random.Random(7)

    async def call(session: aiohttp.ClientSession, path: str, body: str) -> dict | None:
        async with session.post(f"{url}/stripe/v1{path}", data=body, headers=headers) as r:
            if r.status != 200:
                acked.errors.append(f"{path} -> {r.status}")
                return None
            return await r.json()

    async def worker(session: aiohttp.ClientSession) -> None:
        while not stop.is_set():
            kind = rng.random()
            try:
                if kind < 0.5:
                    amount = rng.randint(1000, 9000)
                    pi = await call(session, "/payment_intents", f"amount={amount}&currency=usd"
                                    "&payment_method=pm_card_visa&confirm=true")
                    if pi:
                        acked.payments[pi["id"]] = {"captured": amount, "status": "succeeded",
                                                    "kind": "automatic"}
                elif kind < 0.75:
                    pi = await call(session, "/payment_intents", "amount=5000&currency=usd"
                                    "&payment_method=pm_card_visa&confirm=true"
                                    "&capture_method=manual")
                    if pi:
                        acked.payments[pi["id"]] = {"captured": 0, "status": "requires_capture",
                                                    "kind": "manual"}
                        done = await call(session, f"/payment_intents/{pi['id']}/capture",
                                          "amount_to_capture=4000")
                        if done:
                            acked.payments[pi["id"]] = {"captured": 4000,
                                                        "status": "succeeded",
                                                        "kind": "manual"}
                else:
                    paid = [p for p, v in list(acked.payments.items())
                            if v["status"] == "succeeded" and not v.get("refunded")]
                    if paid:
                        target = rng.choice(paid)
                        acked.payments[target]["refunded"] = True
                        refund = await call(session, "/refunds",
                                            f"payment_intent={target}&amount=500")
                        if refund:
                            acked.refunds[refund["id"]] = {"payment_intent": target,
                                                           "amount": 500}
            except (TimeoutError, aiohttp.ClientError, OSError):
                return  # the server died under us: unanswered means unacknowledged

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        await asyncio.gather(*(worker(session) for _ in range(24)))


def _all(url: str, key: str, collection: str) -> list[dict[str, Any]]:
    items, after = [], None
    headers = {"Authorization": f"Bearer {key}"}
    while True:
        params = {"limit": 100, **({"starting_after": after} if after else {})}
        page = requests.get(f"{url}/stripe/v1/{collection}", headers=headers, params=params,
                            timeout=10).json()
        items += page["data"]
        if not page["has_more"]:
            return items
        after = page["data"][-1]["id"]


def test_mixed_load_survives_kill_9(tmp_path: Path, webhook_sink: WebhookSink,
                                    figures: Figures) -> None:
    sim = start_simulator(tmp_path, name="mixed")
    key = f"sk_test_mixed_{uuid.uuid4().hex[:8]}"
    requests.post(f"{sim.url}/stripe/v1/webhook_endpoints", timeout=10, headers={
        "Authorization": f"Bearer {key}"}, data={"url": f"{webhook_sink.url}/hook",
                                                 "enabled_events[0]": "*"})
    acked, stop = Acked(), threading.Event()
    load = threading.Thread(target=lambda: asyncio.run(_mixed(sim.url, key, acked, stop)))
    load.start()

    def reached(level: dict[str, int]) -> bool:
        return all(level[kind] >= LEVEL[kind] for kind in LEVEL) or bool(acked.errors)

    before_kill = wait_for(lambda: acked.level(len(webhook_sink.received)), reached,
                           LOAD_DEADLINE)
    short = {kind: f"{before_kill[kind]}/{LEVEL[kind]}" for kind in LEVEL
             if before_kill[kind] < LEVEL[kind]}
    if short or acked.errors:
        stop.set()
        load.join(30)
        stop_simulator(sim)
    assert acked.errors == [], acked.errors[:5]
    assert short == {}, f"the load never reached its level before the kill: {short}"
    sim.kill(signal.SIGKILL)
    stop.set()
    load.join(30)
    assert acked.errors == [], acked.errors[:5]
    payments, refunds = dict(acked.payments), dict(acked.refunds)

    again = start_simulator(tmp_path, db=sim.db, name="mixed-restart")
    try:
        stored = {p["id"]: p for p in _all(again.url, key, "payment_intents")}
        lost = [p for p in payments if p not in stored]
        assert lost == [], f"{len(lost)} acknowledged payments lost"
        for pid, expect in payments.items():
            if expect["captured"]:  # an acknowledged capture or automatic payment
                assert stored[pid]["status"] == "succeeded", pid
                assert stored[pid]["amount_received"] == expect["captured"], pid
        stored_refunds = {r["id"]: r for r in _all(again.url, key, "refunds")}
        assert set(refunds) <= set(stored_refunds), "acknowledged refunds lost"

        ledger = requests.get(f"{again.url}/_sim/ledger", params={"tenant": key},
                              timeout=10).json()
        events = _all(again.url, key, "events")
        succeeded = {e["data"]["object"]["id"]: e["data"]["object"]["amount_received"]
                     for e in events if e["type"] == "payment_intent.succeeded"}
        refunded = sum(e["data"]["object"]["amount"] for e in events
                       if e["type"] == "refund.created")
        half_applied = [row["id"] for row in ledger["payments"]
                        if row["captured"] != succeeded.get(row["id"], 0)]
        assert half_applied == [], f"state and events disagree for {half_applied[:5]}"
        assert ledger["totals"]["usd"]["refunded"] == refunded

        backlog_deadline = time.monotonic() + 30
        while requests.get(f"{again.url}/_sim/health", timeout=5).json()["webhook_backlog"]:
            assert time.monotonic() < backlog_deadline, "deliveries stuck after the restart"
            time.sleep(0.1)
        received = {json.loads(r.body)["id"] for r in webhook_sink.received}
        missing = {e["id"] for e in events} - received
        assert missing == set(), f"{len(missing)} events never delivered"
        summary = (f"acknowledged before kill -9: {before_kill}; events after restart: "
                   f"{len(events)}, all delivered at least once "
                   f"({len(webhook_sink.received)} deliveries received)")
        figures(summary)
    finally:
        stop_simulator(again)
