"""The Paylab tab of the Locust web UI (issue 11): a live chart of the simulator's figures,
what each preset does, and the time left in a timed scenario window."""

from __future__ import annotations

import re

import requests
from paylab.suites.load.test_web_ui import (  # noqa: F401 - the shared fixture
    locust_ui,
    open_paylab_tab,
)
from paylab.suites.plugins.evidence import attach_screenshot
from paylab.suites.plugins.simulator import LiveSimulator, wait_for
from playwright.sync_api import Page, expect


def _stats(url: str) -> dict:
    return requests.get(f"{url}/stats/requests", timeout=5).json()


def test_the_tab_charts_the_simulator_describes_presets_and_counts_down(
        page: Page, locust_ui: str, simulator: LiveSimulator) -> None:  # noqa: F811
    page.goto(locust_ui)
    page.fill("input[name=userCount]", "2")
    page.fill("input[name=spawnRate]", "2")
    page.get_by_role("button", name="Start").click()
    wait_for(lambda: _stats(locust_ui), lambda s: s["total_rps"] > 2, 20)

    open_paylab_tab(page)
    expect(page.get_by_test_id("paylab-chart").locator("polyline")).to_have_count(4)
    expect(page.get_by_test_id("paylab-legend").locator("li")).to_have_text(
        ["calls", "failed", "injected faults", "slowed only"])
    expect(page.get_by_test_id("paylab-chart").locator("text", has_text="now")).to_have_count(1)
    expect(page.get_by_test_id("paylab-summary")).to_contain_text("success")
    expect(page.get_by_test_id("paylab-description-gateway-outage")).to_contain_text(
        "first 30 seconds")

    page.locator("[data-testid=paylab-preset-gateway-outage]").click()
    window = page.get_by_test_id("paylab-window")
    expect(window).to_contain_text(re.compile(r"rule outage window: \d+ s left"))
    first = int(re.search(r"(\d+) s left", window.inner_text()).group(1))  # type: ignore[union-attr]
    assert 0 < first <= 30
    expect(window).not_to_contain_text(f"window: {first} s left", timeout=5000)
    expect(page.get_by_test_id("paylab-summary")).not_to_contain_text("injected faults 0 ",
                                                                      timeout=10_000)
    attach_screenshot(page, "the Paylab tab: chart, presets, window")
    page.get_by_test_id("paylab-preset-off").click()
    expect(window).to_be_hidden()
    page.get_by_role("button", name="Stop").click()
    wait_for(lambda: _stats(locust_ui), lambda s: s["state"] == "stopped", 15)
