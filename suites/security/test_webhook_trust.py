"""Correctly signed, but untrue: webhooks from a forger who holds the merchant's signing
secret (a leaked `whsec_`, a replayed endpoint registration). A correct signature proves
only who signed, so the merchant must fulfil nothing the gateway itself does not say was
paid, refuse an event about a Checkout Session the gateway never created, and read the
signature's timestamp exactly as the `stripe` library does, so that a second `t=` cannot
hide a future one.

The probes sign with the merchant's own secret, which only the reference shop started by
the suite gives (its database); against a shop at --merchant-url they are skipped.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
import time
import uuid
from contextlib import closing
from typing import Any

import allure
import pytest
import requests
import stripe
from paylab.suites.plugins.shop import Shop, ShopClient
from paylab.suites.plugins.simulator import LiveSimulator

#: Far enough ahead to be outside any tolerance (stripe-python's is 300 s).
AN_HOUR = 3600


@pytest.fixture(scope="module")
def signing_secret(shop: Shop) -> str:
    """The merchant's webhook signing secret, as a forger who stole it would have it."""
    if shop.db is None or not shop.api_key:
        pytest.skip("these probes sign with the merchant's webhook secret, which only the "
                    "reference shop started by the suite gives")
    with closing(sqlite3.connect(f"file:{shop.db}?mode=ro", uri=True)) as conn:
        row = conn.execute("SELECT value FROM config WHERE key = 'secret'").fetchone()
    assert row, "the shop has not registered its webhook endpoint"
    return row[0]


@pytest.fixture(scope="module")
def endpoint_url(shop: Shop, simulator: LiveSimulator, signing_secret: str) -> str:
    """Where the gateway delivers the shop's webhooks."""
    endpoints = _api(simulator, shop, "webhook_endpoints")["data"]
    urls = [e["url"] for e in endpoints if e["url"].startswith(shop.url)]
    assert urls, f"no webhook endpoint of {shop.url} at the gateway"
    return urls[0]


def _api(simulator: LiveSimulator, shop: Shop, path: str, **params: Any) -> dict[str, Any]:
    """GET a resource of the shop's tenant from the gateway."""
    answer = requests.get(f"{simulator.stripe_url}/v1/{path}", params=params, timeout=10,
                          headers={"Authorization": f"Bearer {shop.api_key}"})
    answer.raise_for_status()
    return answer.json()


def _pending_order(shop: Shop, simulator: LiveSimulator,
                   card: str | None = None) -> dict[str, Any]:
    """A fresh order left unpaid (after a declined `card`, if given); returns the gateway's
    copy of its Checkout Session, found by the `url` the shop redirected to."""
    client = ShopClient(shop)
    hosted = client.start_order()
    if card:
        assert client.pay(hosted, card).status_code != 303, "the card should decline"
    sessions = _api(simulator, shop, "checkout/sessions", limit=100)["data"]
    session = next((s for s in sessions if s["url"] == hosted), None)
    assert session is not None, f"no session of the shop has the url {hosted}"
    assert session["payment_status"] == "unpaid"
    return session


def _completed(session: dict[str, Any], event_id: str) -> dict[str, Any]:
    """A checkout.session.completed event claiming `session` was paid."""
    return {"id": event_id, "object": "event", "created": int(time.time()), "livemode": False,
            "type": "checkout.session.completed",
            "data": {"object": {**session, "status": "complete", "payment_status": "paid"}}}


def _send(url: str, event: dict[str, Any], secret: str, *, header: str | None = None,
          signed_at: int | None = None, attack: str) -> int:
    """POST a correctly signed event (or one under `header`); the answer's status."""
    body = json.dumps(event)
    header = header or stripe.WebhookSignature.generate_signature_header(
        body, secret, signed_at or int(time.time()))
    answer = requests.post(url, data=body.encode(), timeout=30, headers={
        "Content-Type": "application/json", "Stripe-Signature": header})
    allure.attach(f"attack:  {attack}\nevent:   {event['id']} {event['type']}\n"
                  f"header:  {header.split(',v1=')[0]},v1=...\n"
                  f"answer:  {answer.status_code} {answer.text[:300]}",
                  name=f"webhook probe {attack}", attachment_type=allure.attachment_type.TEXT)
    return answer.status_code


