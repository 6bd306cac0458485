"""JKOPay's approval page in the browser, driven by role as a shopper drives it: Approve
pays, the signed result_url callback arrives and the browser lands on result_display_url;
Cancel; the window expiring on the virtual clock; a low balance (a scenario's decline).
Screenshots of each page go to the report."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from paylab.suites.e2e.flows import fresh_page, module_context, snapshot
from paylab.suites.plugins.simulator import LiveSimulator
from paylab.suites.plugins.webhook_sink import WebhookSink
from paylab.suites.unit.jkopay_store import JkoStore, digest
from playwright.sync_api import Browser, BrowserContext, Page, expect


@pytest.fixture(scope="module")
def context(browser: Browser, browser_context_args: dict[str, Any]
            ) -> Iterator[BrowserContext]:
    yield from module_context(browser, browser_context_args)


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return fresh_page(context)


def store(simulator: LiveSimulator) -> JkoStore:
    return JkoStore.register(simulator.url, requests.Session())


def payment_url(jko: JkoStore, sink: WebhookSink, no: str, price: int = 880) -> str:
    made = jko.entry(no, price, result_url=f"{sink.url}/jko/result",
                     result_display_url=f"{sink.url}/jko/return",
                     products=[{"name": "凍頂烏龍 <Oolong>", "unit_count": 2,
                                "unit_price": price // 2, "unit_final_price": price // 2}])
    assert made["result"] == "000", made
    return made["result_object"]["payment_url"]


def callback(jko: JkoStore, sink: WebhookSink) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not [r for r in sink.received
                                                if r.path == "/jko/result"]:
        time.sleep(0.05)
    # the sink also records the browser's visit to result_display_url
    [received] = [r for r in sink.received if r.path == "/jko/result"]
    headers = {k.lower(): v for k, v in received.headers.items()}
    assert headers["digest"] == digest(jko.secret_key, received.body)
    return json.loads(received.body)["transaction"]


def test_approve_pays_calls_back_and_returns_to_the_shop(
        page: Page, simulator: LiveSimulator, webhook_sink: WebhookSink) -> None:
    jko = store(simulator)
    page.goto(payment_url(jko, webhook_sink, "E2E-pay"))
    expect(page.get_by_test_id("jkopay-total")).to_have_text("NT$ 880")
    expect(page.get_by_test_id("jkopay-products")).to_contain_text("凍頂烏龍 <Oolong>")
    expect(page.get_by_test_id("jkopay-qr")).to_be_visible()
    snapshot(page, "JKOPay approval page")
    page.get_by_role("button", name="Approve", exact=True).click()
    page.wait_for_url(f"{webhook_sink.url}/jko/return?platform_order_id=E2E-pay")
    tx = callback(jko, webhook_sink)
    assert (tx["platform_order_id"], tx["status"], tx["final_price"]) == ("E2E-pay", 0, 880)
    assert jko.inquiry_get("E2E-pay")["result_object"]["transactions"][0]["status"] == 0


def test_cancel_sends_not_paid(page: Page, simulator: LiveSimulator,
                               webhook_sink: WebhookSink) -> None:
    jko = store(simulator)
    url = payment_url(jko, webhook_sink, "E2E-cancel")
    page.goto(url)
    page.get_by_role("button", name="Cancel", exact=True).click()
    page.wait_for_url(f"{webhook_sink.url}/jko/return?platform_order_id=E2E-cancel")
    assert callback(jko, webhook_sink)["status"] == 101
    page.goto(url)
    expect(page.get_by_test_id("jkopay-canceled")).to_be_visible()
    snapshot(page, "JKOPay: payment cancelled")


def test_the_page_expires_on_the_virtual_clock(page: Page,
                                               standing_simulator: LiveSimulator,
                                               webhook_sink: WebhookSink) -> None:
    jko = store(standing_simulator)
    url = payment_url(jko, webhook_sink, "E2E-expire")
    page.goto(url)
    requests.post(f"{standing_simulator.url}/_sim/clock/advance", json={"seconds": 1201},
                  timeout=10).raise_for_status()
    assert callback(jko, webhook_sink)["status"] == 101
    page.reload()
    expect(page.get_by_test_id("jkopay-expired")).to_be_visible()
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)
    snapshot(page, "JKOPay: payment expired")


def test_a_low_balance_declines(page: Page, simulator: LiveSimulator,
                                webhook_sink: WebhookSink) -> None:
    jko = store(simulator)
    url = payment_url(jko, webhook_sink, "E2E-low")
    scenario = f"{simulator.url}/_sim/scenario"
    requests.put(scenario, params={"tenant": jko.tenant}, timeout=10, json={
        "name": "low balance", "rules": [{"name": "low", "match": {"gateway": "jkopay"},
                                          "effects": [{"outcome": {
                                              "decline": "insufficient_funds"}}]}]}
                 ).raise_for_status()
    try:
        page.goto(url)
        page.get_by_role("button", name="Approve", exact=True).click()
        expect(page.get_by_test_id("jkopay-failed")).to_be_visible()
        expect(page.get_by_test_id("jkopay-message")).to_contain_text("餘額不足")
        snapshot(page, "JKOPay: low balance")
        assert callback(jko, webhook_sink)["status"] == 101
    finally:
        requests.delete(scenario, params={"tenant": jko.tenant}, timeout=10)
