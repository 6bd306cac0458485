"""Webhook endpoints and deliveries: signed so stripe.Webhook accepts them, shaped by the
event contract, filtered by enabled_events, retried with backoff, all visible at /_sim."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
import stripe
from paylab.suites.plugins.contracts import WireContracts
from paylab.suites.plugins.evidence import EvidenceSession
from paylab.suites.plugins.server_settings import ServerSettings
from paylab.suites.plugins.simulator import Control, stop_simulator
from paylab.suites.plugins.standing_clock import (
    StandingClock,
    assert_delays,
    start_with_standing_clock,
)
from paylab.suites.plugins.webhook_sink import WebhookSink

#: The longest a test here waits for a server's timeout and first retry (seconds).
MAX_WAIT_S = 60


def subscribe(client: stripe.StripeClient, sink: WebhookSink, events: list[str]) -> str:
    endpoint = client.v1.webhook_endpoints.create(params={
        "url": f"{sink.url}/hooks/stripe", "enabled_events": events, "description": "sink"})
    assert endpoint.secret.startswith("whsec_")
    return endpoint.secret


def pay(client: stripe.StripeClient) -> stripe.PaymentIntent:
    return client.v1.payment_intents.create(params={
        "amount": 2000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True})


def test_deliveries_verify_with_the_stripe_sdk(stripe_client, webhook_sink: WebhookSink,
                                               wire_contracts: WireContracts, http,
                                               simulator, api_key: str) -> None:
    secret = subscribe(stripe_client, webhook_sink, ["*"])
    pi = pay(stripe_client)
    received = webhook_sink.wait_for(3)
    assert len(received) == 3
    types = []
    for delivery in received:
        event = stripe.Webhook.construct_event(
            delivery.body.decode(), delivery.headers["Stripe-Signature"], secret)
        wire_contracts.check("stripe/event", json.loads(delivery.body))
        assert delivery.headers["Content-Type"].startswith("application/json")
        types.append(event.type)
    assert sorted(types) == ["charge.succeeded", "payment_intent.created",
                             "payment_intent.succeeded"]
    succeeded = next(json.loads(d.body) for d in received
                     if b'"payment_intent.succeeded"' in d.body)
    assert succeeded["data"]["object"]["id"] == pi.id
    assert succeeded["data"]["object"]["status"] == "succeeded"
    retrieved = http.get(f"{simulator.stripe_url}/v1/events/{succeeded['id']}", timeout=10,
                         headers={"Authorization": f"Bearer {api_key}"}).json()
    assert retrieved == succeeded, "a webhook body is the event the API returns"


def test_tampered_or_mis_keyed_deliveries_fail_verification(stripe_client,
                                                            webhook_sink: WebhookSink) -> None:
    secret = subscribe(stripe_client, webhook_sink, ["payment_intent.created"])
    stripe_client.v1.payment_intents.create(params={"amount": 2000, "currency": "usd"})
    (delivery,) = webhook_sink.wait_for(1)
    header = delivery.headers["Stripe-Signature"]
    tampered = delivery.body.decode().replace('"amount": 2000', '"amount": 1')
    assert tampered != delivery.body.decode()
    for body, key in ((tampered, secret), (delivery.body.decode(), "whsec_not_the_secret")):
        with pytest.raises(stripe.SignatureVerificationError):
            stripe.Webhook.construct_event(body, header, key)


def test_enabled_events_filter_what_is_sent(stripe_client, webhook_sink: WebhookSink,
                                            control: Control, api_key: str) -> None:
    subscribe(stripe_client, webhook_sink, ["payment_intent.succeeded"])
    pay(stripe_client)
    assert len(webhook_sink.wait_for(1)) == 1
    deliveries = control.wait_for(lambda: control.deliveries(api_key),
                                  lambda ds: ds and all(d["status"] == "delivered" for d in ds))
    assert [d["status"] for d in deliveries] == ["delivered"]
    assert b'"payment_intent.succeeded"' in webhook_sink.received[0].body


def test_failed_deliveries_are_retried_on_the_schedule(tmp_path: Path, http: EvidenceSession,
                                                       webhook_sink: WebhookSink) -> None:
    """500, then 503, then 200: retried after exactly 1 s and then 2 s of virtual time (the
    suites' schedule, 1,2,4,8), read from the due times the outbox records. A simulator of
    its own with a standing clock, so moving its clock disturbs no other test."""
    webhook_sink.respond_with([500, 503, 200])
    simulator = start_with_standing_clock(tmp_path, name="backoff",
                                          flags=("--retry-schedule", "1,2,4,8"))
    key = f"sk_test_backoff_{uuid.uuid4().hex[:8]}"
    try:
        client = stripe.StripeClient(key, base_addresses={"api": simulator.stripe_url},
                                     http_client=stripe.RequestsClient(session=http),
                                     max_network_retries=0)
        subscribe(client, webhook_sink, ["payment_intent.created"])
        client.v1.payment_intents.create(params={"amount": 2000, "currency": "usd"})
        recorded = StandingClock(simulator, key, http).record(1, 5)
    finally:
        stop_simulator(simulator)
    assert [r.answered for r in webhook_sink.received] == [500, 503, 200]
    assert len({r.body for r in webhook_sink.received}) == 1, "every attempt: the same event"
    (delivery,) = recorded.deliveries
    assert [a["status_code"] for a in delivery["attempts"]] == [500, 503, 200]
    assert (delivery["status"], delivery["attempt_count"]) == ("delivered", 3)
    assert_delays(recorded, [1, 2])


def test_timeouts_count_as_failures(stripe_client, webhook_sink: WebhookSink,
                                    control: Control, api_key: str,
                                    server_settings: ServerSettings) -> None:
    """A receiver slower than the server's --webhook-timeout gets a failed attempt, and
    the retry after the first step of its --retry-schedule is delivered. Both are read
    from /_sim/health, so this holds on the suites' simulator (2 s, then 1 s at 20x) and
    on one started by `paylab up` (10 s, then 5 s)."""
    timeout = server_settings.webhook_timeout
    retry_after = server_settings.real_seconds(server_settings.retry_schedule[0])
    if timeout + retry_after > MAX_WAIT_S:
        pytest.skip(f"a timeout of {timeout:g} s plus a first retry after {retry_after:g} s "
                    f"is over {MAX_WAIT_S} s: start the simulator with a shorter "
                    "--webhook-timeout, --retry-schedule or a faster --time-scale")
    # aiohttp rounds a timeout over 5 s up to the next whole second, so the server may
    # wait up to 1 s longer than --webhook-timeout: answer 1.5 s after it
    webhook_sink.respond_with([timeout + 1.5])
    subscribe(stripe_client, webhook_sink, ["payment_intent.created"])
    stripe_client.v1.payment_intents.create(params={"amount": 2000, "currency": "usd"})
    # twice the expected time plus 10 s: still true on a machine half as fast and busy
    (delivery,) = control.wait_for(lambda: control.deliveries(api_key),
                                   lambda ds: ds and ds[0]["status"] == "delivered",
                                   timeout=2 * (timeout + 1.5 + retry_after) + 10)
    first, second = delivery["attempts"]
    assert first["status_code"] is None and "timed out" in first["error"]
    assert second["status_code"] == 200


def test_redeliver_from_the_control_api(stripe_client, webhook_sink: WebhookSink,
                                        control: Control, api_key: str) -> None:
    subscribe(stripe_client, webhook_sink, ["payment_intent.created"])
    stripe_client.v1.payment_intents.create(params={"amount": 2000, "currency": "usd"})
    (delivery,) = control.wait_for(lambda: control.deliveries(api_key),
                                   lambda ds: ds and ds[0]["status"] == "delivered")
    control.post(f"webhooks/{delivery['id']}/redeliver")
    assert len(webhook_sink.wait_for(2)) == 2
    assert webhook_sink.received[0].body == webhook_sink.received[1].body


def test_endpoint_lifecycle(stripe_client, webhook_sink: WebhookSink) -> None:
    endpoints = stripe_client.v1.webhook_endpoints
    created = endpoints.create(params={"url": f"{webhook_sink.url}/a",
                                       "enabled_events": ["charge.succeeded"],
                                       "metadata": {"team": "qa"}})
    fetched = endpoints.retrieve(created.id)
    assert "secret" not in fetched and fetched.url == f"{webhook_sink.url}/a"
    updated = endpoints.update(created.id, params={"enabled_events": ["*"], "disabled": True})
    assert (updated.enabled_events, updated.status) == (["*"], "disabled")
    assert [e.id for e in endpoints.list().data] == [created.id]
    deleted = endpoints.delete(created.id)
    assert deleted.deleted is True
    assert endpoints.list().data == []
    with pytest.raises(stripe.InvalidRequestError) as caught:
        endpoints.create(params={"url": f"{webhook_sink.url}/b",
                                 "enabled_events": ["payment_intent.exploded"]})
    assert caught.value.param == "enabled_events[0]"
