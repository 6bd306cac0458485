"""The default alert rules against the shipped presets, on a live simulator: card testing
fires `frequency`, an outage fires `failure_rate` and resolves after recovery, high-risk
geography fires `geography`, and a clean soak of mixed traffic fires nothing.

Each test judges its own tenant by the shipped defaults (PUT /_sim/alerts/rules for that
tenant, the defaults file as the body), so other tests' traffic never counts; time moves
on the virtual clock, never by sleeping."""

from __future__ import annotations

import contextlib
from importlib import resources
from typing import Any

import pytest
import requests
import stripe
from paylab.suites.plugins.evidence import EvidenceSession
from paylab.suites.plugins.scenarios import TenantScenario
from paylab.suites.plugins.simulator import LiveSimulator
from paylab.suites.reliability.taiwan_rails import Rails

VISA = {"amount": 2000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True}
DEFAULTS = resources.files("paylab.simulator.alerts").joinpath("defaults.yaml").read_bytes()


class TenantAlerts:
    """One tenant's alert rules (the defaults) and its alerts."""

    def __init__(self, sim: LiveSimulator, session: requests.Session, tenant: str) -> None:
        self.url = f"{sim.url}/_sim"
        self.session = session
        self.tenant = tenant
        answer = session.put(f"{self.url}/alerts/rules", data=DEFAULTS, timeout=10,
                             params={"tenant": tenant, "ahead": "true"})
        assert answer.status_code == 200, answer.text
        assert answer.json()["source"] == "custom"

    def alerts(self, status: str = "all") -> list[dict[str, Any]]:
        answer = self.session.get(f"{self.url}/alerts", timeout=10,
                                  params={"tenant": self.tenant, "status": status})
        assert answer.status_code == 200, answer.text
        return answer.json()["alerts"]

    def fired(self) -> dict[str, str]:
        """Rule name -> status of the newest alert of each rule."""
        out: dict[str, str] = {}
        for alert in self.alerts():  # newest first
            out.setdefault(alert["rule"], alert["status"])
        return out

    def advance(self, seconds: float) -> None:
        answer = self.session.post(f"{self.url}/clock/advance", json={"seconds": seconds},
                                   timeout=10)
        assert answer.status_code == 200, answer.text


@pytest.fixture
def watched(simulator: LiveSimulator, http: EvidenceSession, api_key: str) -> TenantAlerts:
    return TenantAlerts(simulator, http, api_key)


def test_card_testing_fires_frequency_on_the_card(stripe_client: stripe.StripeClient,
                                                  http: EvidenceSession,
                                                  scenario: TenantScenario,
                                                  watched: TenantAlerts) -> None:
    scenario.preset("card-testing-attack")
    http.headers["X-Forwarded-For"] = "203.0.113.77"
    for i in range(9):  # the preset's fraud rules block the attack; the alert still sees it
        with contextlib.suppress(stripe.CardError):
            stripe_client.v1.payment_intents.create(params={**VISA, "amount": 100 + i})
    [alert] = watched.alerts("firing")
    assert (alert["rule"], alert["kind"], alert["labels"]["key"]) == (
        "card-burst", "frequency", "card")
    # counted up to one past the threshold (a burst from one card costs no more per attempt)
    assert (alert["value"], alert["threshold"]) == (7, 6)
    assert alert["labels"]["severity"] == "critical"


