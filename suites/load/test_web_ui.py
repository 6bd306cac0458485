"""The Locust web UI as a tester uses it: start `paylab load`, start a run from the form,
switch the gateway-outage preset on from the Paylab tab, watch failures rise in Locust's
own stats, and stop the run."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator

import pytest
import requests
from paylab.suites.load.conftest import PAYLAB
from paylab.suites.plugins.evidence import attach_screenshot
from paylab.suites.plugins.shop import Shop
from paylab.suites.plugins.simulator import PROJECT, LiveSimulator, free_port, wait_for
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout


@pytest.fixture
def locust_ui(simulator: LiveSimulator, shop: Shop, browser_evidence: None) -> Iterator[str]:
    """`paylab load` (web UI mode) on a free port; its URL."""
    port = free_port()
    process = subprocess.Popen(
        [str(PAYLAB), "load", "--web-port", str(port), "--gateway-url", simulator.url,
         "--merchant-url", shop.url], cwd=PROJECT,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"

    def answering() -> bool:
        try:
            return requests.get(url, timeout=1).status_code == 200
        except requests.RequestException:
            return False

    def extended() -> bool:
        # Locust serves its page before its init listeners have run; the Paylab tab is in
        # the page only once ours has, so a page loaded earlier would lack it
        try:
            return "Paylab simulator" in requests.get(url, timeout=1).text
        except requests.RequestException:
            return False

    try:
        assert wait_for(extended, bool, 30), "the Locust web UI never came up with its tab"
        yield url
    finally:
        process.terminate()
        process.wait(20)
        requests.delete(f"{simulator.url}/_sim/scenario", timeout=10)
    assert not answering(), "terminating paylab load left Locust running"


def _stats(url: str) -> dict:
    return requests.get(f"{url}/stats/requests", timeout=5).json()


def open_paylab_tab(page: Page) -> None:
    """Open the Paylab tab of a running swarm. Locust's page sometimes stays on its start
    form after Start although the swarm runs (seen after the gate's long runs; the cause is
    Locust's front end, not the tab): its own state then shows only after a reload."""
    tab = page.get_by_role("tab", name="Paylab simulator")
    try:
        tab.wait_for(timeout=10_000)
    except PlaywrightTimeout:
        page.reload()
        tab.wait_for(timeout=20_000)
    tab.click()


def test_switch_a_preset_mid_run_and_see_failures_rise(page: Page, locust_ui: str,
                                                       simulator: LiveSimulator) -> None:
    page.goto(locust_ui)
    page.fill("input[name=userCount]", "6")
    page.fill("input[name=spawnRate]", "6")
    page.get_by_role("button", name="Start").click()

    healthy = wait_for(lambda: _stats(locust_ui), lambda s: s["total_rps"] > 20, 20)
    assert healthy["total_rps"] > 20 and healthy["fail_ratio"] < 0.01, healthy["errors"]

    open_paylab_tab(page)
    expect(page.get_by_role("cell", name="requests/s (last 5 s)")).to_be_visible()
    outage = page.locator("[data-testid=paylab-preset-gateway-outage]")
    outage.click()
    expect(page.get_by_test_id("paylab-status")).to_have_text("gateway-outage is on")
    expect(outage).to_have_attribute("aria-pressed", "true", timeout=5000)
    active = requests.get(f"{simulator.url}/_sim/scenario", timeout=5).json()
    assert active["scenario"]["name"] == "gateway-outage"

    failing = wait_for(lambda: _stats(locust_ui), lambda s: s["fail_ratio"] > 0.2, 20)
    assert failing["fail_ratio"] > 0.2, failing
    expect(page.get_by_role("cell", name="gateway-outage")).to_be_visible()
    attach_screenshot(page, "the Paylab tab, gateway-outage on")
    assert any("service_unavailable" in e["error"] for e in failing["errors"])
    page.get_by_role("tab", name="Statistics").click()
    expect(page.locator("header")).to_contain_text(re.compile(r"Failures\s*[1-9]\d*%"))
    expect(page.get_by_test_id("paylab-controls")).to_have_count(0)  # only on its own tab

    page.get_by_role("button", name="Stop").click()
    stopped = wait_for(lambda: _stats(locust_ui), lambda s: s["state"] == "stopped", 15)
    assert stopped["state"] == "stopped"
    # Locust's own header sometimes keeps showing "cleanup" after the runner has stopped
    # (its Stop request still loading; seen in about one run in five, cause not found):
    # the run itself is judged above, and a fresh page must show it stopped.
    try:
        expect(page.locator("header")).to_contain_text(re.compile("stopped", re.I),
                                                        timeout=10000)
    except AssertionError:
        page.reload()
        expect(page.locator("header")).to_contain_text(re.compile("stopped", re.I),
                                                        timeout=10000)
    time.sleep(0.5)  # the final screenshot shows the stopped run
