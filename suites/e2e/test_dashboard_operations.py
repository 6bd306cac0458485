"""The dashboard's operations view (issue 15): KPIs per gateway and method over a chosen
window, a chart per method over time, and an alert banner with an alerts panel.

Real traffic of two methods (Stripe cards, an ECPay ATM order) must show up as rows and
charts; the card-testing-attack preset must fire a `frequency` alert that the banner names
and that goes away once it resolves; and hostile labels (a method name, a rule name, label
values) must show as text. Screenshots of the desktop layout go to the report and to
/tmp/i15_shots/ (or $PAYLAB_SHOTS)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import stripe
from paylab.suites.e2e.rails import AIO, HOSTILE, PHONE, ecpay_form
from paylab.suites.plugins.evidence import attach_screenshot
from paylab.suites.plugins.simulator import LiveSimulator
from playwright.sync_api import Page, Route, expect

SHOTS = Path(os.environ.get("PAYLAB_SHOTS", "/tmp/i15_shots"))
DESKTOP = {"width": 1280, "height": 900}
IMG = "<img src=x onerror=alert(3)>"
INJECTED = "img[src=x], svg[onload], script:not([src])"


def shot(page: Page, name: str, file: str) -> None:
    """A full-page screenshot in the report, and as a PNG someone can look at."""
    attach_screenshot(page, name)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / file), full_page=True)


@pytest.fixture
def late_handlers_dropped(page: Page) -> Iterator[None]:
    """For a test whose route handlers fetch the real answer and rewrite it: the
    dashboard polls every 1.5 s, so a handler may still be reading an answer when the
    test ends and its context closes; that read fails ("Response has been disposed") and
    Playwright raises it in whatever call comes next, the next test's set-up. Unrouting
    with `ignoreErrors` drops such a late handler's error."""
    yield
    page.unroute_all(behavior="ignoreErrors")


def client(simulator: LiveSimulator, **headers: str) -> stripe.StripeClient:
    """A Stripe client of a fresh tenant (with extra headers on every request)."""
    http = stripe.RequestsClient()
    if headers:
        session = requests.Session()
        session.headers.update(headers)
        http = stripe.RequestsClient(session=session)
    return stripe.StripeClient(f"sk_test_ops_{uuid.uuid4().hex[:12]}", http_client=http,
                               base_addresses={"api": simulator.stripe_url})


