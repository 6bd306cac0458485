"""The dashboard's figures, chart, journal and phone layout (issue 11).

A tenant of its own gets a scenario that slows its reads (latency only) and loses the
answers of its writes (network reset): the dashboard must count the lost answers against
the success rate and as injected faults, and the slowed reads as neither. Its journal can be
filtered to that tenant and opened, with the card number and secrets masked; webhook rows
name their event type and endpoint. Screenshots of the desktop and 375 px layouts go to
the report."""

from __future__ import annotations

import http.server
import threading
import uuid
from collections.abc import Iterator

import pytest
import requests
from paylab.suites.plugins.evidence import attach_screenshot
from paylab.suites.plugins.simulator import LiveSimulator
from playwright.sync_api import Page, expect

CARD = "4242424242424242"


def shot(page: Page, name: str) -> None:
    """A full-page screenshot of the dashboard as it is now, in the report."""
    attach_screenshot(page, name)


class _Ok(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def receiver() -> Iterator[str]:
    """A webhook receiver that takes everything (the dashboard shows where it went)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks/paylab"
    server.shutdown()


@pytest.fixture
def tenant(simulator: LiveSimulator, receiver: str) -> Iterator[str]:
    """A fresh tenant whose reads are slowed and whose writes lose their answer."""
    key = f"sk_test_dash_{uuid.uuid4().hex[:12]}"
    api = f"{simulator.stripe_url}/v1"
    auth = {"Authorization": f"Bearer {key}"}
    requests.post(f"{api}/webhook_endpoints", headers=auth, timeout=10, data={
        "url": receiver, "enabled_events[]": "payment_intent.succeeded"}).raise_for_status()
    requests.post(f"{api}/payment_intents", headers=auth, timeout=10, data={
        "amount": 2000, "currency": "usd", "payment_method": "pm_card_visa",
        "confirm": "true"}).raise_for_status()
    requests.post(f"{api}/payment_methods", headers=auth, timeout=10, data={
        "type": "card", "card[number]": CARD, "card[exp_month]": "12",
        "card[exp_year]": "2034", "card[cvc]": "987"}).raise_for_status()
    scenario = f"{simulator.url}/_sim/scenario"
    requests.put(scenario, params={"tenant": key}, timeout=10, data=(
        "name: dash\nrules:\n"
        "  - {name: slow, match: {method: GET}, effects: [{latency: {fixed: 5}}]}\n"
        "  - {name: lost, match: {method: POST}, effects: [{network: {fault: reset}}]}\n"
    )).raise_for_status()
    for _ in range(4):
        requests.get(f"{api}/payment_intents", headers=auth, timeout=10)
    for _ in range(3):
        with pytest.raises(requests.ConnectionError):
            requests.post(f"{api}/payment_intents", headers=auth, timeout=10,
                          data={"amount": 100, "currency": "usd"})
    yield key
    requests.delete(scenario, params={"tenant": key}, timeout=10)


def test_faults_count_against_success_and_latency_does_not(
        page: Page, simulator: LiveSimulator, tenant: str) -> None:
    page.goto(f"{simulator.url}/_sim/")
    expect(page.get_by_test_id("live")).to_have_text("live")
    expect(page.get_by_test_id("kpi-success")).not_to_have_text("100.0%")
    expect(page.get_by_test_id("kpi-errors-note")).to_contain_text("no answer")
    assert int(page.get_by_test_id("kpi-injected").inner_text()) >= 3
    assert int(page.get_by_test_id("kpi-slowed").inner_text()) >= 4
    legend = page.get_by_test_id("chart-legend")
    expect(legend.locator("li")).to_have_text(
        ["calls", "failed", "injected faults", "slowed only"])
    axis = page.locator("#chart text.axis")
    expect(axis.filter(has_text="now")).to_have_count(1)
    assert axis.filter(has_text=":").count() >= 3, "clock times along the time axis"
    for cls in ("s-calls", "s-failed", "s-faults", "s-latency"):
        expect(page.locator(f"#chart polyline.{cls}")).to_have_count(1)
    shot(page, "dashboard, desktop (1280 px)")


def test_journal_filters_and_opens_with_secrets_masked(
        page: Page, simulator: LiveSimulator, tenant: str) -> None:
    page.goto(f"{simulator.url}/_sim/")
    page.get_by_test_id("filter-tenant").fill(tenant)
    page.get_by_test_id("filter-tenant").press("Enter")
    rows = page.get_by_test_id("journal-tail").locator("tbody tr")
    expect(rows).to_have_count(11)  # 3 set-up calls, 4 slowed reads, 3 lost writes, 1 webhook
    page.get_by_test_id("filter-effect").select_option("fault")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("lost:network=reset")
    page.get_by_test_id("filter-effect").select_option("")
    page.get_by_test_id("filter-status").select_option("2xx")
    row = rows.filter(has_text="/v1/payment_methods")
    row.get_by_role("button").click()
    entry = page.get_by_test_id("journal-entry")
    expect(entry).to_be_visible()
    expect(page.get_by_test_id("journal-request")).to_contain_text("card[number]=••••")
    expect(page.get_by_test_id("journal-request")).to_contain_text("card[cvc]=••••")
    expect(page.get_by_test_id("journal-response")).to_contain_text('"last4": "4242"')
    assert CARD not in entry.inner_text() and "987" not in page.get_by_test_id(
        "journal-request").inner_text()
    assert tenant not in page.content().replace(
        page.get_by_test_id("filter-tenant").input_value(), ""), "the key is never shown"
    shot(page, "dashboard, a journal row opened (bodies masked)")


# Holds the answers to /_sim/stats polls asked without an opened row until the page says
# so, and counts those delivered late: a poll asked before a click then lands after it.
_HOLD_UNOPENED_POLLS = """
(() => {
  const real = window.fetch.bind(window);
  window.__holdUnopened = false;
  window.__heldDelivered = 0;
  window.fetch = (url, options) => {
    const answer = real(url, options);
    const asked = String(url);
    if (!window.__holdUnopened || !asked.startsWith("/_sim/stats") || asked.includes("open=")) {
      return answer;
    }
    return answer.then((response) => new Promise((resolve) => {
      const wait = () => window.__holdUnopened ? setTimeout(wait, 20)
        : (window.__heldDelivered += 1, resolve(response));
      wait();
    }));
  };
})();
"""


def test_an_answer_asked_before_a_row_opened_does_not_close_it(
        page: Page, simulator: LiveSimulator, tenant: str) -> None:
    page.add_init_script(_HOLD_UNOPENED_POLLS)
    page.goto(f"{simulator.url}/_sim/")
    page.get_by_test_id("filter-tenant").fill(tenant)
    page.get_by_test_id("filter-tenant").press("Enter")
    rows = page.get_by_test_id("journal-tail").locator("tbody tr")
    expect(rows).to_have_count(11)
    page.evaluate("window.__holdUnopened = true")
    page.get_by_test_id("filter-status").select_option("2xx")  # its answer is held
    rows.filter(has_text="/v1/payment_methods").get_by_role("button").click()
    entry = page.get_by_test_id("journal-entry")
    expect(entry).to_be_visible()
    page.evaluate("window.__holdUnopened = false")
    page.wait_for_function("window.__heldDelivered > 0")
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => done()))")
    expect(entry).to_be_visible(timeout=1)
    expect(page.get_by_test_id("journal-request")).to_contain_text("card[cvc]=••••")


def test_webhook_rows_name_event_and_endpoint(page: Page, simulator: LiveSimulator,
                                              tenant: str) -> None:
    page.goto(f"{simulator.url}/_sim/")
    hooks = page.get_by_test_id("webhook-tail")
    expect(hooks.locator("tbody tr").filter(has_text="payment_intent.succeeded")
           .filter(has_text="/hooks/paylab").first).to_be_visible()
    page.get_by_test_id("filter-tenant").fill(tenant)
    page.get_by_test_id("filter-tenant").press("Enter")
    expect(page.get_by_test_id("journal-tail").locator("tbody tr").filter(
        has_text="→ payment_intent.succeeded").filter(has_text="/hooks/paylab")).to_have_count(1)


def test_the_dashboard_holds_at_phone_width(page: Page, simulator: LiveSimulator,
                                            tenant: str) -> None:
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto(f"{simulator.url}/_sim/")
    expect(page.get_by_test_id("live")).to_have_text("live")
    expect(page.get_by_test_id("journal-tail").locator("tbody tr").first).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page scrolls sideways at 375 px ({width} px wide)"
    for testid in ("kpi-success", "kpi-errors", "chart", "journal-filters", "clear-scenario"):
        box = page.get_by_test_id(testid).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375, testid
    chart = page.get_by_test_id("chart").bounding_box()
    assert chart is not None and chart["height"] >= 150, "the chart stays readable"
    shot(page, "dashboard, phone (375 px)")
