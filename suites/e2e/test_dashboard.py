"""The dashboard a QA engineer watches during a run: traffic shows up, presets switch."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import requests
import stripe
from paylab.suites.e2e.flows import snapshot
from paylab.suites.plugins.simulator import LiveSimulator
from playwright.sync_api import Page, expect


@pytest.fixture
def preset_simulator(standing_simulator: LiveSimulator) -> Iterator[LiveSimulator]:
    """The simulator whose clock only tests move: the gateway-outage preset lasts 30
    virtual seconds, which the layer's fast clock (x20) spends in 1.5 real ones, less than
    a busy machine may take between the click and the next request. The preset buttons
    switch the scenario for every tenant: whatever happens in the test, nothing is left
    switched on for the tests after it."""
    yield standing_simulator
    requests.delete(f"{standing_simulator.url}/_sim/scenario",
                    timeout=10).raise_for_status()


def test_dashboard_reflects_traffic_and_switches_presets(
        page: Page, preset_simulator: LiveSimulator) -> None:
    simulator = preset_simulator
    api = stripe.StripeClient(f"sk_test_{uuid.uuid4().hex}",
                              base_addresses={"api": simulator.stripe_url})
    page.goto(f"{simulator.url}/_sim/")
    expect(page.get_by_test_id("live")).to_have_text("live")
    for _ in range(5):
        api.v1.payment_intents.create(params={"amount": 2000, "currency": "usd",
                                              "payment_method": "pm_card_visa",
                                              "confirm": True})
    expect(page.get_by_test_id("methods")).to_contain_text("stripe")
    expect(page.get_by_test_id("journal-tail")).to_contain_text("/stripe/v1/payment_intents")
    expect(page.get_by_test_id("kpi-success")).not_to_have_text("–")

    page.get_by_test_id("preset-gateway-outage").click()
    expect(page.get_by_test_id("scenario-name")).to_have_text("gateway-outage")
    expect(page.get_by_test_id("preset-gateway-outage")).to_have_attribute("aria-pressed", "true")
    status = requests.get(f"{simulator.stripe_url}/v1/payment_intents", timeout=10,
                          headers={"Authorization": f"Bearer sk_test_{uuid.uuid4().hex}"})
    assert status.status_code == 503
    expect(page.get_by_test_id("kpi-injected")).not_to_have_text("0", timeout=5000)
    snapshot(page, "the dashboard during an outage")
    page.get_by_test_id("clear-scenario").click()
    expect(page.get_by_test_id("scenario-name")).to_have_text("none")
    assert requests.get(f"{simulator.url}/_sim/scenario", timeout=10).json()["scenario"] is None
