"""Side-by-side throughput benchmark: the simulator against a trivial aiohttp handler.

Starts a fresh simulator and the baseline server on loopback and drives both with wrk
(a C load generator, so the client costs little of the two cores), case after case in
one run, and prints requests/s, p50 and p99, the ratio to the trivial handler measured in
the same run, the simulator's memory, and whether each target of the load issue is met.

    .venv/bin/python load/bench.py [--duration 8] [--json out.json]

Needs `wrk` (Debian package wrk; `make deps` installs it).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from paylab.suites.plugins.simulator import free_port, wait_healthy  # noqa: E402

CREATE = "amount=2000&currency=usd"
CONFIRM = f"{CREATE}&payment_method=pm_card_visa&confirm=true"
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


@dataclass
class Result:
    """One benchmark case."""

    case: str
    connections: int
    requests: int
    errors: int
    rps: float
    p50_ms: float
    p99_ms: float


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def wrk(case: str, url: str, body: str, key: str | None, connections: int,
        duration: float) -> Result:
    """Run wrk (one thread) against `url` with a POST of `body`; warm up first."""
    auth = f'wrk.headers["Authorization"] = "Bearer {key}"\n' if key else ""
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write('wrk.method = "POST"\n'
                     f'wrk.body = "{body}"\n'
                     'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n'
                     + auth)
        script.flush()
        base = ["wrk", "-t1", f"-c{connections}", "-s", script.name, "--latency"]
        subprocess.run([*base, "-d1s", url], capture_output=True, check=True)
        out = subprocess.run([*base, f"-d{duration:g}s", url], capture_output=True,
                             text=True, check=True).stdout
    percentile = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", out, re.M))
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    errors += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    return Result(case, connections, int(re.search(r"(\d+) requests in", out).group(1)),  # type: ignore[union-attr]
                  errors, float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
                  _ms(percentile["50"]), _ms(percentile["99"]))


def _put_latency(sim_url: str, tenant_key: str) -> None:
    urllib.request.urlopen(urllib.request.Request(  # noqa: S310 - loopback
        f"{sim_url}/_sim/scenario?tenant={tenant_key}&ahead=true", method="PUT",
        data=b"rules: [{name: fixed-50ms, effects: [{latency: {fixed: 50}}]}]"))


def _targets(results: dict[str, Result]) -> list[tuple[str, bool, str]]:
    trivial, confirm = results["trivial32"], results["confirm32"]
    injected, confirmed = results["injected128"], results["injected_confirm128"]
    ratio = confirm.rps / trivial.rps
    return [
        ("create+confirm >= 3,000 req/s at 32 connections", confirm.rps >= 3000,
         f"{confirm.rps:,.0f}"),
        ("create+confirm >= 40% of the trivial handler", ratio >= 0.40, f"{ratio:.0%}"),
        ("create+confirm p99 < 25 ms at 32 connections", confirm.p99_ms < 25,
         f"{confirm.p99_ms:.1f} ms"),
        ("50 ms injected >= 2,450 req/s at 128 connections", injected.rps >= 2450,
         f"{injected.rps:,.0f} ({injected.rps / 2560:.0%} of the ideal 2,560)"),
        ("50 ms injected p99 < 60 ms", injected.p99_ms < 60, f"{injected.p99_ms:.1f} ms"),
        ("(the same with confirm=true, for reference) >= 2,450 req/s",
         confirmed.rps >= 2450, f"{confirmed.rps:,.0f}, p99 {confirmed.p99_ms:.1f} ms"),
    ]


def main() -> int:
    """Run every case and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per case")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("bench: needs wrk (apt-get install wrk, or make deps)", file=sys.stderr)
        return 2

    sim_port, base_port = free_port(), free_port()
    workdir = tempfile.TemporaryDirectory(prefix="paylab-bench-")
    sim = subprocess.Popen(
        [sys.executable, "-m", "paylab.simulator", "serve", "--port", str(sim_port), "--db",
         str(Path(workdir.name) / "bench.db"), "--seed", "1", "--log-level", "warning"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    baseline = subprocess.Popen(
        [sys.executable, "-m", "paylab.load.baseline_server", "--port", str(base_port)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        sim_url, base_url = f"http://127.0.0.1:{sim_port}", f"http://127.0.0.1:{base_port}"
        wait_healthy(sim_url, process=sim)
        time.sleep(0.3)  # the baseline has no health endpoint; it starts in milliseconds
        create = f"{sim_url}/stripe/v1/payment_intents"
        key, slow_key = f"sk_test_{uuid.uuid4().hex}", f"sk_test_{uuid.uuid4().hex}"
        _put_latency(sim_url, slow_key)
        d = args.duration
        results = {
            "trivial32": wrk("trivial aiohttp handler (ceiling)", f"{base_url}/x", CONFIRM,
                             None, 32, d),
            "confirm32": wrk("POST payment_intents confirm=true", create, CONFIRM, key, 32, d),
            "trivial128": wrk("trivial aiohttp handler (ceiling)", f"{base_url}/x", CONFIRM,
                              None, 128, d),
            "confirm128": wrk("POST payment_intents confirm=true", create, CONFIRM, key, 128,
                              d),
            "floor128": wrk("trivial handler + asyncio.sleep(50 ms)", f"{base_url}/sleep50",
                            CONFIRM, None, 128, d),
            "injected128": wrk("POST payment_intents, 50 ms injected", create, CREATE,
                               slow_key, 128, d),
            "injected_confirm128": wrk("confirm=true, 50 ms injected", create, CONFIRM,
                                       slow_key, 128, d),
        }
        rss = psutil.Process(sim.pid).memory_info().rss / 2**20
    finally:
        for proc in (sim, baseline):
            proc.terminate()
            proc.wait(10)
        workdir.cleanup()
    print(f"\npaylab benchmark {time.strftime('%Y-%m-%d %H:%M')}  cpus={os.cpu_count()}  "
          f"client=wrk -t1  {args.duration:g} s per case\n")
    print(f"{'case':<42}{'conns':>6}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}"
          f"{'vs trivial':>12}")
    for r in results.values():
        ceiling = results["trivial128" if r.connections == 128 else "trivial32"].rps
        print(f"{r.case:<42}{r.connections:>6}{r.rps:>10.0f}{r.p50_ms:>9.2f}{r.p99_ms:>9.2f}"
              f"{r.errors:>8}{r.rps / ceiling:>11.0%}")
    print(f"\nsimulator RSS after the run: {rss:.0f} MiB")
    print("\ntargets:")
    for target, met, measured in _targets(results):
        print(f"  {'met   ' if met else 'MISSED'} {target}: {measured}")
    if args.json:
        args.json.write_text(json.dumps({k: asdict(r) for k, r in results.items()}, indent=2))
    return 0 if all(r.errors == 0 for r in results.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
