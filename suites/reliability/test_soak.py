"""A bounded soak: steady mixed traffic with webhooks for PAYLAB_SOAK_SECONDS (45 s by
default, which keeps `make test` under ten minutes now that it covers three gateways: about
4,000 requests after the warm-up, so a leak of 4 KiB a request trips the 16 MiB bound;
raise it for a longer run). Memory
stays flat and no file descriptors leak (open files are counted at rest, after the warm-up
and at the end); the figures (RSS and open files over time) are printed and attached to
the report."""

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

SECONDS = float(os.environ.get("PAYLAB_SOAK_SECONDS", "45"))
RATE = 120  # requests per second, so a long soak stays a soak and not a disk-filler
MB = 1024 * 1024


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
        _run_traffic(sim.url, key, SECONDS * 0.75, counts, sample)
        late = _quiet_fds(sim.url, process)
        sample()
    finally:
        stop_simulator(sim)
    end = samples[-1]
    table = "\n".join(f"{t:6.1f}s  rss {rss / MB:7.1f} MiB  open files {fds}"
                      for t, rss, fds in samples)
    summary = (f"soak {SECONDS:.0f} s at {RATE} req/s: {sum(counts.values())} requests "
               f"{counts}; RSS {samples[0][1] / MB:.1f} MiB at start, {warm[1] / MB:.1f} after "
               f"warm-up, {end[1] / MB:.1f} at the end; open files at rest {early} after the "
               f"warm-up, {late} at the end")
    figures(summary, table)
    assert set(counts) == {"200"}, counts
    assert end[1] - warm[1] < 16 * MB, summary
    # every webhook delivered and no request in flight both times: a leak is what is left
    assert late - early <= 2, summary
