"""A bounded soak: steady mixed traffic with webhooks for PAYLAB_SOAK_SECONDS (20 s by
default, about 1,700 requests, which keeps `make test` under ten minutes; set it to 45 or
more for the long variant, as a nightly run would). Memory stays flat: after the warm-up
(a quarter of the time) RSS may grow by LEAK_FLOOR, or by LEAK_PER_REQUEST for every
request after the warm-up where that is more (a long soak), so a leak of about 6 KiB a
request trips the bound at the default and one of 4 KiB at 45 s; no file descriptors leak
(open files are counted at rest, after the warm-up and at the end). The figures (RSS and
open files over time) are printed and attached to the report."""

from __future__ import annotations

import asyncio
import os
import random
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import aiohttp
import psutil
import requests
from paylab.suites.plugins.evidence import Figures
from paylab.suites.plugins.simulator import TEST_FLAGS, start_simulator, stop_simulator
from paylab.suites.plugins.webhook_sink import WebhookSink

SECONDS = float(os.environ.get("PAYLAB_SOAK_SECONDS", "20"))
RATE = 120  # requests per second, so a long soak stays a soak and not a disk-filler
MB = 1024 * 1024
#: RSS growth after the warm-up that is no leak: SQLite's page cache (--cache-mb 4) and the
#: allocator settling. Measured 1-3.6 MiB on 2 cores at 4, 20 and 45 s.
LEAK_FLOOR = 8 * MB
LEAK_PER_REQUEST = 4 * 1024


def leak_bound(requests_after_warmup: int) -> int:
    """The RSS growth after the warm-up the soak tolerates."""
    return max(LEAK_FLOOR, LEAK_PER_REQUEST * requests_after_warmup)


async def _traffic(url: str, key: str, stop: threading.Event, counts: dict[str, int]) -> None:
    headers = {"Authorization": f"Bearer {key}",
               "Content-Type": "application/x-www-form-urlencoded"}
    rng = random.Random(3)
    paid: list[str] = []

    async def worker(session: aiohttp.ClientSession, n: int) -> None:
        next_at = time.monotonic()
        while not stop.is_set():
            kind = rng.random()
            if kind < 0.6 or not paid:
                path, body = "/payment_intents", ("amount=2000&currency=usd&confirm=true"
                                                  "&payment_method=pm_card_visa")
            elif kind < 0.8:
                path, body = "/refunds", f"payment_intent={paid.pop()}&amount=100"
            else:
                path, body = "/payment_intents?limit=5", None
            method = "GET" if body is None else "POST"
            async with session.request(method, f"{url}/stripe/v1{path}", data=body,
                                       headers=headers) as resp:
                data = await resp.json()
                counts[str(resp.status)] = counts.get(str(resp.status), 0) + 1
                if path == "/payment_intents" and resp.status == 200:
                    paid.append(data["id"])
            next_at += n / RATE
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))

    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(worker(session, 8) for _ in range(8)))


def _quiet_fds(sim_url: str, process: psutil.Process, timeout: float = 60) -> int:
    """Open files once the traffic has stopped and every webhook is delivered: waits on
    the backlog (GET /_sim/health) reaching 0, then takes the fewest over a second, so
    nothing in flight is counted (on a slow machine something always is, mid-run)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        health = requests.get(f"{sim_url}/_sim/health", timeout=10).json()
        if health["webhook_backlog"] == 0:
            break
        time.sleep(0.2)
    fewest = process.num_fds()
    for _ in range(10):
        time.sleep(0.1)
        fewest = min(fewest, process.num_fds())
    return fewest


def _run_traffic(url: str, key: str, seconds: float, counts: dict[str, int],
                 sample: Callable[[], None]) -> None:
    """Traffic for `seconds`, calling `sample` every few seconds meanwhile."""
    stop = threading.Event()
    load = threading.Thread(target=lambda: asyncio.run(_traffic(url, key, stop, counts)))
    started = time.monotonic()
    load.start()
    try:
        while time.monotonic() - started < seconds:
            sample()
            time.sleep(min(5.0, SECONDS / 24))
    finally:
        stop.set()
        load.join(30)


def test_memory_and_open_files_stay_flat(tmp_path: Path, webhook_sink: WebhookSink,
                                         figures: Figures) -> None:
    sim = start_simulator(tmp_path, name="soak", flags=(*TEST_FLAGS, "--cache-mb", "4"))
    process = psutil.Process(sim.process.pid)  # type: ignore[union-attr]
    key = f"sk_test_soak_{uuid.uuid4().hex[:8]}"
    requests.post(f"{sim.url}/stripe/v1/webhook_endpoints", timeout=10,
                  headers={"Authorization": f"Bearer {key}"},
                  data={"url": f"{webhook_sink.url}/hook", "enabled_events[0]": "*"})
    counts: dict[str, int] = {}
    samples: list[tuple[float, int, int]] = []
    started = time.monotonic()

    def sample() -> None:
        samples.append((time.monotonic() - started, process.memory_info().rss,
                        process.num_fds()))

    try:
        # a quarter to warm up, then the open files at rest, then the rest of the soak
        _run_traffic(sim.url, key, SECONDS * 0.25, counts, sample)
        early = _quiet_fds(sim.url, process)
        warm = (time.monotonic() - started, process.memory_info().rss, early)
        warm_requests = sum(counts.values())
        _run_traffic(sim.url, key, SECONDS * 0.75, counts, sample)
        late = _quiet_fds(sim.url, process)
        sample()
    finally:
        stop_simulator(sim)
    end = samples[-1]
    bound = leak_bound(sum(counts.values()) - warm_requests)
    table = "\n".join(f"{t:6.1f}s  rss {rss / MB:7.1f} MiB  open files {fds}"
                      for t, rss, fds in samples)
    summary = (f"soak {SECONDS:.0f} s at {RATE} req/s: {sum(counts.values())} requests "
               f"{counts}; RSS {samples[0][1] / MB:.1f} MiB at start, {warm[1] / MB:.1f} after "
               f"warm-up, {end[1] / MB:.1f} at the end; open files at rest {early} after the "
               f"warm-up, {late} at the end; growth allowed after the warm-up "
               f"{bound / MB:.1f} MiB")
    figures(summary, table)
    assert set(counts) == {"200"}, counts
    assert end[1] - warm[1] < bound, summary
    # every webhook delivered and no request in flight both times: a leak is what is left
    assert late - early <= 2, summary
