"""kill -9 during a burst of writes: every acknowledged write survives the restart, and
webhook deliveries pending at the crash are delivered afterwards."""

from __future__ import annotations

import asyncio
import signal
import threading
import time
import uuid
from pathlib import Path

import aiohttp
import allure
import requests
from paylab.suites.plugins.simulator import LiveSimulator, start_simulator, stop_simulator
from paylab.suites.plugins.webhook_sink import WebhookSink

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


async def _burst(url: str, key: str, total: int, concurrency: int,
                 acked: dict[str, int], errors: list[str]) -> None:
    headers = {"Authorization": f"Bearer {key}", **FORM}
    counter = iter(range(total))

    async def worker(session: aiohttp.ClientSession) -> None:
        for i in counter:
            body = (f"amount={1000 + i}&currency=usd&metadata[n]={i}"
                    "&payment_method=pm_card_visa&confirm=true")
            try:
                async with session.post(f"{url}/stripe/v1/payment_intents", data=body,
                                        headers=headers) as resp:
                    if resp.status == 200:
                        acked[(await resp.json())["id"]] = 1000 + i
                    else:
                        errors.append(f"HTTP {resp.status}")
            except (aiohttp.ClientError, OSError):
                return  # the server died under us: what was not answered was not acked

    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))


def test_acknowledged_creates_survive_kill_9(tmp_path: Path) -> None:
    sim = start_simulator(tmp_path, name="crash")
    key = f"sk_test_{uuid.uuid4().hex}"
    acked: dict[str, int] = {}
    errors: list[str] = []
    burst = threading.Thread(target=lambda: asyncio.run(
        _burst(sim.url, key, 20_000, 32, acked, errors)))
    burst.start()
    deadline = time.monotonic() + 20
    while len(acked) < 400 and time.monotonic() < deadline:
        time.sleep(0.01)
    sim.kill(signal.SIGKILL)
    burst.join(30)
    assert errors == [], errors[:5]
    acknowledged = dict(acked)
    assert len(acknowledged) >= 400, "the burst never got going"
    allure.attach(f"acknowledged before kill -9: {len(acknowledged)}", name="burst",
                  attachment_type=allure.attachment_type.TEXT)

    again = start_simulator(tmp_path, db=sim.db, name="crash-restart")
    try:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {key}"
        missing = []
        for pid, amount in acknowledged.items():
            r = session.get(f"{again.url}/stripe/v1/payment_intents/{pid}", timeout=10)
            if r.status_code != 200 or r.json()["amount"] != amount:
                missing.append((pid, r.status_code))
        assert missing == [], f"{len(missing)} acknowledged payments lost: {missing[:5]}"
        # and nothing is half-applied: each acked payment has its succeeded charge
        charges = {c["payment_intent"]: c for c in _all(session, f"{again.url}/stripe/v1/charges")}
        assert all(charges[pid]["status"] == "succeeded" for pid in acknowledged)
    finally:
        stop_simulator(again)


def _all(session: requests.Session, url: str) -> list[dict]:
    items, after = [], None
    while True:
        params = {"limit": 100, **({"starting_after": after} if after else {})}
        page = session.get(url, params=params, timeout=10).json()
        items += page["data"]
        if not page["has_more"]:
            return items
        after = page["data"][-1]["id"]


def test_pending_webhooks_are_delivered_after_a_crash(tmp_path: Path,
                                                      webhook_sink: WebhookSink) -> None:
    sim: LiveSimulator = start_simulator(tmp_path, name="hooks")
    key = f"sk_test_{uuid.uuid4().hex}"
    session = requests.Session()
    session.headers.update({"Authorization": f"Bearer {key}", **FORM})
    webhook_sink.respond_with([500] * 10_000)
    session.post(f"{sim.url}/stripe/v1/webhook_endpoints", timeout=10, data={
        "url": f"{webhook_sink.url}/down", "enabled_events[0]": "payment_intent.created"})
    created = [session.post(f"{sim.url}/stripe/v1/payment_intents", timeout=10,
                            data={"amount": 1000 + i, "currency": "usd"}).json()["id"]
               for i in range(20)]
    # every event attempted at least once, all refused
    assert len(webhook_sink.wait_for(20)) >= 20
    sim.kill(signal.SIGKILL)
    webhook_sink.respond_with([])  # the receiver recovers while the simulator is down

    again = start_simulator(tmp_path, db=sim.db, name="hooks-restart")
    try:
        deliveries = requests.get(f"{again.url}/_sim/webhooks", params={"tenant": key},
                                  timeout=10).json()["deliveries"]
        assert len(deliveries) == 20
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            deliveries = requests.get(f"{again.url}/_sim/webhooks", params={"tenant": key},
                                      timeout=10).json()["deliveries"]
            if all(d["status"] == "delivered" for d in deliveries):
                break
            time.sleep(0.1)
        assert [d["status"] for d in deliveries] == ["delivered"] * 20
        delivered_for = {pid for r in webhook_sink.received if r.answered == 200
                         for pid in created if pid.encode() in r.body}
        assert delivered_for == set(created)
        events = requests.get(f"{again.url}/stripe/v1/events", timeout=10,
                              headers={"Authorization": f"Bearer {key}"}).json()["data"]
        assert len(events) == 10  # default page size; all 20 survive, see the next check
        assert len(_all(session, f"{again.url}/stripe/v1/events")) == 20
    finally:
        stop_simulator(again)
