"""Side-by-side throughput benchmark: the simulator against a trivial aiohttp handler.

Starts a fresh simulator and the baseline server on loopback, drives each with the same
closed-loop client (N concurrent keep-alive connections for a fixed time), and prints
requests/s, p50 and p99 per case and the ratio to the baseline measured in the same run.
The official stripe SDK path (create with confirm=true from threads) is measured too; it
is bound by the SDK client's own cost, which the table shows beside the raw numbers.

    .venv/bin/python load/bench.py [--duration 5] [--connections 32] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from suites.plugins.simulator import free_port, wait_healthy  # noqa: E402

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@dataclass
class Result:
    """One benchmark case."""

    case: str
    connections: int
    requests: int
    errors: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float


def _summarise(case: str, connections: int, latencies: list[float], errors: int,
               seconds: float) -> Result:
    ordered = sorted(latencies) or [0.0]
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return Result(case, connections, len(latencies), errors, round(seconds, 2),
                  round(len(latencies) / seconds, 1), round(statistics.median(ordered) * 1000, 2),
                  round(p99 * 1000, 2))


async def _closed_loop(url: str, body: Callable[[int], str], headers: dict[str, str],
                       connections: int, duration: float) -> tuple[list[float], int, float]:
    latencies: list[float] = []
    errors = 0
    counter = iter(range(10**9))
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as session:
        deadline = time.perf_counter() + duration

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                async with session.post(url, data=body(next(counter)), headers=headers) as r:
                    await r.read()
                    if r.status != 200:
                        errors += 1
                        continue
                latencies.append(time.perf_counter() - started)

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        return latencies, errors, time.perf_counter() - began


def http_case(case: str, url: str, body: Callable[[int], str], headers: dict[str, str],
              connections: int, duration: float) -> Result:
    """Drive one URL with the closed-loop client."""
    import uvloop

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(_closed_loop(url, body, headers, connections, max(1.0, duration / 5)))
        latencies, errors, seconds = runner.run(
            _closed_loop(url, body, headers, connections, duration))
    return _summarise(case, connections, latencies, errors, seconds)


def sdk_case(base: str, threads: int, duration: float) -> Result:
    """create(confirm=True) through the official stripe SDK, from `threads` threads."""
    import stripe

    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    deadline = time.perf_counter() + duration

    def worker() -> None:
        nonlocal errors
        client = stripe.StripeClient(f"sk_test_{uuid.uuid4().hex}",
                                     base_addresses={"api": f"{base}/stripe"},
                                     max_network_retries=0)
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                client.v1.payment_intents.create(params={
                    "amount": 2000, "currency": "usd", "payment_method": "pm_card_visa",
                    "confirm": True})
            except stripe.StripeError:
                with lock:
                    errors += 1
                continue
            with lock:
                latencies.append(time.perf_counter() - started)

    began = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return _summarise("stripe SDK create+confirm", threads, latencies, errors,
                      time.perf_counter() - began)


def main() -> int:
    """Run every case and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per case")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--latency-connections", type=int, default=128,
                        help="connections for the injected-latency case")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()

    sim_port, base_port = free_port(), free_port()
    workdir = Path(tempfile.mkdtemp(prefix="paylab-bench-"))
    sim = subprocess.Popen(
        [sys.executable, "-m", "simulator", "serve", "--port", str(sim_port), "--db",
         str(workdir / "bench.db"), "--seed", "1", "--log-level", "warning"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    baseline = subprocess.Popen(
        [sys.executable, "-m", "load.baseline_server", "--port", str(base_port)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        sim_url = f"http://127.0.0.1:{sim_port}"
        wait_healthy(sim_url, process=sim)
        time.sleep(0.3)  # the baseline has no health endpoint; it starts in milliseconds
        key = {"Authorization": f"Bearer sk_test_{uuid.uuid4().hex}", **FORM}
        slow_key = f"sk_test_{uuid.uuid4().hex}"
        urllib.request.urlopen(urllib.request.Request(  # noqa: S310 - loopback
            f"{sim_url}/_sim/scenario?tenant={slow_key}", method="PUT",
            data=b"rules: [{name: fixed-50ms, effects: [{latency: {fixed: 50}}]}]"))
        slow = {"Authorization": f"Bearer {slow_key}", **FORM}
        n = args.connections
        results = [
            http_case("trivial aiohttp handler (ceiling)", f"http://127.0.0.1:{base_port}/x",
                      lambda i: f"amount={1000 + i}&currency=usd", FORM, n, args.duration),
            http_case("POST /stripe/v1/payment_intents", f"{sim_url}/stripe/v1/payment_intents",
                      lambda i: f"amount={1000 + i}&currency=usd", key, n, args.duration),
            http_case("POST /stripe/v1/payment_intents confirm=true",
                      f"{sim_url}/stripe/v1/payment_intents",
                      lambda i: f"amount={1000 + i}&currency=usd&payment_method=pm_card_visa"
                                "&confirm=true", key, n, args.duration),
            sdk_case(sim_url, n, args.duration),
            http_case("trivial handler + asyncio.sleep(50 ms) (floor)",
                      f"http://127.0.0.1:{base_port}/sleep50",
                      lambda i: f"amount={1000 + i}&currency=usd", FORM, args.latency_connections,
                      args.duration),
            http_case("POST /stripe/v1/payment_intents, 50 ms injected",
                      f"{sim_url}/stripe/v1/payment_intents",
                      lambda i: f"amount={1000 + i}&currency=usd", slow, args.latency_connections,
                      args.duration),
        ]
    finally:
        for proc in (sim, baseline):
            proc.terminate()
            proc.wait(10)
    ceiling = results[0].rps
    print(f"\npaylab benchmark {time.strftime('%Y-%m-%d %H:%M')}  "
          f"cpus={os.cpu_count()}  duration={args.duration:g}s per case\n")
    print(f"{'case':<48}{'conns':>6}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}"
          f"{'errors':>8}{'vs ceiling':>12}")
    for r in results:
        print(f"{r.case:<48}{r.connections:>6}{r.rps:>10.0f}{r.p50_ms:>9.2f}{r.p99_ms:>9.2f}"
              f"{r.errors:>8}{r.rps / ceiling:>11.0%}")
    floor, injected = results[-2], results[-1]
    ideal = injected.connections / 0.050
    print(f"\ninjected 50 ms on {injected.connections} connections: {injected.rps:.0f} req/s = "
          f"{injected.rps / ideal:.0%} of the ideal {ideal:.0f} and "
          f"{injected.rps / floor.rps:.0%} of a bare asyncio.sleep handler "
          f"({floor.rps:.0f} req/s); p50 {injected.p50_ms:.1f} ms "
          f"(floor {floor.p50_ms:.1f}), p99 {injected.p99_ms:.1f} ms (floor {floor.p99_ms:.1f})")
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2))
    return 0 if all(r.errors == 0 for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