def test_per_method_rows_and_charts_from_real_traffic(page: Page,
                                                      simulator: LiveSimulator) -> None:
    api = client(simulator)
    for _ in range(3):
        api.v1.payment_intents.create(params={"amount": 2000, "currency": "usd",
                                              "payment_method": "pm_card_visa",
                                              "confirm": True})
    with pytest.raises(stripe.CardError):
        api.v1.payment_intents.create(params={"amount": 2000, "currency": "usd",
                                              "payment_method": "pm_card_chargeDeclined",
                                              "confirm": True})
    atm = requests.post(simulator.url + AIO, timeout=10, allow_redirects=False,
                        data=ecpay_form("http://127.0.0.1:9/return", ChoosePayment="ATM"))
    assert atm.status_code < 400, atm.text
    page.set_viewport_size(DESKTOP)
    page.goto(f"{simulator.url}/_sim/")
    expect(page.get_by_test_id("live")).to_have_text("live")
    expect(page.get_by_test_id("window-15m")).to_have_attribute("aria-pressed", "true")
    card = page.get_by_test_id("ops-stripe-card")
    expect(card.locator("td").nth(1)).to_have_text("card")
    expect(page.get_by_test_id("ops-ecpay-atm").locator("td").nth(1)).to_have_text("atm")
    # three paid and one declined (other tests' cards may count too: the view is global)
    expect(card.locator("td").nth(2)).to_have_text(re.compile(r"^(?:[4-9]|[1-9]\d+)$"))
    expect(card.locator("td").nth(5)).not_to_have_text("–")  # a decline rate, with reasons
    expect(card.locator("td").nth(5).locator(".sub")).not_to_be_empty()
    expect(page.get_by_test_id("ops-empty")).to_be_hidden()
    for method in ("stripe-card", "ecpay-atm"):
        figure = page.get_by_test_id(f"ops-chart-{method}")
        expect(figure.locator("rect.bar-volume").first).to_be_visible()
    expect(page.get_by_test_id("ops-chart-stripe-card").locator("circle.s-success").first
           ).to_be_attached()
    page.get_by_test_id("window-run").click()
    expect(page.get_by_test_id("window-run")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_test_id("window-15m")).to_have_attribute("aria-pressed", "false")
    expect(page.get_by_test_id("ops-stripe-card")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= DESKTOP["width"], f"the page scrolls sideways ({width} px)"
    shot(page, "dashboard, operations by method (desktop)", "operations-desktop.png")
    page.set_viewport_size(PHONE)  # the wide table scrolls inside its card, not the page
    expect(page.get_by_test_id("ops-chart-stripe-card")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways at 375 px ({width} px)"
    shot(page, "dashboard, operations by method (phone)", "operations-phone.png")


@pytest.fixture
def attack(standing_simulator: LiveSimulator) -> Iterator[LiveSimulator]:
    """The standing-clock simulator (its clock moves only when a test moves it, so the
    alert's window can be closed on purpose); its scenario switched off afterwards."""
    yield standing_simulator
    requests.delete(f"{standing_simulator.url}/_sim/scenario", timeout=10).raise_for_status()


def test_card_testing_fires_a_frequency_alert_on_the_banner_until_it_resolves(
        page: Page, attack: LiveSimulator) -> None:
    page.set_viewport_size(DESKTOP)
    page.goto(f"{attack.url}/_sim/")
    expect(page.get_by_test_id("live")).to_have_text("live")
    page.get_by_test_id("preset-card-testing-attack").click()
    expect(page.get_by_test_id("scenario-name")).to_have_text("card-testing-attack")
    api = client(attack, **{"X-Forwarded-For": "203.0.113.77"})
    for i in range(8):  # small payments from one IP: the preset blocks the last three
        with contextlib.suppress(stripe.CardError):
            api.v1.payment_intents.create(params={"amount": 100 + i, "currency": "usd",
                                                  "payment_method": "pm_card_visa",
                                                  "confirm": True})
    banner = page.get_by_test_id("alert-banner")
    expect(banner).to_be_visible(timeout=10_000)
    firing = banner.locator("li[data-kind=frequency]")
    expect(firing.first).to_contain_text("vs threshold")
    expect(firing.first).to_contain_text("since")
    expect(page.get_by_test_id("alerts-list").locator("li[data-kind=frequency]").first
           ).to_contain_text("firing")
    shot(page, "dashboard, a frequency alert firing (desktop)", "operations-alert-firing.png")
    page.get_by_test_id("clear-scenario").click()
    requests.post(f"{attack.url}/_sim/clock/advance", json={"seconds": 2 * 3600},
                  timeout=10).raise_for_status()  # past every window of the defaults
    expect(banner).to_be_hidden(timeout=10_000)
    expect(page.get_by_test_id("alerts-list").locator("li[data-kind=frequency]").first
           ).to_contain_text("resolved")
    shot(page, "dashboard, the alert resolved (desktop)", "operations-alert-resolved.png")


def fake_alerts(status: str) -> dict[str, Any]:
    """GET /_sim/alerts as A's contract shapes it, with hostile rule and label values."""
    now = time.time()
    alert = {"id": "al_1", "rule": f"burst {HOSTILE}", "kind": "failure_rate", "tenant": None,
             "status": status, "labels": {"alertname": HOSTILE, "severity": "critical",
                                          "gateway": IMG, "method": "card"},
             "annotations": {"summary": IMG, "description": HOSTILE},
             "value": 0.4, "threshold": 0.25, "starts_at": now - 120,
             "ends_at": None if status == "firing" else now, "fingerprint": "ab12"}
    return {"alerts": [alert], "firing": int(status == "firing")}


def test_hostile_labels_show_as_text_and_the_banner_follows_the_alerts(
        page: Page, simulator: LiveSimulator, dialogs: list[str],
        late_handlers_dropped: None) -> None:
    """The page draws whatever /_sim/stats and /_sim/alerts say: answers in their contract
    shapes carrying script in every label must render as text, and the banner must come
    and go with the alerts' status (the answers are intercepted in the browser only)."""
    state = {"status": "firing"}
    row = {"gateway": "stripe", "method": IMG, "volume": 2, "amount": {"usd": 4000},
           "succeeded": 1, "failed": 1, "success_rate": 0.5, "failure_rate": 0.5,
           "declines": {HOSTILE: 1}, "decline_rate": 0.5, "refunds": 0, "refund_rate": 0.0,
           "refunded_amount": {}, "average_amount": {"usd": 2000},
           "median_amount": {"usd": 2000}, "latency_ms": {"p50": 1, "p95": 2, "p99": 3,
                                                          "count": 2},
           "webhooks": {"delivered": 0, "failed": 0, "failure_rate": None, "lag_ms_p50": None,
                        "lag_ms_p99": None, "backlog": 0},
           "challenges": 0, "challenge_rate": None, "fraud_blocks": 0}
    minute = int(time.time() // 60) * 60
    point = {"minute": minute, "gateway": "stripe", "method": IMG, "volume": 2,
             "succeeded": 1, "failed": 1, "refunds": 0, "amount": {"usd": 4000}}

    def stats(route: Route) -> None:
        answer = route.fetch()
        body = answer.json()
        body["kpis"] = {"windows": {w: [row] for w in ("1m", "15m", "1h", "run")},
                        "series": [point], "at": minute + 30}
        route.fulfill(response=answer, body=json.dumps(body))

    page.route("**/_sim/stats*", stats)
    page.route("**/_sim/alerts*", lambda route: route.fulfill(
        status=200, content_type="application/json",
        body=json.dumps(fake_alerts(state["status"]))))
    page.goto(f"{simulator.url}/_sim/")
    expect(page.get_by_test_id(f"ops-stripe-{IMG}").locator("td").nth(1)).to_have_text(IMG)
    expect(page.get_by_test_id(f"ops-chart-stripe-{IMG}").locator("h3")).to_contain_text(IMG)
    banner = page.get_by_test_id("alert-banner")
    expect(banner).to_contain_text(f"burst {HOSTILE}")
    expect(banner).to_contain_text(f"gateway={IMG}")
    expect(banner).to_contain_text("40.0% vs threshold 25.0%")
    page.wait_for_timeout(300)  # a payload's handler fires after the page settles
    assert dialogs == [] and page.locator(INJECTED).count() == 0
    state["status"] = "resolved"
    expect(banner).to_be_hidden()
    expect(page.get_by_test_id("alerts-list").locator("li").first).to_contain_text("resolved")
    assert dialogs == [] and page.locator(INJECTED).count() == 0


def test_without_kpis_or_alerts_the_view_says_no_data_yet(
        page: Page, simulator: LiveSimulator, late_handlers_dropped: None) -> None:
    """A simulator whose /_sim/stats has no `kpis` and whose /_sim/alerts is missing (an
    older one) still draws the rest of the dashboard, and says so instead of breaking."""
    def stats(route: Route) -> None:
        answer = route.fetch()
        body = answer.json()
        body.pop("kpis", None)
        route.fulfill(response=answer, body=json.dumps(body))

    page.route("**/_sim/stats*", stats)
    page.route("**/_sim/alerts*", lambda route: route.fulfill(status=404, body="{}"))
    page.goto(f"{simulator.url}/_sim/")
    expect(page.get_by_test_id("live")).to_have_text("live")
    expect(page.get_by_test_id("ops-note")).to_have_text("no data yet")
    expect(page.get_by_test_id("ops-empty")).to_be_visible()
    expect(page.get_by_test_id("ops-charts-empty")).to_be_visible()
    expect(page.get_by_test_id("alerts-empty")).to_have_text("No alert data yet.")
    expect(page.get_by_test_id("alert-banner")).to_be_hidden()
