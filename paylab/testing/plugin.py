"""paylab's pytest plugin: a simulator, a tenant, a Stripe client, the control API and a
webhook inbox as fixtures.

Installed with paylab and loaded by pytest through the `pytest11` entry point, so a
merchant's suite needs no conftest:

    def test_pays(paylab_stripe):
        intent = paylab_stripe.v1.payment_intents.create(params={
            "amount": 2000, "currency": "usd", "payment_method": "pm_card_visa",
            "confirm": True})
        assert intent.status == "succeeded"

Fixtures (override any of them in a conftest to change it):

- `paylab_simulator` (session): a `paylab serve` subprocess on a free loopback port, or the
  simulator at `--paylab-url` / PAYLAB_URL; stopped at the end of the session.
- `paylab_api_key`: a fresh `sk_test_` key from `secrets` per test, so a fresh tenant.
- `paylab_stripe`: a `stripe.StripeClient` for that tenant, on the simulator's `/stripe`.
- `paylab_control`: the control API bound to that tenant (`ControlClient`): scenarios as
  context managers, `clock.advance()`, journal, ledger, deliveries, waits.
- `paylab_webhooks`: a `WebhookInbox`: a loopback receiver registered as the tenant's
  webhook endpoint, keeping the events whose signature the `stripe` SDK verifies.
- `paylab_simulator_flags`, `paylab_url`, `paylab_control_token`, `paylab_session`:
  configuration a conftest may override.

Marker: `@pytest.mark.paylab_scenario("slow-gateway")` (a preset, or YAML/JSON text) runs
the test under that scenario for its tenant.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # imported lazily below: the plugin loads in every pytest run
    import requests
    import stripe

    from paylab.testing.control import ControlClient
    from paylab.testing.server import LiveSimulator
    from paylab.testing.webhooks import WebhookInbox

URL_ENV = "PAYLAB_URL"
TOKEN_ENV = "PAYLAB_CONTROL_TOKEN"  # noqa: S105 - the variable's name, not a secret
MARKER = "paylab_scenario"


def pytest_addoption(parser: pytest.Parser) -> None:
    """--paylab-url and --paylab-control-token."""
    group = parser.getgroup("paylab", "paylab simulator")
    group.addoption("--paylab-url", default=None, metavar="URL",
                    help=f"use the paylab simulator running at URL instead of starting one "
                         f"(env {URL_ENV})")
    group.addoption("--paylab-control-token", default=None, metavar="TOKEN",
                    help=f"control token of that simulator, sent to /_sim (env {TOKEN_ENV}, "
                         "which keeps it out of the process list)")


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker, so --strict-markers accepts it."""
    config.addinivalue_line(
        "markers", f"{MARKER}(name_or_text): run the test under this scenario for its own "
                   "tenant: a preset name (e.g. slow-gateway) or scenario YAML/JSON text")


@pytest.fixture(scope="session")
def paylab_url(pytestconfig: pytest.Config) -> str | None:
    """The simulator to use instead of starting one (None: start one)."""
    url = pytestconfig.getoption("--paylab-url") or os.environ.get(URL_ENV)
    return url.rstrip("/") if url else None


@pytest.fixture(scope="session")
def paylab_control_token(pytestconfig: pytest.Config) -> str | None:
    """The control token sent to /_sim, if any."""
    return pytestconfig.getoption("--paylab-control-token") or os.environ.get(TOKEN_ENV) or None


@pytest.fixture(scope="session")
def paylab_simulator_flags() -> tuple[str, ...]:
    """`paylab serve` flags of the simulator the session starts: fast webhook retries."""
    from paylab.testing.server import TEST_FLAGS

    return TEST_FLAGS


@pytest.fixture(scope="session")
def paylab_simulator(paylab_url: str | None, paylab_simulator_flags: tuple[str, ...],
                     tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSimulator]:
    """The simulator under test: the one at --paylab-url, or a fresh loopback one."""
    from paylab.testing.server import LiveSimulator, start_simulator, stop_simulator, wait_healthy

    if paylab_url:
        wait_healthy(paylab_url, timeout=10)
        yield LiveSimulator(paylab_url)
        return
    sim = start_simulator(tmp_path_factory.mktemp("paylab"), flags=paylab_simulator_flags)
    try:
        yield sim
    finally:
        stop_simulator(sim)


@pytest.fixture
def paylab_api_key() -> str:
    """A fresh test key from the OS's CSPRNG per test: each key is its own tenant."""
    return f"sk_test_{secrets.token_hex(16)}"


@pytest.fixture
def paylab_session() -> Iterator[requests.Session]:
    """The HTTP session the control client and the Stripe client share."""
    import requests

    with requests.Session() as session:
        yield session


@pytest.fixture
def paylab_stripe(paylab_simulator: LiveSimulator, paylab_api_key: str,
                  paylab_session: requests.Session) -> stripe.StripeClient:
    """The official SDK for this test's tenant, pointed at the simulator. Network retries
    are off, so an injected fault shows as it happened."""
    import stripe

    return stripe.StripeClient(
        paylab_api_key,
        base_addresses={"api": paylab_simulator.stripe_url},
        http_client=stripe.RequestsClient(session=paylab_session),
        max_network_retries=0,
    )


@pytest.fixture
def paylab_control(request: pytest.FixtureRequest, paylab_simulator: LiveSimulator,
                   paylab_api_key: str, paylab_session: requests.Session,
                   paylab_control_token: str | None) -> Iterator[ControlClient]:
    """The control API bound to this test's tenant; applies a `paylab_scenario` marker."""
    from paylab.testing.control import ControlClient

    control = ControlClient(paylab_simulator.url, paylab_session, token=paylab_control_token,
                            tenant=paylab_api_key)
    marker = request.node.get_closest_marker(MARKER)
    if marker is None:
        yield control
        return
    with control.scenario(*_scenario_args(marker)):
        yield control


def _scenario_args(marker: pytest.Mark) -> tuple[Any, ...]:
    if len(marker.args) != 1 or marker.kwargs:
        raise pytest.UsageError(f"@pytest.mark.{MARKER} takes one argument: a preset name, "
                                "scenario YAML/JSON text or a Path")
    scenario = marker.args[0]
    if not isinstance(scenario, str | Path):
        raise pytest.UsageError(f"@pytest.mark.{MARKER}: expected str or Path, got "
                                f"{type(scenario).__name__}")
    return (scenario,)


@pytest.fixture(autouse=True)
def _paylab_scenario_marker(request: pytest.FixtureRequest) -> None:
    """A test marked `paylab_scenario` gets its scenario even if it only asks for
    `paylab_stripe` (the control fixture applies it)."""
    if request.node.get_closest_marker(MARKER) is not None:
        request.getfixturevalue("paylab_control")


@pytest.fixture
def paylab_webhooks(paylab_stripe: stripe.StripeClient) -> Iterator[WebhookInbox]:
    """A webhook endpoint for this test's tenant on a loopback receiver; `.events` holds
    what arrived with a valid signature, `.wait_for_event(type)` waits for one."""
    from paylab.testing.webhooks import WebhookInbox

    inbox = WebhookInbox(paylab_stripe).start()
    try:
        yield inbox
    finally:
        inbox.stop()
