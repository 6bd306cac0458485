"""`paylab load`: Locust against the running stack, as a web UI or a headless, gated profile.

Locust runs in its own processes (it patches the standard library with gevent), one
master and N workers when asked. A headless run switches an optional scenario preset on
for its duration, checks the profile's SLO (load/slo.yaml), leaves CSV, HTML and the
verdicts in reports/load/, and writes one Allure result for the run.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
from paylab.load.common import settings
from paylab.load.common.allure_result import write_result
from paylab.load.common.profiles import Profile, ProfileError, duration, load_profile
from paylab.simulator.ports import Listener, PortUnavailable, check_free

ROOT = Path(__file__).resolve().parent.parent
LOCUSTFILE = ROOT / "load" / "locustfile.py"
#: Seconds a headless run may overrun its profile before it is stopped.
GRACE_S = 60
#: Locust's own default port between master and workers.
MASTER_PORT = 5557


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of `paylab load` (the CLI builds its parser from this)."""
    parser.add_argument("--headless", action="store_true",
                        help="run a profile without the web UI and gate on its SLO")
    parser.add_argument("--profile", default="smoke",
                        help="headless profile from load/profiles.yaml (default smoke)")
    parser.add_argument("--preset", help="scenario preset to switch on for the whole run")
    parser.add_argument("--workers", type=int, default=0,
                        help="Locust worker processes (0: one process does everything)")
    parser.add_argument("--gateway-url", help="the simulator (default 127.0.0.1:8080)")
    parser.add_argument("--merchant-url", help="the shop (default 127.0.0.1:8000)")
    parser.add_argument("--web-port", type=int, default=8089, help="web UI port (8089)")
    parser.add_argument("--worker", action="store_true",
                        help="only start workers that join the master at --master-host")
    parser.add_argument("--master-host", default="127.0.0.1", help="master to join")
    parser.add_argument("--master-port", type=int,
                        help=f"master's port (default {MASTER_PORT}; a free one when the "
                             "master only serves its own local workers)")
    parser.add_argument("--master-bind-host", default="127.0.0.1",
                        help="where the master listens for workers (other machines: 0.0.0.0)")
    parser.add_argument("--expect-workers", type=int,
                        help="headless master: wait for this many workers in all "
                             "(default --workers)")
    parser.add_argument("--alluredir", default=str(ROOT / "reports" / "allure-results"),
                        help="where the run's Allure result goes")
    parser.add_argument("--reports", default=str(ROOT / "reports" / "load"),
                        help="where CSV, HTML and SLO verdicts go (reports/load)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _locust(*args: str) -> list[str]:
    return [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--loglevel", "INFO", *args]


def _answers(url: str) -> bool:
    try:
        return requests.get(f"{url}/_sim/health", timeout=3,
                            headers=settings.control_headers()).status_code == 200
    except requests.RequestException:
        return False


def _start(cmd: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(cmd, cwd=ROOT, env=env)


def _stop(processes: list[subprocess.Popen[bytes]], wait: float = 10) -> None:
    for proc in processes:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
    deadline = time.monotonic() + wait
    for proc in processes:
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _workers(count: int, host: str, port: int, env: dict[str, str]
             ) -> list[subprocess.Popen[bytes]]:
    return [_start(_locust("--worker", "--master-host", host, "--master-port", str(port)), env)
            for _ in range(count)]


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through the cleanup that stops Locust


def run(options: argparse.Namespace) -> int:
    """Run `paylab load` with parsed `options`; returns the exit code."""
    # a CI job or a test that terminates us must not leave Locust running behind
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    gateway = (options.gateway_url or settings.gateway_url()).rstrip("/")
    merchant = (options.merchant_url or settings.merchant_url()).rstrip("/")
    env = {**os.environ, "PAYLAB_GATEWAY_URL": gateway, "PAYLAB_MERCHANT_URL": merchant,
           "PAYLAB_LOAD_REPORTS": options.reports}
    if options.worker:
        workers = _workers(max(1, options.workers), options.master_host,
                           options.master_port or MASTER_PORT, env)
        try:
            return max(proc.wait() for proc in workers)
        except (KeyboardInterrupt, SystemExit):
            _stop(workers)
            return 0
    if not _answers(gateway):
        print(f"paylab load: nothing answers at {gateway}/_sim/health. Start the stack "
              "with `make up` (or `paylab up`), or pass --gateway-url.", file=sys.stderr)
        return 2
    if options.headless:
        try:
            profile = load_profile(options.profile)
        except ProfileError as exc:
            print(f"paylab load: {exc}", file=sys.stderr)
            return 2
        return _headless(options, profile, gateway, env)
    return _web_ui(options, gateway, merchant, env)


def _master_flags(options: argparse.Namespace, expect: int | None) -> tuple[list[str], int]:
    """Flags that make Locust a master, and its port: the one asked for, a free one when
    only this command's own workers join, else Locust's default (where workers look)."""
    local_only = options.master_bind_host == "127.0.0.1" and not options.expect_workers
    port = options.master_port or (_free_port() if local_only else MASTER_PORT)
    flags = ["--master", "--master-bind-host", options.master_bind_host,
             "--master-bind-port", str(port)]
    return flags + (["--expect-workers", str(expect)] if expect else []), port


def _headless(options: argparse.Namespace, profile: Profile, gateway: str,
              env: dict[str, str]) -> int:
    reports = Path(options.reports)
    reports.mkdir(parents=True, exist_ok=True)
    for stale in reports.glob(f"{profile.name}[_.-]*"):
        stale.unlink()
    prefix = reports / profile.name
    env = {**env, "PAYLAB_LOAD_PROFILE": profile.name, "PAYLAB_LOAD_SHAPE": profile.shape}
    cmd = _locust("--headless", "--only-summary", "--csv", str(prefix),
                  "--html", f"{prefix}.html", *profile.users)
    port = 0
    expect = options.expect_workers or options.workers
    if expect:
        flags, port = _master_flags(options, expect)
        cmd += flags
    started = time.time()
    preset_on = False
    running: list[subprocess.Popen[bytes]] = []
    try:
        if options.preset:
            answer = requests.put(f"{gateway}/_sim/scenario", params={"preset": options.preset},
                                  timeout=10, headers=settings.control_headers())
            if answer.status_code != 200:
                print(f"paylab load: preset {options.preset} refused: {answer.text[:300]}",
                      file=sys.stderr)
                return 2
            preset_on = True
        master = _start(cmd, env)
        running = [master, *(_workers(options.workers, "127.0.0.1", port, env)
                             if options.workers else [])]
        try:
            code = master.wait(timeout=duration(profile) + GRACE_S)
        except subprocess.TimeoutExpired:
            print("paylab load: the run overran its profile; stopping it", file=sys.stderr)
            code = 1
        _stop(running)
    except (KeyboardInterrupt, SystemExit):
        _stop(running)
        return 130
    finally:
        if preset_on:
            requests.delete(f"{gateway}/_sim/scenario", timeout=10,
                            headers=settings.control_headers())
    return _conclude(options, profile, prefix, code, started)


def _conclude(options: argparse.Namespace, profile: Profile, prefix: Path, code: int,
              started: float) -> int:
    verdict_file = prefix.with_name(f"{profile.name}-slo.json")
    verdict = json.loads(verdict_file.read_text()) if verdict_file.exists() else None
    if verdict is None:
        message = f"Locust ended with exit code {code} before the SLO gate ran"
        verdicts: list[dict] = []
    else:
        verdicts = verdict["verdicts"]
        missed = [v for v in verdicts if not v["met"]]
        message = (f"{verdict['requests']} requests, {verdict['failures']} failed, "
                   f"{verdict['rps']} req/s"
                   + (", Locust warned of high CPU" if verdict["cpu_warning"] else "")
                   + ("; SLO missed: " + "; ".join(
                       f"{v['objective']} = {v['measured']} (limit {v['limit']})"
                       for v in missed) if missed else "; every SLO met"))
        unjudged = [v for v in verdicts if not v.get("judged", True)]
        if unjudged:
            message += ("; reported, not judged: " + "; ".join(
                f"{v['objective']} ({v['note']})" for v in unjudged))
        if verdict["failures_by_reason"]:
            top = verdict["failures_by_reason"][0]
            message += f"; most failures: {top['count']}x {top['name']}: {top['reason']}"
    print(f"\npaylab load: profile {profile.name}"
          + (f" with preset {options.preset}" if options.preset else "") + f": {message}")
    print(f"paylab load: reports in {prefix.parent} ({prefix.name}.html, "
          f"{prefix.name}_stats.csv, {verdict_file.name})")
    name = f"{profile.name} profile" + (f" under {options.preset}" if options.preset else "")
    write_result(Path(options.alluredir), name=name, passed=code == 0, message=message,
                 start_ms=int(started * 1000), stop_ms=int(time.time() * 1000),
                 files=[prefix.with_name(f"{prefix.name}.html"),
                        prefix.with_name(f"{prefix.name}_stats.csv"),
                        prefix.with_name(f"{prefix.name}_failures.csv"), verdict_file],
                 verdicts=verdicts,
                 parameters={"profile": profile.name, "preset": options.preset or "none",
                             "workers": str(options.expect_workers or options.workers
                                           or "none (one process)")})
    return code


def _web_ui(options: argparse.Namespace, gateway: str, merchant: str,
            env: dict[str, str]) -> int:
    try:
        # Locust would print the URL, then fail to bind with two gevent tracebacks
        check_free([Listener("--web-port", "127.0.0.1", options.web_port)])
    except PortUnavailable as exc:
        print(f"paylab load: {exc}", file=sys.stderr)
        return 2
    env = {**env, "PAYLAB_LOAD_SHAPES": "all"}
    cmd = _locust("--web-host", "127.0.0.1", "--web-port", str(options.web_port),
                  "--class-picker", "--users", "20", "--spawn-rate", "10")
    port = 0
    if options.workers:
        flags, port = _master_flags(options, None)
        cmd += flags
    print(f"Locust web UI   http://127.0.0.1:{options.web_port}   (gateway {gateway}, "
          f"shop {merchant}; the 'Paylab simulator' tab switches presets)\nCtrl-C stops it.",
          flush=True)
    master = _start(cmd, env)
    helpers = _workers(options.workers, "127.0.0.1", port, env) if options.workers else []
    try:
        return master.wait()
    except (KeyboardInterrupt, SystemExit):
        return 0
    finally:
        _stop([master, *helpers])
