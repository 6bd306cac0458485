"""LINE Pay's approval page in the browser, driven by role as a shopper drives it: the
simulated LINE login, then Approve (the browser lands on confirmUrl with transactionId and
orderId, and the merchant's confirm pays), Cancel (cancelUrl), a balance too low (1142),
and the request expiring on the virtual clock. Screenshots of each page go to the report."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from paylab.suites.e2e.flows import fresh_page, module_context, snapshot
from paylab.suites.plugins.simulator import LiveSimulator
from paylab.suites.plugins.webhook_sink import WebhookSink
from paylab.suites.unit.linepay_merchant import Channel
from playwright.sync_api import Browser, BrowserContext, Page, expect


@pytest.fixture(scope="module")
def context(browser: Browser, browser_context_args: dict[str, Any]
            ) -> Iterator[BrowserContext]:
    yield from module_context(browser, browser_context_args)


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return fresh_page(context)


def reserve(simulator: LiveSimulator, sink: WebhookSink, order_id: str
            ) -> tuple[Channel, dict[str, Any]]:
    channel = Channel.register(simulator.url, requests.Session())
    info = channel.request(order_id, 880, confirm_url=f"{sink.url}/linepay/confirm",
                           cancel_url=f"{sink.url}/linepay/cancel",
                           product="凍頂烏龍 <Oolong>")
    return channel, info


def log_in(page: Page, info: dict[str, Any]) -> None:
    page.goto(info["paymentUrl"]["web"])
    expect(page.get_by_test_id("linepay-login")).to_be_visible()
    expect(page.get_by_test_id("amount")).to_have_text("NT$ 880")
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page.get_by_test_id("linepay-sheet")).to_be_visible()


def landed(page: Page, sink: WebhookSink, which: str) -> dict[str, list[str]]:
    page.wait_for_url(f"{sink.url}/linepay/{which}?**")
    return urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query)


def test_login_and_approve_return_to_confirm_url_and_confirm_pays(
        page: Page, simulator: LiveSimulator, webhook_sink: WebhookSink) -> None:
    channel, info = reserve(simulator, webhook_sink, "E2E-pay")
    page.goto(info["paymentUrl"]["web"])
    snapshot(page, "LINE Pay: log in")
    log_in(page, info)
    expect(page.get_by_test_id("items")).to_contain_text("凍頂烏龍 <Oolong> × 1")
    snapshot(page, "LINE Pay: payment sheet")
    page.get_by_role("button", name="Approve", exact=True).click()
    back = landed(page, webhook_sink, "confirm")
    assert back == {"transactionId": [str(info["transactionId"])], "orderId": ["E2E-pay"]}
    assert channel.check(info["transactionId"]) == "0110"
    assert channel.confirm(int(back["transactionId"][0]), 880)["returnCode"] == "0000"


def test_cancel_returns_to_cancel_url(page: Page, simulator: LiveSimulator,
                                      webhook_sink: WebhookSink) -> None:
    channel, info = reserve(simulator, webhook_sink, "E2E-cancel")
    log_in(page, info)
    page.get_by_role("button", name="Cancel", exact=True).click()
    assert landed(page, webhook_sink, "cancel")["orderId"] == ["E2E-cancel"]
    assert channel.check(info["transactionId"]) == "0121"
    page.goto(info["paymentUrl"]["web"])
    expect(page.get_by_test_id("linepay-canceled")).to_be_visible()
    snapshot(page, "LINE Pay: payment cancelled")


def test_a_low_balance_fails_with_1142(page: Page, simulator: LiveSimulator,
                                       webhook_sink: WebhookSink) -> None:
    channel, info = reserve(simulator, webhook_sink, "E2E-low")
    log_in(page, info)
    page.get_by_test_id("funding").select_option("low_balance")
    page.get_by_role("button", name="Approve", exact=True).click()
    expect(page.get_by_test_id("linepay-declined")).to_be_visible()
    expect(page.get_by_test_id("message")).to_contain_text("1142")
    snapshot(page, "LINE Pay: low balance")
    assert channel.confirm(info["transactionId"], 880)["returnCode"] == "1142"


def test_the_request_expires_on_the_virtual_clock(page: Page,
                                                  standing_simulator: LiveSimulator,
                                                  webhook_sink: WebhookSink) -> None:
    channel, info = reserve(standing_simulator, webhook_sink, "E2E-expire")
    log_in(page, info)
    requests.post(f"{standing_simulator.url}/_sim/clock/advance", json={"seconds": 1201},
                  timeout=10).raise_for_status()
    page.get_by_role("button", name="Approve", exact=True).click()
    expect(page.get_by_test_id("linepay-expired")).to_be_visible()
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)
    snapshot(page, "LINE Pay: request expired")
    assert channel.check(info["transactionId"]) == "0121"
