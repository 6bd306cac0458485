"""Side-by-side throughput benchmark: the simulator against a trivial aiohttp handler.

Starts the baseline server (a trivial aiohttp handler, and one that only sleeps 50 ms) and
a fresh simulator with one worker process, then one with two (`paylab serve --workers 2`),
on loopback, and drives them with wrk (a C load generator, so the client costs little of
the cores), case after case in one run. Prints requests/s, p50 and p99, the ratio to the
trivial handler measured in the same run, the scaling from one worker to two, the
simulator's memory per worker, the machine and the command, and whether each target of
the speed issue is met.

    .venv/bin/python load/bench.py [--duration 5] [--workers 1,2] [--json out.json]

Needs `wrk` (Debian package wrk; `make deps` installs it).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import socket
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
    ceiling: str = "trivial32"  # the case it is compared with


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def wrk(case: str, url: str, body: str, key: str | None, connections: int,
        duration: float, ceiling: str = "trivial32") -> Result:
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
    percentile = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.M))
    if "99" not in percentile:
        raise RuntimeError(f"bench: wrk measured nothing on {url}:\n{out}")
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    errors += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    return Result(case, connections, int(re.search(r"(\d+) requests in", out).group(1)),  # type: ignore[union-attr]
                  errors, float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
                  _ms(percentile["50"]), _ms(percentile["99"]), ceiling)


def _put_latency(sim_url: str, tenant_key: str) -> None:
    urllib.request.urlopen(urllib.request.Request(  # noqa: S310 - loopback
        f"{sim_url}/_sim/scenario?tenant={tenant_key}&ahead=true", method="PUT",
        data=b"rules: [{name: fixed-50ms, effects: [{latency: {fixed: 50}}]}]"))


def workers_supported() -> bool:
    """Whether `paylab serve` takes --workers (issue 16's several worker processes)."""
    out = subprocess.run([sys.executable, "-m", "paylab.simulator", "serve", "--help"],
                         cwd=ROOT, capture_output=True, text=True, check=False).stdout
    return "--workers" in out


def _wait_listening(port: int, timeout: float = 20.0) -> None:
    """Wait until something accepts connections on the loopback `port`."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _rss_mib(proc: subprocess.Popen) -> list[float]:
    """Resident memory of each serving process (the workers, else the process itself)."""
    me = psutil.Process(proc.pid)
    children = [c for c in me.children(recursive=True) if "python" in c.name().lower()]
    return [p.memory_info().rss / 2**20 for p in (children or [me])]


def _simulator_cases(workers: int, sim_url: str, d: float) -> dict[str, Result]:
    create = f"{sim_url}/stripe/v1/payment_intents"
    key, slow_key = f"sk_test_{uuid.uuid4().hex}", f"sk_test_{uuid.uuid4().hex}"
    _put_latency(sim_url, slow_key)
    w = f"w{workers}"
    label = f"[{workers} worker{'s' if workers > 1 else ''}]"
    cases = {
        f"confirm32_{w}": wrk(f"create+confirm {label}", create, CONFIRM, key, 32, d),
        f"confirm128_{w}": wrk(f"create+confirm {label}", create, CONFIRM, key, 128, d,
                               "trivial128"),
        f"injected_confirm128_{w}": wrk(f"create+confirm, 50 ms injected {label}", create,
                                        CONFIRM, slow_key, 128, d, "floor128"),
    }
    if workers == 1:  # the plain create of the earlier latency target
        cases[f"injected128_{w}"] = wrk(f"create, 50 ms injected {label}", create, CREATE,
                                        slow_key, 128, d, "floor128")
    return cases


def run_simulator(workers: int, d: float) -> tuple[dict[str, Result], list[float]]:
    """Start a fresh simulator with `workers` processes, run its cases, stop it."""
    port = free_port()
    workdir = tempfile.TemporaryDirectory(prefix="paylab-bench-")
    command = [sys.executable, "-m", "paylab.simulator", "serve", "--port", str(port), "--db",
               str(Path(workdir.name) / "bench.db"), "--seed", "1", "--log-level", "warning"]
    if workers > 1:
        command += ["--workers", str(workers)]
    sim = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, process=sim)
        time.sleep(0.5 if workers > 1 else 0)  # every worker listening
        results = _simulator_cases(workers, url, d)
        rss = _rss_mib(sim)
    finally:
        sim.terminate()
        sim.wait(15)
        workdir.cleanup()
    return results, rss


def targets(results: dict[str, Result]) -> list[tuple[str, bool | None, str]]:
    """(target, met or None when not measured, what was measured)."""
    trivial, floor = results["trivial32"].rps, results["floor128"].rps
    out: list[tuple[str, bool | None, str]] = []
    for workers, share in ((1, 0.18), (2, 0.30)):
        confirm = results.get(f"confirm32_w{workers}")
        name = f"create+confirm, {workers} worker{'s' if workers > 1 else ''}"
        if confirm is None:
            out.append((f"{name} >= {share:.2f} of the trivial handler", None, "not run"))
            continue
        ratio = confirm.rps / trivial
        out += [(f"{name} >= {share:.2f} of the trivial handler", ratio >= share,
                 f"{ratio:.3f} ({confirm.rps:,.0f} req/s)"),
                (f"{name}: p99 < 25 ms at 32 connections", confirm.p99_ms < 25,
                 f"{confirm.p99_ms:.1f} ms")]
        injected = results.get(f"injected_confirm128_w{workers}")
        if injected is not None:
            out += [(f"{name}, 50 ms injected at 128: >= the sleep handler's req/s",
                     injected.rps >= floor, f"{injected.rps:,.0f} vs {floor:,.0f} "
                     f"({injected.rps / floor:.1%})"),
                    (f"{name}, 50 ms injected: p99 <= 60 ms", injected.p99_ms <= 60,
                     f"{injected.p99_ms:.1f} ms")]
    plain = results.get("injected128_w1")
    if plain is not None:
        out.append(("create (no confirm), 50 ms injected: >= the sleep handler, p99 <= 60 ms",
                    plain.rps >= floor and plain.p99_ms <= 60,
                    f"{plain.rps:,.0f} ({plain.rps / floor:.1%}), p99 {plain.p99_ms:.1f} ms"))
    sim = [r for k, r in results.items() if not k.startswith(("trivial", "floor"))]
    errors = sum(r.errors for r in sim)
    out.append(("non-2xx answers and socket errors: zero", errors == 0, str(errors)))
    return out


def scaling(results: dict[str, Result]) -> str | None:
    """The 1 -> 2 worker speed-up of create+confirm, and Amdahl's guess at 8 workers."""
    one, two = results.get("confirm32_w1"), results.get("confirm32_w2")
    if one is None or two is None or one.rps == 0:
        return None
    speedup = two.rps / one.rps
    serial = min(1.0, max(0.0, 2 / speedup - 1)) if speedup > 0 else 1.0
    at8 = 1 / (serial + (1 - serial) / 8)
    return (f"scaling 1 -> 2 workers (create+confirm, 32 connections): x{speedup:.2f}; "
            f"Amdahl's law with that serial share ({serial:.0%}) guesses x{at8:.1f} at 8 "
            "workers on 8 free cores (here wrk and the baseline share the same cores, so the "
            "2-worker figure understates it)")


def main() -> int:
    """Run every case and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per case")
    parser.add_argument("--workers", default="1,2",
                        help="worker counts to measure, comma-separated (default 1,2)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("bench: needs wrk (apt-get install wrk, or make deps)", file=sys.stderr)
        return 2
    counts = [int(n) for n in args.workers.split(",") if n.strip()]
    if any(n > 1 for n in counts) and not workers_supported():
        print("bench: this paylab has no `serve --workers`: measuring one worker only",
              file=sys.stderr)
        counts = [n for n in counts if n == 1] or [1]

    base_port = free_port()
    baseline = subprocess.Popen(
        [sys.executable, "-m", "paylab.load.baseline_server", "--port", str(base_port)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rss: dict[int, list[float]] = {}
    try:
        _wait_listening(base_port)
        base_url, d = f"http://127.0.0.1:{base_port}", args.duration
        results = {
            "trivial32": wrk("trivial aiohttp handler (ceiling)", f"{base_url}/x", CONFIRM,
                             None, 32, d),
            "trivial128": wrk("trivial aiohttp handler (ceiling)", f"{base_url}/x", CONFIRM,
                              None, 128, d, "trivial128"),
            "floor128": wrk("trivial handler + asyncio.sleep(50 ms)", f"{base_url}/sleep50",
                            CONFIRM, None, 128, d, "floor128"),
        }
        for n in counts:
            cases, rss[n] = run_simulator(n, d)
            results.update(cases)
    finally:
        baseline.terminate()
        baseline.wait(10)
    print(f"\npaylab benchmark {time.strftime('%Y-%m-%d %H:%M')}  cpus={os.cpu_count()}  "
          f"python {platform.python_version()} ({platform.machine()})  client=wrk -t1  "
          f"{d:g} s per case")
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}\n")
    print(f"{'case':<46}{'conns':>6}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}"
          f"{'ratio':>8}  vs")
    for r in results.values():
        ceiling = results[r.ceiling].rps
        print(f"{r.case:<46}{r.connections:>6}{r.rps:>9.0f}{r.p50_ms:>9.2f}{r.p99_ms:>9.2f}"
              f"{r.errors:>8}{r.rps / ceiling:>8.3f}  {r.ceiling}")
    for n, sizes in rss.items():
        print(f"\nsimulator RSS after the run, {n} worker(s): "
              + ", ".join(f"{s:.0f} MiB" for s in sizes))
    line = scaling(results)
    if line:
        print(f"\n{line}")
    print("\ntargets:")
    for target, met, measured in targets(results):
        state = "n/a   " if met is None else ("met   " if met else "MISSED")
        print(f"  {state} {target}: {measured}")
    if args.json:
        args.json.write_text(json.dumps({k: asdict(r) for k, r in results.items()}, indent=2))
    return 0 if all(r.errors == 0 for r in results.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
