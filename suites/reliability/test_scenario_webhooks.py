"""Webhook chaos: delay, duplicate, reorder, drop-then-retry, bad signature, stale
timestamp, each seen by a real receiver verifying with stripe.Webhook."""

from __future__ import annotations

import json
import time

import pytest
import stripe
from paylab.suites.plugins.scenarios import TenantScenario
from paylab.suites.plugins.simulator import Control
from paylab.suites.plugins.webhook_sink import Received, WebhookSink


def endpoint(client: stripe.StripeClient, sink: WebhookSink, events: list[str]) -> str:
    return client.v1.webhook_endpoints.create(params={
        "url": f"{sink.url}/hook", "enabled_events": events}).secret


def create(client: stripe.StripeClient, amount: int = 2000) -> stripe.PaymentIntent:
    return client.v1.payment_intents.create(params={"amount": amount, "currency": "usd"})


def event_ids(received: list[Received]) -> list[str]:
    return [json.loads(r.body)["id"] for r in received]


def all_received(sink: WebhookSink, control: Control,
                 api_key: str) -> tuple[list[Received], list[dict]]:
    """Everything the receiver got once the tenant's deliveries are all settled."""
    return sink.when_quiet(lambda: control.deliveries(api_key))


def test_duplicates_are_the_same_signed_event(stripe_client, webhook_sink: WebhookSink,
                                              scenario: TenantScenario, control: Control,
                                              api_key: str) -> None:
    scenario.put({"rules": [{"name": "twice", "effects": [{"webhook": {"duplicate": 1}}]}]})
    secret = endpoint(stripe_client, webhook_sink, ["payment_intent.created"])
    create(stripe_client)
    received, deliveries = all_received(webhook_sink, control, api_key)
    assert len(received) == 2 and len(set(event_ids(received))) == 1, "exactly one copy more"
    assert sorted(d["copy"] for d in deliveries) == [0, 1]
    for r in received:
        stripe.Webhook.construct_event(r.body.decode(), r.headers["Stripe-Signature"], secret)


def test_delay_holds_the_first_attempt(stripe_client, webhook_sink: WebhookSink,
                                       scenario: TenantScenario, control: Control,
                                       api_key: str) -> None:
    # 10 virtual seconds at the test simulator's 20x time scale: half a real second
    scenario.put({"rules": [{"name": "late", "effects": [{"webhook": {"delay": 10}}]}]})
    endpoint(stripe_client, webhook_sink, ["payment_intent.created"])
    sent = time.time()
    create(stripe_client)
    (delivery,) = control.deliveries(api_key)
    assert delivery["next_attempt_at"] - delivery["created"] == pytest.approx(10, abs=0.01)
    (received,), _ = all_received(webhook_sink, control, api_key)
    assert received.at - sent >= 0.5, "never before the delay (10 virtual s = 0.5 s)"


def test_reorder_lets_later_events_overtake(stripe_client, webhook_sink: WebhookSink,
                                            scenario: TenantScenario, control: Control,
                                            api_key: str) -> None:
    scenario.put({"seed": 11, "rules": [{"name": "shuffle",
                                         "effects": [{"webhook": {"reorder": 20}}]}]})
    endpoint(stripe_client, webhook_sink, ["payment_intent.created"])
    created = [create(stripe_client, 1000 + i).id for i in range(6)]
    received, _ = all_received(webhook_sink, control, api_key)
    assert len(received) == 6, "each event once"
    arrived = [json.loads(r.body)["data"]["object"]["id"] for r in received]
    assert sorted(arrived) == sorted(created)
    assert arrived != created, "seed 11 shuffles these six deliveries"


def test_drop_then_retry(stripe_client, webhook_sink: WebhookSink, scenario: TenantScenario,
                         control: Control, api_key: str) -> None:
    scenario.put({"rules": [{"name": "lossy", "effects": [{"webhook": {"drop_then_retry": 2}}]}]})
    endpoint(stripe_client, webhook_sink, ["payment_intent.created"])
    create(stripe_client)
    received, (delivery,) = all_received(webhook_sink, control, api_key)
    assert len(received) == 1, "the dropped attempts never reached the receiver"
    assert delivery["status"] == "delivered"
    attempts = delivery["attempts"]
    assert [a["status_code"] for a in attempts] == [None, None, 200]
    assert all("dropped by scenario" in a["error"] for a in attempts[:2])
    assert delivery["effect"].startswith("lossy:webhook=drop_then_retry=2")
    outbound = scenario.journal("out")
    assert [e["status"] for e in outbound] == [0, 0, 200]


@pytest.mark.parametrize("effect", [{"bad_signature": True}, {"stale_timestamp": 900}])
def test_tampered_signatures_fail_verification(stripe_client, webhook_sink: WebhookSink,
                                               scenario: TenantScenario, control: Control,
                                               api_key: str, effect: dict) -> None:
    scenario.put({"rules": [{"name": "tamper", "effects": [{"webhook": effect}]}]})
    secret = endpoint(stripe_client, webhook_sink, ["payment_intent.created"])
    create(stripe_client)
    (received,), _ = all_received(webhook_sink, control, api_key)
    body, header = received.body.decode(), received.headers["Stripe-Signature"]
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, header, secret)
    if "stale_timestamp" in effect:  # the signature itself is right, only old
        stripe.WebhookSignature.verify_header(body, header, secret, tolerance=None)


def test_chaos_matches_event_types(stripe_client, webhook_sink: WebhookSink,
                                   scenario: TenantScenario, control: Control,
                                   api_key: str) -> None:
    scenario.put({"rules": [{"name": "dup-success", "match": {"event": "payment_intent.succeeded"},
                             "effects": [{"webhook": {"duplicate": 2}}]}]})
    endpoint(stripe_client, webhook_sink, ["*"])
    stripe_client.v1.payment_intents.create(params={
        "amount": 2000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True})
    received, _ = all_received(webhook_sink, control, api_key)
    kinds = sorted(json.loads(r.body)["type"] for r in received)
    assert kinds == ["charge.succeeded", "payment_intent.created"] + [
        "payment_intent.succeeded"] * 3