def test_an_outage_fires_failure_rate_and_recovery_resolves_it(
        stripe_client: stripe.StripeClient, http: EvidenceSession, api_key: str,
        simulator: LiveSimulator, scenario: TenantScenario, watched: TenantAlerts) -> None:
    scenario.preset("gateway-outage")
    for _ in range(6):  # plain calls: the SDK would retry each 503 with a backoff
        answer = http.post(f"{simulator.url}/stripe/v1/payment_intents", data={
            "amount": 2000, "currency": "usd", "payment_method": "pm_card_visa",
            "confirm": "true"}, headers={"Authorization": f"Bearer {api_key}"}, timeout=10)
        assert answer.status_code == 503
    [alert] = watched.alerts("firing")
    assert (alert["rule"], alert["kind"]) == ("high-failure-rate", "failure_rate")
    assert (alert["labels"]["gateway"], alert["labels"]["method"]) == ("stripe", "*")
    assert (alert["value"], alert["threshold"]) == (1.0, 0.5)
    watched.advance(61)  # the outage (30 s) is over and its calls left the 1-minute window
    for _ in range(3):
        assert stripe_client.v1.payment_intents.create(params=VISA).status == "succeeded"
    [resolved] = watched.alerts()
    assert resolved["id"] == alert["id"] and resolved["status"] == "resolved"
    assert resolved["ends_at"] >= resolved["starts_at"] + 61


def test_high_risk_geography_fires_geography(stripe_client: stripe.StripeClient,
                                             http: EvidenceSession, scenario: TenantScenario,
                                             watched: TenantAlerts) -> None:
    scenario.preset("high-risk-geography")
    http.headers["X-Paylab-Country"] = "US"
    assert stripe_client.v1.payment_intents.create(params=VISA).status == "succeeded"
    http.headers["X-Paylab-Country"] = "TW"  # foreign to the card, but an allowed country
    stripe_client.v1.payment_intents.create(params={
        **VISA, "return_url": "https://shop.example/back"})
    assert watched.alerts() == []
    http.headers["X-Paylab-Country"] = "KP"
    with pytest.raises(stripe.CardError):
        stripe_client.v1.payment_intents.create(params=VISA)
    [alert] = watched.alerts("firing")
    assert (alert["rule"], alert["kind"]) == ("sanctioned-geography", "geography")
    assert (alert["labels"]["country"], alert["labels"]["source"]) == ("KP", "client")


def luhn(prefix: str) -> str:
    """`prefix` and the check digit that makes it a valid card number."""
    total = 0
    for i, ch in enumerate(reversed(prefix)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return prefix + str((10 - total % 10) % 10)


def test_a_clean_soak_fires_nothing(stripe_client: stripe.StripeClient,
                                    http: EvidenceSession, simulator: LiveSimulator,
                                    watched: TenantAlerts) -> None:
    ecpay = Rails(simulator.url, "ecpay", http)
    newebpay = Rails(simulator.url, "newebpay", http)
    merchants = [TenantAlerts(simulator, http, r.tenant) for r in (ecpay, newebpay)]
    paid = []
    for i in range(160):  # every shopper a card of their own, ordinary amounts
        card = {"number": luhn(f"424242{i:09d}"), "exp_month": "12", "exp_year": "2034",
                "cvc": "123"}
        pi = stripe_client.v1.payment_intents.create(params={
            "amount": 500 + (i * 137) % 20000, "currency": "usd", "confirm": True,
            "payment_method_data": {"type": "card", "card": card}})
        assert pi.status == "succeeded"
        paid.append(pi.id)
        if i % 40 == 39:  # declines now and then, spread over the run: however slow the
            # machine, no one-minute window holds mostly declines
            with pytest.raises(stripe.CardError):
                stripe_client.v1.payment_intents.create(params={
                    **VISA, "payment_method": "pm_card_chargeDeclined", "amount": 1500 + i})
        if i % 10 == 0:  # one in ten refunded
            stripe_client.v1.refunds.create(params={"payment_intent": pi.id})
    for i in range(12):  # bank transfers and store codes on the form-post rails
        rails, opened = (ecpay, ecpay.ecpay_order(
            "ATM", 800 + i * 10, "https://shop.example/paid")) if i % 2 else (
            newebpay, newebpay.newebpay_order("VACC", 900 + i * 10))
        assert rails.simulate(opened).status_code == 200
    watched.advance(30)
    for judged in (watched, *merchants):
        assert judged.alerts() == [], judged.tenant
