"""A live simulator for the suites: a real `paylab serve` process on a free port.

One per test session (each pytest invocation is one layer); every test gets its own API
key, which is its own tenant, so tests never see each other's objects. Point the suites at
another simulator with --gateway-url / PAYLAB_GATEWAY_URL; if that one is guarded by a
control token, export it as PAYLAB_CONTROL_TOKEN and the `Control` helper sends it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
import requests
import stripe
from paylab.suites.plugins.evidence import EvidenceSession

PROJECT = Path(__file__).resolve().parents[2]
#: Webhook retries every 1, 2, 4, 8 virtual seconds, compressed 20x: fast enough for tests.
TEST_FLAGS = ("--retry-schedule", "1,2,4,8", "--time-scale", "20", "--webhook-timeout", "2")
#: The control token of the simulator under test, when it runs with --control-token.
CONTROL_TOKEN_ENV = "PAYLAB_CONTROL_TOKEN"

T = TypeVar("T")


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_seed() -> int:
    """The run's seed (`paylab test` exports it), or a fixed one for bare pytest runs."""
    return int(os.environ.get("PAYLAB_SEED", "1234"))


@dataclass
class LiveSimulator:
    """A simulator the tests talk to, possibly one this fixture started."""

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
        assert self.process is not None, "cannot kill a simulator this suite did not start"
        self.process.send_signal(sig)
        self.process.wait(timeout=15)

    def log_text(self) -> str:
        """What the process printed."""
        return self.log.read_text(errors="replace") if self.log and self.log.exists() else ""


def wait_healthy(url: str, timeout: float = 20.0, process: subprocess.Popen | None = None) -> None:
    """Poll /_sim/health until it answers 200."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"simulator could not start (exit {process.returncode})")
        try:
            if requests.get(f"{url}/_sim/health", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"simulator could not start: no health answer from {url}")


def start_simulator(workdir: Path, *, port: int | None = None, db: Path | None = None,
                    flags: tuple[str, ...] = TEST_FLAGS, name: str = "sim",
                    host: str | None = None) -> LiveSimulator:
    """Start `python -m simulator serve` and wait until it is healthy.

    `host` binds another loopback address (127.0.0.2...); the default is 127.0.0.1.
    """
    port = port or free_port()
    db = db or workdir / f"{name}.db"
    log = workdir / f"{name}-{port}.log"
    cmd = [sys.executable, "-m", "paylab.simulator", "serve", "--port", str(port), "--db", str(db),
           "--seed", str(test_seed()), *(("--host", host) if host else ()), *flags]
    # PAYLAB_CONTROL_TOKEN names the token of a simulator the suites are pointed at; the
    # loopback simulators started here stay unguarded unless `flags` say otherwise, so
    # tests that call /_sim directly keep working.
    env = {k: v for k, v in os.environ.items() if k != CONTROL_TOKEN_ENV}
    with log.open("ab") as out:
        process = subprocess.Popen(cmd, cwd=PROJECT, env=env, stdout=out,
                                   stderr=subprocess.STDOUT)
    sim = LiveSimulator(f"http://{host or '127.0.0.1'}:{port}", process, db, log)
    try:
        wait_healthy(sim.url, process=process)
    except RuntimeError as exc:
        process.kill()
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


@pytest.fixture(scope="session")
def simulator_flags() -> tuple[str, ...]:
    """The flags of the simulator the session starts (a layer's conftest may override)."""
    return TEST_FLAGS


@pytest.fixture(scope="session")
def simulator(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
              simulator_flags: tuple[str, ...]) -> Iterator[LiveSimulator]:
    """The simulator under test: the one at --gateway-url, or a fresh one."""
    url = request.config.getoption("--gateway-url") or os.environ.get("PAYLAB_GATEWAY_URL")
    if url:
        wait_healthy(url.rstrip("/"), timeout=5)
        yield LiveSimulator(url.rstrip("/"))
        return
    sim = start_simulator(tmp_path_factory.mktemp("simulator"), flags=simulator_flags)
    yield sim
    stop_simulator(sim)


@pytest.fixture
def api_key() -> str:
    """A fresh test key, so a fresh tenant, per test."""
    return f"sk_test_{uuid.uuid4().hex}"


@pytest.fixture
def stripe_client(simulator: LiveSimulator, api_key: str,
                  http: EvidenceSession) -> stripe.StripeClient:
    """The official SDK pointed at the simulator; every call lands in the report."""
    return stripe.StripeClient(
        api_key,
        base_addresses={"api": simulator.stripe_url},
        http_client=stripe.RequestsClient(session=http),
        max_network_retries=0,
    )


def control_headers() -> dict[str, str]:
    """The control token as a Bearer header when PAYLAB_CONTROL_TOKEN is set (the report
    redacts Authorization), else nothing: a loopback simulator needs no token."""
    token = os.environ.get(CONTROL_TOKEN_ENV)
    return {"Authorization": f"Bearer {token}"} if token else {}


class Control:
    """The /_sim control API, for setting up and checking tests."""

    def __init__(self, url: str, session: requests.Session) -> None:
        self.url = url
        self.session = session

    def get(self, path: str, **params: Any) -> Any:
        """GET a control resource as JSON (raises on non-2xx)."""
        response = self.session.get(f"{self.url}/_sim/{path}", params=params,
                                    headers=control_headers(), timeout=10)
        response.raise_for_status()
        return response.json()

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        """POST JSON to a control resource (raises on non-2xx)."""
        response = self.session.post(f"{self.url}/_sim/{path}", json=body or {},
                                     headers=control_headers(), timeout=10)
        response.raise_for_status()
        return response.json()

    def deliveries(self, tenant_key: str, **params: Any) -> list[dict[str, Any]]:
        """This tenant's webhook deliveries, newest first."""
        return self.get("webhooks", tenant=tenant_key, **params)["deliveries"]

    def wait_for(self, fetch: Callable[[], Any], ready: Callable[[Any], bool],
                 timeout: float = 10.0) -> Any:
        """Poll `fetch()` until `ready(value)`; returns the last value (assert on it)."""
        return wait_for(fetch, ready, timeout)


def wait_for(fetch: Callable[[], T], ready: Callable[[T], bool], timeout: float = 10.0) -> T:
    """Poll `fetch()` until `ready(value)` or time runs out; the last value (assert on it)."""
    deadline = time.monotonic() + timeout
    value = fetch()
    while not ready(value) and time.monotonic() < deadline:
        time.sleep(0.05)
        value = fetch()
    return value


@pytest.fixture
def control(simulator: LiveSimulator, http: EvidenceSession) -> Control:
    """The control API of the simulator under test."""
    return Control(simulator.url, http)