def _assert_unfulfilled(shop: Shop, order_id: str, status: int) -> None:
    after = ShopClient(shop).status(order_id)
    assert (after["status"], after.get("fulfilments", 0)) == ("pending", 0), \
        f"a forged event fulfilled order {order_id}: {after} (answered {status})"
    assert status < 500, f"the shop failed on a forged event ({status})"


def test_an_event_the_gateway_never_created_fulfils_nothing(
        shop: Shop, simulator: LiveSimulator, signing_secret: str, endpoint_url: str) -> None:
    """An invented event id claiming that a real, untouched, open session was paid."""
    session = _pending_order(shop, simulator)
    event = _completed(session, f"evt_forged_{uuid.uuid4().hex[:16]}")
    status = _send(endpoint_url, event, signing_secret, attack="invented event")
    _assert_unfulfilled(shop, session["client_reference_id"], status)


def test_a_completion_of_an_unpaid_session_fulfils_nothing(
        shop: Shop, simulator: LiveSimulator, signing_secret: str, endpoint_url: str) -> None:
    """The gateway's own copy of a session whose card was declined, marked paid, under the
    id of an event the gateway really created (its payment's `payment_intent.created`,
    which the shop never received): every id checks out, but the session is unpaid."""
    session = _pending_order(shop, simulator, card="4000000000000002")
    assert session["payment_intent"], "the declined attempt should have made a payment"
    events = _api(simulator, shop, "events", limit=100)["data"]
    real = next((e for e in events if e["type"] == "payment_intent.created"
                 and e["data"]["object"]["id"] == session["payment_intent"]), None)
    assert real is not None, "the gateway made no payment_intent.created for the attempt"
    status = _send(endpoint_url, _completed(session, real["id"]), signing_secret,
                   attack="unpaid session")
    _assert_unfulfilled(shop, session["client_reference_id"], status)


def test_an_event_about_a_session_the_gateway_never_created_is_refused(
        shop: Shop, simulator: LiveSimulator, signing_secret: str, endpoint_url: str) -> None:
    """An invented session for a real pending order: refused (4xx), nothing fulfilled."""
    session = _pending_order(shop, simulator)
    invented = {**session, "id": f"cs_test_forged_{uuid.uuid4().hex}"}
    event = _completed(invented, f"evt_forged_{uuid.uuid4().hex[:16]}")
    status = _send(endpoint_url, event, signing_secret, attack="invented session")
    _assert_unfulfilled(shop, session["client_reference_id"], status)
    assert 400 <= status < 500, f"an event about an unknown session was accepted ({status})"


def test_a_second_timestamp_cannot_hide_a_future_one(
        shop: Shop, simulator: LiveSimulator, signing_secret: str, endpoint_url: str) -> None:
    """`t=+FUTURE,t=NOW,v1=...` signed at FUTURE: stripe-python verifies the signature
    against the first `t` (int() reads `+FUTURE`) and refuses only old ones; a receiver
    that skips the non-digit `t` checks NOW against the clock and keeps the signature,
    which then stays fresh for an hour. The first `t` is the timestamp: refuse it."""
    client = ShopClient(shop)
    order_id = client.paid_order()
    events = _api(simulator, shop, "events", limit=100)["data"]
    event = next(e for e in events if e["type"] == "checkout.session.completed"
                 and e["data"]["object"]["client_reference_id"] == order_id)
    body = json.dumps(event)
    future, now = int(time.time()) + AN_HOUR, int(time.time())
    signature = hmac.new(signing_secret.encode(), f"{future}.{body}".encode(),
                         hashlib.sha256).hexdigest()
    status = _send(endpoint_url, event, signing_secret, attack="t=+future,t=now",
                   header=f"t=+{future},t={now},v1={signature}")
    assert 400 <= status < 500, f"a signature dated an hour ahead was accepted ({status})"
    assert client.status(order_id)["fulfilments"] == 1
