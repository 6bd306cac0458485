"""`paylab serve --workers 2`: two processes on one port and one database behave as one
simulator: one object per idempotency key, each webhook delivered once, every request in
the journal and the metrics, and a new leader when the leading worker is killed."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sqlite3
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import requests
from paylab.simulator.leadership import WORKER_HEADER, holder_pid
from paylab.suites.plugins.simulator import (
    TEST_FLAGS,
    Control,
    LiveSimulator,
    free_port,
    start_simulator,
    stop_simulator,
)
from paylab.suites.plugins.webhook_sink import WebhookSink
from paylab.suites.reliability.cli_process import paylab, serving

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
CONFIRM = "amount=2000&currency=usd&payment_method=pm_card_visa&confirm=true"
#: A lease lapses 3 s after its holder's last renewal; a slow machine may need far more.
TAKE_OVER_SECONDS = 30.0


@pytest.fixture(scope="module")
def workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSimulator]:
    """One `paylab serve --workers 2` for the module."""
    sim = start_simulator(tmp_path_factory.mktemp("workers"), name="workers",
                          flags=(*TEST_FLAGS, "--workers", "2"))
    yield sim
    stop_simulator(sim)
    assert sim.process is not None and sim.process.returncode == 0, sim.log_text()[-2000:]


def _key() -> str:
    return f"sk_test_{uuid.uuid4().hex}"


async def _post_each(url: str, key: str, bodies: list[str], *,
                     idempotency_key: str | None = None) -> list[tuple[int, str, dict]]:
    """POST every body at once, each on a new connection (so the kernel spreads them over
    the workers); (status, answering worker, body) per request."""
    headers = {"Authorization": f"Bearer {key}", **FORM}
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key

    async def one(body: str) -> tuple[int, str, dict]:
        connector = aiohttp.TCPConnector(force_close=True)
        async with aiohttp.ClientSession(connector=connector) as session, session.post(
                f"{url}/stripe/v1/payment_intents", data=body, headers=headers) as resp:
            return resp.status, resp.headers.get(WORKER_HEADER, ""), await resp.json()

    return await asyncio.gather(*(one(body) for body in bodies))


def _payment_intents(url: str, key: str) -> list[dict[str, Any]]:
    resp = requests.get(f"{url}/stripe/v1/payment_intents", params={"limit": 100},
                        headers={"Authorization": f"Bearer {key}"}, timeout=10)
    resp.raise_for_status()
    return resp.json()["data"]


def _leader_pid(db: Path) -> int | None:
    """The pid holding the dispatcher lease now, read from the shared database."""
    with sqlite3.connect(db, timeout=10) as conn:
        row = conn.execute("SELECT holder, expires FROM leases WHERE name = 'dispatcher'"
                           ).fetchone()
    return holder_pid(row[0]) if row is not None and row[1] > time.time() else None


def _health(url: str) -> dict[str, Any]:
    resp = requests.get(f"{url}/_sim/health", headers={"Connection": "close"}, timeout=10)
    resp.raise_for_status()
    return resp.json()


def _answering_pids(url: str, tries: int = 40) -> set[str]:
    """Which workers answer, over `tries` new connections."""
    pids = set()
    for _ in range(tries):
        resp = requests.get(f"{url}/_sim/health", headers={"Connection": "close"}, timeout=10)
        pids.add(resp.headers[WORKER_HEADER])
    return pids


def _register(url: str, key: str, sink: WebhookSink) -> None:
    resp = requests.post(f"{url}/stripe/v1/webhook_endpoints", headers={
        "Authorization": f"Bearer {key}"}, data={
        "url": f"{sink.url}/hook", "enabled_events[]": "payment_intent.succeeded"}, timeout=10)
    resp.raise_for_status()


def _until(check: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {timeout:g} s")


def test_fifty_same_key_requests_over_both_workers_make_one_payment(
        workers: LiveSimulator) -> None:
    key = _key()
    answers = asyncio.run(_post_each(workers.url, key, [CONFIRM] * 50,
                                     idempotency_key=f"idem-{uuid.uuid4().hex}"))
    assert len({pid for _, pid, _ in answers}) == 2, "both workers answered"
    statuses = {status for status, _, _ in answers}
    assert statuses <= {200, 409}, statuses  # a replay, or Stripe's "in flight" conflict
    made = {body["id"] for status, _, body in answers if status == 200}
    assert len(made) == 1
    assert [pi["id"] for pi in _payment_intents(workers.url, key)] == list(made)


def test_each_webhook_is_delivered_once_across_workers(workers: LiveSimulator,
                                                       webhook_sink: WebhookSink) -> None:
    key = _key()
    _register(workers.url, key, webhook_sink)
    answers = asyncio.run(_post_each(workers.url, key, [CONFIRM] * 20))
    assert {status for status, _, _ in answers} == {200}
    assert len({pid for _, pid, _ in answers}) == 2, "both workers made payments"
    control = Control(workers.url).for_tenant(key)
    received, deliveries = webhook_sink.when_quiet(lambda: control.deliveries(), timeout=30)
    paid = sorted(body["id"] for _, _, body in answers)
    sent = sorted(_event_object(r.body) for r in received)
    assert sent == paid  # every payment's webhook, each once
    assert len(deliveries) == 20 and {d["status"] for d in deliveries} == {"delivered"}


def _event_object(body: bytes) -> str:
    import json

    return str(json.loads(body)["data"]["object"]["id"])


def test_the_journal_and_the_metrics_count_every_request_of_both_workers(
        workers: LiveSimulator) -> None:
    before = _histogram_count(workers.url)
    key = _key()
    answers = asyncio.run(_post_each(workers.url, key, [CONFIRM] * 40))
    assert {status for status, _, _ in answers} == {200}
    assert len({pid for _, pid, _ in answers}) == 2
    control = Control(workers.url).for_tenant(key)
    journal = _until(lambda: (rows := [e for e in control.journal(key, limit=500)
                                       if e["direction"] == "in"]) and len(rows) >= 40 and rows,
                     10, "40 journal rows")
    assert len(journal) == 40
    assert {(e["path"], e["status"]) for e in journal} == {("/stripe/v1/payment_intents", 200)}
    _until(lambda: _histogram_count(workers.url) - before >= 40, 10, "40 observations")
    assert _histogram_count(workers.url) - before == 40


def _histogram_count(url: str) -> int:
    """Stripe POST /v1/payment_intents observations in /_sim/metrics (kept in the store,
    so summed over the workers)."""
    resp = requests.get(f"{url}/_sim/metrics", timeout=10)
    resp.raise_for_status()
    text = resp.text
    return sum(int(n) for n in re.findall(
        r'^paylab_request_duration_seconds_count\{gateway="stripe",method="POST",'
        r'route="/v1/payment_intents"\} (\d+)$', text, re.M))


def test_killing_the_leader_hands_the_webhooks_to_another_worker(
        workers: LiveSimulator, webhook_sink: WebhookSink) -> None:
    assert workers.db is not None
    leader = _until(lambda: _leader_pid(workers.db), TAKE_OVER_SECONDS, "a leader")
    before = _answering_pids(workers.url)
    assert str(leader) in before
    os.kill(leader, signal.SIGKILL)
    successor = _until(lambda: (pid := _leader_pid(workers.db)) and pid != leader and pid,
                       TAKE_OVER_SECONDS, "another worker leads")
    assert successor != leader
    # the supervisor started a worker in the dead one's place: two answer again
    pids = _until(lambda: (seen := _answering_pids(workers.url)) and len(seen) == 2
                  and str(leader) not in seen and seen, TAKE_OVER_SECONDS, "two workers")
    assert str(successor) in pids
    key = _key()
    _register(workers.url, key, webhook_sink)
    answers = asyncio.run(_post_each(workers.url, key, [CONFIRM] * 4))
    assert {status for status, _, _ in answers} == {200}
    received = webhook_sink.wait_for(4, timeout=TAKE_OVER_SECONDS)
    assert sorted(_event_object(r.body) for r in received) == sorted(
        body["id"] for _, _, body in answers)
    assert "exited unexpectedly (exit -9)" in workers.log_text()


def test_workers_need_a_positive_count_and_a_database_file(tmp_path: Path) -> None:
    done = paylab(tmp_path, "serve", "--workers", "0", "--port", str(free_port()))
    assert done.code == 2 and done.err_lines == [
        "paylab: --workers must be between 1 and 64"], done.err
    done = paylab(tmp_path, "serve", "--workers", "2", "--db", ":memory:", "--port",
                  str(free_port()))
    assert done.code == 2 and "needs a database file" in done.err, done.err


def test_up_with_two_workers_runs_one_shop_and_stops_cleanly(tmp_path: Path) -> None:
    port, shop_port = free_port(), free_port()
    with serving(tmp_path, "up", "--workers", "2", "--port", str(port), "--shop-port",
                 str(shop_port), port=port, shop_port=shop_port) as running:
        assert len(_answering_pids(running.url)) == 2
        # two workers and one shop; the shop registered its webhook endpoint once
        assert len(_children(running.process.pid)) == 3
        done = running.stop()
    assert done.code == 0, done.err
    assert done.out.count("paylab simulator  ") == 1  # the banner, once
    assert done.out.count("reference shop    ") == 1
    assert "paylab: stopping" in done.out
    with sqlite3.connect(tmp_path / "state" / "paylab.db") as conn:
        endpoints = conn.execute("SELECT COUNT(*) FROM objects WHERE kind = 'webhook_endpoint'"
                                 ).fetchone()[0]
    assert endpoints == 1


def _children(pid: int) -> list[int]:
    """The processes `pid` started (Linux)."""
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def test_health_names_the_worker_that_answered_and_the_leader(workers: LiveSimulator) -> None:
    assert workers.db is not None
    leader = _until(lambda: _leader_pid(workers.db), TAKE_OVER_SECONDS, "a leader")
    seen = [_health(workers.url)["workers"] for _ in range(30)]
    assert {w["count"] for w in seen} == {2}
    assert len({w["answered_by"] for w in seen}) == 2
    assert {w["leader"] for w in seen} == {leader}


def test_scenarios_revoked_keys_and_the_clock_are_one_state_over_both_workers(
        workers: LiveSimulator) -> None:
    key = _key()
    put = requests.put(f"{workers.url}/_sim/scenario", params={"tenant": key, "ahead": "true"},
                       data=b"rules: [{name: three-outages, lifetime: {first: 3}, "
                            b"effects: [{error: {status: 503}}]}]", timeout=10)
    assert put.status_code == 200, put.text
    answers = asyncio.run(_post_each(workers.url, key, [CONFIRM] * 12))
    assert len({pid for _, pid, _ in answers}) == 2
    assert sorted(status for status, _, _ in answers) == [200] * 9 + [503] * 3
    moved = requests.post(f"{workers.url}/_sim/clock/advance", json={"seconds": 86400},
                          timeout=10)
    assert moved.status_code == 200, moved.text
    now = moved.json()["now"]
    later = asyncio.run(_post_each(workers.url, key, [CONFIRM] * 6))
    assert len({pid for _, pid, _ in later}) == 2
    assert all(body["created"] >= int(now) - 1 for _, _, body in later)
    revoked = requests.post(f"{workers.url}/_sim/keys/revoke", json={"api_key": key},
                            timeout=10)
    assert revoked.status_code == 200, revoked.text
    refused = asyncio.run(_post_each(workers.url, key, [CONFIRM] * 10))
    assert len({pid for _, pid, _ in refused}) == 2
    assert {status for status, _, _ in refused} == {401}
