"""Outcome overrides and fraud rules, observed through the official stripe SDK."""

from __future__ import annotations

import time

import pytest
import stripe
from paylab.suites.plugins.scenarios import TenantScenario

VISA = {"amount": 2000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True}


def types(client: stripe.StripeClient) -> list[str]:
    return [e.type for e in reversed(client.v1.events.list(params={"limit": 100}).data)]


def test_forced_decline_only_for_matching_amounts(stripe_client: stripe.StripeClient,
                                                  scenario: TenantScenario) -> None:
    scenario.put({"rules": [{"name": "big-declines", "match": {"amount": {"min": 10000}},
                             "effects": [{"outcome": {"decline": "insufficient_funds"}}]}]})
    assert stripe_client.v1.payment_intents.create(params=VISA).status == "succeeded"
    with pytest.raises(stripe.CardError) as caught:
        stripe_client.v1.payment_intents.create(params={**VISA, "amount": 25000})
    assert caught.value.error.decline_code == "insufficient_funds"
    assert caught.value.user_message == "Your card has insufficient funds."


def test_forced_three_d_secure(stripe_client: stripe.StripeClient,
                               scenario: TenantScenario) -> None:
    scenario.put({"rules": [{"name": "sca", "effects": [{"outcome": {"require_3ds": True}}]}]})
    pi = stripe_client.v1.payment_intents.create(params={
        **VISA, "return_url": "https://shop.example/back"})
    assert pi.status == "requires_action"
    assert pi.next_action.type == "redirect_to_url"


@pytest.mark.parametrize(("then", "final"), [("succeed", "succeeded"),
                                              ("decline:card_velocity_exceeded",
                                               "requires_payment_method")])
def test_processing_then_settles(stripe_client: stripe.StripeClient, scenario: TenantScenario,
                                 then: str, final: str) -> None:
    # 4 virtual seconds at the test simulator's 20x time scale: 0.2 s of real time
    scenario.put({"rules": [{"name": "slow-bank", "effects": [
        {"outcome": {"processing": {"seconds": 4, "then": then}}}]}]})
    pi = stripe_client.v1.payment_intents.create(params=VISA)
    assert pi.status == "processing"
    deadline = time.monotonic() + 5
    while stripe_client.v1.payment_intents.retrieve(pi.id).status == "processing":
        assert time.monotonic() < deadline, "never settled"
        time.sleep(0.05)
    settled = stripe_client.v1.payment_intents.retrieve(pi.id)
    assert settled.status == final
    assert "payment_intent.processing" in types(stripe_client)
    if final == "requires_payment_method":
        assert settled.last_payment_error.decline_code == "card_velocity_exceeded"


def test_card_testing_attack_is_blocked(stripe_client: stripe.StripeClient, http,
                                        scenario: TenantScenario) -> None:
    scenario.preset("card-testing-attack")
    http.headers["X-Forwarded-For"] = "203.0.113.77"
    outcomes = []
    for i in range(8):
        try:
            stripe_client.v1.payment_intents.create(params={**VISA, "amount": 100 + i})
            outcomes.append("ok")
        except stripe.CardError as exc:
            outcomes.append(exc.error.decline_code)
    assert outcomes == ["ok"] * 5 + ["fraudulent"] * 3
    charge = stripe_client.v1.charges.list(params={"limit": 1}).data[0]
    assert (charge.outcome.type, charge.outcome.reason) == ("blocked", "rule")
    assert charge.outcome.rule.id == "card-testing-from-one-ip"
    http.headers["X-Forwarded-For"] = "198.51.100.9"  # another client, same card: 9th attempt
    with pytest.raises(stripe.CardError):
        stripe_client.v1.payment_intents.create(params=VISA)
    charge = stripe_client.v1.charges.list(params={"limit": 1}).data[0]
    assert charge.outcome.rule.id == "card-velocity"
    other_card = {**VISA, "payment_method": "pm_card_mastercard"}
    assert stripe_client.v1.payment_intents.create(params=other_card).status == "succeeded"


def test_high_risk_geography(stripe_client: stripe.StripeClient, http,
                             scenario: TenantScenario) -> None:
    scenario.preset("high-risk-geography")
    http.headers["X-Paylab-Country"] = "US"  # Stripe's test cards are US cards
    assert stripe_client.v1.payment_intents.create(params=VISA).status == "succeeded"
    http.headers["X-Paylab-Country"] = "TW"
    foreign = stripe_client.v1.payment_intents.create(params={
        **VISA, "return_url": "https://shop.example/back"})
    assert foreign.status == "requires_action"
    big = stripe_client.v1.payment_intents.create(params={
        **VISA, "amount": 150000, "expand": ["latest_charge"]})
    assert big.status == "succeeded" and big.review.startswith("prv_")
    outcome = big.latest_charge.outcome
    assert (outcome.type, outcome.risk_level, outcome.risk_score) == ("manual_review",
                                                                      "elevated", 78)
    assert "review.opened" in types(stripe_client)
    http.headers["X-Paylab-Country"] = "KP"
    with pytest.raises(stripe.CardError) as caught:
        stripe_client.v1.payment_intents.create(params=VISA)
    assert caught.value.error.decline_code == "fraudulent"


def test_velocity_per_email(stripe_client: stripe.StripeClient,
                            scenario: TenantScenario) -> None:
    scenario.put({"fraud": [{"name": "email-velocity",
                             "velocity": {"key": "email", "count": 2, "window": 3600},
                             "action": "decline"}]})
    params = {**VISA, "receipt_email": "buyer@example.com"}
    stripe_client.v1.payment_intents.create(params=params)
    stripe_client.v1.payment_intents.create(params=params)
    with pytest.raises(stripe.CardError):
        stripe_client.v1.payment_intents.create(params=params)
    assert stripe_client.v1.payment_intents.create(params={
        **VISA, "receipt_email": "other@example.com"}).status == "succeeded"


def test_stripe_risk_cards_keep_their_meaning_under_fraud_rules(
        stripe_client: stripe.StripeClient, scenario: TenantScenario) -> None:
    scenario.put({"fraud": [{"name": "huge", "amount_above": 99999999, "action": "decline"}]})
    with pytest.raises(stripe.CardError) as caught:
        stripe_client.v1.payment_intents.create(params={
            **VISA, "payment_method": "pm_card_chargeDeclinedFraudulent"})
    assert caught.value.error.decline_code == "fraudulent"
    elevated = stripe_client.v1.payment_intents.create(params={
        **VISA, "payment_method": "pm_card_riskLevelElevated", "expand": ["latest_charge"]})
    assert elevated.latest_charge.outcome.risk_level == "elevated"
