"""The suites' simulator fixtures: paylab's own pytest plugin (`paylab.testing`), under
the names the suites use, with the report's evidence session.

One simulator per test session (each pytest invocation is one layer), a `paylab serve`
process on a free port started by the plugin; every test gets its own API key, which is
its own tenant, so tests never see each other's objects. Point the suites at another
simulator with --gateway-url / PAYLAB_GATEWAY_URL (or the plugin's --paylab-url); if that
one is guarded by a control token, export it as PAYLAB_CONTROL_TOKEN (or pass
--paylab-control-token) and the `Control` client sends it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import stripe
from paylab.suites.plugins.evidence import EvidenceSession

from paylab.testing.control import ControlClient as Control
from paylab.testing.control import wait_for
from paylab.testing.server import (
    TEST_FLAGS,
    LiveSimulator,
    free_port,
    start_simulator,
    stop_simulator,
    wait_healthy,
)
from paylab.testing.server import run_seed as test_seed

__all__ = ["PROJECT", "TEST_FLAGS", "Control", "LiveSimulator",
           "free_port", "start_simulator", "stop_simulator", "test_seed",
           "wait_for", "wait_healthy"]

PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def simulator_flags() -> tuple[str, ...]:
    """The flags of the simulator the session starts (a layer's conftest may override)."""
    return TEST_FLAGS


@pytest.fixture(scope="session")
def paylab_simulator_flags(simulator_flags: tuple[str, ...]) -> tuple[str, ...]:
    """The plugin starts its simulator with the suites' flags."""
    return simulator_flags


@pytest.fixture(scope="session")
def paylab_url(pytestconfig: pytest.Config) -> str | None:
    """--gateway-url / PAYLAB_GATEWAY_URL (the suites' names), else the plugin's own."""
    url = (pytestconfig.getoption("--gateway-url") or os.environ.get("PAYLAB_GATEWAY_URL")
           or pytestconfig.getoption("--paylab-url") or os.environ.get("PAYLAB_URL"))
    return url.rstrip("/") if url else None


@pytest.fixture(scope="session")
def simulator(paylab_simulator: LiveSimulator) -> LiveSimulator:
    """The simulator under test: the one at --gateway-url, or a fresh one."""
    return paylab_simulator


@pytest.fixture
def paylab_session(http: EvidenceSession) -> EvidenceSession:
    """Every call of the plugin's clients goes through the evidence session, so it lands
    in the report and, in the checked layers, is validated against contracts/."""
    return http


@pytest.fixture
def api_key(paylab_api_key: str) -> str:
    """A fresh test key, so a fresh tenant, per test."""
    return paylab_api_key


@pytest.fixture
def stripe_client(paylab_stripe: stripe.StripeClient) -> stripe.StripeClient:
    """The official SDK pointed at the simulator; every call lands in the report."""
    return paylab_stripe


@pytest.fixture
def control(paylab_control: Control) -> Control:
    """The control API of the simulator under test (bound to the test's tenant)."""
    return paylab_control

