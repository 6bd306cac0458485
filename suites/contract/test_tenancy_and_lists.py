"""Every API key is an isolated tenant; lists page like Stripe's."""

from __future__ import annotations

import uuid

import pytest
import stripe
from paylab.suites.plugins.evidence import EvidenceSession
from paylab.suites.plugins.simulator import LiveSimulator


def client_for(sim: LiveSimulator, http: EvidenceSession, key: str) -> stripe.StripeClient:
    return stripe.StripeClient(key, base_addresses={"api": sim.stripe_url},
                               http_client=stripe.RequestsClient(session=http),
                               max_network_retries=0)


def test_one_tenant_never_sees_or_changes_anothers_objects(simulator, http) -> None:
    alice = client_for(simulator, http, f"sk_test_{uuid.uuid4().hex}")
    mallory = client_for(simulator, http, f"sk_test_{uuid.uuid4().hex}")
    pi = alice.v1.payment_intents.create(params={
        "amount": 2000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True})
    refund = alice.v1.refunds.create(params={"payment_intent": pi.id, "amount": 100})
    endpoint = alice.v1.webhook_endpoints.create(params={
        "url": "http://127.0.0.1:9/hook", "enabled_events": ["*"]})
    event = alice.v1.events.list().data[0]
    attempts = [
        lambda: mallory.v1.payment_intents.retrieve(pi.id),
        lambda: mallory.v1.payment_intents.update(pi.id, params={"metadata": {"x": "1"}}),
        lambda: mallory.v1.payment_intents.confirm(pi.id),
        lambda: mallory.v1.payment_intents.capture(pi.id),
        lambda: mallory.v1.payment_intents.cancel(pi.id),
        lambda: mallory.v1.charges.retrieve(pi.latest_charge),
        lambda: mallory.v1.refunds.retrieve(refund.id),
        lambda: mallory.v1.refunds.create(params={"payment_intent": pi.id}),
        lambda: mallory.v1.refunds.create(params={"charge": pi.latest_charge}),
        lambda: mallory.v1.events.retrieve(event.id),
        lambda: mallory.v1.webhook_endpoints.retrieve(endpoint.id),
        lambda: mallory.v1.webhook_endpoints.delete(endpoint.id),
        lambda: mallory.v1.payment_methods.retrieve(pi.payment_method),
        lambda: mallory.v1.payment_intents.list(params={"starting_after": pi.id}),
    ]
    for attempt in attempts:
        with pytest.raises(stripe.InvalidRequestError) as caught:
            attempt()
        assert caught.value.http_status == 404
        assert caught.value.code == "resource_missing"
    for listing in (mallory.v1.payment_intents, mallory.v1.charges, mallory.v1.refunds,
                    mallory.v1.events, mallory.v1.webhook_endpoints):
        assert listing.list().data == []
    assert alice.v1.payment_intents.retrieve(pi.id).metadata.to_dict() == {}
    assert alice.v1.charges.retrieve(pi.latest_charge).amount_refunded == 100


def test_pagination_matches_stripe(stripe_client: stripe.StripeClient) -> None:
    pis = stripe_client.v1.payment_intents
    created = [pis.create(params={"amount": 1000 + i, "currency": "usd"}).id for i in range(5)]
    newest_first = list(reversed(created))
    page = pis.list(params={"limit": 2})
    assert [p.id for p in page.data] == newest_first[:2] and page.has_more
    page = pis.list(params={"limit": 2, "starting_after": page.data[-1].id})
    assert [p.id for p in page.data] == newest_first[2:4] and page.has_more
    page = pis.list(params={"limit": 2, "starting_after": page.data[-1].id})
    assert [p.id for p in page.data] == newest_first[4:] and not page.has_more
    back = pis.list(params={"limit": 2, "ending_before": newest_first[4]})
    assert [p.id for p in back.data] == newest_first[2:4] and back.has_more
    assert [p.id for p in pis.list(params={"limit": 100}).auto_paging_iter()] == newest_first


def test_created_filter(stripe_client: stripe.StripeClient) -> None:
    pi = stripe_client.v1.payment_intents.create(params={"amount": 1000, "currency": "usd"})
    hit = stripe_client.v1.payment_intents.list(params={"created": {"gte": pi.created}})
    miss = stripe_client.v1.payment_intents.list(params={"created": {"gt": pi.created}})
    assert [p.id for p in hit.data] == [pi.id] and miss.data == []


def test_list_charges_and_refunds_by_parent(stripe_client: stripe.StripeClient) -> None:
    a = stripe_client.v1.payment_intents.create(params={
        "amount": 2000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True})
    b = stripe_client.v1.payment_intents.create(params={
        "amount": 3000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True})
    stripe_client.v1.refunds.create(params={"payment_intent": a.id, "amount": 100})
    stripe_client.v1.refunds.create(params={"payment_intent": b.id, "amount": 200})
    charges = stripe_client.v1.charges.list(params={"payment_intent": a.id}).data
    assert [c.id for c in charges] == [a.latest_charge]
    refunds = stripe_client.v1.refunds.list(params={"charge": b.latest_charge}).data
    assert [r.amount for r in refunds] == [200]
