"""Start, find and stop a paylab simulator for a test run.

`start_simulator` runs `python -m paylab.simulator serve` as a subprocess on a free
loopback port (the installed package, so it works from a checkout and from a wheel alike)
and waits for `/_sim/health`; `LiveSimulator` describes one to talk to, started here or
already running at a URL.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

#: Webhook retries every 1, 2, 4, 8 virtual seconds with the clock compressed 20x and 2 s
#: per attempt: a receiver that fails gets its retries within a second or two of a test.
TEST_FLAGS = ("--retry-schedule", "1,2,4,8", "--time-scale", "20", "--webhook-timeout", "2")
#: The control token of a simulator the tests are pointed at (`--paylab-url`).
CONTROL_TOKEN_ENV = "PAYLAB_CONTROL_TOKEN"  # noqa: S105 - a variable name, not a secret
#: Seed of the simulators started here (`paylab test` exports the run's seed).
SEED_ENV = "PAYLAB_SEED"
DEFAULT_SEED = 1234

# Loopback health checks must never go through an HTTP proxy from the environment.
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def run_seed() -> int:
    """The run's seed (`paylab test` exports PAYLAB_SEED), or a fixed one for bare runs."""
    return int(os.environ.get(SEED_ENV, str(DEFAULT_SEED)))


@dataclass
class LiveSimulator:
    """A simulator the tests talk to, possibly one started by `start_simulator`."""

    url: str
    process: subprocess.Popen[bytes] | None = None
    db: Path | None = None
    log: Path | None = None

    @property
    def stripe_url(self) -> str:
        """Base address for stripe-python (`base_addresses={"api": ...}`)."""
        return f"{self.url}/stripe"

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the process and wait for it to go."""
        assert self.process is not None, "cannot kill a simulator that was not started here"
        self.process.send_signal(sig)
        self.process.wait(timeout=15)

    def log_text(self) -> str:
        """What the process printed."""
        return self.log.read_text(errors="replace") if self.log and self.log.exists() else ""


def _healthy(url: str) -> bool:
    try:
        with _NO_PROXY.open(f"{url}/_sim/health", timeout=1) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


def wait_healthy(url: str, timeout: float = 60.0,
                 process: subprocess.Popen[bytes] | None = None) -> None:
    """Poll `/_sim/health` until it answers 200; RuntimeError if it never does (or if
    `process` exits first). A start takes ~2 s on one busy core; the bound is for a
    simulator that never comes up, so it leaves room for a machine far slower than that."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"simulator could not start (exit {process.returncode})")
        if _healthy(url):
            return
        time.sleep(0.05)
    raise RuntimeError(f"simulator could not start: no health answer from {url} "
                       f"within {timeout:g} s")


def start_simulator(workdir: Path, *, port: int | None = None, db: Path | None = None,
                    flags: tuple[str, ...] = TEST_FLAGS, name: str = "sim",
                    host: str | None = None, cwd: Path | None = None) -> LiveSimulator:
    """Start `python -m paylab.simulator serve` and wait until it is healthy.

    The database and the log go into `workdir`. `host` binds another loopback address
    (127.0.0.2...); the default is 127.0.0.1. The process does not inherit
    PAYLAB_CONTROL_TOKEN: that variable names the token of a simulator the tests are
    pointed at, and one started here stays an unguarded loopback simulator unless `flags`
    say otherwise.
    """
    port = port or free_port()
    db = db or workdir / f"{name}.db"
    log = workdir / f"{name}-{port}.log"
    cmd = [sys.executable, "-m", "paylab.simulator", "serve", "--port", str(port),
           "--db", str(db), "--seed", str(run_seed()), *(("--host", host) if host else ()),
           *flags]
    env = {k: v for k, v in os.environ.items() if k != CONTROL_TOKEN_ENV}
    with log.open("ab") as out:
        process = subprocess.Popen(cmd, cwd=cwd or workdir, env=env, stdout=out,  # noqa: S603
                                   stderr=subprocess.STDOUT)
    sim = LiveSimulator(f"http://{host or '127.0.0.1'}:{port}", process, db, log)
    try:
        wait_healthy(sim.url, process=process)
    except RuntimeError as exc:
        process.kill()
        process.wait()
        raise RuntimeError(f"{exc}\n{sim.log_text()[-2000:]}") from exc
    return sim


def stop_simulator(sim: LiveSimulator) -> None:
    """Ctrl-C equivalent, then kill if it lingers."""
    if sim.process is None or sim.process.poll() is not None:
        return
    sim.process.send_signal(signal.SIGINT)
    try:
        sim.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        sim.process.kill()
        sim.process.wait()
